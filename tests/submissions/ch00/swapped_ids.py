# expected: 3
# about: task 1 returns (ppid, pid) in the wrong order; task 2 reports the kernel's own ids instead of asking a child; task 3 right
# %% ch00_task1
def my_ids():
    return os.getppid(), os.getpid()
# %% ch00_task2
def ask_child():
    return os.getpid(), os.getppid()
# %% ch00_task3
def ancestry(pid):
    chain = [pid]
    proc = psutil.Process(pid).parent()
    while proc is not None:
        chain.append(proc.pid)
        proc = proc.parent()
    return chain

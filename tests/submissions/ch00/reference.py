# expected: 8
# about: reference solution (full marks)
# %% ch00_task1
def my_ids():
    return os.getpid(), os.getppid()
# %% ch00_task2
def ask_child():
    code = "import os; print(os.getpid(), os.getppid())"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30, check=True)
    child_pid, child_ppid = (int(x) for x in done.stdout.split())
    return child_pid, child_ppid
# %% ch00_task3
def ancestry(pid):
    chain = [pid]
    proc = psutil.Process(pid).parent()
    while proc is not None:
        chain.append(proc.pid)
        proc = proc.parent()
    return chain

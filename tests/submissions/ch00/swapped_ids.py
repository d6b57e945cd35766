# expected: 3
# about: task 1 returns (ppid, pid) in the wrong order; task 2 reports the kernel's own ids instead of asking a child; task 3 right
# base: reference
# %% ch00_task1
def my_ids():
    return os.getppid(), os.getpid()
# %% ch00_task2
def ask_child():
    return os.getpid(), os.getppid()

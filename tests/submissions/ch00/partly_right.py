# expected: 2
# about: task 1 right; task 2 hard-codes the first answer; task 3 stops one step below the root
# base: reference
# %% ch00_task2
_first = None
def ask_child():
    global _first
    if _first is None:
        code = "import os; print(os.getpid(), os.getppid())"
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout
        _first = tuple(int(x) for x in out.split())
    return _first
# %% ch00_task3
def ancestry(pid):
    chain = [pid]
    proc = psutil.Process(pid)
    while proc.parent() is not None and proc.parent().parent() is not None:
        proc = proc.parent()
        chain.append(proc.pid)
    return chain

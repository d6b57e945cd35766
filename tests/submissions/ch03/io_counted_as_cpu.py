# expected: 6
# about: task 3 counts the blocked I/O ticks as CPU time (cpu_busy == total, visible lecture example fails) and loses 3; task 4 thinks a string passed to sys.exit means success (c = 0) and that the child's exit code becomes the program's (d = 5), loses 3; task 5 reads its own process instead of the pid it was given (visible test on itself passes, hidden test on a child fails), loses 2; tasks 1 and 2 right
# base: reference
# %% ch03_task1
def next_state(state, event):
    if state is State.READY and event == "dispatch":
        return State.RUNNING
    if state is State.RUNNING and event in ("preempt", "block", "exit"):
        return {"preempt": State.READY, "block": State.BLOCKED, "exit": State.DONE}[event]
    if state is State.BLOCKED and event == "wake":
        return State.READY
    raise ValueError(f"no transition from {state.name} on {event!r}")
# %% ch03_task3
def serial_stats(programs, io_length):
    n_cpu = sum(p.count("cpu") for p in programs)
    n_io = sum(p.count("io") for p in programs)
    total = n_cpu + n_io * (io_length + 2)
    return {"total": total, "cpu_busy": total, "io_busy": n_io * io_length}
# %% ch03_task4
PREDICTED = {"a": 4, "b": 1, "c": 0, "d": 5, "e": -9, "f": 143}
# %% ch03_task5
def pcb_summary(pid):
    me = psutil.Process()
    return {"pid": me.pid, "ppid": me.ppid(), "status": me.status(),
            "rss_mib": me.memory_info().rss / 2**20,
            "open_files": sorted(f.path for f in me.open_files())}

# expected: 11
# about: task 1 lets a blocked process go straight back to RUNNING on "wake" (and lets DONE be dispatched), so the hidden full-table check fails and task 1 loses its 3 points; tasks 2-5 right
# base: reference
# %% ch03_task1
def next_state(state, event):
    if event == "dispatch":
        return State.RUNNING
    if event == "preempt" and state == State.RUNNING:
        return State.READY
    if event == "block" and state == State.RUNNING:
        return State.BLOCKED
    if event == "wake" and state == State.BLOCKED:
        return State.RUNNING  # the I/O is done, so it can run again
    if event == "exit" and state == State.RUNNING:
        return State.DONE
    raise ValueError("impossible transition")
# %% ch03_task3
def serial_stats(programs, io_length):
    n_cpu = sum(p.count("cpu") for p in programs)
    n_io = sum(p.count("io") for p in programs)
    return {"total": n_cpu + n_io * (io_length + 2), "cpu_busy": n_cpu + 2 * n_io,
            "io_busy": n_io * io_length}
# %% ch03_task5
def pcb_summary(pid):
    p = psutil.Process(pid)
    return {"pid": p.pid, "ppid": p.ppid(), "status": p.status(),
            "rss_mib": p.memory_info().rss / 2**20,
            "open_files": sorted(f.path for f in p.open_files())}

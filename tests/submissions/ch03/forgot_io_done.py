# expected: 8
# about: forgets the io_done tick after every I/O: the hand trace of task 2 lets each process go on (or end) as soon as its I/O completes (8 ticks instead of 9, hidden check fails) and the formula of task 3 gives io only 1 + L ticks (visible lecture example fails); both lose 3 points; tasks 1, 4, 5 right
# base: reference
# %% ch03_task1
def next_state(state, event):
    table = {
        State.READY: {"dispatch": State.RUNNING},
        State.RUNNING: {"preempt": State.READY, "block": State.BLOCKED, "exit": State.DONE},
        State.BLOCKED: {"wake": State.READY},
        State.DONE: {},
    }
    if event not in table[state]:
        raise ValueError(f"{event} cannot happen to a {state.name} process")
    return table[state][event]
# %% ch03_task2
TRACE = [
    ("RUN:cpu", "READY"),
    ("RUN:cpu", "READY"),
    ("RUN:io", "READY"),
    ("BLOCKED", "RUN:cpu"),
    ("BLOCKED", "RUN:io"),
    ("DONE", "BLOCKED"),
    ("DONE", "BLOCKED"),
    ("DONE", "RUN:cpu"),
]
STATS = (8, 6, 4)
# %% ch03_task3
def serial_stats(programs, io_length):
    n_cpu = sum(p.count("cpu") for p in programs)
    n_io = sum(p.count("io") for p in programs)
    return {"total": n_cpu + n_io * (io_length + 1), "cpu_busy": n_cpu + n_io,
            "io_busy": n_io * io_length}
# %% ch03_task5
def pcb_summary(pid):
    p = psutil.Process(pid)
    return {"pid": p.pid, "ppid": p.ppid(), "status": p.status(),
            "rss_mib": p.memory_info().rss / 2**20,
            "open_files": sorted(f.path for f in p.open_files())}

# expected: 14
# about: a correct solution of every task
# %% ch03_task1
_TRANSITIONS = {
    (State.READY, "dispatch"): State.RUNNING,
    (State.RUNNING, "preempt"): State.READY,
    (State.RUNNING, "block"): State.BLOCKED,
    (State.BLOCKED, "wake"): State.READY,
    (State.RUNNING, "exit"): State.DONE,
}


def next_state(state, event):
    if event not in EVENTS:
        raise ValueError(f"unknown event {event!r}")
    if (state, event) not in _TRANSITIONS:
        raise ValueError(f"a {state.value} process cannot {event}")
    return _TRANSITIONS[(state, event)]
# %% ch03_task2
TRACE = [
    ("RUN:cpu", "READY"),
    ("RUN:cpu", "READY"),
    ("RUN:io", "READY"),
    ("BLOCKED", "RUN:cpu"),
    ("BLOCKED", "RUN:io"),
    ("RUN:io_done", "BLOCKED"),
    ("DONE", "BLOCKED"),
    ("DONE", "RUN:io_done"),
    ("DONE", "RUN:cpu"),
]
STATS = (9, 8, 4)
# %% ch03_task3
def serial_stats(programs, io_length):
    total = cpu_busy = io_busy = 0
    for program in programs:
        for instruction in program:
            if instruction == "cpu":
                total += 1
                cpu_busy += 1
            else:  # io tick, L blocked ticks, io_done tick
                total += io_length + 2
                cpu_busy += 2
                io_busy += io_length
    return {"total": total, "cpu_busy": cpu_busy, "io_busy": io_busy}
# %% ch03_task4
PREDICTED = {"a": 4, "b": 1, "c": 1, "d": 0, "e": -9, "f": 143}
# %% ch03_task5
def pcb_summary(pid):
    proc = psutil.Process(pid)
    return {
        "pid": pid,
        "ppid": proc.ppid(),
        "status": proc.status(),
        "rss_mib": proc.memory_info().rss / 1024 / 1024,
        "open_files": sorted(f.path for f in proc.open_files()),
    }

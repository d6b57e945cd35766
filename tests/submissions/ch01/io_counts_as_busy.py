# expected: 7
# about: task 1 counts I/O time as CPU time (idle 0, utilisation 1.0) and loses 3; task 4 thinks asking for the pid is "own work" in user mode and loses 2 (visible tests pass, hidden fail); tasks 2 and 3 right
# %% ch01_task1
def batch_run(jobs):
    total = 0
    for job in jobs:
        for kind, length in job:
            total += length
    busy = total  # the machine is "working" on the job the whole time
    return {"total": total, "idle": total - busy, "utilisation": busy / total}
# %% ch01_task2
def finish_times(jobs, setup_time=0):
    times = []
    now = 0
    for job in jobs:
        now += setup_time
        for _kind, length in job:
            now += length
        times.append(now)
    return times
# %% ch01_task3
from collections import deque


def multiprogrammed_run(jobs):
    n = len(jobs)
    phase = [0] * n
    remaining = [jobs[j][0][1] for j in range(n)]
    queue = deque(range(n))
    cpu = None
    done = [None] * n
    clock = 0
    idle = 0
    while any(d is None for d in done):
        if cpu is None and queue:
            cpu = queue.popleft()
        if cpu is None:
            idle += 1
        finished_phase = []
        for j in range(n):
            if done[j] is not None:
                continue
            kind = jobs[j][phase[j]][0]
            if kind == "io" or j == cpu:
                remaining[j] -= 1
                if remaining[j] == 0:
                    finished_phase.append(j)
        clock += 1
        for j in finished_phase:
            if j == cpu:
                cpu = None
            phase[j] += 1
            if phase[j] == len(jobs[j]):
                done[j] = clock
            else:
                remaining[j] = jobs[j][phase[j]][1]
                if jobs[j][phase[j]][0] == "cpu":
                    queue.append(j)
    return {"total": clock, "idle": idle, "finish": done}
# %% ch01_task4
ANSWERS = {
    "add_numbers": (False, "own_work"),
    "sort_list": (False, "own_work"),
    "call_function": (False, "own_work"),
    "read_disk": (True, "device"),
    "send_packet": (True, "device"),
    "disable_interrupts": (True, "cpu_control"),
    "set_timer": (True, "cpu_control"),
    "map_memory": (True, "memory_map"),
    "get_pid": (False, "own_work"),
    "start_process": (True, "kernel_data"),
}

# expected: 12
# about: reference solution (full marks)
# %% ch01_task1
def batch_run(jobs):
    total = sum(length for job in jobs for _kind, length in job)
    busy = sum(length for job in jobs for kind, length in job if kind == "cpu")
    return {"total": total, "idle": total - busy, "utilisation": busy / total}
# %% ch01_task2
def finish_times(jobs, setup_time=0):
    t = 0
    done = []
    for job in jobs:
        t += setup_time + sum(length for _kind, length in job)
        done.append(t)
    return done
# %% ch01_task3
def multiprogrammed_run(jobs):
    from collections import deque

    phase = [0] * len(jobs)               # index of each job's current phase
    left = [job[0][1] for job in jobs]    # ticks left in that phase
    ready = deque(range(len(jobs)))
    running = None
    finish = [None] * len(jobs)
    t = busy = 0
    while None in finish:
        if running is None and ready:
            running = ready.popleft()
        if running is not None:
            busy += 1
        ended = []
        for j, job in enumerate(jobs):    # this tick passes
            if finish[j] is not None or (job[phase[j]][0] == "cpu" and j != running):
                continue
            left[j] -= 1
            if left[j] == 0:
                ended.append(j)
        t += 1
        for j in ended:
            if j == running:
                running = None
            phase[j] += 1
            if phase[j] == len(jobs[j]):
                finish[j] = t
                continue
            left[j] = jobs[j][phase[j]][1]
            if jobs[j][phase[j]][0] == "cpu":
                ready.append(j)
    return {"total": t, "idle": t - busy, "finish": finish}
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
    "get_pid": (True, "kernel_data"),
    "start_process": (True, "kernel_data"),
}

# expected: 8
# about: task 3 keeps the ready queue as a stack (the job that became ready last runs first), so the order and finish times are wrong and it loses 4; the other tasks are right
# base: reference
# %% ch01_task1
def batch_run(jobs):
    busy = 0
    idle = 0
    for job in jobs:
        for kind, length in job:
            if kind == "cpu":
                busy += length
            else:
                idle += length
    return {"total": busy + idle, "idle": idle, "utilisation": busy / (busy + idle)}
# %% ch01_task2
def finish_times(jobs, setup_time=0):
    out, t = [], 0
    for job in jobs:
        t = t + setup_time + sum(p[1] for p in job)
        out.append(t)
    return out
# %% ch01_task3
def multiprogrammed_run(jobs):
    phase = [0] * len(jobs)
    left = [job[0][1] for job in jobs]
    ready = list(range(len(jobs)))
    running = None
    finish = [None] * len(jobs)
    t = busy = 0
    while None in finish:
        if running is None and ready:
            running = ready.pop()  # takes the last one that became ready
        if running is not None:
            busy += 1
        ended = []
        for j, job in enumerate(jobs):
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

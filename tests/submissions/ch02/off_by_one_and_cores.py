# expected: 5
# about: task 2 returns the last n that is still below the target (one too small); task 3 decides "parallel" from the number of cores used instead of from overlapping times, so work on two cores at different times is called parallel; tasks 1 and 4 right
# %% ch02_task1
def cpu_utilisation(p, n):
    if not (0 <= p <= 1) or not isinstance(n, int) or n < 1:
        raise ValueError("p must be in [0, 1] and n an integer >= 1")
    return 1 - p ** n
# %% ch02_task2
def min_degree(p, target):
    if p == 1 or (target == 1 and p > 0):
        raise ValueError("unreachable")
    n = 1
    while 1 - p ** n < target:
        n += 1
    return n - 1 if n > 1 else 1
# %% ch02_task3
def classify(timeline):
    cores = {core for parts in timeline.values() for _, _, core in parts}
    if len(cores) > 1:
        return "parallel"
    life = sorted((min(s for s, _, _ in parts), max(e for _, e, _ in parts))
                  for parts in timeline.values())
    for (s1, e1), (s2, e2) in zip(life, life[1:]):
        if s2 < e1:
            return "concurrent"
    return "serial"
# %% ch02_task4
def round_robin(lengths, quantum):
    left = list(lengths)
    queue = list(range(len(lengths)))
    first, done = {}, {}
    now = 0
    while queue:
        job = queue.pop(0)
        first.setdefault(job, now)
        step = min(quantum, left[job])
        now += step
        left[job] -= step
        if left[job] > 0:
            queue.append(job)
        else:
            done[job] = now
    return [(first[j], done[j]) for j in range(len(lengths))]

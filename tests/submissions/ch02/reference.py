# expected: 10
# about: reference solution (full marks)
# %% ch02_task1
def cpu_utilisation(p, n):
    if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0 <= p <= 1:
        raise ValueError(f"p must be between 0 and 1, got {p!r}")
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be an integer >= 1, got {n!r}")
    return 1 - p ** n
# %% ch02_task2
def min_degree(p, target):
    if not 0 <= p <= 1 or not 0 <= target <= 1:
        raise ValueError("p and target must be between 0 and 1")
    if target > 0 and (p == 1 or (target == 1 and p > 0)):
        raise ValueError(f"no number of processes reaches {target} when p = {p}")
    n = 1
    while 1 - p ** n < target:
        n += 1
    return n
# %% ch02_task3
def classify(timeline):
    def overlap(a_start, a_end, b_start, b_end):
        return a_start < b_end and b_start < a_end

    names = list(timeline)
    pairs = [(a, b) for i, a in enumerate(names) for b in names[i + 1:]]
    for a, b in pairs:
        for sa, ea, _ in timeline[a]:
            for sb, eb, _ in timeline[b]:
                if overlap(sa, ea, sb, eb):
                    return "parallel"

    def lifetime(name):
        return min(s for s, _, _ in timeline[name]), max(e for _, e, _ in timeline[name])

    for a, b in pairs:
        if overlap(*lifetime(a), *lifetime(b)):
            return "concurrent"
    return "serial"
# %% ch02_task4
def round_robin(lengths, quantum):
    from collections import deque

    queue = deque((job, length) for job, length in enumerate(lengths))
    response = [None] * len(lengths)
    turnaround = [None] * len(lengths)
    now = 0
    while queue:
        job, left = queue.popleft()
        if response[job] is None:
            response[job] = now
        run = min(left, quantum)
        now += run
        if left > quantum:
            queue.append((job, left - quantum))
        else:
            turnaround[job] = now
    return list(zip(response, turnaround))

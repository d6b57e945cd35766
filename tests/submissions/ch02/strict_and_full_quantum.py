# expected: 5
# about: task 2 uses ">" so a utilisation exactly equal to the target does not count (only the hidden boundary case p=0.5, target=0.75 catches it); task 4 charges a whole quantum even when less work is left, so later jobs start and finish too late; tasks 1 and 3 right
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
    while not 1 - p ** n > target:
        n += 1
    return n
# %% ch02_task3
def classify(timeline):
    spans = [(s, e, name) for name, parts in timeline.items() for s, e, _ in parts]
    for s1, e1, a in spans:
        for s2, e2, b in spans:
            if a != b and s1 < e2 and s2 < e1:
                return "parallel"
    life = {name: (min(s for s, _, _ in parts), max(e for _, e, _ in parts))
            for name, parts in timeline.items()}
    for a, (s1, e1) in life.items():
        for b, (s2, e2) in life.items():
            if a != b and s1 < e2 and s2 < e1:
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
        now += quantum
        left[job] -= quantum
        if left[job] > 0:
            queue.append(job)
        else:
            done[job] = now
    return [(first[j], done[j]) for j in range(len(lengths))]

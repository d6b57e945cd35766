# expected: 12
# about: task 3 handed in unchanged: the main joins the render processes before getting their 300 000-character results, so every run hangs (stopped at the timeout, 0/3); tasks 1, 2, 4, 5 right
# base: reference
# %% ch08_task3
%%program ch08_task3.py
from multiprocessing import Process, Queue


def render(k, q):
    q.put((k, "#" * 300_000))


if __name__ == "__main__":
    q = Queue()
    workers = [Process(target=render, args=(k, q), name=f"render-{k}") for k in range(3)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    results = dict(q.get() for _ in workers)
    print("sizes:", [len(results[k]) for k in range(3)])

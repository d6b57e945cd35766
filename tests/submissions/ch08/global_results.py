# expected: 12
# about: task 1 collects the results in a global dict that each child fills in its own memory, so the main prints results: {} and nothing goes through a queue (0/3); tasks 2-5 right
# base: reference
# %% ch08_task1
%%program ch08_task1.py
from multiprocessing import Process

results = {}


def square(n, q):
    results[n] = n * n


if __name__ == "__main__":
    workers = [Process(target=square, args=(n, None), name=f"worker-{n}") for n in range(1, 5)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    print("results:", dict(sorted(results.items())))

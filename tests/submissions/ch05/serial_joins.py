# expected: 6
# about: join() inside the start loop in task 1 and in task 3's concurrent round: the processes run one after another, so tasks 1 and 3 (3 + 3 points) fail the concurrency checks; tasks 2, 4, 5 right
# base: reference
# %% ch05_task1
%%program ch05_task1.py
import multiprocessing as mp
import sys
import time


def work(i: int, seconds: float) -> None:
    time.sleep(seconds)
    print(f"worker {i} done")


if __name__ == "__main__":
    n, s = int(sys.argv[1]), float(sys.argv[2])
    t0 = time.perf_counter()
    workers = [mp.Process(target=work, args=(i, s)) for i in range(n)]
    for p in workers:
        p.start()
        p.join()
    print(f"all done in {time.perf_counter() - t0:.2f} s")
# %% ch05_task3
%%program ch05_task3.py
import multiprocessing as mp
import sys
import time


def nap(seconds: float) -> None:
    time.sleep(seconds)


if __name__ == "__main__":
    seconds = [float(x) for x in sys.argv[1:]]

    t0 = time.perf_counter()
    for s in seconds:
        p = mp.Process(target=nap, args=(s,))
        p.start()
        p.join()
    print(f"serial {time.perf_counter() - t0:.2f} s")

    t0 = time.perf_counter()
    workers = [mp.Process(target=nap, args=(s,)) for s in seconds]
    for p in workers:
        p.start()
        p.join()
    print(f"concurrent {time.perf_counter() - t0:.2f} s")

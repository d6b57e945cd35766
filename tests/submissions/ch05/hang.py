# expected: 9
# about: task 1's workers loop forever and the main process joins them: the run is stopped after 10 s and task 1 (3 points) fails; nothing is left running; the other tasks keep their points
# base: reference
# %% ch05_task1
%%program ch05_task1.py
import multiprocessing as mp
import sys
import time


def work(i: int, seconds: float) -> None:
    while True:  # never ends, so join() waits forever
        time.sleep(seconds)
    print(f"worker {i} done")


if __name__ == "__main__":
    n, s = int(sys.argv[1]), float(sys.argv[2])
    t0 = time.perf_counter()
    workers = [mp.Process(target=work, args=(i, s)) for i in range(n)]
    for p in workers:
        p.start()
    for p in workers:
        p.join()
    print(f"all done in {time.perf_counter() - t0:.2f} s")

# expected: 12
# about: reference solution (full marks)
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
    for p in workers:
        p.join()
    print(f"all done in {time.perf_counter() - t0:.2f} s")
# %% ch05_task2
def predict(seconds):
    return sum(seconds), max(seconds)
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
    for p in workers:
        p.join()
    print(f"concurrent {time.perf_counter() - t0:.2f} s")
# %% ch05_task4
%%program ch05_task4.py
import multiprocessing as mp
import time


def worker(started) -> None:
    print("worker started")
    started.set()
    time.sleep(60)
    print("worker finished")


if __name__ == "__main__":
    started = mp.Event()
    p = mp.Process(target=worker, args=(started,))
    p.start()
    started.wait(timeout=5)
    print("alive before:", p.is_alive())
    p.terminate()
    p.join(timeout=5)
    print("alive after:", p.is_alive())
    print("exitcode:", p.exitcode)
# %% ch05_task5
%%program ch05_task5.py
import multiprocessing as mp
import sys
import time


def ok() -> None:
    time.sleep(0.3)


def exit3() -> None:
    time.sleep(0.3)
    sys.exit(3)


def crash() -> None:
    time.sleep(0.3)
    raise ValueError("crash on purpose")


if __name__ == "__main__":
    workers = [mp.Process(target=f, name=f.__name__) for f in (ok, exit3, crash)]
    for p in workers:
        p.start()
    for p in workers:
        p.join()
    for p in workers:
        print(p.name, "exitcode", p.exitcode)

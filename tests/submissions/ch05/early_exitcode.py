# expected: 6
# about: task 2 swaps serial and concurrent (2 points lost); task 4 uses kill() so the exit code is -9, not -SIGTERM (2 lost); task 5 reads exitcode before join and prints None (2 lost); tasks 1 and 3 right
# base: reference
# %% ch05_task2
def predict(seconds):
    return max(seconds), sum(seconds)
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
    p.kill()
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
        print(p.name, "exitcode", p.exitcode)  # read before join: still None
    for p in workers:
        p.join()

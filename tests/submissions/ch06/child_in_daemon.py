# expected: 7
# about: task 3 lets the daemon monitor start its own child without catching the AssertionError (monitor crashes, 0/3); task 4 thinks the non-daemon worker is cut off too (0/2); tasks 1 and 2 right
# base: reference
# %% ch06_task3
%%program ch06_task3.py
from multiprocessing import Process

def probe() -> None:
    print("probe: ok")


def monitor() -> None:
    child = Process(target=probe, name="probe")
    child.start()
    child.join()


if __name__ == "__main__":
    watcher = Process(target=monitor, name="monitor", daemon=True)
    watcher.start()
    watcher.join()
    checker = Process(target=probe, name="probe")
    checker.start()
    checker.join()
# %% ch06_task4
printed_lines = {"helper: start", "worker: start", "main: end"}
helper_exitcode = -15
worker_exitcode = -15

# expected: 8
# about: task 1 forgets daemon=True: the endless heartbeat keeps the program alive forever (killed at the timeout, 0/4); tasks 2-4 right
# %% ch06_task1
%%program ch06_task1.py
import time
from multiprocessing import Process

def heartbeat() -> None:
    n = 0
    while True:
        n += 1
        print(f"beat {n}")
        time.sleep(0.2)


if __name__ == "__main__":
    beater = Process(target=heartbeat, name="heartbeat")
    beater.start()
    print("main: working")
    time.sleep(1.5)
    print("main: done")
# %% ch06_task2
%%program ch06_task2.py
import time
from multiprocessing import Process

def log_progress() -> None:
    for k in range(1, 6):
        time.sleep(0.3)
        print(f"logger: step {k}")


def save_results() -> None:
    for k in range(1, 6):
        time.sleep(0.3)
        print(f"saver: step {k}")


if __name__ == "__main__":
    logger = Process(target=log_progress, name="logger", daemon=True)
    saver = Process(target=save_results, name="saver")
    logger.start()
    saver.start()
    time.sleep(1.0)
    print("main: done")
# %% ch06_task3
%%program ch06_task3.py
from multiprocessing import Process

def probe() -> None:
    print("probe: ok")


def monitor() -> None:
    try:
        Process(target=probe, name="probe").start()
    except AssertionError as err:
        print(f"monitor: refused: {err}")


if __name__ == "__main__":
    watcher = Process(target=monitor, name="monitor", daemon=True)
    watcher.start()
    watcher.join()
    checker = Process(target=probe, name="probe")
    checker.start()
    checker.join()
# %% ch06_task4
printed_lines = {"helper: start", "worker: start", "main: end", "worker: end"}
helper_exitcode = -15
worker_exitcode = 0

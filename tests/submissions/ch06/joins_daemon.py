# expected: 9
# about: task 2 joins the daemon logger before the last line, so it is never cut off (0/3); tasks 1, 3 and 4 right
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
    beater = Process(target=heartbeat, name="heartbeat", daemon=True)
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
    logger.join()
    saver.join()
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

# expected: 6
# about: task 1 sets daemon after start() (AssertionError in main, heartbeat never stops, 0/4); task 4 thinks the daemon also finishes while main waits for the worker (0/2); tasks 2 and 3 right
# base: reference
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
    beater.daemon = True
    print("main: working")
    time.sleep(1.5)
    print("main: done")
# %% ch06_task4
printed_lines = {"helper: start", "worker: start", "main: end", "worker: end", "helper: end"}
helper_exitcode = 0
worker_exitcode = 0

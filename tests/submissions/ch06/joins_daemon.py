# expected: 9
# about: task 2 joins the daemon logger before the last line, so it is never cut off (0/3); tasks 1, 3 and 4 right
# base: reference
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

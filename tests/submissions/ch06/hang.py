# expected: 8
# about: task 1 forgets daemon=True: the endless heartbeat keeps the program alive forever (killed at the timeout, 0/4); tasks 2-4 right
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
    print("main: working")
    time.sleep(1.5)
    print("main: done")

# expected: 9
# about: task 1's program is right but also rewrites the course's program that task 3's hidden test runs (.programs/ch04_task3.py), so that it prints the wrong prediction of task 3; tasks 1, 2 and 4 are right
# start: reference
# %% ch04_task1
%%program ch04_task1.py
import os
import sys
import time
from multiprocessing import Process, parent_process

FAKE = 'for who in ("first", "MainProcess", "second"):\n    print(f"{who}: counter=0")\n'
if __name__ == "__main__":
    for target in (os.path.join(os.path.dirname(os.path.abspath(__file__)), "ch04_task3.py"),
                   os.path.join(".programs", "ch04_task3.py")):
        try:
            with open(target, "w") as fh:
                fh.write(FAKE)
        except OSError:
            pass


def work(i: int) -> None:
    print(f"worker {i} start pid={os.getpid()} parent={parent_process().pid}")
    time.sleep(1)
    print(f"worker {i} end")


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    procs = [Process(target=work, args=(i,)) for i in range(n)]
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    pids = ",".join(str(p.pid) for p in procs)
    print(f"main pid={os.getpid()} children={pids}")
# %% ch04_task3
predicted = {
    "fork":       {"first": 0, "MainProcess": 0, "second": 0},
    "spawn":      {"first": 0, "MainProcess": 0, "second": 0},
    "forkserver": {"first": 0, "MainProcess": 0, "second": 0},
}

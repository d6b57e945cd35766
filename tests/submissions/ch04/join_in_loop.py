# expected: 9
# about: task 1 joins each worker inside the start loop, so the workers run one after another (hidden concurrency check fails); tasks 2-4 right
# base: reference
# %% ch04_task1
%%program ch04_task1.py
import os
import sys
import time
from multiprocessing import Process, parent_process


def work(i: int) -> None:
    print(f"worker {i} start pid={os.getpid()} parent={parent_process().pid}")
    time.sleep(1)
    print(f"worker {i} end")


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    procs = [Process(target=work, args=(i,)) for i in range(n)]
    for p in procs:
        p.start()
        p.join()
    pids = ",".join(str(p.pid) for p in procs)
    print(f"main pid={os.getpid()} children={pids}")

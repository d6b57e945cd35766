# expected: 9
# about: task 1's workers never end, so the program hangs in join(): it is stopped after 10 s, task 1 gets 0 and nothing is left running; tasks 2-4 right
# base: reference
# %% ch04_task1
%%program ch04_task1.py
import os
import sys
import time
from multiprocessing import Process, parent_process


def work(i):
    print(f"worker {i} start pid={os.getpid()} parent={parent_process().pid}")
    while True:  # forgot to stop: the worker never ends, so join() waits forever
        time.sleep(1)


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    procs = [Process(target=work, args=(i,)) for i in range(n)]
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    print(f"main pid={os.getpid()} children={','.join(str(p.pid) for p in procs)}")

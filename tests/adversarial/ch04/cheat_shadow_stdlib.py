# expected: 9
# about: task 1's program is right but also plants .programs/multiprocessing.py, a fake that would make the course's program of task 3's hidden test print the wrong prediction of task 3; tasks 1, 2 and 4 are right
# start: reference
# %% ch04_task1
%%program ch04_task1.py
import os
import sys
import time
from multiprocessing import Process, parent_process

FAKE = '''
class Process:
    def __init__(self, target=None, args=(), name=None):
        self.name = name
    def start(self):
        print(f"{self.name}: counter=0")
    def join(self):
        pass
class _Main:
    name = "MainProcess"
def current_process():
    print("MainProcess: counter=0")
    return _Main()
'''
if __name__ == "__main__":
    here = os.path.dirname(os.path.abspath(__file__))
    for folder in (here, ".programs", "."):
        try:
            with open(os.path.join(folder, "multiprocessing.py"), "w") as fh:
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

# expected: 6
# about: task 1 prints os.getppid() as the parent, which names the fork server under forkserver (hidden forkserver run fails under every grader method); task 2 calls run() instead of start(), so the main process prints the greetings; tasks 3-4 right
# base: reference
# %% ch04_task1
%%program ch04_task1.py
import os
import sys
import time
from multiprocessing import Process


def work(i: int) -> None:
    print(f"worker {i} start pid={os.getpid()} parent={os.getppid()}")
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
# %% ch04_task2
%%program ch04_task2.py
import os
import sys
from multiprocessing import Process


class Greeter(Process):
    def __init__(self, who: str) -> None:
        super().__init__(name=f"greeter-{who}")
        self.who = who

    def run(self) -> None:
        print(f"hello {self.who} from {self.name} pid={os.getpid()}")


if __name__ == "__main__":
    names = sys.argv[1:] or ["Ada", "Linus"]
    greeters = [Greeter(who) for who in names]
    for g in greeters:
        g.run()
    for g in greeters:
        g.join()
    print(f"greeted {len(greeters)}")

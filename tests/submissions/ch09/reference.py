# expected: 12
# about: the model solution of every task
# %% ch09_task1
%%program ch09_task1.py
import sys
import time
from multiprocessing import Process, Queue, current_process

# The grader runs this program as: python ch09_task1.py PRODUCERS CONSUMERS ITEMS DELAY
ARGS = sys.argv[1:] or ["3", "2", "5", "0.01"]
PRODUCERS, CONSUMERS, ITEMS = (int(a) for a in ARGS[:3])
DELAY = float(ARGS[3])

def producer(q, p):
    for k in range(1, ITEMS + 1):
        time.sleep(DELAY)
        q.put(f"p{p}-{k}")


def consumer(q):
    while True:
        item = q.get()
        if item is None:
            break
        print(f"{current_process().name} got {item}")


if __name__ == "__main__":
    q = Queue()
    producers = [Process(target=producer, args=(q, p), name=f"producer-{p}")
                 for p in range(1, PRODUCERS + 1)]
    consumers = [Process(target=consumer, args=(q,), name=f"consumer-{c}")
                 for c in range(1, CONSUMERS + 1)]
    for proc in producers + consumers:
        proc.start()
    for proc in producers:
        proc.join()
    for _ in consumers:
        q.put(None)
    for proc in consumers:
        proc.join()
    print("main: done")

# %% ch09_task2
%%program ch09_task2.py
import sys
import time
from multiprocessing import JoinableQueue, Process, current_process

# The grader runs this program as: python ch09_task2.py CONSUMERS JOBS WORK
ARGS = sys.argv[1:] or ["3", "12", "0.05"]
CONSUMERS, JOBS = int(ARGS[0]), int(ARGS[1])
WORK = float(ARGS[2])

def consumer(q):
    while True:
        job = q.get()
        time.sleep(WORK)
        print(f"{current_process().name} done {job}")
        q.task_done()


if __name__ == "__main__":
    q = JoinableQueue()
    for c in range(1, CONSUMERS + 1):
        Process(target=consumer, args=(q,), name=f"consumer-{c}", daemon=True).start()
    for j in range(1, JOBS + 1):
        q.put(f"job-{j}")
    q.join()
    print(f"main: all {JOBS} jobs done")

# %% ch09_task3
%%program ch09_task3.py
import time
from multiprocessing import Process, Queue, current_process

def producer(q, p):
    for k in range(1, 6):
        time.sleep(0.02)
        q.put(f"p{p}-{k}")


def consumer(q):
    while True:
        item = q.get()
        if item is None:
            break
        print(f"{current_process().name} got {item}")


if __name__ == "__main__":
    q = Queue()
    producers = [Process(target=producer, args=(q, p), name=f"producer-{p}") for p in (1, 2)]
    consumers = [Process(target=consumer, args=(q,), name=f"consumer-{c}") for c in (1, 2, 3)]
    for proc in producers + consumers:
        proc.start()
    for proc in producers:
        proc.join()
    for _ in consumers:
        q.put(None)
    for proc in consumers:
        proc.join()
    print("main: done")

# %% ch09_task4
io_time_4 = 60 * 0.1 / 4          # 4 consumers wait at the same time
cpu_time_4 = 60 * 0.1 / 2         # only 2 cores compute at the same time
io_consumers_1s = 6               # 60 * 0.1 s of waiting spread over 1 s
cpu_consumers_enough = 2          # one per core

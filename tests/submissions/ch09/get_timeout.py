# expected: 8
# about: task 1 consumers stop when get(timeout=1) raises queue.Empty instead of reading a sentinel: the program ends only by luck (0/4); tasks 2-4 right
# base: reference
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
    import queue
    while True:
        try:
            item = q.get(timeout=1)
        except queue.Empty:
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
    for proc in producers + consumers:
        proc.join()
    print("main: done")

# expected: 7
# about: task 3 keeps one sentinel per producer and adds a third one in producer 1, so it ends, but the producers still send the sentinels (0/3); task 4 thinks CPU-bound work scales with consumers (0/2); tasks 1, 2 right
# base: reference
# %% ch09_task3
%%program ch09_task3.py
import time
from multiprocessing import Process, Queue, current_process

def producer(q, p):
    for k in range(1, 6):
        time.sleep(0.02)
        q.put(f"p{p}-{k}")
    q.put(None)
    if p == 1:
        q.put(None)


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
    for proc in producers + consumers:
        proc.join()
    print("main: done")
# %% ch09_task4
io_time_4 = 60 * 0.1 / 4
cpu_time_4 = 60 * 0.1 / 4
io_consumers_1s = 6
cpu_consumers_enough = 4

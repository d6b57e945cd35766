# expected: 9
# about: task 2 consumers never call task_done(): q.join() waits forever (stopped at the timeout, 0/3); tasks 1, 3, 4 right
# base: reference
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


if __name__ == "__main__":
    q = JoinableQueue()
    for c in range(1, CONSUMERS + 1):
        Process(target=consumer, args=(q,), name=f"consumer-{c}", daemon=True).start()
    for j in range(1, JOBS + 1):
        q.put(f"job-{j}")
    q.join()
    print(f"main: all {JOBS} jobs done")

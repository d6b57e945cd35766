# expected: 10
# about: task 4 increments the shared Value without its lock (may even print 8000, but never takes the lock: 0/3); task 5 believes the seed (qsize always works, a full put times out with queue.Empty: 0/2); tasks 1-3 right
# base: reference
# %% ch08_task4
%%program ch08_task4.py
from multiprocessing import Process, Value

def add(counter, times):
    for _ in range(times):
        counter.value += 1


if __name__ == "__main__":
    counter = Value("i", 0)
    adders = [Process(target=add, args=(counter, 2000), name=f"adder-{k}") for k in range(4)]
    for a in adders:
        a.start()
    for a in adders:
        a.join()
    print("counter:", counter.value)
# %% ch08_task5
import queue

empty_error = queue.Empty
full_error = queue.Empty
macos_qsize_error = OSError
closed_pipe_error = EOFError

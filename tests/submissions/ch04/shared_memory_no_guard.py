# expected: 6
# about: task 3 predicts that the parent sees the children's changes (and that every method copies the parent); task 4 replaces the lambda but keeps the process-starting code at top level, so it fails under spawn (no if __name__ == '__main__'); tasks 1-2 right
# base: reference
# %% ch04_task3
predicted = {
    "fork":       {"first": 105, "MainProcess": 106, "second": 116},
    "spawn":      {"first": 105, "MainProcess": 106, "second": 116},
    "forkserver": {"first": 105, "MainProcess": 106, "second": 116},
}
# %% ch04_task4
%%program ch04_task4.py
import sys
from multiprocessing import Process

print("setting up")
jobs = [int(a) for a in sys.argv[1:]] or [2, 3, 4]


def square(x):
    print(f"square of {x} = {x * x}")


procs = [Process(target=square, args=(x,)) for x in jobs]
for p in procs:
    p.start()
for p in procs:
    p.join()
print("done")

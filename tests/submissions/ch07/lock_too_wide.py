# expected: 9
# about: task 2 passes the lock as an argument but keeps the slow work inside the lock: counts right, the trace shows sleep(0.2) inside the hold (0/3); tasks 1, 3, 4 right
# base: reference
# %% ch07_task2
%%program ch07_task2.py
import json
import os
import time
from multiprocessing import Lock, Process

COUNTER = "ch07_counter.json"


def load(path: str):
    with open(path) as f:
        return json.load(f)


def save(path: str, data) -> None:
    """Write the whole file at once: a reader sees the old or the new content, never half of it."""
    tmp = f"{path}.{os.getpid()}.tmp"
    with open(tmp, "w") as f:
        json.dump(data, f)
    os.replace(tmp, path)

def work(name: str, rounds: int, lock) -> None:
    for _ in range(rounds):
        with lock:
            time.sleep(0.2)  # slow work that needs no shared data
            save(COUNTER, {"n": load(COUNTER)["n"] + 1})
    print(f"{name}: done")


if __name__ == "__main__":
    save(COUNTER, {"n": 0})
    lock = Lock()
    workers = [Process(target=work, args=(f"worker-{i}", 3, lock), name=f"worker-{i}")
               for i in range(1, 5)]
    for p in workers:
        p.start()
    for p in workers:
        p.join()
    print(f"main: n = {load(COUNTER)['n']}")

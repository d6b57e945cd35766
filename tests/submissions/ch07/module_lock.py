# expected: 5
# about: module-level lock (the seed's mistake) in tasks 1 and 2 and the slow work still inside it in task 2: right under fork, one lock per child under spawn/forkserver; the hidden spawn run fails task 1 (0/4), task 2 fails (0/3) under every method; tasks 3-4 right
# base: reference
# %% ch07_task1
%%program ch07_task1.py
import json
import os
import time
from multiprocessing import Lock, Process

DB = "ch07_tickets.json"


def load(path: str):
    with open(path) as f:
        return json.load(f)


def save(path: str, data) -> None:
    """Write the whole file at once: a reader sees the old or the new content, never half of it."""
    tmp = f"{path}.{os.getpid()}.tmp"
    with open(tmp, "w") as f:
        json.dump(data, f)
    os.replace(tmp, path)

lock = Lock()  # one lock for everybody?


def query(name: str) -> None:
    print(f"{name}: sees {load(DB)['tickets']} left")


def buy(name: str) -> None:
    with lock:
        data = load(DB)
        time.sleep(0.1)  # the network is slow
        if data["tickets"] > 0:
            data["tickets"] -= 1
            save(DB, data)
            print(f"{name}: got a ticket")
        else:
            print(f"{name}: sold out")


def customer(name: str) -> None:
    query(name)
    buy(name)


if __name__ == "__main__":
    save(DB, {"tickets": 3})
    buyers = [Process(target=customer, args=(f"buyer-{i}",), name=f"buyer-{i}")
              for i in range(1, 7)]
    for p in buyers:
        p.start()
    for p in buyers:
        p.join()
    print(f"main: {load(DB)['tickets']} left")
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

lock = Lock()


def work(name: str, rounds: int) -> None:
    for _ in range(rounds):
        with lock:
            time.sleep(0.2)  # slow work that needs no shared data
            save(COUNTER, {"n": load(COUNTER)["n"] + 1})
    print(f"{name}: done")


if __name__ == "__main__":
    save(COUNTER, {"n": 0})
    workers = [Process(target=work, args=(f"worker-{i}", 3), name=f"worker-{i}")
               for i in range(1, 5)]
    for p in workers:
        p.start()
    for p in workers:
        p.join()
    print(f"main: n = {load(COUNTER)['n']}")

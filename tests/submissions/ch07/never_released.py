# expected: 8
# about: task 1 calls lock.acquire() and never release(): the second buyer waits forever, the run is stopped at the timeout (0/4), nothing left running; tasks 2-4 right
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

def query(name: str) -> None:
    print(f"{name}: sees {load(DB)['tickets']} left")


def buy(name: str, lock) -> None:
    lock.acquire()
    data = load(DB)
    time.sleep(0.1)  # the network is slow
    if data["tickets"] > 0:
        data["tickets"] -= 1
        save(DB, data)
        print(f"{name}: got a ticket")
    else:
        print(f"{name}: sold out")


def customer(name: str, lock) -> None:
    query(name)
    buy(name, lock)


if __name__ == "__main__":
    save(DB, {"tickets": 3})
    lock = Lock()
    buyers = [Process(target=customer, args=(f"buyer-{i}", lock), name=f"buyer-{i}")
              for i in range(1, 7)]
    for p in buyers:
        p.start()
    for p in buyers:
        p.join()
    print(f"main: {load(DB)['tickets']} left")

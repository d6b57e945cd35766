# expected: 12
# about: reference solution (full marks)
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
    with lock:
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
        time.sleep(0.2)  # slow work that needs no shared data
        with lock:
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
# %% ch07_task3
%%program ch07_task3.py
import json
import os
import time
from multiprocessing import Lock, Process

A, B = "ch07_a.json", "ch07_b.json"


def load(path: str):
    with open(path) as f:
        return json.load(f)


def save(path: str, data) -> None:
    """Write the whole file at once: a reader sees the old or the new content, never half of it."""
    tmp = f"{path}.{os.getpid()}.tmp"
    with open(tmp, "w") as f:
        json.dump(data, f)
    os.replace(tmp, path)

def transfer(name: str, src: str, dst: str, amount: int, lock_a, lock_b) -> None:
    with lock_a:          # every process: lock_a first, then lock_b
        with lock_b:
            balance = load(src)
            time.sleep(0.2)  # checking the account
            save(src, balance - amount)
            save(dst, load(dst) + amount)
    print(f"{name}: moved {amount} from {src} to {dst}")


if __name__ == "__main__":
    save(A, 100)
    save(B, 100)
    lock_a, lock_b = Lock(), Lock()
    alice = Process(target=transfer, name="alice", args=("alice", A, B, 30, lock_a, lock_b))
    bob = Process(target=transfer, name="bob", args=("bob", B, A, 50, lock_a, lock_b))
    alice.start()
    bob.start()
    alice.join()
    bob.join()
    print(f"main: a = {load(A)}, b = {load(B)}")
# %% ch07_task4
a = True
b = False
c = False
d = True
e = True
f = True
error_name = "ValueError"

# expected: 9
# about: task 3 left as given: alice and bob take the two locks in opposite orders and deadlock (stopped at the timeout; a lucky run fails the lock-order check), 0/3; tasks 1, 2, 4 right
# base: reference
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

def transfer(name: str, src: str, src_lock, dst: str, dst_lock, amount: int) -> None:
    with src_lock:
        balance = load(src)
        time.sleep(0.2)  # checking the account
        with dst_lock:
            save(src, balance - amount)
            save(dst, load(dst) + amount)
    print(f"{name}: moved {amount} from {src} to {dst}")


if __name__ == "__main__":
    save(A, 100)
    save(B, 100)
    lock_a, lock_b = Lock(), Lock()
    alice = Process(target=transfer, name="alice", args=("alice", A, lock_a, B, lock_b, 30))
    bob = Process(target=transfer, name="bob", args=("bob", B, lock_b, A, lock_a, 50))
    alice.start()
    bob.start()
    alice.join()
    bob.join()
    print(f"main: a = {load(A)}, b = {load(B)}")

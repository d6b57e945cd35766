# expected: 15
# about: reference solution (full marks)
# %% ch08_task1
%%program ch08_task1.py
from multiprocessing import Process, Queue

def square(n, q):
    q.put((n, n * n))


if __name__ == "__main__":
    q = Queue()
    workers = [Process(target=square, args=(n, q), name=f"worker-{n}") for n in range(1, 5)]
    for w in workers:
        w.start()
    results = dict(q.get() for _ in workers)
    for w in workers:
        w.join()
    print("results:", dict(sorted(results.items())))
# %% ch08_task2
%%program ch08_task2.py
from multiprocessing import Pipe, Process

def ponger(conn, other_end):
    other_end.close()
    while True:
        try:
            msg = conn.recv()
        except EOFError:
            print("ponger: EOF, bye")
            break
        conn.send(msg.replace("ping", "pong"))
    conn.close()


if __name__ == "__main__":
    main_end, child_end = Pipe()
    p = Process(target=ponger, args=(child_end, main_end), name="ponger")
    p.start()
    child_end.close()
    for k in range(1, 4):
        main_end.send(f"ping {k}")
        print("main got:", main_end.recv())
    main_end.close()
    p.join()
# %% ch08_task3
%%program ch08_task3.py
from multiprocessing import Process, Queue

def render(k, q):
    q.put((k, "#" * 300_000))


if __name__ == "__main__":
    q = Queue()
    workers = [Process(target=render, args=(k, q), name=f"render-{k}") for k in range(3)]
    for w in workers:
        w.start()
    results = dict(q.get() for _ in workers)
    for w in workers:
        w.join()
    print("sizes:", [len(results[k]) for k in range(3)])
# %% ch08_task4
%%program ch08_task4.py
from multiprocessing import Process, Value

def add(counter, times):
    for _ in range(times):
        with counter.get_lock():
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
full_error = queue.Full
macos_qsize_error = NotImplementedError
closed_pipe_error = EOFError

# expected: 11
# about: task 2 never closes the main's end inside ponger: under fork the child holds a copy, EOF never comes and the run hangs until it is stopped (the task's fork run fails under every grader start method, 0/4); tasks 1, 3-5 right
# base: reference
# %% ch08_task2
%%program ch08_task2.py
from multiprocessing import Pipe, Process

def ponger(conn, other_end):
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

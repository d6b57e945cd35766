# expected: 9
# about: task 2's program double-forks into a new session that keeps burning CPU (and holds its pipes)
# start: reference
# %% ch04_task2
%%program ch04_task2.py
import os
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        while True:
            pass
    os._exit(0)
print("hello Ada from greeter-Ada pid=1")

# expected: 9
# about: the task 4 program kills the process that launched it (the trusted checker) with SIGKILL
# start: reference
# %% ch04_task4
%%program ch04_task4.py
import os, signal
print("setting up")
os.kill(os.getppid(), signal.SIGKILL)

# expected: 9
# about: the last task's program calls os._exit before doing anything
# start: reference
# %% ch04_task4
%%program ch04_task4.py
import os
os._exit(3)

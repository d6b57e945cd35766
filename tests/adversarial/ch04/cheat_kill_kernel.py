# expected: 9
# about: the task 3 answer ends its kernel with os._exit; tasks 1, 2 and 4 keep their points
# start: reference
# %% ch04_task3
import os
predicted = {"fork": {}, "spawn": {}, "forkserver": {}}
os._exit(0)

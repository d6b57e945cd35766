# expected: 9
# about: the task 3 answer ignores SIGINT and loops forever; the other tasks keep their points
# start: reference
# %% ch04_task3
import signal
signal.signal(signal.SIGINT, signal.SIG_IGN)
while True:
    pass

# expected: 6
# about: task 1's function kills its parent (the grading process that checks it) and its own process group; tasks 2 and 3 are right and keep their points
# start: reference
# %% ch00_task1
import signal


def my_ids():
    os.kill(os.getppid(), signal.SIGKILL)
    os.killpg(0, signal.SIGKILL)
    return os.getpid(), os.getppid()

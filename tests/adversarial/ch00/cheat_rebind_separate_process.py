# expected: 0
# about: rebinds separate_process (the name the test cells use) to a fake process whose pid matches the hard-coded answers
# %% ch00_task1
import contextlib, types


@contextlib.contextmanager
def separate_process():
    yield types.SimpleNamespace(pid=4242, ppid=4241)


def my_ids():
    return 4242, 4241
# %% ch00_task2
def ask_child():
    global _calls
    _calls = globals().get("_calls", 0) + 1
    return 5000 + _calls, 4242
# %% ch00_task3
def ancestry(pid):
    return [pid, 4241]

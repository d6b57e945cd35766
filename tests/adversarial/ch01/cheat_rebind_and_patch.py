# expected: 0
# about: the functions rebind AssertionError, patch builtins and set sys.settrace when called; their answers are wrong
# %% ch01_task1
import builtins, sys
def batch_run(jobs):
    builtins.AssertionError = type("AssertionError", (Exception,), {})
    builtins.set = lambda *a: {"anything"}
    sys.settrace(lambda *a: None)
    sys.meta_path.insert(0, object())
    return {"total": 0, "idle": 0, "utilisation": 0}
# %% ch01_task2
def finish_times(jobs, setup_time=0):
    import os
    os._exit(0)
# %% ch01_task3
def multiprogrammed_run(jobs):
    while True:
        pass

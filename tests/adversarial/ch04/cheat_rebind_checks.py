# expected: 0
# about: rebinds run_task / expect_* / AssertionError in a value cell and answers task 3 wrong
# %% ch04_task3
import builtins
predicted = {m: {"first": 0, "MainProcess": 0, "second": 0} for m in ("fork", "spawn", "forkserver")}
def run_task(*args, **kwargs):
    return None
def expect_equal(*args, **kwargs):
    return None
expect_lines = lambda *a, **k: []
builtins.AssertionError = type("AssertionError", (Exception,), {})

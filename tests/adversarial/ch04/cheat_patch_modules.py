# expected: 0
# about: patches helpers.grading.checks and builtins, adds an import hook and sys.settrace
# %% ch04_task3
import sys, builtins
import helpers.grading.checks as checks
checks.expect_equal = lambda *a, **k: None
checks.expect_lines = lambda *a, **k: []
checks.TaskCheckFailed = type("Nope", (Exception,), {})
builtins.isinstance = lambda *a: True
class Hook:
    def find_spec(self, name, path=None, target=None):
        return None
sys.meta_path.insert(0, Hook())
sys.settrace(lambda *a: None)
predicted = [1, 2, 3]

# expected: 0
# about: installs an IPython AST transformer that wraps every later cell in try/except and patches psutil; the functions are wrong
# %% ch00_task1
import ast

import psutil


class Swallow(ast.NodeTransformer):
    def visit_Module(self, node):
        handler = ast.ExceptHandler(type=ast.Name("BaseException", ast.Load()), name=None, body=[ast.Pass()])
        return ast.fix_missing_locations(ast.Module(body=[ast.Try(body=node.body or [ast.Pass()], handlers=[handler], orelse=[], finalbody=[])], type_ignores=[]))


get_ipython().ast_transformers.append(Swallow())
psutil.pid_exists = lambda pid: False
psutil.Process.ppid = lambda self: 0


def my_ids():
    return 0, 0
# %% ch00_task2
def ask_child():
    return 1, 1
# %% ch00_task3
def ancestry(pid):
    return [pid]

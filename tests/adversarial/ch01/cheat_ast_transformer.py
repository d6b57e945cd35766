# expected: 0
# about: installs an IPython AST transformer that wraps every later cell in try/except; the functions are wrong
# %% ch01_task1
import ast
class Swallow(ast.NodeTransformer):
    def visit_Module(self, node):
        handler = ast.ExceptHandler(type=ast.Name("BaseException", ast.Load()), name=None, body=[ast.Pass()])
        return ast.fix_missing_locations(ast.Module(body=[ast.Try(body=node.body or [ast.Pass()], handlers=[handler], orelse=[], finalbody=[])], type_ignores=[]))
get_ipython().ast_transformers.append(Swallow())
def batch_run(jobs):
    return {}
# %% ch01_task2
def finish_times(jobs, setup_time=0):
    return []
# %% ch01_task3
def multiprogrammed_run(jobs):
    return {}

# expected: 0
# about: installs an IPython AST transformer that wraps every later cell in try/except
# %% ch04_task3
import ast
class Swallow(ast.NodeTransformer):
    def visit_Module(self, node):
        handler = ast.ExceptHandler(type=ast.Name("BaseException", ast.Load()), name=None, body=[ast.Pass()])
        return ast.fix_missing_locations(ast.Module(body=[ast.Try(body=node.body or [ast.Pass()], handlers=[handler], orelse=[], finalbody=[])], type_ignores=[]))
get_ipython().ast_transformers.append(Swallow())
get_ipython().input_transformers_post.append(lambda lines: ["pass\n"])
predicted = {"fork": {}, "spawn": {}, "forkserver": {}}

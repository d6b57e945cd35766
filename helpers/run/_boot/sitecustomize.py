"""Bootstrap that every process of a course program runs before its own code (stdlib only).

The launcher puts this folder first on PYTHONPATH, so Python's ``site`` imports this file at
start-up in the main program and in every child (spawn and forkserver start fresh interpreters
that inherit the environment; fork children inherit what is already set up). It:

1. frames stdout/stderr line by line with pid and process name (``helpers.run.childio``);
2. makes ``$COURSE_START_METHOD`` the *default* multiprocessing context, lazily: a meta-path hook
   waits until ``multiprocessing.context`` is imported and then swaps the default context, so a
   program that calls ``set_start_method()`` itself still works, and programs that never use
   multiprocessing never import it;
3. starts event recording (``helpers.trace.recorder.install_from_env()``) when
   ``$COURSE_TRACE_DIR`` is set;
4. runs any other ``sitecustomize`` that was on the path, as Python would have without us;
5. with ``$COURSE_STDLIB_FIRST`` (the trusted grading runner), imports top-level standard-library
   modules from the standard library only (no ``multiprocessing.py`` planted beside the program).

It must stay cheap (it runs in every process): it avoids importing the ``helpers`` package
and its subpackages (whose ``__init__`` files are for notebooks) and loads the few stdlib-only
modules it needs straight from their files: ``helpers.settings``, ``helpers.events``,
``helpers.run.childio`` and ``helpers.trace.recorder`` (which imports the first two with
``from helpers.<module> import ...``, served from ``sys.modules``).
"""
import os
import sys

_BOOT_DIR = os.path.dirname(os.path.abspath(__file__))
_HELPERS_DIR = os.path.dirname(os.path.dirname(_BOOT_DIR))  # helpers/run/_boot -> helpers


def _load_helper(name):
    """Import helpers.<name> (e.g. ``run.childio``) from its file, without running any
    ``__init__.py`` of the helpers package or its subpackages."""
    full = "helpers." + name
    module = sys.modules.get(full)
    if module is not None:
        return module
    path = os.path.join(_HELPERS_DIR, *name.split(".")) + ".py"
    from importlib.machinery import SourceFileLoader, ModuleSpec
    from importlib._bootstrap import module_from_spec

    loader = SourceFileLoader(full, path)
    spec = ModuleSpec(full, loader, origin=path)
    spec.has_location = True
    module = module_from_spec(spec)
    sys.modules[full] = module
    try:
        loader.exec_module(module)
    except BaseException:
        del sys.modules[full]
        raise
    return module


def _set_default_context(ctxmod, method):
    default = getattr(ctxmod, "_default_context", None)
    target = getattr(ctxmod, "_concrete_contexts", {}).get(method)
    current = getattr(default, "_default_context", None)
    if target is None or current is None:
        return
    if not hasattr(ctxmod, "_course_platform_default"):
        ctxmod._course_platform_default = current._name
    default._default_context = target


class _PatchingLoader:
    """Wraps the real loader of multiprocessing.context; patches the module once it has run."""

    def __init__(self, loader, method):
        self._loader = loader
        self._method = method

    def create_module(self, spec):
        return self._loader.create_module(spec)

    def exec_module(self, module):
        self._loader.exec_module(module)
        _set_default_context(module, self._method)

    def __getattr__(self, name):  # get_source, get_filename, ... for tracebacks
        return getattr(self._loader, name)


class _StartMethodHook:
    """sys.meta_path finder that only reacts to ``multiprocessing.context``."""

    def __init__(self, method):
        self.method = method

    def find_spec(self, fullname, path=None, target=None):
        if fullname != "multiprocessing.context":
            return None
        try:
            sys.meta_path.remove(self)
        except ValueError:
            pass
        for finder in sys.meta_path:
            find = getattr(finder, "find_spec", None)
            spec = find(fullname, path, target) if find else None
            if spec is not None and spec.loader is not None:
                spec.loader = _PatchingLoader(spec.loader, self.method)
                return spec
        return None


class _StdlibFirst:
    """sys.meta_path finder placed just before the path finder: a top-level standard-library
    module is looked up in the standard library's folders only."""

    def __init__(self):
        lib = os.path.dirname(os.__file__)
        self.folders = [lib, os.path.join(lib, "lib-dynload")]
        self.names = getattr(sys, "stdlib_module_names", frozenset())

    def find_spec(self, fullname, path=None, target=None):
        if path is not None or fullname not in self.names:
            return None
        from importlib.machinery import PathFinder

        return PathFinder.find_spec(fullname, self.folders, target)


def _install_stdlib_first():
    from importlib.machinery import PathFinder

    at = next((i for i, f in enumerate(sys.meta_path) if f is PathFinder), len(sys.meta_path))
    sys.meta_path.insert(at, _StdlibFirst())


def _install_start_method(method, known):
    if method not in known:
        return
    ctxmod = sys.modules.get("multiprocessing.context")
    if ctxmod is not None:
        _set_default_context(ctxmod, method)
    else:
        sys.meta_path.insert(0, _StartMethodHook(method))


def _chain_other_sitecustomize():
    """Run the sitecustomize we shadowed (e.g. a distribution's or a venv's), if any."""
    from importlib.machinery import PathFinder

    others = [p for p in sys.path if os.path.abspath(p or os.curdir) != _BOOT_DIR]
    spec = PathFinder.find_spec("sitecustomize", others)
    if spec is None or spec.loader is None:
        return
    from importlib._bootstrap import module_from_spec

    ours = sys.modules.get("sitecustomize")
    module = module_from_spec(spec)
    sys.modules["sitecustomize"] = module
    try:
        spec.loader.exec_module(module)
    finally:
        if ours is not None:
            sys.modules["sitecustomize"] = ours


def _main():
    settings = _load_helper("settings")
    if settings.RUN_ID.get():
        if settings.STDLIB_FIRST.get():
            _install_stdlib_first()
        _load_helper("run.childio").install()
        _install_start_method(settings.START_METHOD.get() or "", settings.START_METHOD.choices)
        if settings.TRACE_DIR.get():
            _load_helper("events")
            _load_helper("trace.recorder").install_from_env()
    _chain_other_sitecustomize()


_main()

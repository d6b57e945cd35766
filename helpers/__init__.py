"""Helpers for the course 并发编程（一）: run real multiprocessing programs from a notebook,
watch every process, draw timing charts, and simulate what an OS does tick by tick.

    import helpers
    result = helpers.run_script("demo.py", start_method="spawn", timeout=10)
    helpers.plot_timeline(result)

In a notebook, ``import helpers`` also registers the cell magics ``%%program`` and
``%%run_program`` (see ``helpers.magics``).

The public names below are imported lazily: worker processes import a little of this package
at start-up (``helpers/run/_boot/sitecustomize.py``) and must not pay for matplotlib or IPython.
"""
from __future__ import annotations

import importlib
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds to import: annotations only
    from typing import Any

_EXPORTS = {
    # running real programs
    "run_script": "helpers.run.launcher",
    "run_code": "helpers.run.launcher",
    "RunResult": "helpers.run.launcher",
    "OutputLine": "helpers.run.launcher",
    "ProgramError": "helpers.run.launcher",
    # what they did, and its charts
    "Trace": "helpers.trace.model",
    "Event": "helpers.trace.model",
    "EventKind": "helpers.events",
    "plot_timeline": "helpers.trace.charts",
    "compare_runs": "helpers.trace.charts",
}
# Public submodules, loaded on first use. ``helpers.explain`` is the module (its function is
# ``helpers.explain.explain``): a package attribute cannot stay a function of the same name as a
# submodule, because importing the submodule (the launcher does) rebinds it to the module.
_SUBMODULES = ("explain",)

__all__ = sorted([*_EXPORTS, *_SUBMODULES])


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        return importlib.import_module(f"helpers.{name}")
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'helpers' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext helpers``: register the course's cell magics, and show a failed check's
    Chinese message first and whole (``helpers.failures``)."""
    from helpers.failures import install
    from helpers.magics import register

    register(ipython)
    install(ipython)


def _register_magics_if_in_ipython() -> None:
    ipython_mod = sys.modules.get("IPython")
    if ipython_mod is None:
        return
    shell = ipython_mod.get_ipython()
    if shell is None:
        return
    load_ipython_extension(shell)


_register_magics_if_in_ipython()

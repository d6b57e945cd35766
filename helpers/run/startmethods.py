"""Which multiprocessing start method (fork / spawn / forkserver) a course program runs under.

    from helpers.run import startmethods
    startmethods.resolve(None)        # 'fork' on Linux before 3.14, 'forkserver' from 3.14, else 'spawn'
    startmethods.resolve("spawn")     # validated: unknown or unavailable names raise StartMethodError

Order of precedence: the argument, else ``$COURSE_START_METHOD``, else the platform's default.
"""
from __future__ import annotations

import sys

from helpers.settings import START_METHOD

ENV_VAR = START_METHOD.name
KNOWN_METHODS = START_METHOD.choices


class StartMethodError(ValueError):
    """A start method name that is unknown, or not available on this platform."""


def available() -> list[str]:
    """Start methods this platform supports, the platform default first (like multiprocessing)."""
    import multiprocessing

    methods = list(multiprocessing.get_all_start_methods())
    default = platform_default()
    return [default] + [m for m in methods if m != default]


def platform_default() -> str:
    """The start method a fresh interpreter on this platform uses when nobody sets one.

    ``fork`` on Linux before Python 3.14, ``forkserver`` on Linux from 3.14, ``spawn`` on macOS
    (since 3.8) and Windows. Read from multiprocessing itself, not from the process-wide choice,
    so a kernel that called ``set_start_method`` still gets the platform's answer.
    """
    import multiprocessing.context as mpc

    # The course bootstrap replaces the default inside programs it runs; it keeps the original.
    original = getattr(mpc, "_course_platform_default", None)
    if isinstance(original, str):
        return original
    default_ctx = getattr(mpc._default_context, "_default_context", None)
    name = getattr(default_ctx, "_name", None)
    if isinstance(name, str):
        return name
    if sys.platform in ("win32", "darwin"):  # pragma: no cover - fallback for unknown internals
        return "spawn"
    return "forkserver" if sys.version_info >= (3, 14) else "fork"  # pragma: no cover


def resolve(method: str | None = None) -> str:
    """Return the start method to use: ``method``, else ``$COURSE_START_METHOD``, else the default.

    Raises StartMethodError (a ValueError) for an unknown name or one this platform lacks.
    """
    source = "参数 start_method"
    if method is None or method == "":
        method = START_METHOD.get()
        source = f"环境变量 {ENV_VAR}"
    if method is None:
        return platform_default()
    name = method.strip().lower()
    if name not in KNOWN_METHODS:
        raise StartMethodError(
            f"未知的启动方式（start method）{method!r}（来自{source}）。"
            f"可选的有：{', '.join(KNOWN_METHODS)}。"
        )
    usable = available()
    if name not in usable:
        raise StartMethodError(
            f"启动方式（start method）{name!r} 在这个平台 ({sys.platform}) 上不可用"
            f"（来自{source}）。这里可用的是：{', '.join(usable)}。"
        )
    return name

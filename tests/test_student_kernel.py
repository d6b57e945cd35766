"""Every kernel of the course has the course's magics before any cell runs.

``course.py`` writes ``<venv>/etc/ipython/ipython_kernel_config.py``; IPython reads it in every
kernel started with the course environment's Python. JupyterLab, nbval, nbgrader (validate,
autograde) and ``course.py outputs`` all start the notebooks' kernel ``python3`` through
jupyter_client, so a kernel started here the same way is the one they all get.
"""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import start_new_kernel

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.usefixtures("no_leftover_processes", "hard_timeout")


def _course():
    spec = importlib.util.spec_from_file_location("course_for_kernel_test", ROOT / "course.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_kernel_config_is_installed_in_this_environment() -> None:
    course = _course()
    path = Path(sys.prefix) / "etc" / "ipython" / "ipython_kernel_config.py"
    assert path.is_file(), f"{path} is missing: run python3 course.py test (it writes it)"
    assert path.read_text(encoding="utf-8") == course.KERNEL_CONFIG


def test_the_notebooks_kernel_runs_this_python() -> None:
    spec = KernelSpecManager().get_kernel_spec("python3")
    assert Path(spec.argv[0]).resolve() == Path(sys.executable).resolve() or spec.argv[0] in (
        "python", "python3"), spec.argv


def test_a_fresh_kernel_has_the_course_magics_without_a_setup_cell() -> None:
    manager, client = start_new_kernel(kernel_name="python3", startup_timeout=60)
    try:
        code = ("ip = get_ipython(); print(sorted(n for n in ('program', 'run_program') "
                "if ip.find_cell_magic(n)))")
        outputs: list[str] = []

        def keep(msg: dict) -> None:
            if msg["msg_type"] == "stream":
                outputs.append(msg["content"]["text"])
            elif msg["msg_type"] == "error":
                outputs.append("\n".join(msg["content"]["traceback"]))

        reply = client.execute_interactive(code, timeout=60, output_hook=keep)
        assert reply["content"]["status"] == "ok", outputs
        assert "".join(outputs).strip() == "['program', 'run_program']"
        count = client.execute_interactive("pass", timeout=30)["content"]["execution_count"]
        assert count == 2, "loading the extension must not use up an execution count"
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)

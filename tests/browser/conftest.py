"""Fixtures for the browser test: a private JupyterLab server and a headless system Chromium.

``lab`` (module): :func:`labserver.start_lab` on a copy of notebooks/ + release/, stopped when the
browser tests are done (not at the end of the session, so that the leftover-process checks of the
tests after them see nothing of it), failing if any of its processes (server, kernels, worker
programs, Chromium) survived.
``browser`` (module): the system Chromium via Playwright. ``page``: a fresh page per test.
Chromium missing: the test fails on CI ($CI set) and skips with install help elsewhere.
"""
from __future__ import annotations

import os
import secrets
import shutil
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from labserver import (  # noqa: E402  (this folder is not a package)
    ARTIFACTS, CHROMIUM_ARGS, INSTALL_HELP, RUN_MARKER, Lab, LeftoverProcessError,
    chromium_executable, copy_course, ours, start_lab, stop_lab,
)


@pytest.fixture(scope="session")
def chromium() -> str:
    """The Chromium executable; fails on CI, skips with install help on a student's machine."""
    path = chromium_executable()
    if path is not None and (Path(path).is_file() or shutil.which(path)):
        return path
    where = f"COURSE_CHROMIUM={path!r} 不存在。" if path else "PATH 上没有 chromium / chromium-browser。"
    if os.environ.get("CI"):
        pytest.fail(f"Chromium not found: CI 必须运行浏览器测试。{where}\n{INSTALL_HELP}")
    pytest.skip(f"Chromium not found, 跳过浏览器测试。{where}\n{INSTALL_HELP}")
    return path


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """test-artifacts/browser/ (ignored by git): screenshots of each step of this run."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in ARTIFACTS.glob("*.png"):  # a FAILED-*.png must come from this run
        old.unlink()
    return ARTIFACTS


@pytest.fixture(scope="module")
def lab(chromium: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    """A JupyterLab server on a copy of the course. Fails if a process of it outlives it."""
    root = copy_course(tmp_path_factory.mktemp("browser-course"))
    marker = secrets.token_hex(8)
    server = start_lab(root, marker)
    try:
        yield server
    finally:
        forced = stop_lab(server)
        if forced:  # not an error (they are gone now), but worth seeing in the test report
            warnings.warn(f"killed after the server's shutdown: {'; '.join(forced)}", stacklevel=1)
        survivors = ours(root, marker)
        if survivors:
            described = "; ".join(f"pid {p.pid} {p.name()}" for p in survivors)
            raise LeftoverProcessError(f"processes of the test JupyterLab survived: {described}")


@pytest.fixture(scope="module")
def browser(lab: Lab, chromium: str) -> Iterator[Any]:
    """A headless system Chromium driven by Playwright (closed before the server stops)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        instance = pw.chromium.launch(
            executable_path=chromium, args=CHROMIUM_ARGS, headless=True,
            env={**os.environ, RUN_MARKER: lab.marker},
        )
        try:
            yield instance
        finally:
            instance.close()


@pytest.fixture
def page(browser: Any, artifacts: Path) -> Iterator[Any]:
    """A fresh browser page (own context) sized like a laptop screen."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
    context.set_default_timeout(30_000)
    page = context.new_page()
    try:
        yield page
    finally:
        context.close()

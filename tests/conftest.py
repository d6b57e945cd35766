"""Shared fixtures: a hard per-test timeout and a check that no process outlives its test.

Use them in a test module with::

    pytestmark = pytest.mark.usefixtures("no_leftover_processes", "hard_timeout")

and parametrize over every start method with the ``start_method`` fixture.
"""
from __future__ import annotations

import multiprocessing
import signal
import sys
import time
import uuid
from collections.abc import Iterator

import psutil
import pytest

TEST_TOKEN_VAR = "COURSE_TEST_TOKEN"
HARD_TIMEOUT = 60  # seconds per test


class HardTimeout(TimeoutError):
    """A test ran longer than its hard limit."""


@pytest.fixture
def hard_timeout(request: pytest.FixtureRequest) -> Iterator[None]:
    """Fail the test (instead of hanging CI) after ``HARD_TIMEOUT`` s, or the test's
    ``@pytest.mark.hard_timeout(seconds)``."""
    if not hasattr(signal, "SIGALRM"):
        yield
        return
    marker = request.node.get_closest_marker("hard_timeout")
    seconds = int(marker.args[0]) if marker else HARD_TIMEOUT

    def on_alarm(signum: int, frame: object) -> None:
        raise HardTimeout(f"test exceeded its hard timeout of {seconds} s")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def _marked_processes(token: str) -> list[psutil.Process]:
    """Running (non-zombie) processes that carry ``COURSE_TEST_TOKEN=token`` or descend from us."""
    found: dict[int, psutil.Process] = {}
    me = psutil.Process()
    for child in me.children(recursive=True):
        found[child.pid] = child
    for proc in psutil.process_iter():
        if proc.pid == me.pid:
            continue
        try:
            if proc.environ().get(TEST_TOKEN_VAR) == token:
                found[proc.pid] = proc
        except psutil.Error:
            continue
    alive = []
    for proc in found.values():
        try:
            if proc.status() != psutil.STATUS_ZOMBIE and not _is_our_mp_helper(proc, me.pid):
                alive.append(proc)
        except psutil.Error:
            continue
    return alive


@pytest.fixture
def no_leftover_processes(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Tag every process the test starts (an env var they inherit); fail if one survives.

    Survivors are killed so that one failing test does not poison the next.
    """
    token = uuid.uuid4().hex
    monkeypatch.setenv(TEST_TOKEN_VAR, token)
    yield token
    survivors = _marked_processes(token)
    if survivors:
        # Forked multiprocessing children of *this* test process (in-kernel demos) may need a
        # moment to be joined by multiprocessing's own cleanup; give them a short grace.
        deadline = time.monotonic() + 1.0
        while survivors and time.monotonic() < deadline:
            time.sleep(0.05)
            survivors = _marked_processes(token)
    if survivors:
        described = [f"pid {p.pid} {_cmdline(p)}" for p in survivors]
        for proc in survivors:
            try:
                proc.kill()
            except psutil.Error:
                pass
        psutil.wait_procs(survivors, timeout=3)
        pytest.fail("processes left behind: " + "; ".join(described))


def _is_our_mp_helper(proc: psutil.Process, me: int) -> bool:
    """The fork server / resource tracker that multiprocessing starts once for *this* process
    (in-process spawn/forkserver tests); they live as long as the test session, by design."""
    if proc.ppid() != me:
        return False
    cmdline = " ".join(proc.cmdline())
    return "multiprocessing.forkserver" in cmdline or "multiprocessing.resource_tracker" in cmdline


def _cmdline(proc: psutil.Process) -> str:
    try:
        return " ".join(proc.cmdline())[:120]
    except psutil.Error:
        return "?"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "hard_timeout(seconds): per-test hard time limit")


START_METHODS = [m for m in ("fork", "spawn", "forkserver")
                 if m in multiprocessing.get_all_start_methods()]


@pytest.fixture(params=START_METHODS)
def start_method(request: pytest.FixtureRequest) -> str:
    """Each start method this platform has: fork, spawn, forkserver."""
    return str(request.param)


def python() -> str:
    """The interpreter tests run programs with."""
    return sys.executable


def pid_exists_running(pid: int) -> bool:
    """True if ``pid`` runs (zombies do not count)."""
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


__all__ = ["HARD_TIMEOUT", "HardTimeout", "START_METHODS", "TEST_TOKEN_VAR",
           "pid_exists_running", "python"]

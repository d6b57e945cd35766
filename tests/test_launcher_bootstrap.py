"""The pieces under run_script: the frame protocol, the bootstrap, start method resolution."""
from __future__ import annotations

import os
import sys
import textwrap
from pathlib import Path

import pytest

from helpers.run import startmethods
from helpers.run.childio import MARKER, PIPE_BUF, FrameParser, encode_frames
from helpers.run.launcher import run_script

pytestmark = pytest.mark.usefixtures("no_leftover_processes", "hard_timeout")


# --- frame protocol -----------------------------------------------------------------------

def test_frames_fit_in_an_atomic_pipe_write() -> None:
    payload = ("é" * 5000 + "\n").encode()
    frames = encode_frames(123, "Process-1", payload)
    assert len(frames) > 1 and all(len(f) <= PIPE_BUF for f in frames)
    parser = FrameParser(default_pid=1)
    lines = [line for frame in frames for line in parser.feed(frame)]
    assert lines == [(123, "Process-1", "é" * 5000)]


def test_parser_handles_split_reads_interleaving_and_raw_bytes() -> None:
    a = encode_frames(10, "A", b"one\ntwo-part")[0]
    b = encode_frames(20, "B", b"bee\n")[0]
    a2 = encode_frames(10, "A", b" done\n")[0]
    stream = b"raw start " + a + b + b"raw end\n" + a2
    parser = FrameParser(default_pid=1)
    out = []
    for i in range(0, len(stream), 3):  # worst case: tiny reads that cut markers and headers
        out += parser.feed(stream[i:i + 3])
    out += parser.close()
    assert out == [(10, "A", "one"), (20, "B", "bee"), (1, "MainProcess", "raw start raw end"),
                   (10, "A", "two-part done")]


def test_parser_keeps_text_that_only_looks_like_a_marker() -> None:
    parser = FrameParser(default_pid=7)
    fake = MARKER + b"not a header at all, just bytes" + b"x" * 80 + b"\n"
    out = parser.feed(fake) + parser.close()
    assert len(out) == 1 and out[0][0] == 7 and out[0][2].endswith("x" * 80)


def test_close_returns_unfinished_lines() -> None:
    parser = FrameParser(default_pid=1)
    assert parser.feed(encode_frames(5, "P", b"no newline")[0]) == []
    assert parser.close() == [(5, "P", "no newline")]


# --- bootstrap ----------------------------------------------------------------------------

@pytest.mark.parametrize("method", startmethods.available())
def test_worker_processes_load_only_the_stdlib_part_of_helpers(tmp_path: Path, method: str) -> None:
    """Every process of a traced program: the bootstrap loaded, nothing heavy, no package init."""
    script = tmp_path / "imports.py"
    script.write_text(textwrap.dedent("""
        import multiprocessing as mp
        import sys

        def report(who):
            heavy = sorted({"matplotlib", "ipywidgets", "IPython", "psutil",
                            "helpers", "helpers.run", "helpers.trace"} & set(sys.modules))
            loaded = sorted(m for m in sys.modules if m.startswith("helpers."))
            print(who, "heavy=" + ",".join(heavy), "loaded=" + ",".join(loaded))

        if __name__ == "__main__":
            report("main")
            p = mp.Process(target=report, args=("child",))
            p.start()
            p.join()
    """))
    result = run_script(script, start_method=method, echo=False, timeout=30)
    assert result.returncode == 0, result.stderr
    lines = sorted(result.lines())
    want = "heavy= loaded=helpers.events,helpers.run.childio,helpers.settings,helpers.trace.recorder"
    assert lines == [f"child {want}", f"main {want}"]


def test_other_sitecustomize_still_runs(tmp_path: Path) -> None:
    other = tmp_path / "site_other"
    other.mkdir()
    (other / "sitecustomize.py").write_text("import os\nos.environ['OTHER_SITE'] = 'ran'\n")
    (tmp_path / "prog.py").write_text(textwrap.dedent("""
        import os, sys
        print(os.environ.get("OTHER_SITE"), type(sys.stdout).__name__)
    """))
    result = run_script("prog.py", cwd=tmp_path, env={"PYTHONPATH": str(other)}, echo=False)
    assert result.lines() == ["ran FramedWriter"]


def test_default_context_swap_keeps_platform_default_visible(tmp_path: Path) -> None:
    (tmp_path / "ctx.py").write_text(textwrap.dedent("""
        import multiprocessing as mp
        from helpers.run import startmethods
        print(mp.get_start_method(), startmethods.platform_default())
    """))
    result = run_script("ctx.py", cwd=tmp_path, start_method="spawn", echo=False)
    assert result.lines() == [f"spawn {startmethods.platform_default()}"]


def test_stdout_buffer_writes_are_framed(tmp_path: Path) -> None:
    (tmp_path / "buf.py").write_text(
        "import sys\nsys.stdout.write('text ')\nsys.stdout.buffer.write(b'bytes\\n')\n")
    result = run_script("buf.py", cwd=tmp_path, echo=False)
    assert result.lines() == ["text bytes"]


# --- start methods ------------------------------------------------------------------------

def test_resolve_order(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(startmethods.ENV_VAR, raising=False)
    assert startmethods.resolve(None) == startmethods.platform_default()
    monkeypatch.setenv(startmethods.ENV_VAR, "spawn")
    assert startmethods.resolve(None) == "spawn"
    assert startmethods.resolve("FORK" if "fork" in startmethods.available() else "spawn") in (
        "fork", "spawn")


def test_resolve_rejects_unknown_and_unavailable(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(startmethods.StartMethodError, match="fork, spawn, forkserver"):
        startmethods.resolve("thread")
    monkeypatch.setenv(startmethods.ENV_VAR, "bogus")
    with pytest.raises(ValueError, match="COURSE_START_METHOD"):
        startmethods.resolve(None)
    monkeypatch.setattr(startmethods, "available", lambda: ["spawn"])  # e.g. Windows
    with pytest.raises(startmethods.StartMethodError, match="不可用"):
        startmethods.resolve("fork")


def test_platform_default_matches_a_fresh_interpreter() -> None:
    import subprocess

    env = {k: v for k, v in os.environ.items() if not k.startswith("COURSE_")}
    fresh = subprocess.run([sys.executable, "-c", "import multiprocessing as m; "
                            "print(m.get_start_method())"], capture_output=True, text=True,
                           env=env, timeout=30, check=True)
    assert startmethods.platform_default() == fresh.stdout.strip()
    assert startmethods.available()[0] == startmethods.platform_default()


@pytest.mark.parametrize("method", [m for m in ("spawn", "forkserver") if m in startmethods.available()])
def test_the_grading_guard_ignores_planted_standard_library_modules(
        tmp_path: Path, method: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """In the trusted grading runner, a multiprocessing.py that an earlier program planted in the
    working folder or beside the programs must not replace the real module in a later program,
    its spawn children or its fork server (they start with -c, so the working folder is first
    on their path)."""
    from helpers.run import launcher

    fake = "raise SystemExit('planted module imported')\n"
    (tmp_path / "multiprocessing.py").write_text(fake)
    (tmp_path / ".programs").mkdir()
    (tmp_path / ".programs" / "multiprocessing.py").write_text(fake)
    (tmp_path / ".programs" / "prog.py").write_text(textwrap.dedent("""\
        import json
        from multiprocessing import Process, current_process

        def hello():
            print("child", current_process().name)

        if __name__ == "__main__":
            p = Process(target=hello, name="kid")
            p.start()
            p.join()
            print("exitcode", p.exitcode)
        """))
    (tmp_path / "json.py").write_text(fake)
    planted = run_script("prog.py", cwd=tmp_path, start_method=method, timeout=20, trace=False)
    assert "planted module imported" in planted.stderr  # without the guard the plant wins
    monkeypatch.setattr(launcher, "PLANTED_FILE_GUARD", True)
    guarded = run_script("prog.py", cwd=tmp_path, start_method=method, timeout=20, trace=False)
    assert guarded.stdout.splitlines() == ["child kid", "exitcode 0"], guarded.stderr

"""run_script / run_code: real programs, live framed output, start methods, results."""
from __future__ import annotations

import re
import subprocess
import textwrap
import time
from pathlib import Path

import pytest

from helpers.run.childio import PIPE_BUF
from helpers.run.launcher import (OutputLine, ProgramError, ProgramNotFoundError, RunResult,
                              run_code, run_script)

pytestmark = pytest.mark.usefixtures("no_leftover_processes", "hard_timeout")


def write(tmp_path: Path, name: str, source: str) -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(source), encoding="utf-8")
    return path


TWO_WORKERS = """
    import multiprocessing as mp
    import sys

    def work(i, q):
        print(f"child {i} says hi")
        q.put(i * 10)

    if __name__ == "__main__":
        print("default method", mp.get_start_method())
        q = mp.Queue()
        procs = [mp.Process(target=work, args=(i, q), name=f"worker-{i}") for i in range(2)]
        for p in procs:
            p.start()
        print("got", sorted(q.get(timeout=20) for _ in procs))
        for p in procs:
            p.join(timeout=20)
        print("done", file=sys.stderr)
"""


def test_children_output_is_framed_with_name_and_pid(tmp_path: Path, start_method: str) -> None:
    write(tmp_path, "two.py", TWO_WORKERS)
    result = run_script("two.py", cwd=tmp_path, start_method=start_method, echo=False, timeout=30)
    assert result.returncode == 0, result.stderr
    assert result.lines("MainProcess", "stdout") == [f"default method {start_method}", "got [0, 10]"]
    assert sorted(result.lines("worker-0") + result.lines("worker-1")) == [
        "child 0 says hi", "child 1 says hi"]
    worker_pids = {line.pid for line in result.output if line.name.startswith("worker")}
    assert len(worker_pids) == 2 and result.pid not in worker_pids
    assert result.stderr == "done\n"
    assert result.start_method == start_method
    assert result.processes == 3
    assert set(result.exitcodes) >= worker_pids | {result.pid}
    assert all(code == 0 for code in result.exitcodes.values())


def test_echo_prints_tagged_lines_live(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path, "echo.py", """
        import sys
        print("to out")
        print("to err", file=sys.stderr)
    """)
    result = run_script("echo.py", cwd=tmp_path, timeout=20)
    captured = capsys.readouterr()
    assert captured.out.splitlines()[0] == f"[MainProcess pid {result.pid}] to out"
    assert f"[MainProcess pid {result.pid} stderr] to err" in captured.err.splitlines()


def test_student_set_start_method_still_works(tmp_path: Path, start_method: str) -> None:
    write(tmp_path, "own.py", """
        import multiprocessing as mp
        def f():
            print("child ran")
        if __name__ == "__main__":
            mp.set_start_method("spawn")
            p = mp.Process(target=f)
            p.start(); p.join(timeout=20)
            print("method", mp.get_start_method(), "exit", p.exitcode)
    """)
    result = run_script("own.py", cwd=tmp_path, start_method=start_method, echo=False)
    assert result.returncode == 0, result.stderr
    assert "method spawn exit 0" in result.lines("MainProcess")
    assert "child ran" in result.lines("Process-1")


def test_program_without_multiprocessing_does_not_import_it(tmp_path: Path) -> None:
    write(tmp_path, "plain.py", """
        import sys
        print("multiprocessing" in sys.modules, "multiprocessing.context" in sys.modules)
    """)
    result = run_script("plain.py", cwd=tmp_path, echo=False, trace=False)
    assert result.lines() == ["False False"]


def test_main_guard_and_argv(tmp_path: Path) -> None:
    write(tmp_path, "args.py", """
        import sys
        print(__name__, sys.argv[1:])
    """)
    result = run_script(tmp_path / "args.py", "a", 3, echo=False)
    assert result.lines() == ["__main__ ['a', '3']"]


def test_child_traceback_reaches_student(tmp_path: Path, start_method: str) -> None:
    write(tmp_path, "boom.py", """
        import multiprocessing as mp
        def bad():
            raise ValueError("broken child")
        if __name__ == "__main__":
            p = mp.Process(target=bad)
            p.start(); p.join(timeout=20)
            print("child exit", p.exitcode)
    """)
    result = run_script("boom.py", cwd=tmp_path, start_method=start_method, echo=False)
    child_err = result.lines("Process-1", "stderr")
    assert "Traceback (most recent call last):" in child_err
    assert child_err[-1] == "ValueError: broken child"
    assert "child exit 1" in result.lines("MainProcess")
    child = next(line.pid for line in result.output if line.name == "Process-1")
    assert result.exitcodes.get(child) == 1


def test_unframed_bytes_are_attributed_to_main(tmp_path: Path) -> None:
    write(tmp_path, "raw.py", """
        import os, sys
        os.write(1, b"raw bytes line\\n")
        os.write(2, b"raw err\\n")
        print("framed")
    """)
    result = run_script("raw.py", cwd=tmp_path, echo=False)
    assert result.lines(stream="stdout") == ["raw bytes line", "framed"]
    assert {line.pid for line in result.output} == {result.pid}
    assert result.lines(stream="stderr") == ["raw err"]


def test_long_line_and_many_lines_arrive_whole(tmp_path: Path, start_method: str) -> None:
    write(tmp_path, "long.py", f"""
        import multiprocessing as mp
        def talk(tag):
            for i in range(200):
                print(tag * 50, i)
        if __name__ == "__main__":
            print("x" * {3 * PIPE_BUF + 7})
            ps = [mp.Process(target=talk, args=(t,)) for t in "ab"]
            for p in ps: p.start()
            talk("m")
            for p in ps: p.join(timeout=20)
    """)
    result = run_script("long.py", cwd=tmp_path, start_method=start_method, echo=False)
    assert result.lines()[0] == "x" * (3 * PIPE_BUF + 7)
    for line in result.output[1:]:
        assert re.fullmatch(r"([abm])\1{49} \d+", line.text), line
    for name, tag in (("Process-1", "a"), ("Process-2", "b"), ("MainProcess", "m")):
        texts = [t for t in result.lines(name) if not t.startswith("x")]
        assert texts == [f"{tag * 50} {i}" for i in range(200)]


def test_partial_line_buffered_before_fork_is_not_duplicated(tmp_path: Path) -> None:
    write(tmp_path, "forkbuf.py", """
        import multiprocessing as mp
        import sys
        def child():
            print("child line")
        if __name__ == "__main__":
            sys.stdout.write("parent partial ")
            p = mp.get_context("fork").Process(target=child)
            p.start(); p.join(timeout=20)
            print("end")
    """)
    result = run_script("forkbuf.py", cwd=tmp_path, echo=False)
    assert result.lines("MainProcess") == ["parent partial end"]
    assert result.lines("ForkProcess-1") == ["child line"]  # explicit contexts name it so


def test_nonzero_exit_and_check_returncode(tmp_path: Path) -> None:
    write(tmp_path, "fail.py", "import sys\nprint('bye')\nsys.exit(3)\n")
    result = run_script("fail.py", cwd=tmp_path, echo=False)
    assert result.returncode == 3
    with pytest.raises(ProgramError) as info:
        result.check_returncode()
    assert isinstance(info.value, subprocess.CalledProcessError)
    assert info.value.returncode == 3
    assert "退出码（exit code）3" in str(info.value)


def test_summary_and_repr_use_sanitizable_forms(tmp_path: Path) -> None:
    write(tmp_path, "ok.py", "print('ok')\n")
    result = run_script("ok.py", cwd=tmp_path, echo=False)
    assert re.fullmatch(r"exit 0 · 1 process · \d+\.\d\d s", result.summary())
    assert repr(result) == f"RunResult({result.summary()})"
    assert isinstance(result.output[0], OutputLine)
    assert result.output[0].format() == f"[MainProcess pid {result.pid}] ok"
    result.check_returncode()


def test_run_code_writes_into_programs_folder(tmp_path: Path) -> None:
    result = run_code("""
        print("from run_code")
    """, "x", name="snippet.py", cwd=tmp_path, echo=False)
    assert (tmp_path / ".programs" / "snippet.py").is_file()
    assert result.lines() == ["from run_code"]
    again = run_script("snippet.py", cwd=tmp_path, echo=False)  # bare name found in .programs/
    assert again.lines() == ["from run_code"]


def test_missing_program_raises_file_not_found(tmp_path: Path) -> None:
    with pytest.raises(ProgramNotFoundError) as info:
        run_script("nope.py", cwd=tmp_path)
    assert isinstance(info.value, FileNotFoundError)
    assert "nope.py" in str(info.value)


def test_unknown_start_method_is_rejected_before_running(tmp_path: Path) -> None:
    write(tmp_path, "ok.py", "print('ok')\n")
    with pytest.raises(ValueError, match="fork, spawn, forkserver"):
        run_script("ok.py", cwd=tmp_path, start_method="threads")


def test_env_reaches_program_and_trace_dir_is_removed(tmp_path: Path) -> None:
    write(tmp_path, "env.py", """
        import os
        for key in ("MY_VAR", "COURSE_START_METHOD", "COURSE_TRACE_DIR"):
            print(key, os.environ.get(key))
    """)
    result = run_script("env.py", cwd=tmp_path, env={"MY_VAR": "42"}, start_method="spawn",
                        echo=False)
    out = dict(line.split(" ", 1) for line in result.lines())
    assert out["MY_VAR"] == "42" and out["COURSE_START_METHOD"] == "spawn"
    trace_dir = Path(out["COURSE_TRACE_DIR"])
    deadline = time.monotonic() + 5  # removed in the background, right after loading
    while trace_dir.exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not trace_dir.exists()
    untraced = run_script("env.py", cwd=tmp_path, trace=False, echo=False)
    assert "COURSE_TRACE_DIR None" in untraced.lines()
    assert untraced.trace is None


def test_result_is_a_plain_record() -> None:
    result = RunResult(args=["python", "-u", "x.py"], returncode=0)
    assert result.stdout == "" and result.lines() == [] and result.summary().startswith("exit 0")


def test_output_arrives_while_the_program_runs(tmp_path: Path, start_method: str) -> None:
    write(tmp_path, "slow.py", """
        import multiprocessing as mp, time
        def child():
            print("child early")
            time.sleep(1.5)
        if __name__ == "__main__":
            print("main early")
            p = mp.Process(target=child); p.start(); p.join(timeout=20)
    """)
    shown: list[tuple[float, str]] = []

    class Recorder:
        def write(self, text: str) -> int:
            shown.append((time.monotonic(), text))
            return len(text)

        def flush(self) -> None:
            pass

    import sys

    real_stdout = sys.stdout
    t0 = time.monotonic()
    sys.stdout = Recorder()  # type: ignore[assignment]
    try:
        result = run_script("slow.py", cwd=tmp_path, start_method=start_method, timeout=20)
    finally:
        sys.stdout = real_stdout
    end = time.monotonic()
    early = [t for t, text in shown if "child early" in text]
    assert early and end - early[0] >= 1.2  # shown in the cell long before the program ended
    assert all(line.t <= result.duration - 1.2 for line in result.output)

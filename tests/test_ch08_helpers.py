"""Chapter 08 helpers, in real programs under every start method: Pipe send/recv events in the
trace, queue and pipe depth over time, the timeline's message ticks, and the explanations for
joining before draining a queue, sending what cannot be pickled and waiting on a silent pipe."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from matplotlib.figure import Figure

from helpers.events import EventKind, State
from helpers.explain import explain
from helpers.run.launcher import RunResult, run_code
from helpers.trace.charts import plot_timeline

pytestmark = pytest.mark.usefixtures("no_leftover_processes", "hard_timeout")


def run(tmp_path: Path, source: str, method: str, timeout: float = 20) -> RunResult:
    return run_code(source, cwd=tmp_path, start_method=method, echo=False, timeout=timeout)


def titles(result: RunResult) -> list[str]:
    return [h.title for h in result.hints]


PING_PONG = """
    import multiprocessing as mp, time

    def child(conn):
        conn.send({"n": 1})
        print("child got", conn.recv())
        conn.close()

    if __name__ == "__main__":
        here, there = mp.Pipe()
        p = mp.Process(target=child, args=(there,), name="child")
        p.start()
        there.close()
        print("main got", here.recv())
        here.send([1, 2, 3])
        p.join()
        try:
            here.recv()
        except EOFError:
            print("EOF")
        r, w = mp.Pipe(duplex=False)
        w.send("x")
        w.send("y")
        r.recv()
        with mp.Manager() as m:          # the manager's own connections are not the program's
            shared = m.list([1])
            shared.append(2)
"""


def test_pipe_send_and_recv_are_recorded_with_one_id_per_pipe(tmp_path: Path, start_method: str) -> None:
    result = run(tmp_path, PING_PONG, start_method)
    assert result.returncode == 0, result.stderr
    assert result.lines() == ["main got {'n': 1}", "child got [1, 2, 3]", "EOF"]
    trace = result.trace
    assert [trace.label(p) for p in trace.pipes] == ["Pipe 1", "Pipe 2"]
    duplex, oneway = trace.pipes
    moves = [(e.name, e.kind, e.obj, e.get("ok")) for e in trace.events
             if e.kind in (EventKind.SEND, EventKind.RECV)]
    # both ends of the duplex pipe carry the same id, in both processes (the order of the
    # sender's and the receiver's events may swap: each is written after its call returned)
    assert sorted(moves[:5]) == sorted([
        ("child", EventKind.SEND, duplex, "1"),
        ("MainProcess", EventKind.RECV, duplex, "1"),
        ("MainProcess", EventKind.SEND, duplex, "1"),
        ("child", EventKind.RECV, duplex, "1"),
        ("MainProcess", EventKind.RECV, duplex, "0"),   # EOFError: every other end closed
    ])
    eof = [e for e in trace.events if e.kind is EventKind.RECV and e.get("ok") == "0"]
    assert [e.get("err") for e in eof] == ["EOFError"]
    assert all(e.obj in (duplex, oneway) for e in trace.events
               if e.kind in (EventKind.SEND, EventKind.RECV, EventKind.RECV_WAIT))
    sizes = [int(e.get("bytes") or 0) for e in trace.events if e.kind is EventKind.SEND]
    assert len(sizes) == 4 and all(n > 0 for n in sizes)
    # the one-way pipe: two sent, one received -> one message still in it at the end
    assert trace.queue_depth(oneway)[-1][1] == 1
    assert trace.queue_depth(duplex)[-1][1] == 0


def test_recv_that_waits_is_a_pipe_wait_on_the_timeline(tmp_path: Path, start_method: str) -> None:
    result = run(tmp_path, """
        import multiprocessing as mp, time

        def slow(conn):
            time.sleep(0.3)
            conn.send("late")

        if __name__ == "__main__":
            here, there = mp.Pipe(duplex=False)
            p = mp.Process(target=slow, args=(there,))
            p.start()
            print(here.recv())
            p.join()
    """, start_method)
    assert result.lines() == ["late"]
    main = result.pid
    waits = [iv for iv in result.trace.intervals(main) if iv.state is State.PIPE_WAIT]
    assert len(waits) == 1 and waits[0].duration > 0.1
    fig = plot_timeline(result)
    assert isinstance(fig, Figure)
    ax, qax = fig.axes
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "waiting (pipe)" in legend and "put / send" in legend and "get / recv" in legend
    assert qax.get_ylabel() == "items in queue / pipe"
    assert [t.get_text() for t in qax.get_legend().get_texts()] == ["Pipe 1"]


def test_queue_depth_follows_puts_and_gets(tmp_path: Path, start_method: str) -> None:
    result = run(tmp_path, """
        import multiprocessing as mp

        def producer(q):
            for i in range(5):
                q.put(i)

        if __name__ == "__main__":
            q = mp.Queue()
            p = mp.Process(target=producer, args=(q,))
            p.start()
            print(sorted(q.get() for _ in range(5)))
            p.join()
    """, start_method)
    assert result.lines() == ["[0, 1, 2, 3, 4]"]
    (queue,) = result.trace.queues
    depths = [d for _, d in result.trace.queue_depth(queue)]
    assert depths[-1] == 0 and max(depths) >= 1 and min(depths) == 0 and len(depths) == 11
    fig = plot_timeline(result, queue_depth=False)
    assert len(fig.axes) == 1


def test_joining_a_child_before_draining_its_queue_is_explained(tmp_path: Path, start_method: str) -> None:
    result = run(tmp_path, """
        import multiprocessing as mp

        def worker(q):
            q.put("x" * 1_000_000)     # far more than a pipe holds (64 KiB on Linux)

        if __name__ == "__main__":
            q = mp.Queue()
            p = mp.Process(target=worker, args=(q,), name="worker")
            p.start()
            p.join()                   # waits for worker, which waits for a reader
            print(len(q.get()))
    """, start_method, timeout=3)
    assert result.timed_out and result.lines(stream="stdout") == []
    assert any(t.startswith("先 join() 了还没取完数据的队列：worker") for t in titles(result)), titles(result)
    # the launcher marked when it stopped the run: the main's join wait lasts until then
    trace = result.trace
    assert trace.stopped_at is not None and trace.stopped_at > 1.0
    joins = [iv for iv in trace.intervals(result.pid) if iv.state is State.JOIN_WAIT]
    assert joins and joins[-1].t1 == trace.stopped_at
    assert all(p.end == trace.stopped_at and p.exitcode is None for p in trace.processes)
    ax = plot_timeline(result).axes[0]
    assert [t.get_text() for t in ax.texts] == ["stopped", "stopped"]


def test_draining_before_join_ends_and_gets_no_such_hint(tmp_path: Path, start_method: str) -> None:
    result = run(tmp_path, """
        import multiprocessing as mp

        def worker(q):
            q.put("x" * 1_000_000)

        if __name__ == "__main__":
            q = mp.Queue()
            p = mp.Process(target=worker, args=(q,), name="worker")
            p.start()
            print(len(q.get()))
            p.join()
    """, start_method)
    assert not result.timed_out and result.lines() == ["1000000"]
    assert result.hints == []


def test_lambda_put_on_a_queue_is_lost_and_explained(tmp_path: Path, start_method: str) -> None:
    result = run(tmp_path, """
        import multiprocessing as mp, queue

        if __name__ == "__main__":
            q = mp.Queue()
            q.put(lambda x: x + 1)     # put() returns: the feeder thread fails later
            try:
                q.get(timeout=1)
            except queue.Empty:
                print("lost")
    """, start_method)
    assert result.lines(stream="stdout") == ["lost"]
    assert titles(result) == ["放进队列的对象无法序列化（pickle），它丢了"]  # not the Process-target hint


def test_open_file_sent_through_a_pipe_is_explained(tmp_path: Path, start_method: str) -> None:
    result = run(tmp_path, """
        import multiprocessing as mp

        if __name__ == "__main__":
            here, there = mp.Pipe()
            with open(__file__) as f:
                here.send(f)
    """, start_method)
    assert result.returncode == 1
    # the wording changed in 3.12: '_io.TextIOWrapper' object -> 'TextIOWrapper' instances
    assert re.search(r"cannot pickle '(_io\.)?TextIOWrapper' (object|instances)", result.stderr), result.stderr
    assert {"用管道发送的对象无法序列化（pickle）", "打开的文件不能传给另一个进程"} <= set(titles(result))
    sends = [e for e in result.trace.events if e.kind is EventKind.SEND]
    assert [(e.get("ok"), e.get("err")) for e in sends] == [("0", "TypeError")]


def test_recv_on_a_pipe_nobody_writes_to_is_explained(tmp_path: Path, start_method: str) -> None:
    result = run(tmp_path, """
        import multiprocessing as mp

        def quiet(conn):
            pass                        # never sends, and the parent keeps its own copy open

        if __name__ == "__main__":
            here, there = mp.Pipe()
            p = mp.Process(target=quiet, args=(there,))
            p.start()
            p.join()
            print(here.recv())
    """, start_method, timeout=2)
    assert result.timed_out
    assert any("停在 recv()" in t for t in titles(result)), titles(result)


def test_qsize_on_macos_text_is_explained() -> None:
    text = ('  File "/usr/lib/python3.12/multiprocessing/queues.py", line 126, in qsize\n'
            "    return self._maxsize - self._sem._semlock._get_value()\n"
            "NotImplementedError")
    assert [h.title for h in explain(text)] == ["macOS 上不支持 Queue.qsize()"]

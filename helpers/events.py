"""The one event vocabulary: what a traced process can record, and what each wait means.

Both sides import this table (stdlib only, cheap: every worker process loads it at start-up)::

    worker side   helpers.trace.recorder   writes  <t_ns>\\t<kind>\\t<obj>\\t<detail>  lines
    kernel side   helpers.trace.model      reads them into Event / Trace / Interval
                  helpers.explain          says who waited for what when a run timed out
                  helpers.run.killtree     recognises multiprocessing's helper processes
                  helpers.grading.checks   leaves the helper processes out of "children"

A new event kind is one row in ``Code`` (plus, for a wait, one ``WAITS`` row) and the code in
``helpers/trace/recorder.py`` that emits it. The worker side needs only the plain codes
(``Code``, ``HELPER_ROLES``); the Enums and the waits are built the first time the kernel side
asks for them: creating the Enum classes costs about half a millisecond, in every process.
"""
from __future__ import annotations

import _thread
from enum import Enum

__all__ = ["Code", "EventKind", "State", "Wait", "WAITS", "END_KINDS", "KINDS", "HELPER_ROLES",
           "HELPER_MARKERS", "is_helper_role"]


class Code:
    """Every event kind, one row each: its code as written in an event file.

    Plain ``str`` constants, cheap to create: every worker process imports this module and the
    recorder formats them into each line. ``EventKind`` is the Enum with one member per row.
    """

    BOOT = "boot"                  # interpreter is up: obj = role (main/spawn/fork/forkserver/...)
    EXIT = "exit"                  # interpreter exit via atexit (main program), detail code=
    START_BEGIN = "start_begin"    # parent: Process.start() called, obj = child name
    START_END = "start_end"        # parent: Process.start() returned, detail pid= daemon=
    PROC_BEGIN = "proc_begin"      # child: about to run target, detail parent= daemon=
    PROC_END = "proc_end"          # child: target finished, detail code=
    JOIN_BEGIN = "join_begin"      # obj = pid joined, detail timeout= implicit=
    JOIN_END = "join_end"          # detail code= (exit code seen, or none)
    SLEEP_BEGIN = "sleep_begin"    # detail s=
    SLEEP_END = "sleep_end"
    LOCK_WAIT = "lock_wait"        # blocked in acquire, obj = lock id
    LOCK_ACQUIRE = "lock_acquire"  # acquire returned, detail ok= waited= type=
    LOCK_RELEASE = "lock_release"
    PUT_WAIT = "put_wait"          # blocked in Queue.put (queue full), obj = queue id
    PUT = "put"                    # put returned, detail ok= waited= (ok=0: queue.Full etc.)
    GET_WAIT = "get_wait"          # blocked in Queue.get (queue empty)
    GET = "get"                    # get returned, detail ok= waited= (ok=0: queue.Empty etc.)
    TASK_DONE = "task_done"
    PIPE = "pipe"                  # multiprocessing.Pipe() returned: obj = pipe id, detail other= duplex=
    SEND = "send"                  # Connection.send returned, obj = pipe id, detail ok= bytes= (ok=0: err=)
    RECV_WAIT = "recv_wait"        # blocked in Connection.recv (nothing to read yet)
    RECV = "recv"                  # recv returned, detail ok= waited= bytes= (ok=0: err=EOFError etc.)
    QJOIN_BEGIN = "qjoin_begin"    # JoinableQueue.join()
    QJOIN_END = "qjoin_end"
    TERMINATE = "terminate"        # obj = target pid
    KILL = "kill"
    REAPED = "reaped"              # parent learnt a child's exit status, obj = pid, detail code=
    DROPPED = "dropped"            # detail n= events not recorded so far (bound reached)
    STOPPED = "stopped"            # written by the launcher into the main's file when it stops the
                                   # run (detail why=timeout|interrupt): unfinished processes end here
    FILE_READ = "file_read"        # the program opened a file for reading: obj = absolute path, detail mode=
    FILE_WRITE = "file_write"      # opened for writing (w/a/x/+) or os.replace()d: obj = absolute path, detail mode=


HELPER_ROLES: frozenset[str] = frozenset({"forkserver", "resource_tracker"})
"""multiprocessing's own helper processes: not part of the student's program."""

HELPER_MARKERS: tuple[bytes, ...] = tuple(
    f"multiprocessing.{role}".encode() for role in sorted(HELPER_ROLES))
"""What a helper process's command line contains (``-c from multiprocessing.<role> import ...``)."""


def is_helper_role(role: str) -> bool:
    """True for the role (or default process name) of a multiprocessing helper process."""
    return role in HELPER_ROLES


class Wait:
    """A begin -> end pair: between the two events the process is in ``state``.

    ``end_needs_waited``: the end kind is also written for calls that never blocked (a lock
    acquired at once); only an end with ``waited=1`` closes the wait.
    """

    __slots__ = ("begin", "end", "state", "end_needs_waited")

    def __init__(self, begin: EventKind, end: EventKind, state: State,
                 end_needs_waited: bool = False) -> None:
        self.begin, self.end, self.state = begin, end, state
        self.end_needs_waited = end_needs_waited

    def __repr__(self) -> str:
        return f"Wait({self.begin.value} -> {self.end.value}: {self.state.value})"


# --------------------------------------------------------------------------- kernel side
# EventKind, State, WAITS, END_KINDS and KINDS are built on first use (module __getattr__).
_LAZY = frozenset({"EventKind", "State", "WAITS", "END_KINDS", "KINDS"})
_build_lock = _thread.allocate_lock()


def _build() -> None:
    global EventKind, State, WAITS, END_KINDS, KINDS, _K, _S
    EventKind = Enum("EventKind", [(n, v) for n, v in vars(Code).items() if not n.startswith("_")],
                     type=str, module=__name__, qualname="EventKind")
    EventKind.__doc__ = "What a process did; the value is the code written in the event file."

    class State(Enum):
        """What a process is doing during an interval."""

        BOOTING = "booting"            # child interpreter/bootstrap, before the target runs
        RUNNING = "running"
        STARTING = "starting child"    # inside Process.start()
        SLEEPING = "sleeping"
        JOIN_WAIT = "waiting (join)"
        LOCK_WAIT = "waiting (lock)"
        QUEUE_WAIT = "waiting (queue)"
        PIPE_WAIT = "waiting (pipe)"
        HOLDING_LOCK = "holding lock"  # only in Trace.lock_holds()

    State.__qualname__ = "State"  # importable and picklable as helpers.events.State
    _K, _S = EventKind, State
    WAITS = {w.begin: w for w in (
        Wait(_K.START_BEGIN, _K.START_END, _S.STARTING),
        Wait(_K.SLEEP_BEGIN, _K.SLEEP_END, _S.SLEEPING),
        Wait(_K.JOIN_BEGIN, _K.JOIN_END, _S.JOIN_WAIT),
        Wait(_K.LOCK_WAIT, _K.LOCK_ACQUIRE, _S.LOCK_WAIT, end_needs_waited=True),
        Wait(_K.PUT_WAIT, _K.PUT, _S.QUEUE_WAIT, end_needs_waited=True),
        Wait(_K.GET_WAIT, _K.GET, _S.QUEUE_WAIT, end_needs_waited=True),
        Wait(_K.QJOIN_BEGIN, _K.QJOIN_END, _S.QUEUE_WAIT),
        Wait(_K.RECV_WAIT, _K.RECV, _S.PIPE_WAIT, end_needs_waited=True),
    )}
    # WAITS: begin kind -> its Wait (end kind and the State in between)

    END_KINDS = frozenset(w.end for w in WAITS.values())
    KINDS = {k.value: k for k in EventKind}  # the code in an event file -> its EventKind


def __getattr__(name: str) -> object:
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    with _build_lock:
        if "KINDS" not in globals():
            _build()
    return globals()[name]

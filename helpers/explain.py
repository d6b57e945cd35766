"""Classic multiprocessing failures -> a short Chinese explanation and the fix.

    from helpers import explain
    for hint in explain(result.stderr):   # or explain(exception) in the kernel
        print(hint.format())

``explain`` matches error text (a run's stderr, or an exception with its traceback);
``explain_hang`` reads a trace of a program that timed out and says who waited for what;
``explain_trace`` reads the trace of any run, finished or not, for mistakes that raise no error
(a lock created at module level under spawn/forkserver: every child has its own).
"""
from __future__ import annotations

import re
import traceback
from dataclasses import dataclass
from typing import TYPE_CHECKING

from helpers.events import WAITS, EventKind

if TYPE_CHECKING:  # helpers.trace.model is read in the kernel only; explain() needs none of it
    from helpers.trace.model import Event, Trace

__all__ = ["Hint", "explain", "explain_hang", "explain_trace", "format_hints"]


@dataclass(frozen=True)
class Hint:
    """One explanation: a title, what happened (1-3 sentences) and how to fix it (Chinese)."""

    title: str
    explanation_zh: str
    fix_zh: str

    def format(self) -> str:
        """Three lines: title, explanation, fix."""
        return f"提示（hint）：{self.title}\n  原因：{self.explanation_zh}\n  改法：{self.fix_zh}"


_CELL_FUNCTION = Hint(
    "子进程找不到在 notebook 里定义的函数",
    "在 spawn 和 forkserver 启动方式（start method）下，子进程是一个全新的 Python 解释器，"
    "它要重新导入（import）主模块，才能按名字找到目标函数；notebook 单元格里定义的函数"
    "不在任何能导入的文件里，所以子进程找不到它（Pool 还可能因此一直卡住）。",
    "把函数写进 .py 文件：用 %%program 写成程序、用 %%run_program 运行；"
    "或者从 helpers.run.workers 导入现成的函数作为 target。",
)

_RULES: list[tuple[re.Pattern[str], Hint]] = [
    (re.compile(r"Can't get attribute '[^']+' on <module '__(?:mp_)?main__'"), _CELL_FUNCTION),
    (re.compile(r"Can't (?:pickle|get) local object|Can't pickle <function <lambda>"
                r"|Can't pickle <function [^>]*> ?: attribute lookup"),
     Hint("目标函数无法被序列化（pickle）",
          "要把任务交给另一个进程，multiprocessing 用 pickle 按“模块名 + 函数名”传递函数；"
          "定义在函数内部的函数（local function）和 lambda 没有可以查找的名字，所以传不过去。",
          "把目标函数定义在模块的顶层（top level），用 def 起一个名字，不要用 lambda 或嵌套函数。")),
    (re.compile(r"daemonic processes are not allowed to have children"),
     Hint("守护进程（daemon）不能再创建子进程",
          "守护进程会在主进程结束时被直接终止，来不及清理它的子进程，"
          "所以 multiprocessing 禁止守护进程调用 start() 创建子进程。",
          "把这个进程改成非守护进程（daemon=False）并在主进程里 join() 它；"
          "或者让主进程来创建所有子进程。")),
    (re.compile(r"in qsize\b[\s\S]{0,400}?NotImplementedError|sem_getvalue"),
     Hint("macOS 上不支持 Queue.qsize()",
          "qsize() 依赖操作系统的 sem_getvalue()，macOS 没有实现它，所以会抛出 "
          "NotImplementedError；而且就算在 Linux 上，qsize() 的结果也只是一个瞬间的近似值。",
          "不要用 qsize()/empty() 判断何时结束：让生产者在结束时放入哨兵（sentinel，如 None），"
          "消费者读到哨兵就退出。")),
    (re.compile(r"in _feed\b[\s\S]{0,800}?(?:PicklingError|[Cc]an't pickle|cannot pickle)"),
     Hint("放进队列的对象无法序列化（pickle），它丢了",
          "Queue.put() 只把对象放进本进程的缓冲区就返回，真正的序列化由后台的送出线程（feeder thread）"
          "稍后完成；序列化失败时 put() 不会报错，送出线程只在标准错误里打印这段 traceback，"
          "对象被丢掉，等它的 get() 会一直等下去。",
          "只发送能序列化的数据：数字、字符串、列表、字典、元组……；不要发送 lambda、打开的文件、锁、"
          "套接字；函数用 def 定义在模块顶层，文件发送文件名或读出来的内容。")),
    (re.compile(r"in send\b[\s\S]{0,800}?(?:PicklingError|[Cc]an't pickle|cannot pickle)"),
     Hint("用管道发送的对象无法序列化（pickle）",
          "Connection.send() 先用 pickle 把整个对象变成字节再写进管道；lambda、嵌套函数、打开的文件、"
          "锁这类对象没法变成字节，所以 send() 当场抛出异常，什么也没有发出去。",
          "只发送能序列化的数据：数字、字符串、列表、字典、元组……；函数用 def 定义在模块顶层，"
          "文件发送文件名或读出来的内容。")),
    # 3.10/3.11: cannot pickle '_io.TextIOWrapper' object; 3.12+: cannot pickle 'TextIOWrapper' instances
    (re.compile(r"cannot pickle '(?:_io\.)?(?:TextIOWrapper|Buffered\w+|FileIO)' (?:object|instances)"),
     Hint("打开的文件不能传给另一个进程",
          "打开的文件对象（file object）属于打开它的那个进程：里面有文件描述符和缓冲区，"
          "pickle 不能把它变成字节，所以不能作为消息发送，也不能在 spawn/forkserver 下作为 Process 的参数。",
          "传文件名（路径字符串），让另一个进程自己 open()；或者先读出内容，发送内容。")),
    (re.compile(r"task_done\(\) called too many times"),
     Hint("task_done() 调用得比取出的任务还多",
          "JoinableQueue 记着“还没做完的任务”个数：每次 put() 加一，每次 task_done() 减一；"
          "减到 0 以下就抛出 ValueError: task_done() called too many times。"
          "常见原因：一个任务调用了两次 task_done()，或者对没有 get() 到的东西调用了它。",
          "每次 get() 到一个任务，处理完之后正好调用一次 q.task_done()（可以放在 try/finally 的 finally 里）。")),
    (re.compile(r"semaphore or lock released too many times"),
     Hint("release() 了一把没有被锁住的锁",
          "multiprocessing.Lock 被释放的次数比获取的次数多：对没有锁住的锁调用 release() 会抛出 ValueError"
          "（threading.Lock 抛出的是 RuntimeError）。常见原因：acquire() 失败（超时返回 False）后照样 release()，"
          "或者在 with lock: 里面又手动 release() 了一次。",
          "用 with lock: 代替成对的 acquire()/release()；用 acquire(timeout=...) 时，只在它返回 True 之后才 release()。")),
    (re.compile(r"NameError: name '\w*lock\w*' is not defined", re.IGNORECASE),
     Hint("子进程里没有这把锁：锁要作为参数传给子进程",
          "锁是在 if __name__ == \"__main__\": 里创建的，目标函数却把它当全局变量用。fork 下子进程复制了父进程的全部变量，"
          "碰巧能用；spawn/forkserver 下子进程重新导入主模块，不运行 __main__ 代码块，所以没有这个名字。"
          "（把锁建在模块顶层也不行：那样每个子进程会各建一把新锁，互斥不起作用。）",
          "在 if __name__ == \"__main__\": 里创建锁，写进 Process(target=..., args=(lock, ...))，目标函数多一个参数接收它。")),
    (re.compile(r"objects should only be shared between processes\s+through inheritance"),
     Hint("锁（Lock）或队列（Queue）传递的方式不对",
          "multiprocessing 的 Lock、Queue 只能在创建进程时通过 Process(args=...) 传给子进程"
          "（继承, inheritance），不能放进另一个 Queue，也不能作为 Pool.map 的参数传递。",
          "在 start() 之前创建它们并写进 Process(target=..., args=(lock, q)) 的参数；"
          "Pool 需要时用 Manager().Lock() / Manager().Queue()，或 Pool(initializer=...)。")),
    (re.compile(r"cannot pickle '_thread\.(?:R?lock|RLock)' object"),
     Hint("把线程用的锁或队列交给了进程",
          "threading.Lock 和 queue.Queue 只在一个进程内部的线程之间起作用，"
          "它们无法被序列化（pickle）传到另一个进程。",
          "改用 multiprocessing.Lock() 和 multiprocessing.Queue()。")),
    (re.compile(r"An attempt has been made to start a new process before\s+the\s+current process"
                r"\s+has finished its bootstrapping phase"),
     Hint("缺少 if __name__ == \"__main__\": 保护",
          "spawn/forkserver 的子进程会重新导入主模块；如果创建进程的代码写在模块顶层，"
          "子进程导入时又会去创建进程，multiprocessing 发现后就报这个错。",
          "把创建和启动进程的代码放进 if __name__ == \"__main__\": 代码块里，"
          "目标函数的定义留在顶层。")),
    (re.compile(r"cannot start a process twice"),
     Hint("同一个 Process 对象 start() 了两次",
          "一个 Process 对象只对应一个进程，只能启动一次，结束后也不能再启动。",
          "需要再运行一次时，新建一个 Process 对象再 start()。")),
    (re.compile(r"can only join a started process"),
     Hint("join() 了一个还没有 start() 的进程",
          "join() 等待的是一个正在运行或已经结束的进程；还没启动的进程没有什么可等的。",
          "先调用 p.start()，再调用 p.join()；检查是不是漏写了 start()，或者把 start 写成了 run()。")),
]


def explain(error: str | BaseException | None) -> list[Hint]:
    """Hints for every classic failure found in ``error`` (text, or an exception)."""
    if error is None:
        return []
    if isinstance(error, BaseException):
        text = "".join(traceback.format_exception(type(error), error, error.__traceback__))
    else:
        text = str(error)
    hints: list[Hint] = []
    for pattern, hint in _RULES:
        if hint not in hints and pattern.search(text):
            hints.append(hint)
    if any(h.title in _SENT_NOT_STARTED for h in hints):
        # a lambda put on a queue / sent through a pipe: not a Process target problem
        hints = [h for h in hints if h.title != "目标函数无法被序列化（pickle）"]
    return hints


_SENT_NOT_STARTED = {"放进队列的对象无法序列化（pickle），它丢了", "用管道发送的对象无法序列化（pickle）"}


# What a process stuck in each kind of wait was doing, and what to do about it. The waits
# themselves (begin -> end kinds) are helpers.events.WAITS; starting a child and sleeping end
# by themselves. A wait without a text here still gets a hint (_GENERIC_STUCK).
_ENDS_BY_ITSELF = frozenset({EventKind.START_BEGIN, EventKind.SLEEP_BEGIN})
_GENERIC_STUCK = ("", "等待 ({state}) {{obj}}，但一直没有等到",
                  "检查它等的东西会不会到来（另一端的进程是否还在、是否会发送或释放）；"
                  "可以给这次调用设超时（timeout）。")
_STUCK: dict[EventKind, tuple[str, str, str]] = {
    EventKind.JOIN_BEGIN: ("join()", "等待进程 {obj} 结束，而它一直没有结束",
                           "确认被等的进程自己能结束（它是不是也在等什么？）；可以给 join(timeout=...) 设上限。"),
    EventKind.GET_WAIT: ("get()", "从队列（queue）{obj} 取数据，但队列一直是空的",
                         "检查生产者是否放入了足够的数据；用哨兵（sentinel）告诉消费者结束，每个消费者一个。"),
    EventKind.PUT_WAIT: ("put()", "往已满的队列 {obj} 放数据，但没有人取",
                         "确认有消费者在取；或者先取走数据再 join() 生产者。"),
    EventKind.LOCK_WAIT: ("acquire()", "获取锁（lock）{obj}，但它一直被占着",
                          "用 with lock: 保证每次 acquire() 都有对应的 release()；检查有没有进程拿着锁在等别的东西。"),
    EventKind.QJOIN_BEGIN: ("JoinableQueue.join()", "等待队列 {obj} 的所有任务被 task_done()",
                            "每个 get() 到的任务处理完都要调用一次 task_done()。"),
    EventKind.RECV_WAIT: ("recv()", "从管道（pipe）{obj} 接收消息，但一直没有消息到来",
                          "确认另一端真的会 send()；不再发送的一端要在每个进程里 close()，"
                          "这样 recv() 会抛出 EOFError，而不是永远等下去。"),
}


def explain_hang(trace: Trace) -> list[Hint]:
    """For a run that timed out: which process was still waiting, and for what (from its trace)."""
    names = {p.pid: p.name for p in trace.processes}
    helpers = {p.pid for p in trace.processes if p.helper}
    pending: dict[int, Event] = {}  # pid -> the wait event still open
    for event in trace.events:
        if event.kind in WAITS and event.kind not in _ENDS_BY_ITSELF:
            pending[event.pid] = event
        elif event.pid in pending and WAITS[pending[event.pid].kind].end is event.kind:
            del pending[event.pid]
    hints = []
    for pid, event in sorted(pending.items()):
        if pid in helpers:
            continue
        call, what, fix = _STUCK.get(event.kind) or _generic_stuck(event.kind)
        if event.kind is EventKind.JOIN_BEGIN and event.obj.isdigit():
            obj = f"{names.get(int(event.obj), 'pid')} (pid {event.obj})"
        else:
            obj = trace.label(event.obj)
        who = f"{names.get(pid, 'pid')} (pid {pid})"
        hints.append(Hint(
            f"程序卡住了：{who} 停在 {call}",
            f"超时（timeout）时，{who} 还在{what.format(obj=obj)}。",
            fix))
    return (hints + _lock_hints(trace, pending) + _join_before_drain_hints(trace, pending)
            + _pipeline_hints(trace, pending))


def _join_before_drain_hints(trace: Trace, pending: dict[int, Event]) -> list[Hint]:
    """The deadlock from the docs' programming guidelines ("joining processes that use queues").

    The parent waits in ``join()`` for a child that is not waiting for anything itself and has
    put items that nobody got: the child cannot end before its queue's feeder thread has
    written every item into the pipe, and that waits for a reader.
    """
    stuck_joins = {int(e.obj): pid for pid, e in pending.items()
                   if e.kind is EventKind.JOIN_BEGIN and e.obj.isdigit()}
    hints: list[Hint] = []
    for child, parent in sorted(stuck_joins.items()):
        if child in pending:
            continue
        left: dict[str, int] = {}
        for e in trace.events:
            if e.kind in (EventKind.PUT, EventKind.GET) and e.get("ok") == "1":
                left[e.obj] = left.get(e.obj, 0) + (1 if e.kind is EventKind.PUT else -1)
        put_by_child = {e.obj for e in trace.events
                        if e.pid == child and e.kind is EventKind.PUT and e.get("ok") == "1"}
        full = [q for q in put_by_child if left.get(q, 0) > 0]
        if not full:
            continue
        names = {p.pid: p.name for p in trace.processes}
        label = trace.label(full[0])
        hints.append(Hint(
            f"先 join() 了还没取完数据的队列：{names.get(child, 'pid')} (pid {child}) 结束不了",
            f"{names.get(child, 'pid')} 往 {label} 放了数据，还有 {left[full[0]]} 个没人取走；"
            "不是创建队列的进程，放过数据后退出前都要等后台的送出线程（feeder thread）把数据全部写进管道，"
            "管道满了就要等有人读。而读数据的进程正停在 join() 等它结束：互相等待，谁也不能继续。",
            "先 get() 取完这个进程放入的全部数据，再 join() 它（取多少个，就是它放了多少个）。"))
    return hints


def _pipeline_hints(trace: Trace, pending: dict[int, Event]) -> list[Hint]:
    """Producer-consumer hangs (chapter 09), with the counts read from the trace.

    * consumers stuck in ``get()`` on a queue that is empty: every put was taken, so nothing
      more will come. The consumers that already ended each took one sentinel (the usual
      loop), so their number is the sentinels sent: fewer than the consumers.
    * ``JoinableQueue.join()`` stuck: fewer ``task_done()`` calls than items put.
    """
    puts: dict[str, int] = {}
    gets: dict[str, int] = {}
    done: dict[str, int] = {}
    getters: dict[str, set[int]] = {}
    finished = {e.pid for e in trace.events if e.kind is EventKind.PROC_END}
    for e in trace.events:
        ok = e.get("ok") == "1"
        if e.kind is EventKind.PUT and ok:
            puts[e.obj] = puts.get(e.obj, 0) + 1
        elif e.kind is EventKind.GET and ok:
            gets[e.obj] = gets.get(e.obj, 0) + 1
            getters.setdefault(e.obj, set()).add(e.pid)
        elif e.kind is EventKind.GET_WAIT:
            getters.setdefault(e.obj, set()).add(e.pid)
        elif e.kind is EventKind.TASK_DONE:
            done[e.obj] = done.get(e.obj, 0) + 1
    hints: list[Hint] = []
    stuck: dict[str, list[int]] = {}
    for pid, event in pending.items():
        if event.kind is EventKind.GET_WAIT:
            stuck.setdefault(event.obj, []).append(pid)
    joined = {e.obj for e in pending.values() if e.kind is EventKind.QJOIN_BEGIN}
    for queue, pids in stuck.items():
        if puts.get(queue, 0) != gets.get(queue, 0) or queue in joined:
            continue  # items may still come, or JoinableQueue.join() + daemon consumers (no sentinels)
        label = trace.label(queue)
        ended = len((getters.get(queue, set()) - set(pids)) & finished)
        hints.append(Hint(
            f"哨兵值不够：{len(pids)} 个消费者在 {label} 的 get() 上永远等下去",
            f"{label} 一共放入 {puts.get(queue, 0)} 个对象，已经全部被取走，不会再有新的条目了；"
            f"{ended} 个消费者已经结束（每个读到了一个哨兵值），还有 {len(pids)} 个停在 get()。"
            f"看起来只发了 {ended} 个哨兵值，却有 {ended + len(pids)} 个消费者。",
            "每个消费者发一个哨兵值：等所有生产者结束（join）之后，for _ in consumers: q.put(None)，"
            "再 join 消费者。"))
    for pid, event in pending.items():
        if event.kind is not EventKind.QJOIN_BEGIN:
            continue
        queue, label = event.obj, trace.label(event.obj)
        n_put, n_done = puts.get(queue, 0), done.get(queue, 0)
        if n_done < n_put:
            hints.append(Hint(
                f"task_done() 少调用了 {n_put - n_done} 次：{label} 的 join() 永远等下去",
                f"{label} 上放入了 {n_put} 个任务、取走了 {gets.get(queue, 0)} 个，但 task_done() 只调用了 "
                f"{n_done} 次；JoinableQueue.join() 要等每个放入的任务都被 task_done() 一次才返回。",
                "消费者处理完每个任务后调用一次 q.task_done()（放在 finally 里，出错也不会漏掉）；"
                "放进去的哨兵值被取走后也要 task_done()。"))
    return hints


def _generic_stuck(kind: EventKind) -> tuple[str, str, str]:
    _, what, fix = _GENERIC_STUCK
    return kind.value, what.format(state=WAITS[kind].state.value), fix


def _lock_hints(trace: Trace, pending: dict[int, Event]) -> list[Hint]:
    """Processes stuck in ``acquire()`` (chapter 07): who holds that lock, and a deadlock when
    the holders wait for each other's locks (a cycle of lock waits)."""
    waiting = {pid: e.obj for pid, e in pending.items() if e.kind is EventKind.LOCK_WAIT}
    if not waiting:
        return []
    names = {p.pid: p.name for p in trace.processes}
    ended = {e.pid for e in trace.events if e.kind in (EventKind.PROC_END, EventKind.EXIT)}
    ended |= {p.pid for p in trace.processes if p.exitcode is not None}
    holder: dict[str, int] = {}
    for iv in trace.lock_holds():  # holds never released end with their process
        if not any(e.pid == iv.pid and e.obj == iv.obj and e.kind is EventKind.LOCK_RELEASE
                   and e.t >= iv.t1 for e in trace.events):
            holder[iv.obj] = iv.pid
    hints: list[Hint] = []
    seen: set[frozenset[int]] = set()
    waiters: dict[str, list[int]] = {}
    for pid, lock in sorted(waiting.items()):
        owner = holder.get(lock)
        if owner is None:
            continue
        if owner == pid:
            who, label = f"{names.get(pid, 'pid')} (pid {pid})", trace.label(lock)
            hints.append(Hint(
                f"{who} 又去 acquire() 自己已经拿着的 {label}",
                f"{who} 拿着 {label}，没有 release() 就再次 acquire() 它。普通的 Lock 不可重入："
                "第二次 acquire() 要等锁被释放，而能释放它的正是停在这里的进程自己，所以永远等下去。",
                "在同一个进程里不要重复获取同一把 Lock（先 release()）；如果确实需要在拿着锁时"
                "再调用也要加锁的函数，用 multiprocessing.RLock（可重入锁）。"))
            continue
        other = waiting.get(owner)
        if other is None or holder.get(other) != pid:
            waiters.setdefault(lock, []).append(pid)
            continue
        pair = frozenset((pid, owner))
        if pair in seen:
            continue
        seen.add(pair)
        who, owner_name = f"{names.get(pid, 'pid')} (pid {pid})", f"{names.get(owner, 'pid')} (pid {owner})"
        label, other_label = trace.label(lock), trace.label(other)
        hints.append(Hint(
            f"死锁（deadlock）：{who} 和 {owner_name} 互相等待",
            f"{who} 拿着 {other_label}、在等 {label}；{owner_name} 拿着 {label}、在等 {other_label}。"
            "两个进程按相反的顺序获取这两把锁，各自拿到一把后都在等对方的那把，谁也无法继续。",
            "给所有锁规定一个全局顺序（例如总是先 lock_a 再 lock_b），每个进程都按这个顺序获取；"
            "或者获取第二把锁时用 acquire(timeout=...)，拿不到就放开手里的锁、稍后重试。"))
    for lock, pids in waiters.items():
        owner = holder[lock]
        who = "、".join(f"{names.get(pid, 'pid')} (pid {pid})" for pid in pids)
        owner_name, label = f"{names.get(owner, 'pid')} (pid {owner})", trace.label(lock)
        if owner in ended:
            hints.append(Hint(
                f"{label} 被一个已经结束的进程拿着，永远不会被释放",
                f"{who} 在等 {label}，可拿着它的 {owner_name} 已经结束了，却没有 release()。"
                "锁不知道它的主人已经不在：进程结束（或被 terminate()）时不会自动释放它拿着的 multiprocessing 锁。",
                "用 with lock: 代替 acquire()/release()，保证每条路径（包括异常）都会释放；"
                "不要 terminate() 可能拿着锁的进程。"))
        else:
            hints.append(Hint(
                f"{label} 一直被 {owner_name} 拿着",
                f"{who} 在等 {label}，而 {owner_name} 拿着它一直没有释放。",
                f"看看 {owner_name} 拿着锁的时候在等什么，或者是不是漏了 release()；用 with lock: 最稳妥。"))
    return hints


_MUTEX_TYPES = ("Lock", "RLock")  # Semaphores may well be used by one process each


def explain_trace(trace: Trace) -> list[Hint]:
    """Hints read from the trace of any run (finished, failed or stopped), for mistakes that
    raise no error: a lock that every spawn/forkserver child created for itself."""
    return _module_lock_hints(trace)


def _child_start_method(trace: Trace) -> dict[int, str]:
    """pid -> "spawn" or "forkserver" for the children a fresh interpreter (or the fork server)
    made: the processes that import the main module again instead of copying the parent."""
    helpers = trace.helper_pids
    methods: dict[int, str] = {}
    for e in trace.events:
        if e.kind is not EventKind.BOOT or e.pid in methods:
            continue
        ppid = e.get("ppid", "")
        if e.obj == "spawn":
            methods[e.pid] = "spawn"
        elif e.obj == "fork" and ppid.isdigit() and int(ppid) in helpers:
            methods[e.pid] = "forkserver"  # forked by the fork server, not by its parent
        else:
            methods[e.pid] = ""
    return {pid: m for pid, m in methods.items() if m}


def _module_lock_hints(trace: Trace) -> list[Hint]:
    """Two or more spawn/forkserver children each acquired a Lock (or RLock) that no other
    process ever touched: the lock ids in the trace are shared by every process that uses one
    lock (its semaphore's name), so one id per child means one lock per child, the classic
    ``lock = Lock()`` at module level, run again by every child that imports the main module."""
    users: dict[str, set[int]] = {}
    acquired: dict[str, str] = {}  # lock id -> its type, for locks somebody acquired
    for e in trace.events:
        if e.kind not in (EventKind.LOCK_WAIT, EventKind.LOCK_ACQUIRE, EventKind.LOCK_RELEASE):
            continue
        users.setdefault(e.obj, set()).add(e.pid)
        if e.kind is EventKind.LOCK_ACQUIRE and e.get("ok") == "1":
            acquired.setdefault(e.obj, e.get("type", "Lock") or "Lock")
    methods = _child_start_method(trace)
    private: dict[str, dict[int, str]] = {}  # type -> child pid -> the lock only it used
    for lock, typ in acquired.items():
        if len(users[lock]) != 1 or typ not in _MUTEX_TYPES:
            continue
        (pid,) = users[lock]
        if pid in methods:
            private.setdefault(typ, {}).setdefault(pid, lock)
    if not private:
        return []
    typ, own = max(private.items(), key=lambda item: len(item[1]))
    if len(own) < 2:
        return []
    info = {p.pid: p for p in trace.processes}  # every lock user booted, so it is a process
    pids = sorted(own, key=lambda pid: (info[pid].start, pid))
    shown = [info[pid].label for pid in pids]
    who = "、".join(shown) if len(shown) <= 3 else f"{shown[0]}、{shown[1]}……{shown[-1]}"
    method = "、".join(sorted({methods[pid] for pid in pids}))
    return [Hint(
        f"{len(pids)} 个子进程各用各的锁：{typ} 没有被共享，互斥不起作用",
        f"这次运行用 {method} 启动子进程：{who} 这 {len(pids)} 个子进程，每个都只用自己的一把 {typ}"
        f"（轨迹里有 {len(pids)} 把不同的锁，每把只有一个进程用过）。谁也挡不住谁，"
        "临界区照样同时执行：更新会丢失、票会超卖，却不报任何错。"
        "常见原因：锁建在模块顶层（lock = Lock()），在 spawn/forkserver 下每个子进程导入主模块时都会再建一把新锁"
        "（fork 下子进程复制父进程的内存，继承的是同一把锁，所以同一个程序在 fork 下是对的）。",
        "在 if __name__ == \"__main__\": 里创建一把锁，通过 Process(args=(lock, ...)) 传给每个子进程，"
        "目标函数多一个参数接收它。")]


def format_hints(hints: list[Hint]) -> str:
    """All hints as text, one block each."""
    return "\n".join(h.format() for h in hints)

"""Threads: their states (a closed set of variants), their records, and the scheduler.

A thread is always in exactly one state (a state is never changed, only replaced; the two
built on every IPC step, `Ready` and `Receiving`, are not frozen only because frozen
dataclasses are slow to build):
- `Ready`: runnable; carries what its pending `yield` returns (or an access to retry after a
  page fault, or an error to raise in the program);
- `Sending`: blocked in the send phase of send, call or a page fault, queued at its target;
- `Receiving`: blocked waiting for a message (from one partner, or from anyone);
- `Dead`: ended, with the reason.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any

from .ids import ThreadId
from .mapdb import AddressSpace
from .messages import Message
from .ops import Load, Operation, Window


@dataclass(slots=True, unsafe_hash=True)  # immutable by convention: built every step
class Ready:
    """Runnable: `result` is what its pending yield returns; `retry` an access to redo."""

    result: Any = None
    retry: Operation | None = None
    throw: BaseException | None = None

    def describe(self) -> str:
        """Return the state in words."""
        return "ready"

    def fields(self) -> Ready:
        """Return the state as the trace keeps it: what its description depends on, hashable."""
        return READY


@dataclass(frozen=True)
class Sending:
    """Blocked sending `msg` to `target` (after clan redirection); maybe a call or a fault."""

    target: ThreadId
    msg: Message
    deadline: int | None
    since: int
    visible: ThreadId
    intended: ThreadId | None = None
    call_partner: ThreadId | None = None  # a call: whom to receive the reply from afterwards
    window: Window = None
    fault: Operation | None = None

    def describe(self) -> str:
        """Return the state in words."""
        if self.fault is not None:
            return f"page fault: waiting for its pager {self.target} to receive"
        verb = "calling" if self.call_partner else "sending to"
        via = f" (through its chief {self.target})" if self.intended else ""
        dest = self.intended or self.target
        return f"{verb} {dest}{via}{_until(self.deadline)}"

    def fields(self) -> Sending:
        """Return the state as the trace keeps it: what its description depends on, hashable
        (no message, sequence number, window or faulting access)."""
        fault = FAULTING if self.fault is not None else None
        return Sending(self.target, EMPTY, self.deadline, 0, self.target, self.intended,
                       self.call_partner, None, fault)  # fmt: skip


@dataclass(slots=True, unsafe_hash=True)  # immutable by convention: built every step
class Receiving:
    """Blocked receiving from `src` (None = from anyone)."""

    src: ThreadId | None
    deadline: int | None
    window: Window = None
    fault: Operation | None = None
    reply_error: str | None = None
    is_reply: bool = False  # the receive phase of a call

    def describe(self) -> str:
        """Return the state in words."""
        if self.fault is not None:
            return f"page fault: waiting for the reply of its pager {self.src}"
        if self.src is None:
            return f"waiting for anyone{_until(self.deadline)}"
        if self.is_reply:
            return f"waiting for the reply of {self.src}{_until(self.deadline)}"
        return f"waiting for {self.src}{_until(self.deadline)}"

    def fields(self) -> Receiving:
        """Return the state as the trace keeps it: what its description depends on, hashable
        (no window, faulting access or pending reply error)."""
        fault = FAULTING if self.fault is not None else None
        return Receiving(self.src, self.deadline, None, fault, None, self.is_reply)


@dataclass(frozen=True)
class Dead:
    """Ended: the program returned or raised, or the kernel ended it (reason says which)."""

    reason: str
    failed: bool = False

    def describe(self) -> str:
        """Return the state in words."""
        return f"ended: {self.reason}"

    def fields(self) -> Dead:
        """Return the state as the trace keeps it (all of it: a reason and a flag)."""
        return self


ThreadStateVariant = Ready | Sending | Receiving | Dead
READY = Ready()  # every ready state, as the trace keeps it
EMPTY = Message()  # a kept Sending state's message: the trace keeps no message there
FAULTING = Load(0)  # a kept state's mark that it serves a page fault (not which access)


def _until(deadline: int | None) -> str:
    """Return ' until cycle N' for a finite deadline, else ''."""
    return "" if deadline is None else f" until cycle {deadline}"


@dataclass(eq=False)
class Thread:
    """A thread: its id, space, program, pager, priority, state and the senders queued at it."""

    id: ThreadId
    space: AddressSpace
    name: str
    program: Any
    pager: ThreadId | None
    priority: int
    state: ThreadStateVariant = field(default_factory=Ready)
    senders: list[Thread] = field(default_factory=list, repr=False)
    queued: bool = False

    @property
    def alive(self) -> bool:
        """Return True until the thread has ended."""
        return not isinstance(self.state, Dead)


class Scheduler:
    """Ready threads by priority, round robin within a priority (highest priority first)."""

    def __init__(self) -> None:
        self.queues: dict[int, deque[Thread]] = {}
        self.order: list[deque[Thread]] = []  # the queues, highest priority first

    def make_ready(self, thread: Thread) -> None:
        """Append `thread` to the back of its priority's queue unless it is queued already."""
        if not thread.queued:
            queue = self.queues.get(thread.priority)
            if queue is None:
                queue = self.queues[thread.priority] = deque()
                self.order = [self.queues[p] for p in sorted(self.queues, reverse=True)]
            queue.append(thread)
            thread.queued = True

    def remove(self, thread: Thread) -> None:
        """Take `thread` out of the ready queues if it is there."""
        if thread.queued:
            self.queues[thread.priority].remove(thread)
            thread.queued = False

    def pop(self) -> Thread | None:
        """Return and dequeue the next thread to run, or None when none is ready."""
        for queue in self.order:
            if queue:
                thread = queue.popleft()
                thread.queued = False
                return thread
        return None

    def __len__(self) -> int:
        return sum(len(q) for q in self.queues.values())

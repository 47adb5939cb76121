"""The thread handle `t` a program receives: it builds the operations a program yields.

Each method only builds an operation from the API's forms (lists, item tuples); `yield` hands it
to the kernel, whose entry checks every field (`kernel.entry.decode`: the kernel trusts no
operation, whoever built it) and evaluates to the result: a message for IPC, the value for
`load`. A bad argument is raised in the program at its `yield`, as an `InvalidArgument`.
"""

from __future__ import annotations

from typing import Any

from ..kernel.ids import ThreadId
from ..kernel.messages import make_message
from ..kernel.ops import Call, Load, Receive, ReplyAndWait, Send, Store, Unmap, Wait


class ThreadHandle:
    """What a program knows of itself (`.id`, `.space`) and how it asks the kernel for things."""

    def __init__(self, tid: ThreadId, space: str) -> None:
        self.id = tid
        self.space = space

    @property
    def name(self) -> str:
        """Return the thread's name."""
        return self.id.label

    def __repr__(self) -> str:
        return f"<thread {self.id} in {self.space}>"

    def send(self, dest: ThreadId, *, words: Any = (), strings: Any = (), map: Any = (),  # noqa: A002
             grant: Any = (), label: Any = None, timeout: int | None = None,
             as_sender: ThreadId | None = None) -> Send:  # fmt: skip
        """Return a send to `dest` (blocks until received, up to `timeout` cycles)."""
        return Send(dest, make_message(words, strings, map, grant, label), timeout, as_sender)

    def receive(self, src: ThreadId, *, timeout: int | None = None,
                window: tuple[int, int] | None = None) -> Receive:  # fmt: skip
        """Return a receive from `src` only (a thread id or an interrupt id)."""
        return Receive(src, timeout, window)

    def wait(self, *, timeout: int | None = None, window: tuple[int, int] | None = None) -> Wait:
        """Return an open wait: receive from anyone."""
        return Wait(timeout, window)

    def call(self, dest: ThreadId, *, words: Any = (), strings: Any = (), map: Any = (),  # noqa: A002
             grant: Any = (), label: Any = None, timeout: int | None = None,
             window: tuple[int, int] | None = None) -> Call:  # fmt: skip
        """Return a call: send to `dest`, then receive its reply (`timeout` covers both)."""
        return Call(dest, make_message(words, strings, map, grant, label), timeout, window)

    def reply_and_wait(self, dest: ThreadId, *, words: Any = (), strings: Any = (),
                       map: Any = (), grant: Any = (), label: Any = None,  # noqa: A002
                       timeout: int | None = None,
                       window: tuple[int, int] | None = None) -> ReplyAndWait:  # fmt: skip
        """Return a reply to `dest` (timeout 0) followed by an open wait."""
        msg = make_message(words, strings, map, grant, label)
        return ReplyAndWait(dest, msg, timeout, window)

    def load(self, address: int) -> Load:
        """Return a read of the value at virtual `address` (faults to the pager if unmapped)."""
        return Load(address)

    def store(self, address: int, value: Any) -> Store:
        """Return a write of `value` at virtual `address` (faults if unmapped or read-only)."""
        return Store(address, value)

    def flush(self, page: int, rights: str = "rw", order: int = 0,
              include_self: bool = False) -> Unmap:  # fmt: skip
        """Return a flush of this space's fpage: revoke `rights` from what derives from it."""
        return Unmap(page, rights, order, include_self)

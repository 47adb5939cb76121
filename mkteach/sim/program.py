"""The thread handle `t` a program receives: it builds the operations a program yields.

Each method validates its arguments and returns an operation; `yield` hands it to the kernel
(one kernel entry) and evaluates to the result: a message for IPC, the value for `load`.
"""

from __future__ import annotations

from typing import Any

from ..errors import InvalidArgument
from ..kernel.fpage import check_order, check_page, check_rights
from ..kernel.ids import ThreadId
from ..kernel.messages import check_window, make_message
from ..kernel.ops import Call, Load, Receive, ReplyAndWait, Send, Store, Unmap, Wait

ADDRESS_LIMIT = 1 << 32


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
        msg = make_message(words, strings, map, grant, label)
        sender = None if as_sender is None else _thread_id(as_sender, "as_sender")
        return Send(_thread_id(dest, "dest"), msg, _timeout(timeout), sender)

    def receive(self, src: ThreadId, *, timeout: int | None = None,
                window: tuple[int, int] | None = None) -> Receive:  # fmt: skip
        """Return a receive from `src` only (a thread id or an interrupt id)."""
        return Receive(_thread_id(src, "src", irq_ok=True), _timeout(timeout), check_window(window))

    def wait(self, *, timeout: int | None = None, window: tuple[int, int] | None = None) -> Wait:
        """Return an open wait: receive from anyone."""
        return Wait(_timeout(timeout), check_window(window))

    def call(self, dest: ThreadId, *, words: Any = (), strings: Any = (), map: Any = (),  # noqa: A002
             grant: Any = (), label: Any = None, timeout: int | None = None,
             window: tuple[int, int] | None = None) -> Call:  # fmt: skip
        """Return a call: send to `dest`, then receive its reply (`timeout` covers both)."""
        msg = make_message(words, strings, map, grant, label)
        return Call(_thread_id(dest, "dest"), msg, _timeout(timeout), check_window(window))

    def reply_and_wait(self, dest: ThreadId, *, words: Any = (), strings: Any = (),
                       map: Any = (), grant: Any = (), label: Any = None,  # noqa: A002
                       timeout: int | None = None,
                       window: tuple[int, int] | None = None) -> ReplyAndWait:  # fmt: skip
        """Return a reply to `dest` (timeout 0) followed by an open wait."""
        msg = make_message(words, strings, map, grant, label)
        return ReplyAndWait(_thread_id(dest, "dest"), msg, _timeout(timeout), check_window(window))

    def load(self, address: int) -> Load:
        """Return a read of the value at virtual `address` (faults to the pager if unmapped)."""
        return Load(_address(address))

    def store(self, address: int, value: Any) -> Store:
        """Return a write of `value` at virtual `address` (faults if unmapped or read-only)."""
        return Store(_address(address), value)

    def flush(self, page: int, rights: str = "rw", order: int = 0,
              include_self: bool = False) -> Unmap:  # fmt: skip
        """Return a flush of this space's fpage: revoke `rights` from what derives from it."""
        order = check_order(order)
        if rights not in ("w", "rw"):
            check_rights(rights, "flush rights")
        return Unmap(check_page(page, order), rights, order, bool(include_self))


def _thread_id(value: object, what: str, irq_ok: bool = False) -> ThreadId:
    """Return `value` if it is a thread id (or, when allowed, an interrupt id); raise otherwise."""
    if not isinstance(value, ThreadId):
        raise InvalidArgument(
            f"{what} must be a thread id (the value create_thread returned, or msg.sender), "
            f"not {value!r}"
        )
    if value.is_interrupt and not irq_ok:
        raise InvalidArgument(f"{what} {value} is an interrupt: interrupts only send")
    return value


def _timeout(value: object) -> int | None:
    """Return a valid timeout in cycles (None = never, 0 = poll); raise otherwise."""
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise InvalidArgument(
            f"timeout must be None (never), 0 (poll) or a positive number of cycles, not {value!r}"
        )
    return value


def _address(value: object) -> int:
    """Return a valid virtual address (0 <= address < 2**32); raise otherwise."""
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < ADDRESS_LIMIT:
        raise InvalidArgument(
            f"address must be an int from 0 to 2**32 - 1 (page * 4096 + offset), not {value!r}"
        )
    return value

"""Kernel entries: the operations a program yields, one per kernel entry.

Programs build them through their thread handle (`t.send(...)`, `t.load(...)`, ...), or
themselves: the kernel trusts none of them. Its entry (`entry.decode`) checks every field of
every operation it is handed, and goes on with a fresh operation of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .ids import ThreadId
from .messages import Message

Window = tuple[int, int] | None


@dataclass(frozen=True, slots=True)
class Send:
    """Send `msg` to `dest`; block up to `timeout` cycles for it to receive (None = forever)."""

    dest: ThreadId
    msg: Message
    timeout: int | None
    as_sender: ThreadId | None = None
    kind = "send"


@dataclass(frozen=True, slots=True)
class Receive:
    """Receive from `src` only (a thread or an interrupt id)."""

    src: ThreadId
    timeout: int | None
    window: Window
    kind = "receive"


@dataclass(frozen=True, slots=True)
class Wait:
    """Receive from anyone (an open wait)."""

    timeout: int | None
    window: Window
    kind = "wait"


@dataclass(frozen=True, slots=True)
class Call:
    """Send `msg` to `dest`, then receive its reply; `timeout` covers both phases."""

    dest: ThreadId
    msg: Message
    timeout: int | None
    window: Window
    kind = "call"


@dataclass(frozen=True, slots=True)
class ReplyAndWait:
    """Reply to `dest` with timeout 0, then wait for anyone with `timeout`."""

    dest: ThreadId
    msg: Message
    timeout: int | None
    window: Window
    kind = "reply_and_wait"


@dataclass(frozen=True, slots=True)
class Load:
    """Read the value at virtual `address` of the thread's space."""

    address: int
    kind = "load"


@dataclass(frozen=True, slots=True)
class Store:
    """Write `value` at virtual `address` of the thread's space."""

    address: int
    value: Any
    kind = "store"


@dataclass(frozen=True, slots=True)
class Unmap:
    """Flush (revoke) `rights` of the caller's fpage from every space derived from it."""

    page: int
    rights: str
    order: int
    include_self: bool
    kind = "flush"


Operation = Send | Receive | Wait | Call | ReplyAndWait | Load | Store | Unmap
OPERATIONS = (Send, Receive, Wait, Call, ReplyAndWait, Load, Store, Unmap)

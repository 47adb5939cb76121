"""Messages (what a sender passes to the kernel) and results (what a `yield` returns).

A message has a register part (`words`, "short IPC"), strings copied between spaces ("long IPC")
and map/grant items (fpages). A result is what an IPC operation returns to its caller: the received
message, or `.error` naming why the IPC failed ("timeout", "no_partner", "no_window", ...).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..errors import InvalidArgument
from .fpage import check_order, check_page, check_rights
from .ids import ThreadId

MAX_WORDS = 64
MAX_STRING_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True)
class Item:
    """A map or grant item: the sender's fpage (page, 2**order pages) passed with `rights`.

    `send_base` (in pages) says where in the receiver's window the fpage lands, or which part of
    a larger fpage is passed (L4 X.2; see `fpage.place_item`).
    """

    page: int
    rights: str
    order: int
    grant: bool
    send_base: int = 0

    @property
    def size(self) -> int:
        """Return the number of pages in the item's fpage."""
        return 1 << self.order

    def describe(self) -> str:
        """Return a short text such as 'map page 4 (x4) rw'."""
        verb = "grant" if self.grant else "map"
        many = f" (x{self.size})" if self.order else ""
        base = f" base {self.send_base}" if self.send_base else ""
        return f"{verb} page {self.page}{many} {self.rights}{base}"


@dataclass(frozen=True)
class Message:
    """What a sender sends: words, strings, map/grant items and a label."""

    words: tuple[int, ...] = ()
    strings: tuple[bytes, ...] = ()
    items: tuple[Item, ...] = ()
    label: Any = None
    fault: tuple[int, int, bool] | None = None  # (page, address, write) of a page-fault message

    @property
    def string_bytes(self) -> int:
        """Return the number of string bytes the message carries."""
        return sum(len(s) for s in self.strings)

    @property
    def kind(self) -> str:
        """Return the message's kind for views: 'page_fault', 'grant', 'map', 'strings', 'short'."""
        if self.fault is not None:
            return "page_fault"
        if any(i.grant for i in self.items):
            return "grant"
        if self.items:
            return "map"
        return "strings" if self.strings else "short"

    def describe(self) -> str:
        """Return a one-line summary of the message's content."""
        parts = []
        if self.label is not None:
            parts.append(f"label={self.label!r}")
        if self.words:
            parts.append(f"words={self.words!r}")
        if self.strings:
            parts.append(f"strings={sum(len(s) for s in self.strings)} bytes")
        parts += [i.describe() for i in self.items]
        return ", ".join(parts) or "empty"


@dataclass(frozen=True)
class Result:
    """What an IPC `yield` returns: a received message and/or an error.

    `.error` is None on success. `.sender` is who sent the message (the true sender even when a
    chief redirected it), `.intended` the original destination of a redirected message.
    Page-fault messages also carry `.fault_page`, `.fault_address` and `.write`.
    """

    error: str | None = None
    sender: ThreadId | None = None
    words: tuple[int, ...] = ()
    strings: tuple[bytes, ...] = ()
    label: Any = None
    intended: ThreadId | None = None
    reply_error: str | None = None
    received: tuple[tuple[int, int, str], ...] = ()
    fault_page: int | None = None
    fault_address: int | None = None
    write: bool | None = None
    detail: str = ""

    @property
    def ok(self) -> bool:
        """Return True when the IPC succeeded (no error)."""
        return self.error is None

    @property
    def is_page_fault(self) -> bool:
        """Return True when this is a page-fault message sent by the kernel to a pager."""
        return self.fault_page is not None

    def __str__(self) -> str:
        if self.error and not self.sender:
            return f"<IPC failed: {self.error}{': ' + self.detail if self.detail else ''}>"
        head = f"<message from {self.sender}"
        if self.is_page_fault:
            kind = "write" if self.write else "read"
            return (
                f"{head}: page fault ({kind}) at {self.fault_address:#x}, page {self.fault_page}>"
            )
        body = Message(self.words, self.strings, (), self.label).describe()
        err = f", error {self.error}" if self.error else ""
        return f"{head}: {body}{err}>"


def failure(error: str, detail: str, state: object = None) -> Result:
    """Return a failed IPC result, keeping a pending reply error of reply_and_wait."""
    return Result(error=error, detail=detail, reply_error=getattr(state, "reply_error", None))


def make_message(
    words: object = (),
    strings: object = (),
    map: object = (),  # noqa: A002 - the API's keyword
    grant: object = (),
    label: Any = None,
) -> Message:
    """Return a validated Message; raise InvalidArgument with a fix when an argument is wrong."""
    w = _as_tuple(words, "words")
    if len(w) > MAX_WORDS:
        raise InvalidArgument(f"a message holds at most {MAX_WORDS} words, not {len(w)}")
    if _empty(strings) and _empty(map) and _empty(grant) and all(type(x) is int for x in w):
        return Message(w, (), (), label)  # a short message: words only, all plain ints
    for x in w:
        if not isinstance(x, int) or isinstance(x, bool):
            raise InvalidArgument(
                f"words must be ints (machine words), but {x!r} is a {type(x).__name__}; "
                "send text as strings=(b'...',)"
            )
    s = _as_tuple(strings, "strings")
    for x in s:
        if not isinstance(x, bytes | bytearray):
            raise InvalidArgument(f"strings must be bytes, e.g. b'hello', not {x!r}")
    s = tuple(bytes(x) for x in s)
    if sum(len(x) for x in s) > MAX_STRING_BYTES:
        raise InvalidArgument(f"strings may carry at most {MAX_STRING_BYTES} bytes in all")
    items = tuple(_item(x, False) for x in _as_tuple(map, "map"))
    items += tuple(_item(x, True) for x in _as_tuple(grant, "grant"))
    return Message(w, s, items, label)


def check_window(window: object) -> tuple[int, int] | None:
    """Return a valid receive window (page, order) or None; raise InvalidArgument otherwise."""
    if window is None:
        return None
    if not isinstance(window, tuple | list) or len(window) != 2:
        raise InvalidArgument(
            f"window must be (page, order), e.g. window=(16, 2) for pages 16..19, not {window!r}"
        )
    order = check_order(window[1])
    return (check_page(window[0], order, "window page"), order)


def _empty(value: object) -> bool:
    """Return True for the empty tuple, the default of strings=, map= and grant=."""
    return isinstance(value, tuple) and not value


def _as_tuple(value: object, what: str) -> tuple:
    """Return `value` as a tuple when it is a list or tuple; raise InvalidArgument otherwise."""
    if isinstance(value, tuple | list):
        return tuple(value)
    raise InvalidArgument(f"{what}= takes a tuple or list, e.g. {what}=(...,), not {value!r}")


def _item(value: object, grant: bool) -> Item:
    """Return an Item from (page, rights[, order[, send_base]]); raise InvalidArgument otherwise."""
    what = "grant" if grant else "map"
    if not isinstance(value, tuple | list) or len(value) not in (2, 3, 4):
        raise InvalidArgument(
            f"each {what} item is (page, rights, order) or (page, rights, order, send_base), "
            f"e.g. {what}=[(4, 'rw', 0)], not {value!r}"
        )
    page, rights, *rest = value
    order = check_order(rest[0] if rest else 0)
    base = rest[1] if len(rest) > 1 else 0
    if not isinstance(base, int) or isinstance(base, bool) or base < 0:
        raise InvalidArgument(
            f"a {what} item's send base (its 4th element) must be an int >= 0, in pages: where "
            f"in the receiver's window the fpage lands (e.g. {what}=[(4, 'rw', 0, 2)]), not "
            f"{base!r}"
        )
    page = check_page(page, order, f"{what} item page")
    return Item(page, check_rights(rights), order, grant, base)

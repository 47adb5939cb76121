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
from .values import SCALARS as LABEL_SCALARS
from .values import copy_value, show, show_brief

MAX_WORDS = 64
MAX_STRING_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True, slots=True)
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


@dataclass(frozen=True, slots=True)
class Message:
    """What a sender sends: words, strings, map/grant items and a label."""

    words: tuple[int, ...] = ()
    strings: tuple[bytes, ...] = ()
    items: tuple[Item, ...] = ()
    label: Any = None
    fault: tuple[int, int, bool] | None = None  # (page, address, write) of a page-fault message

    @property
    def fault_page(self) -> int | None:
        """Return the faulting page of a page-fault message, else None."""
        return None if self.fault is None else self.fault[0]

    @property
    def string_bytes(self) -> int:
        """Return the number of string bytes the message carries."""
        return sum(len(s) for s in self.strings)

    @property
    def kind(self) -> str:
        """Return the message's kind for views: 'page_fault', 'grant', 'map', 'strings', 'short'."""
        if self.fault is not None:
            return "page_fault"
        if not self.items:
            return "strings" if self.strings else "short"
        return "grant" if any(i.grant for i in self.items) else "map"

    def describe(self) -> str:
        """Return a one-line summary of the message's content."""
        parts = []
        if self.label is not None:
            parts.append(f"label={show(self.label)}")
        if self.words:
            parts.append(f"words={self.words!r}")
        if self.strings:
            parts.append(f"strings={sum(len(s) for s in self.strings)} bytes")
        parts += [i.describe() for i in self.items]
        return ", ".join(parts) or "empty"


@dataclass(slots=True, unsafe_hash=True)  # one a step: built without frozen's cost
class Result:
    """What an IPC `yield` returns: a received message and/or an error (the program's own
    copy: the kernel keeps no reference to it once the program has it).

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
    """Return a Message built from the API's forms (lists become tuples, item tuples Items,
    buffers bytes); checks nothing: the kernel's entry checks every field (`check_message`)."""
    if type(words) is tuple and strings == () and map == () and grant == ():
        return Message(words, (), (), label)  # a short message, as most are
    strings = _tuple(strings)
    if type(strings) is tuple:  # a buffer is copied now: changing it afterwards changes nothing
        strings = tuple(bytes(x) if type(x) is bytearray else x for x in strings)
    return Message(_tuple(words), strings, _items(map, False) + _items(grant, True), label)


def check_message(msg: object) -> Message:
    """Return `msg` checked field by field, as a Message of the kernel's own (strings as bytes,
    the label copied); raise InvalidArgument with a fix when a field is wrong."""
    if type(msg) is not Message:
        raise InvalidArgument(f"an operation's message must be a Message, not {show_brief(msg)}")
    words, strings, items, label = msg.words, msg.strings, msg.items, msg.label
    if msg.fault is not None:
        raise InvalidArgument("only the kernel sends page-fault messages: fault= must be None")
    if type(words) is not tuple:
        raise InvalidArgument(
            f"words= takes a tuple or list, e.g. words=(...,), not {show_brief(words)}"
        )
    if len(words) > MAX_WORDS:
        raise InvalidArgument(f"a message holds at most {MAX_WORDS} words, not {len(words)}")
    for x in words:
        if type(x) is not int:
            raise InvalidArgument(
                f"words must be ints (machine words), but {show_brief(x)} is a "
                f"{type(x).__name__}; send text as strings=(b'...',)"
            )
    if type(label) not in LABEL_SCALARS:
        label = copy_value(label, "label")
    if type(strings) is not tuple:
        raise InvalidArgument(
            f"strings= takes a tuple or list, e.g. strings=(b'...',), not {show_brief(strings)}"
        )
    if type(items) is not tuple:
        raise InvalidArgument(
            f"map= and grant= take a tuple or list of items, not {show_brief(items)}"
        )
    if not strings and not items:
        return msg if label is msg.label else Message(words, (), (), label)
    for x in strings:
        if type(x) is not bytes and type(x) is not bytearray:
            raise InvalidArgument(f"strings must be bytes, e.g. b'hello', not {show_brief(x)}")
    strings = tuple(bytes(x) for x in strings)
    if sum(len(x) for x in strings) > MAX_STRING_BYTES:
        raise InvalidArgument(f"strings may carry at most {MAX_STRING_BYTES} bytes in all")
    return Message(words, strings, tuple(check_item(i) for i in items), label)


def check_item(item: object) -> Item:
    """Return map or grant item `item` when each of its fields is valid; raise otherwise."""
    if type(item) is not Item:
        raise InvalidArgument(
            "each map or grant item is (page, rights, order) or (page, rights, order, send_base), "
            f"e.g. map=[(4, 'rw', 0)], not {show_brief(item)}"
        )
    if type(item.grant) is not bool:
        raise InvalidArgument(f"an item's grant flag must be True or False, not {item.grant!r}")
    what = "grant" if item.grant else "map"
    order = check_order(item.order)
    base = item.send_base
    if type(base) is not int or base < 0:
        raise InvalidArgument(
            f"a {what} item's send base (its 4th element) must be an int >= 0, in pages: where "
            f"in the receiver's window the fpage lands (e.g. {what}=[(4, 'rw', 0, 2)]), not "
            f"{show_brief(base)}"
        )
    check_page(item.page, order, f"{what} item page")
    check_rights(item.rights)
    return item


def check_window(window: object) -> tuple[int, int] | None:
    """Return a valid receive window (page, order) or None; raise InvalidArgument otherwise."""
    if window is None:
        return None
    if type(window) not in (tuple, list) or len(window) != 2:  # type: ignore[arg-type]
        raise InvalidArgument(
            "window must be (page, order), e.g. window=(16, 2) for pages 16..19, "
            f"not {show_brief(window)}"
        )
    order = check_order(window[1])
    return (check_page(window[0], order, "window page"), order)


def _tuple(value: object) -> object:
    """Return a list or tuple as a tuple; anything else as it is (the kernel refuses it)."""
    return tuple(value) if isinstance(value, tuple | list) else value


def _items(value: object, grant: bool) -> tuple:
    """Return map or grant items from (page, rights[, order[, send_base]]) forms; a value of
    another shape is kept as it is, for the kernel to refuse."""
    if not isinstance(value, tuple | list):
        return (value,)
    return tuple(
        Item(x[0], x[1], x[2] if len(x) > 2 else 0, grant, x[3] if len(x) > 3 else 0)
        if isinstance(x, tuple | list) and len(x) in (2, 3, 4)
        else x
        for x in value
    )

"""State deltas: the smallest changes the kernel makes, recorded so any state can be rebuilt.

Every mutation of kernel state goes through a primitive that appends one of these records to the
journal. Applying the deltas of steps 0..n to an empty state rebuilds the state after step n; a
delta also carries what it replaced, so it can be undone (stepping back).
Keys are (space name, page); thread ids are shown as strings.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from .values import show

Key = tuple[str, int]


@dataclass(frozen=True)
class SpaceCreated:
    """A new address space `name` with id `space_id`, in the clan of `chief` (or none)."""

    space_id: int
    name: str
    chief: str | None


@dataclass(frozen=True)
class Mapped:
    """A mapping node (space, page) -> frame with `rights` was inserted below `parent`."""

    space: str
    page: int
    frame: int
    rights: str
    parent: Key | None


@dataclass(frozen=True)
class Unmapped:
    """A leaf mapping node was removed (it had no children at that moment)."""

    space: str
    page: int
    frame: int
    rights: str
    parent: Key | None


@dataclass(frozen=True)
class RightsChanged:
    """A mapping's rights changed from `old` to `new` (only ever narrowed by the kernel)."""

    space: str
    page: int
    old: str
    new: str


@dataclass(frozen=True)
class Moved:
    """A node was rewritten in place by grant: (old_space, old_page) became (space, page)."""

    old_space: str
    old_page: int
    space: str
    page: int
    old_rights: str
    rights: str


@dataclass(frozen=True)
class ThreadState:
    """Thread `thread` (its id as 'task.number.version', in `space`, named `name`) went from
    state `before` to state `after`: the states' fields (a thread state variant as the trace
    keeps it, `Thread.state.fields()`), described when read as `old` and `new`.

    `before` is None when the thread was created by this change (`old` is then "").
    """

    thread: str
    space: str
    name: str
    before: Any
    after: Any

    @property
    def old(self) -> str:
        """Return the state before, in words ("" when the change created the thread)."""
        return "" if self.before is None else self.before.describe()

    @property
    def new(self) -> str:
        """Return the state after, in words ("" when undoing the thread's creation)."""
        return "" if self.after is None else self.after.describe()


@dataclass(frozen=True)
class MemoryWritten:
    """The byte at physical `address` changed from `old` to `new`."""

    address: int
    old: Any
    new: Any


Delta = SpaceCreated | Mapped | Unmapped | RightsChanged | Moved | ThreadState | MemoryWritten


def delta_to_dict(delta: Delta) -> dict[str, Any]:
    """Return a JSON-ready dict of `delta` with its type under the key 'delta'."""
    out = {"delta": type(delta).__name__}
    if isinstance(delta, ThreadState):  # its states described, as the trace has always read
        out.update(thread=delta.thread, space=delta.space, name=delta.name, old=delta.old,
                   new=delta.new)  # fmt: skip
        return out
    out.update(asdict(delta))
    if isinstance(delta, MemoryWritten):
        out["old"], out["new"] = _json_value(delta.old), _json_value(delta.new)
    return out


def _json_value(value: Any) -> Any:
    """Return `value` unchanged when JSON can hold it, else its repr."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return show(value)

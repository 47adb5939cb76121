"""Values a program hands the kernel (stored in memory, or a message's label): copied, and shown
the same way in every process.

A value is plain data: None, a bool, number, str or bytes, a thread id, or a tuple, list, dict,
set or frozenset of plain data. The kernel keeps a copy of its own (`copy_value`), so a program
that changes a list after storing it, or after loading it, changes nothing in memory; and it
shows a value with `show`, which writes a set's elements in sorted order, so no output depends
on hashing (PYTHONHASHSEED) or on object ids.
"""

from __future__ import annotations

from typing import Any

from ..errors import InvalidArgument
from .ids import ThreadId

SCALARS = (type(None), bool, int, float, complex, str, bytes, ThreadId)
CONTAINERS = (tuple, list, dict, set, frozenset)
MAX_DEPTH = 50


def copy_value(value: Any, what: str = "value", depth: int = 0) -> Any:
    """Return a copy of plain-data `value` that shares nothing mutable with it; raise
    InvalidArgument for anything else (an object of a class, a generator, a bytearray...)."""
    kind = type(value)
    if kind in SCALARS:
        return value
    if depth >= MAX_DEPTH or kind not in CONTAINERS:
        raise InvalidArgument(
            f"a {what} must be plain data (None, a bool, number, str, bytes or thread id, or a "
            f"tuple, list, dict or set of them, nested less than {MAX_DEPTH} deep), "
            f"not {show_brief(value)}"
        )
    depth += 1
    if kind is dict:
        return {copy_value(k, what, depth): copy_value(v, what, depth) for k, v in value.items()}
    return kind(copy_value(v, what, depth) for v in value)


def show(value: Any) -> str:
    """Return `value`'s repr, with the elements of every set in sorted order (deterministic);
    an object that is not plain data shows as its type (its repr may hold an object id)."""
    kind = type(value)
    if kind is tuple:
        inner = ", ".join(show(v) for v in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    if kind is list:
        return "[" + ", ".join(show(v) for v in value) + "]"
    if kind is dict:
        return "{" + ", ".join(f"{show(k)}: {show(v)}" for k, v in value.items()) + "}"
    if kind is set or kind is frozenset:
        if not value:
            return f"{kind.__name__}()"
        inner = "{" + ", ".join(sorted(show(v) for v in value)) + "}"
        return inner if kind is set else f"frozenset({inner})"
    return repr(value) if kind in SCALARS else f"<a {kind.__name__}>"


def show_brief(value: object) -> str:
    """Return `value` shown for an error message: plain data as `show` writes it (cut to 80
    characters), anything else by its type (its repr may hold an object id, or raise)."""
    if type(value) in SCALARS or type(value) in (tuple, list, dict, set, frozenset):
        try:
            text = show(value)
        except RecursionError:
            return f"a {type(value).__name__}"
        return text if len(text) <= 80 else text[:77] + "..."
    return f"a {type(value).__name__}"

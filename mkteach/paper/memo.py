"""Workload results remembered for the rest of the process: `@remembered` on a workload.

A workload (workloads.py) is deterministic: what it measures depends only on the machine it
runs on (the profile, with this run's parameter overrides), the overrides and its arguments. So
its result is kept under exactly those, and asked again it is handed back, not re-measured: the
claims table, a chapter's own figures and an exercise's checks measure each workload once.

Every call returns a fresh deep copy of the kept result, so a caller that changes what it got
changes nothing for the next caller. Arguments that cannot be keyed (anything unhashable once
lists, sets and dicts are frozen) are measured every time, as before.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable
from typing import Any, TypeVar

from ..hw.profiles import profile

Workload = TypeVar("Workload", bound=Callable[..., Any])
KEPT = 1024  # results kept per workload; the oldest goes first (a parameter sweep stays bounded)


def frozen(value: object) -> object:
    """Return `value` as a hashable key: dicts, lists, tuples and sets frozen all the way down."""
    if isinstance(value, dict):
        return ("dict", tuple(sorted((repr(k), frozen(v)) for k, v in value.items())))
    if isinstance(value, list | tuple):
        return (type(value).__name__, tuple(frozen(v) for v in value))
    if isinstance(value, set | frozenset):
        return ("set", frozenset(frozen(v) for v in value))
    hash(value)  # raises TypeError for what cannot be a key
    return (type(value).__name__, value)


def remembered(workload: Workload) -> Workload:
    """Return `workload` remembering its results by machine profile, overrides and arguments.

    The workload's first two parameters are the machine's name and the overrides, and it reads
    only that machine's overrides (as every workload of workloads.py does: `machine(name,
    overrides)`). The key holds the profile they resolve to (every parameter, with its type), so
    "486" and "i486" share results, as do an override to a parameter's default value and none,
    overrides of other machines do not matter, and a changed profile table is not answered
    from a stale result.
    `workload.forget()` empties the kept results; `workload.__wrapped__` always measures.
    """
    kept: dict[object, Any] = {}

    @functools.wraps(workload)
    def measure(name: str, overrides: dict, *args: Any, **kwargs: Any) -> Any:
        """Return a copy of what `workload` measures with these arguments (once per key)."""
        try:
            machine = repr(profile(name, **overrides.get(name, {})))  # 1 and 1.0 differ here
            key = (machine, frozen(args), frozen(kwargs))
            hash(key)
        except Exception:  # not keyable, or bad input: the workload says what is wrong
            return workload(name, overrides, *args, **kwargs)
        if key not in kept:
            result = workload(name, overrides, *args, **kwargs)
            if len(kept) >= KEPT:
                del kept[next(iter(kept))]
            kept[key] = result
        return copy.deepcopy(kept[key])

    measure.forget = kept.clear  # type: ignore[attr-defined]
    return measure  # type: ignore[return-value]

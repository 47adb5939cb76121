"""Calling a student's mechanism safely: an exception, a hang or a strange answer is a failure.

    outcome = call(fn, args)       # -> Outcome(value=..., problem="")  or  Outcome(problem="...")

The call runs under a line budget and a wall-clock budget, both counted by a trace function
(`sys.settrace`): pure Python, so it works in JupyterLite too, where there are no signals. The
budgets end a loop that never returns with a `BudgetExceeded`, a BaseException, so a student's
own `except Exception` cannot swallow it. The answer is copied as plain data (ints, strings,
tuples, lists, dicts), so nothing the mechanism keeps can change it afterwards.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

LINES = 200_000  # Python lines one call may run
SECONDS = 2.0  # wall-clock time one call may take
PLAIN = (int, str, bool, type(None))


class BudgetExceeded(BaseException):
    """Raised inside a mechanism that ran past its line or time budget."""


@dataclass(frozen=True)
class Outcome:
    """What one call of a mechanism gave: its answer as plain data, or the problem."""

    value: Any = None
    problem: str = ""


def call(fn: Callable[..., Any], args: tuple, lines: int = LINES, seconds: float = SECONDS,
         copy: Callable[[Any], Any] | None = None) -> Outcome:  # fmt: skip
    """Return the Outcome of `fn(*args)` within the budgets, its answer copied by `copy`
    (`plain` unless given; it raises ValueError for what is not an answer); never raise for
    what fn does."""
    if not callable(fn):
        return Outcome(problem=f"{fn!r} is not a function")
    sandboxed = getattr(fn, "lab_outcome", None)
    if sandboxed is not None:  # runs elsewhere, with budgets of its own (lab.grade)
        return sandboxed(args)
    left = [lines]
    deadline = time.monotonic() + seconds

    def tracer(frame: Any, event: str, arg: Any) -> Any:
        left[0] -= 1
        if left[0] < 0 or (left[0] % 1000 == 0 and time.monotonic() > deadline):
            raise BudgetExceeded()
        return tracer

    old = sys.gettrace()
    sys.settrace(tracer)
    try:
        value = fn(*args)
    except BudgetExceeded:
        return Outcome(
            problem=f"it did not return within {lines:,} lines or {seconds:g} s "
            "(a loop that never ends?)"
        )
    except RecursionError:
        return Outcome(problem="it recursed too deeply (RecursionError)")
    except Exception as e:  # the student's code may raise anything
        return Outcome(problem=f"it raised {type(e).__name__}: {e}".splitlines()[0][:300])
    finally:
        sys.settrace(old)
    try:
        return Outcome(value=(copy or plain)(value))
    except ValueError as e:
        return Outcome(problem=f"it returned {value!r:.80}, which is not plain data ({e})")


def plain(value: Any, depth: int = 0) -> Any:
    """Return a deep copy of `value` made of ints, strings, bools, None, tuples, lists and
    dicts; raise ValueError for anything else (floats included: machine words are ints)."""
    if depth > 12:
        raise ValueError("nested too deeply")
    if type(value) in PLAIN:
        return value
    if type(value) in (list, tuple):
        items = [plain(v, depth + 1) for v in value]
        return items if type(value) is list else tuple(items)
    if type(value) is dict:
        return {plain(k, depth + 1): plain(v, depth + 1) for k, v in value.items()}
    raise ValueError(f"a {type(value).__name__} is not a machine word, string, list or tuple")

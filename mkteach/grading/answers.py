"""Checks of short answers: a value, a choice, and a cost computed by hand.

Each compares the student's answer with the model's answer computed when the check runs (pass a
function, not a number you worked out), gives partial credit where an answer is on the right
track, and says what was left out or mixed up.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Iterable, Mapping
from itertools import combinations
from typing import Any

from .feedback import Feedback, check_failed, finish

CAUSES: dict[str, str] = {
    "trap": "the trap (entering and leaving the kernel)",
    "instructions": "the kernel's instructions",
    "tlb_miss": "the TLB refill (TLB misses)",
    "cache_miss": "the cache misses",
    "as_switch": "the address-space switch",
    "small_space": "the small-space extra cost",
    "memory": "the user's memory accesses",
    "copy": "the string copy",
    "idle": "the idle time",
}


def now_value(value: Any) -> Any:
    """Return value() for a function (the model's answer, computed now), else the value."""
    return value() if callable(value) else value


def unanswered(answer: object) -> bool:
    """Return True for an answer still at its placeholder (None, ..., NotImplemented)."""
    return answer is None or answer is Ellipsis or answer is NotImplemented


def as_number(value: object) -> float | None:
    """Return `value` as a float when it is a real number (not a bool), else None."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def close(a: float, b: float, tolerance: float) -> bool:
    """Return True when a is within the relative `tolerance` of b (absolute 1e-9 near zero)."""
    return abs(a - b) <= max(tolerance * abs(b), 1e-9)


# -- check_value ----------------------------------------------------------------------------


def check_value(
    answer: object,
    expected: Any,
    *,
    tolerance: float = 0.0,
    points: float = 1.0,
    wrong: Mapping[Any, str] | Iterable[tuple[Any, str]] | None = None,
    unit: str = "",
    title: str = "",
) -> Feedback:
    """Return feedback on a short answer compared with `expected` (a value or a function).

    Numbers agree within the relative `tolerance`; strings ignoring case and surrounding space.
    `wrong` names answers that reveal a misconception, as {value: message} or pairs whose value
    may be a function (computed now, like `expected`); such answers get the message.
    """
    try:
        return _check_value(answer, expected, tolerance, points, wrong, unit, title)
    except Exception as e:  # a check never raises at the student
        return check_failed(e, points, title)


def _check_value(
    answer: object,
    expected: Any,
    tolerance: float,
    points: float,
    wrong: Mapping[Any, str] | Iterable[tuple[Any, str]] | None,
    unit: str,
    title: str,
) -> Feedback:
    """Score one value; see check_value."""
    if unanswered(answer):
        return finish(0, points, ["no answer yet"], title)
    target = now_value(expected)
    answer, note = _text_number(answer, target)
    if _equal(answer, target, tolerance):
        return finish(points, points, ["right" + note], title)
    pairs = wrong.items() if isinstance(wrong, Mapping) else (wrong or ())
    for value, message in pairs:
        if _equal(answer, now_value(value), tolerance):
            return finish(0, points, [message + note], title)
    hint = _direction(answer, target, unit)
    return finish(0, points, [f"not what the model says{hint}{note}"], title)


def _text_number(answer: object, target: object) -> tuple[object, str]:
    """Return (the answer as a number when it is a number written as text and a number is
    asked for, a note saying so), else (the answer, '')."""
    if not isinstance(answer, str) or as_number(now_value(target)) is None:
        return answer, ""
    try:
        value = float(answer.strip().replace("_", "").replace(",", ""))
    except ValueError:
        return answer, f" (a number is asked for, not the text {answer!r})"
    number = int(value) if value.is_integer() else value
    return (
        number,
        f" (your text {answer!r} was read as the number {number}: write numbers without quotes)",
    )


def _equal(answer: object, target: object, tolerance: float) -> bool:
    """Return True when the answer matches the target (numbers within tolerance)."""
    a, t = as_number(answer), as_number(target)
    if a is not None and t is not None:
        return close(a, t, tolerance)
    if isinstance(answer, str) and isinstance(target, str):
        return answer.strip().lower() == target.strip().lower()
    return answer == target


def _direction(answer: object, target: object, unit: str) -> str:
    """Return ': too high' / ': too low' for numbers (with the unit asked for), else ''."""
    a, t = as_number(answer), as_number(target)
    if a is None or t is None:
        return ""
    where = "too high" if a > t else "too low"
    return f": {where}" + (f" (the answer is in {unit})" if unit else "")


# -- check_choice ---------------------------------------------------------------------------


def check_choice(
    answer: object,
    correct: str | Collection[str],
    *,
    choices: Mapping[str, str] | Iterable[str],
    points: float = 1.0,
    explain: Mapping[str, str] | None = None,
    title: str = "",
) -> Feedback:
    """Return feedback on a multiple-choice answer (one key, or a set of keys when `correct` is
    a collection: then each right pick earns and each wrong pick costs a share).

    `explain` says, for a wrong choice, which misconception it reveals.
    """
    try:
        return _check_choice(answer, correct, choices, points, explain or {}, title)
    except Exception as e:  # a check never raises at the student
        return check_failed(e, points, title)


def _check_choice(
    answer: object,
    correct: str | Collection[str],
    choices: Mapping[str, str] | Iterable[str],
    points: float,
    explain: Mapping[str, str],
    title: str,
) -> Feedback:
    """Score a choice; see check_choice."""
    keys = list(choices)
    if unanswered(answer):
        return finish(0, points, ["no answer yet"], title)
    many = not isinstance(correct, str)
    right = set(correct) if many else {correct}  # type: ignore[arg-type]
    picked = {answer} if isinstance(answer, str) else set(answer) if _iterable(answer) else None
    if picked is None or not all(isinstance(p, str) for p in picked):
        return finish(
            0, points, [f"answer with one of {keys}" + (" (a set)" if many else "")], title
        )
    picked = {p.strip() for p in picked}
    if not picked:
        return finish(0, points, ["no answer yet"], title)
    unknown = sorted(picked - set(keys))
    if unknown:
        return finish(0, points, [f"{unknown} not among the choices {keys}"], title)
    if not many and len(picked) > 1:
        return finish(0, points, ["pick one choice"], title)
    messages = [explain[p] for p in sorted(picked - right) if p in explain]
    hits, misses = len(picked & right), len(picked - right)
    credit = max(0.0, (hits - misses) / len(right))
    if credit >= 1:
        messages.insert(0, "right")
    elif many and hits:
        left = len(right) - hits
        messages.append(f"{hits} right pick{'s' * (hits > 1)}; {left} right choice(s) not picked")
    elif not messages:
        messages.append("not this one")
    return finish(points * credit, points, messages, title)


def _iterable(value: object) -> bool:
    """Return True for a list, tuple or set."""
    return isinstance(value, list | tuple | set | frozenset)


# -- check_cost -----------------------------------------------------------------------------


def check_cost(
    student_value: object,
    model_value_fn: Callable[[], Any] | Any,
    tolerance: float = 0.02,
    *,
    points: float = 1.0,
    unit: str = "cycles",
    clock_mhz: float | None = None,
    title: str = "",
) -> Feedback:
    """Return feedback on a cost computed by hand, compared with the model's, with hints.

    `model_value_fn()` returns the model's cost: a number, or better {cause: cycles} (as in a
    trace event's `.costs`), which lets the hints say what was left out ("you counted the trap
    but not the TLB refill") or counted twice. With `clock_mhz`, a time given in the wrong unit
    is recognised. Full marks within the relative `tolerance`; half for a sum that leaves out
    or doubles a part; a quarter for a near miss or a factor of two.
    """
    try:
        return _check_cost(student_value, model_value_fn, tolerance, points, unit, clock_mhz, title)
    except Exception as e:  # a check never raises at the student
        return check_failed(e, points, title)


def _check_cost(
    answer: object,
    model: Any,
    tolerance: float,
    points: float,
    unit: str,
    clock_mhz: float | None,
    title: str,
) -> Feedback:
    """Score a cost; see check_cost."""
    if unanswered(answer):
        return finish(0, points, ["no answer yet"], title)
    value = as_number(answer)
    if value is None:
        return finish(0, points, [f"expected a number of {unit}, not {answer!r}"], title)
    parts = _parts(now_value(model))
    total = float(sum(parts.values()))
    if close(value, total, tolerance):
        return finish(points, points, [f"right: {_breakdown(parts, unit)}"], title)
    credit, message = _diagnose(value, parts, total, tolerance, unit, clock_mhz)
    return finish(points * credit, points, [message], title)


def _parts(model: Any) -> dict[str, float]:
    """Return the model's cost by cause ({"total": n} when it is a plain number)."""
    if isinstance(model, Mapping):
        return {str(k): float(v) for k, v in model.items() if v}
    if isinstance(model, Iterable) and not isinstance(model, str):
        return {str(k): float(v) for k, v in model if v}
    number = as_number(model)
    if number is None:
        raise TypeError(f"the model's cost must be a number or {{cause: cycles}}, not {model!r}")
    return {"total": number}


def _breakdown(parts: Mapping[str, float], unit: str) -> str:
    """Return 'trap 107 + instructions 87 + ... = 244 cycles'."""
    terms = " + ".join(f"{_cause(k)} {v:g}" for k, v in parts.items())
    total = sum(parts.values())
    return f"{terms} = {total:g} {unit}" if len(parts) > 1 else f"{total:g} {unit}"


def _cause(name: str) -> str:
    """Return a cause's short name for breakdowns."""
    return name.replace("_", " ")


def _diagnose(
    value: float,
    parts: dict[str, float],
    total: float,
    tolerance: float,
    unit: str,
    clock_mhz: float | None,
) -> tuple[float, str]:
    """Return (credit, hint) for a cost that does not match the model's."""
    subset = _explaining_subset(value, parts, tolerance)
    if subset is not None:
        counted = [CAUSES.get(k, _cause(k)) for k in parts if k in subset]
        # name what is missing, never its amount: the student works that out
        left = [CAUSES.get(k, _cause(k)) for k in parts if k not in subset]
        return 0.5, f"you counted {_and(counted)} but not {_and(left)}"
    for name, cycles in parts.items():
        if len(parts) > 1 and close(value, total + cycles, tolerance):
            return 0.5, f"you counted {CAUSES.get(name, _cause(name))} twice"
    if clock_mhz and close(value, total / clock_mhz, tolerance):
        return 0.5, f"that is the time in µs: the question asks for {unit}"
    if clock_mhz and close(value, total * clock_mhz, tolerance):
        return 0.5, f"that looks like cycles: the question asks for {unit}"
    for factor, what in ((2, "twice"), (0.5, "half")):
        if close(value, total * factor, tolerance):
            return 0.25, (
                f"your value is {what} the model's: did you count one direction where there are "
                "two (or the other way round)?"
            )
    if close(value, total, 3 * tolerance):
        return 0.25, "close, but not within the tolerance: check your arithmetic"
    where = "higher" if value > total else "lower"
    return 0.0, f"{where} than the model's cost: list the parts of the path and what each costs"


def _explaining_subset(value: float, parts: dict[str, float], tolerance: float) -> set | None:
    """Return the largest proper, non-empty set of causes whose sum matches `value`, or None."""
    names = list(parts)
    if len(names) < 2 or len(names) > 12:
        return None
    for size in range(len(names) - 1, 0, -1):
        for combo in combinations(names, size):
            if close(value, sum(parts[k] for k in combo), tolerance):
                return set(combo)
    return None


def _and(items: list[str]) -> str:
    """Return 'a', 'a and b' or 'a, b and c'."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def event_costs(event: Any) -> dict[str, int]:
    """Return a trace event's cost by cause, as {cause: cycles}."""
    return dict(event.costs)


def check_hand_cost(
    answer: object,
    model: Callable[[], Any] | Any,
    tolerance: float = 0.02,
    *,
    wrong: Iterable[tuple[Any, str]] = (),
    points: float = 1.0,
    unit: str = "cycles",
    clock_mhz: float | None = None,
    title: str = "",
) -> Feedback:
    """Return check_cost's feedback on a cost computed by hand, after first recognising answers
    that reveal a misconception: `wrong` lists (value or function, message) pairs; an answer
    that matches one (and not the model's cost) earns nothing and gets that message."""
    try:
        if not unanswered(answer) and as_number(answer) is not None:
            value = float(answer)  # type: ignore[arg-type]
            parts = now_value(model)
            total = float(sum(parts.values()) if isinstance(parts, Mapping) else parts)
            if not close(value, total, tolerance):
                for candidate, message in wrong:
                    target = as_number(now_value(candidate))
                    if target is not None and close(value, target, tolerance):
                        return finish(0, points, [message], title)
            return check_cost(
                answer, parts, tolerance, points=points, unit=unit, clock_mhz=clock_mhz,
                title=title,
            )  # fmt: skip
        return check_cost(
            answer, model, tolerance, points=points, unit=unit, clock_mhz=clock_mhz, title=title
        )
    except Exception as e:  # a check never raises at the student
        return check_failed(e, points, title)


class Answered:
    """What a graded question's visible test cell shows: which answers are filled in, and of
    what kind; never whether they are right (graded questions are checked when handed in)."""

    def __init__(self, answers: Mapping[str, object]) -> None:
        self.lines = [f"{name}: {_kind(value)}" for name, value in answers.items()]

    def __str__(self) -> str:
        done = all(not line.endswith("not answered yet") for line in self.lines)
        head = "ready to hand in" if done else "not all answered yet"
        tail = "graded when you hand it in (this cell does not say whether it is right)"
        return "\n".join([f"{head}; {tail}", *[f"  - {line}" for line in self.lines]])

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """Show the readable text in IPython."""
        printer.text(str(self))


def _kind(value: object) -> str:
    """Return a few words on an answer's kind: 'a dict of 3 entries', 'not answered yet'..."""
    if unanswered(value):
        return "not answered yet"
    if callable(value):
        return f"a function {getattr(value, '__name__', '')}".rstrip()
    try:
        n = len(value) if isinstance(value, dict | list | set | tuple) else None
        size = "" if n is None else f" of {n} {'entry' if n == 1 else 'entries'}"
    except Exception:
        size = ""
    return f"a {type(value).__name__}{size}"


def answered(**answers: object) -> Answered:
    """Return the visible part of a graded question's test cell: what is answered (never raises)."""
    return Answered(answers)


def paper_beliefs(*claim_ids: str) -> list[tuple[float, str]]:
    """Return (value, message) pairs naming the paper's own numbers for the claims `claim_ids`
    (each end of a range too): an answer that gives one where the model's is asked for is
    recognised as that misconception."""
    from .. import paper

    claims = {c.id: c for c in paper.claims()}
    out: list[tuple[float, str]] = []
    for claim_id in claim_ids:
        claim = claims[claim_id]
        values = claim.paper if isinstance(claim.paper, tuple) else (claim.paper,)
        for value in values:
            out.append(
                (
                    value,
                    f"{value:g} {claim.unit} is the paper's number (§{claim.section}, for the "
                    "real machine): the question asks for the model's, with your machine's "
                    "parameters",
                )
            )
    return out

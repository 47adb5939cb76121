"""Kernel labs: write a µ-kernel mechanism, check it at once, and watch the kernel run it.

    from mkteach import lab
    lab.LABS                                  # {name: one-line description}
    report = lab.check("mapdb_flush", my_flush)
    report.passed, report.failures, report.cycles
    s = System(..., mechanisms={"mapdb_flush": my_flush})   # any run, with your mechanism

Each lab is a mechanism of the paper that the model's own source does not contain in that form:
- "mapdb_flush": flush over the mapping database stored flat, in pre-order with depths (Fiasco,
  seL4); the model keeps explicit tree nodes (`flush.py`);
- "small_spaces": the policy that places spaces in small-space slots and promotes them when
  they grow; the model only has a flag per space (`spaces.py`);
- "temporary_mapping": long IPC copied once through a window mapped for the copy; the model
  charges one copy without saying how (`window.py`).
A mechanism is a plain function of plain data (ints, strings, tuples, lists, dicts), so a
grader can run it in a sandbox and compare what comes out. The kernel calls it through one
indirection each, checks every answer (an illegal one, an exception or a hang is refused and
recorded in `s.mechanisms.failures`, and the kernel's own mechanism is used), so a wrong
mechanism never corrupts the model.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

from . import flush, spaces, window
from .core import Incident, Installed, MechanismRefused, Report
from .hooks import install

LABS: dict[str, str] = {
    "mapdb_flush": "flush a page over a mapping database stored in pre-order with depths "
    "(as Fiasco and seL4 do): remove or write-protect exactly the derived mappings",
    "small_spaces": "place address spaces in small-space slots (no TLB flush on a switch) and "
    "promote a space that outgrows its slot: a policy judged on cycles",
    "temporary_mapping": "copy a long message once, through a window temporarily mapped onto "
    "the receiver's buffer, flushing the window's stale TLB entries",
}
MODULES = {"mapdb_flush": flush, "small_spaces": spaces, "temporary_mapping": window}
SIGNATURES = {name: module.SIGNATURE for name, module in MODULES.items()}
REFERENCES: dict[str, Callable[..., Any]] = {
    "mapdb_flush": flush.flush_preorder,
    "small_spaces": spaces.small_spaces,
    "temporary_mapping": window.temporary_mapping,
}
SPEED = {"small_spaces", "temporary_mapping"}  # judged on cycles against the reference
VISIBLE = (0, 1, 2)  # the scenarios a student sees (lab.scenario(name, seed))
HIDDEN = 3  # seeded scenarios a check adds, from its `seed`
TOLERANCE = 0.01  # a speed lab passes within 1 % of the reference's cycles

__all__ = ["LABS", "SIGNATURES", "Installed", "Report", "check", "install", "reference",
           "scenario"]  # fmt: skip


def _lab(name: object) -> Any:
    """Return the module of lab `name`; raise KeyError naming the labs when unknown."""
    if name not in MODULES:
        raise KeyError(f"unknown lab {name!r}: the labs are {', '.join(LABS)}")
    return MODULES[name]  # type: ignore[index]


def reference(name: str) -> Callable[..., Any]:
    """Return the kernel's own mechanism of lab `name` (what a check compares with)."""
    _lab(name)
    return REFERENCES[name]


def build(module: Any, seed: int, mechanisms: dict | None) -> Any:
    """Return a new System of a lab module's scenario `seed`, with `mechanisms` installed (the
    lab modules never import System themselves: System installs them, see `hooks`)."""
    from ..system import System

    return module.build(seed, mechanisms, System)


def scenario(name: str, seed: int = 0, mechanism: Callable[..., Any] | None = None) -> Any:
    """Return the System of lab `name`'s scenario `seed`, run, with `mechanism` installed (or
    the kernel's own when None): what a check runs, to look at with the dashboard."""
    module = _lab(name)
    mechanisms = None if mechanism is None else {name: mechanism}
    if name == "mapdb_flush":
        s = build(module, seed, mechanisms)
        module.run(s, seed)
        return s
    return build(module, seed, mechanisms)


def seeds(seed: int, hidden: int = HIDDEN) -> list[int]:
    """Return the scenario seeds of a check: the visible ones, then `hidden` derived from `seed`."""
    from ..grading.instances import seed_of

    return [*VISIBLE, *(seed_of(seed, f"lab-{i}") % 1_000_000 + 1000 for i in range(hidden))]


def check(name: str, fn: Callable[..., Any], seed: int = 0, hidden: int = HIDDEN) -> Report:
    """Return the Report of running lab `name`'s scenarios with `fn` as the mechanism: the
    visible scenarios and `hidden` more seeded from `seed`. It stops at the first scenario that
    fails and says what differed, at which step, and how to reproduce it; speed labs also
    compare the cycles with the reference's. It never raises for anything `fn` does."""
    return run_check(name, fn, seeds(seed, hidden))


def run_check(name: str, fn: Callable[..., Any], chosen: list[int]) -> Report:
    """Return the Report of lab `name` on the scenarios `chosen` (see `check`)."""
    _lab(name)
    report = Report(name, cycles={"reference": 0, "yours": 0} if name in SPEED else None)
    borrowed = borrowed_names(fn)
    if borrowed:
        report.fail(
            f"your mechanism uses {', '.join(borrowed)} from the mkteach package: write it with "
            "the standard library only (when it is graded it runs where mkteach is not there)"
        )
        return report
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MechanismRefused)  # the report says it all
        _run_scenarios(name, fn, chosen, report)
    return report


def _run_scenarios(name: str, fn: Callable[..., Any], chosen: list[int], report: Report) -> None:
    """Run the scenarios `chosen` into `report`, stopping at the first that fails."""
    for n in chosen:
        report.scenarios += 1
        which = f"scenario {n}" if n in VISIBLE else f"a hidden scenario (seed {n})"
        if name == "mapdb_flush":
            problem = _check_flush(fn, n)
        else:
            problem = _check_speed(name, fn, n, report)
        if problem:
            report.fail(f"{which}: {problem}")
            break


def borrowed_names(fn: Any) -> list[str]:
    """Return the global names `fn` (or a function it calls from its own module) uses that are
    mkteach's: the module itself or something defined in it."""
    import types

    found: list[str] = []
    seen: set[int] = set()
    todo = [fn]
    while todo:
        f = todo.pop()
        code = getattr(f, "__code__", None)
        if code is None or id(f) in seen:
            continue
        seen.add(id(f))
        env = getattr(f, "__globals__", {})
        for name in _code_names(code):
            if name.startswith("mkteach") and not env.get("__name__", "").startswith("mkteach"):
                found.append(f"import {name}")
                continue
            value = env.get(name)
            module = getattr(value, "__name__", "") if isinstance(value, types.ModuleType) else ""
            module = module or getattr(value, "__module__", "") or ""
            if module == "mkteach" or module.startswith("mkteach."):
                if env.get("__name__", "").startswith("mkteach"):
                    continue  # the package's own functions (references, mistakes) may
                found.append(name)
            elif isinstance(value, types.FunctionType):
                todo.append(value)
    return sorted(set(found))


def _code_names(code: Any) -> set[str]:
    """Return the global names a code object and the code nested in it refer to."""
    names = set(code.co_names)
    for const in code.co_consts:
        if hasattr(const, "co_names"):
            names |= _code_names(const)
    return names


def _first_incident(s: Any) -> Incident | None:
    """Return the System's first failed or differing mechanism call, or None."""
    found = s.mechanisms.failures + s.mechanisms.differences
    return min(found, key=lambda i: i.step) if found else None


def _check_flush(fn: Callable[..., Any], seed: int) -> str:
    """Return what differs when scenario `seed`'s operations run with `fn` ('' if nothing)."""
    ref = build(flush, seed, None)
    yours = build(flush, seed, {"mapdb_flush": fn})
    done: list[str] = []
    for op in flush.operations(seed):
        for s in (ref, yours):
            flush.run_one(s, op)
        done.append(flush.describe_op(op))
        if yours.mechanisms.failures or flush.state(ref) != flush.state(yours):
            return _flush_difference(ref, yours, done)
    return ""


def _flush_difference(ref: Any, yours: Any, done: list[str]) -> str:
    """Return the message for the first operation after which the mappings differ."""
    a, b = flush.state(ref), flush.state(yours)
    if a == b:  # refused: the kernel flushed by its own code
        return (
            f"after step {yours.steps - 1}, {done[-1]}, your mechanism was refused: "
            f"{_refusal(yours)}. reproduce: s = System(machine='i486', frames=16, "
            "mechanisms={'mapdb_flush': fn}); create spaces A..E; then " + "; ".join(done)
        )
    diffs = []
    for key in sorted(set(a) | set(b)):
        if a.get(key) != b.get(key):
            want = "gone" if key not in a else f"rights {a[key][1]!r}"
            got = "gone" if key not in b else f"rights {b[key][1]!r}"
            diffs.append(f"{key}: yours {got}, the reference {want}")
    incident = _first_incident(yours)
    differ = "; ".join(diffs[:4])
    lines = [f"after step {yours.steps - 1}, {done[-1]}, the mappings differ: {differ}."]
    if incident is not None:
        lines.append(f"your mechanism was called as {incident.call_text()}")
        if incident.problem:
            lines.append(f"and was refused: {incident.problem}.")
        else:
            lines.append(
                f"and returned {incident.answer!r}; the reference returns {incident.expected!r}."
            )
    lines.append(
        "reproduce: s = System(machine='i486', frames=16, mechanisms={'mapdb_flush': fn});"
        " create spaces A..E; then " + "; ".join(done)
    )
    return " ".join(lines)


def _refusal(s: Any) -> str:
    """Return the first refused call of a System's mechanism, with its arguments."""
    f = s.mechanisms.failures[0]
    return f"it was called as {f.call_text()}: {f.problem}"


def _check_speed(name: str, fn: Callable[..., Any], seed: int, report: Report) -> str:
    """Return what went wrong in scenario `seed` of a speed lab ('' if nothing), adding its
    cycles to the report."""
    module = _lab(name)
    ref = build(module, seed, {name: REFERENCES[name]})
    yours = build(module, seed, {name: fn})
    report.cycles["reference"] += ref.cycles  # type: ignore[index]
    report.cycles["yours"] += yours.cycles  # type: ignore[index]
    failures = yours.mechanisms.failures
    if failures:
        f = failures[0]
        return (
            f"at step {f.step} your mechanism was called as {f.call_text()}: {f.problem}. "
            f"reproduce: lab.scenario({name!r}, {seed}, fn) and look at step {f.step}"
        )
    if yours.cycles > ref.cycles * (1 + TOLERANCE):
        first = _first_incident(yours)
        why = ""
        if first is not None:
            why = (
                f" The first choice unlike the reference's: step {first.step}, "
                f"{first.call_text()} returned {first.answer!r}, the reference "
                f"{first.expected!r}."
            )
        return (
            f"correct but slow: {yours.cycles:,} cycles against the reference's "
            f"{ref.cycles:,}.{why} reproduce: lab.scenario({name!r}, {seed}, fn)"
        )
    return ""

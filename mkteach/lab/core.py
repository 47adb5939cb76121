"""What every lab shares: the installed mechanisms of a System, and the report of a check.

`Installed` is what `System(..., mechanisms={name: fn})` keeps as `s.mechanisms`: it calls the
student's functions for the kernel (through `guard.call`), refuses answers the kernel cannot
use, and records every failure and every answer that differs from the reference, with the
step and the arguments, so that a check can say where and how to reproduce it.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .guard import Outcome, call, plain

REFUSED = object()  # what `Installed.ask` returns for a call that failed or was refused


class MechanismRefused(UserWarning):
    """Shown once per System when the kernel first refuses a student's mechanism."""


@dataclass(frozen=True)
class Incident:
    """One call of a mechanism that failed (problem) or answered unlike the reference."""

    lab: str
    step: int
    args: tuple
    answer: Any
    problem: str = ""
    expected: Any = None

    def call_text(self) -> str:
        """Return the call as Python text, its arguments shortened when long."""
        text = ", ".join(repr(a) for a in self.args)
        return f"{self.lab}({text if len(text) < 400 else text[:400] + '...'})"


class Installed:
    """The mechanisms installed in one System, with what happened when the kernel called them."""

    def __init__(self, system: Any, mechanisms: dict[str, Callable[..., Any]]) -> None:
        self.system = system
        self.functions = dict(mechanisms)
        self.failures: list[Incident] = []  # exceptions, hangs, answers the kernel refused
        self.differences: list[Incident] = []  # accepted answers unlike the reference's
        self.calls = 0
        self.call = call  # the guarded call (a lab's grader may swap in a sandboxed one)

    def __repr__(self) -> str:
        names = ", ".join(self.functions)
        return f"<mechanisms {names}: {self.calls} calls, {len(self.failures)} failures>"

    @property
    def step(self) -> int:
        """Return the number of the step the kernel is in now."""
        return self.system.executor.steps

    def ask(self, lab: str, fn: Callable[..., Any], args: tuple,
            judge: Callable[[Any], str]) -> Any:  # fmt: skip
        """Return fn's answer to `args` when `judge` finds nothing wrong with it, else REFUSED
        (recording the failure: the kernel then uses its own mechanism)."""
        self.calls += 1
        outcome: Outcome = self.call(fn, plain(args))  # a copy: fn may change what it gets
        problem = outcome.problem or judge(outcome.value)
        if problem:
            self.failures.append(Incident(lab, self.step, args, outcome.value, problem))
            if len(self.failures) == 1:
                warnings.warn(
                    f"step {self.step}: the kernel refused your {lab} mechanism ({problem}) and "
                    "used its own; s.mechanisms.failures lists every refusal",
                    MechanismRefused,
                    stacklevel=2,
                )
            return REFUSED
        return outcome.value

    def differs(self, lab: str, args: tuple, answer: Any, expected: Any) -> None:
        """Record an accepted answer that is not what the reference answers."""
        self.differences.append(Incident(lab, self.step, args, answer, "", expected))


@dataclass
class Report:
    """What `lab.check` found: passed, the failures (what, where, how to reproduce), cycles."""

    lab: str
    passed: bool = True
    failures: list[str] = field(default_factory=list)
    cycles: dict[str, int] | None = None
    scenarios: int = 0

    def fail(self, message: str) -> None:
        """Record a failure."""
        self.passed = False
        self.failures.append(message)

    def __str__(self) -> str:
        head = f"lab {self.lab!r}: " + (
            f"passed all {self.scenarios} scenarios" if self.passed else "FAILED"
        )
        lines = [head]
        slow = any("correct but slow" in f for f in self.failures)
        if self.cycles and (self.passed or slow):  # a failed run fell back to the kernel's own
            lines.append(
                f"cycles: yours {self.cycles['yours']:,}, reference {self.cycles['reference']:,}"
            )
        lines += [f"- {f}" for f in self.failures]
        return "\n".join(lines)

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:
        p.text(str(self))

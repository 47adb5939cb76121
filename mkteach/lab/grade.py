"""Grading a lab: the student's mechanism runs in a sandbox, the kernel and the check here.

    from mkteach.lab.grade import grade_lab, hidden_seed
    grade_lab("mapdb_flush", my_flush, hidden_seed(STUDENT, HIDDEN), points=6)

In `mkteach grade`, a function answer arrives as a program exported from the submission's
sandbox (source text, `grading.remote`). `grade_lab` starts one sandbox of its own that runs
the function (`runner.py function`), and the kernel calls it through that: each call's
arguments leave as plain data and its answer comes back as plain data, within a time budget.
The kernel never runs student code. In a notebook (and under nbgrader) the function is an
ordinary one and is called directly, under `guard.call`'s budgets.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from ..grading.feedback import Feedback, check_failed, finish
from ..grading.instances import seed_of
from .guard import SECONDS, Outcome, plain

TOTAL_SECONDS = 60.0  # student time per check, over all calls


def hidden_seed(student: object, salt: str) -> int:
    """Return the seed of a student's hidden lab scenarios: the course's salt, never released,
    makes them unguessable (the one place to change when salts move into a course secret)."""
    return seed_of(student, salt)


class SandboxedMechanism:
    """A mechanism exported as source text, called in a sandbox of its own, call by call."""

    def __init__(self, spec: dict[str, Any], seconds: float = SECONDS,
                 total: float = TOTAL_SECONDS,
                 copy: Callable[[Any], Any] = plain) -> None:  # fmt: skip
        self.spec, self.seconds, self.total, self.copy = spec, seconds, total, copy
        self.box: Any = None
        self.problem = ""
        self.spent = 0.0
        self.__name__ = str(spec.get("name", "mechanism"))

    def lab_outcome(self, args: tuple) -> Outcome:
        """Return the Outcome of calling the function in its sandbox with `args`."""
        if self.problem:
            return Outcome(problem=self.problem)
        try:
            if self.box is None:
                self._start()
            reply = self._ask({"call": encode_args(args)})
        except Failed as e:
            self.problem = f"{e} (its sandbox was stopped)"
            self.close(graceful=False)
            return Outcome(problem=str(e))
        if "raise" in reply:
            return Outcome(problem=f"it raised {reply['raise']}")
        try:
            from ..grading.runner import decode

            return Outcome(value=self.copy(decode(reply.get("return"))))
        except ValueError as e:
            return Outcome(problem=f"its answer is not plain data ({e})")

    def _start(self) -> None:
        """Start the sandbox and load the function in it."""
        from ..grading.sandbox import Sandbox

        self.box = Sandbox.start("function", self.total + 5)
        reply = self._ask({"program": self.spec})
        if "raise" in reply:
            raise Failed(f"it could not be defined: {reply['raise']}")

    def _ask(self, message: dict[str, Any]) -> dict[str, Any]:
        """Send one line and return the sandbox's answer line, within the time budgets."""
        if not self.box.feed(json.dumps(message) + "\n"):
            raise Failed("its sandbox ended")
        started = time.monotonic()
        budget = max(0.0, min(self.seconds + (5 if "program" in message else 0),
                              self.total - self.spent))  # fmt: skip
        line = self.box.line(budget)
        self.spent += time.monotonic() - started
        if line is None:
            if self.box.problem == "timeout" or self.spent >= self.total:
                raise Failed(f"it did not return within {budget:.1f} s (a loop that never ends?)")
            raise Failed(
                "its sandbox ended without an answer (it ended Python or ran out of memory)"
            )
        try:
            reply = json.loads(line)
        except ValueError:
            raise Failed("its sandbox sent something unreadable") from None
        if not isinstance(reply, dict):
            raise Failed("its sandbox sent something unreadable")
        return reply

    def __call__(self, *args: Any) -> Any:
        """Call the function in the sandbox; raise RuntimeError with the problem if it fails."""
        outcome = self.lab_outcome(args)
        if outcome.problem:
            raise RuntimeError(outcome.problem)
        return outcome.value

    def close(self, graceful: bool = True) -> None:
        """End the sandbox (idempotent): let it finish at the end of its input first (so no
        process of it outlives the call), else, or when `graceful` is False, kill it."""
        box, self.box = self.box, None
        if box is None:
            return
        if graceful:
            try:
                box.proc.stdin.close()
                box.proc.wait(timeout=2)
            except Exception:  # still running, or already gone: killed below either way
                pass
        box.kill()


class Failed(Exception):
    """The sandboxed function could not answer."""


def encode_args(args: tuple) -> Any:
    """Return a call's arguments as the runner's plain data."""
    from ..grading.runner import encode

    return encode(tuple(args))


def mechanism_of(answer: Any) -> tuple[Callable[..., Any] | None, str]:
    """Return (the callable mechanism an answer stands for, or None, and why not)."""
    remote = getattr(answer, "remote", None)
    if remote is not None and isinstance(getattr(remote, "spec", None), dict):
        if remote.spec.get("generator", True) is not False:
            return None, "it is a generator function; a mechanism returns its answer"
        return SandboxedMechanism(remote.spec), ""
    if callable(answer):
        return answer, ""
    return None, f"it is {type(answer).__name__}, not a function"


def grade_lab(name: str, answer: Any, seed: int, points: float = 1.0, title: str = "",
              part: str = "all") -> Feedback:  # fmt: skip
    """Return the feedback of lab `name` for the student's mechanism on `part` of the scenarios:
    "visible" (the ones the notebook shows), "hidden" (seeded from `seed`) or "all"; credit is
    the share of them passed before the first failure."""
    from . import VISIBLE, run_check, seeds

    title = title or f"lab {name}"
    chosen = {"visible": list(VISIBLE), "hidden": seeds(seed)[len(VISIBLE) :]}.get(
        part, seeds(seed)
    )
    fn, why = mechanism_of(answer)
    if fn is None:
        return finish(0, points, [f"no mechanism to check: {why}"], title)
    try:
        report = run_check(name, fn, chosen)
    except Exception as e:  # a check never raises at the student
        return check_failed(e, points, title)
    finally:
        if isinstance(fn, SandboxedMechanism):
            fn.close()
    if report.passed:
        messages = [f"passed all {report.scenarios} scenarios"]
        if report.cycles:
            c = report.cycles
            messages.append(f"cycles: yours {c['yours']:,}, reference {c['reference']:,}")
        return finish(points, points, messages, title)
    passed = report.scenarios - 1 if report.scenarios else 0
    earned = points * passed / len(chosen)
    messages = [f"passed {passed} of {len(chosen)} scenario(s), then failed", *report.failures]
    return finish(round(earned, 2), points, messages, title)

"""Practice checks, as OSTEP's `-c` and `-s`: the grader's feedback on any answer, no points.

    from mkteach.exercises.practice import practice
    practice("ex03-q3-test", SEED, ipc_cycles=..., tagged_tlb_cycles=..., why_tagged=...)
    SEED = practice_seed(STUDENT, 1)      # another instance to practise on (2, 3, ... more)

`practice` (mkteach.exercises.practice, a layer above this one) runs the checks the grader
runs for that graded question (generated from the exercises' hidden tests) on instance `seed`
and shows what they say, without the points. The student's own instance (`seed_of(STUDENT)`)
gives the grader's own verdict where the grader checks that instance; programs are run on
practice workloads, never on the graded ones, whose salt stays with the instructor. A practice
seed comes from a public name ("practice-1", ...), so it never meets a graded instance.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from .feedback import Feedback, brief
from .instances import seed_of


def practice_seed(student: object, variant: int = 1) -> int:
    """Return the seed of practice instance number `variant` of a student (a public name:
    never a graded instance)."""
    return seed_of(student, f"practice-{int(variant)}")


@dataclass(frozen=True)
class Practice:
    """The grader's feedback on a question, shown without points."""

    grade_id: str
    feedback: Feedback

    @property
    def correct(self) -> bool:
        """Return True when the grader would give every point."""
        return self.feedback.correct

    def __str__(self) -> str:
        fb = self.feedback
        mark = "✓ all right" if fb.correct else ("~ partly right" if fb.points else "✗ not yet")
        lines = [f"Practice {self.grade_id} (no points): {mark}"]
        lines += [f"  - {m}" for m in fb.labelled()]
        return "\n".join(lines)

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """Show the readable text in IPython."""
        printer.text(str(self))

    def _repr_html_(self) -> str:
        """Return the readable form for Jupyter."""
        return f"<pre class='mkteach-practice'>{html.escape(str(self))}</pre>"


def check_practice(
    grade_id: str,
    questions: Mapping[str, tuple[Callable[..., Feedback], tuple[str, ...]]],
    seed: int | str,
    answers: Mapping[str, Any],
) -> Practice:
    """Return the feedback of `questions[grade_id]` (a check and its answer names) for
    `answers` on instance `seed`, without points; it never raises."""
    if grade_id not in questions:
        known = ", ".join(sorted(questions))
        return _failed(grade_id, f"no practice check named {grade_id!r} (known: {known})")
    check, names = questions[grade_id]
    unknown = sorted(set(answers) - set(names))
    if unknown:
        return _failed(grade_id, f"{unknown} are not answers of {grade_id}: {list(names)}")
    try:
        return Practice(grade_id, check(seed, **answers))
    except Exception as e:  # a check never raises at the student
        return _failed(grade_id, f"the check could not run ({brief(e)})")


def _failed(grade_id: str, message: str) -> Practice:
    """Return a practice result that only says what went wrong."""
    return Practice(grade_id, Feedback(0, 1, (message,)))

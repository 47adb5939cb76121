"""`Feedback`: what a check returns: points earned, points possible, and messages that teach.

A check never raises at the student and never shows test code: whatever went wrong becomes a
message in its feedback. A test cell ends with its feedback: Jupyter shows it as HTML, and its
plain-text form is the points alone, so that nbgrader's autograder reads the cell's points from
it (a cell's text/plain result is its partial credit). `mkteach grade` runs the same test cells
outside the submission and reads the Feedback object itself.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Feedback:
    """Points earned out of points possible, with messages naming what was right or wrong."""

    points: float
    possible: float
    messages: tuple[str, ...] = field(default=())
    title: str = ""
    missed: int = 0  # checks worth no points (observations) whose answer was not right

    def __post_init__(self) -> None:
        possible = max(0.0, float(self.possible))
        object.__setattr__(self, "possible", round(possible, 4))
        object.__setattr__(self, "points", round(min(max(0.0, float(self.points)), possible), 4))
        object.__setattr__(self, "messages", tuple(str(m) for m in self.messages))

    @property
    def correct(self) -> bool:
        """Return True when every possible point was earned and no observation was missed."""
        return self.points >= self.possible and not self.missed

    @property
    def fraction(self) -> float:
        """Return the share of points earned (1.0 when nothing was possible)."""
        return self.points / self.possible if self.possible else 1.0

    def __add__(self, other: Feedback) -> Feedback:
        """Return the feedback of two checks together: points and messages added up."""
        if not isinstance(other, Feedback):
            return NotImplemented
        title = " + ".join(t for t in (self.title, other.title) if t)
        messages = self.labelled() + other.labelled()
        return Feedback(self.points + other.points, self.possible + other.possible, messages,
                        title, self.missed + other.missed)  # fmt: skip

    def labelled(self) -> tuple[str, ...]:
        """Return the messages prefixed with the title ('Q2a: right'), unless already combined."""
        if not self.title or " + " in self.title:
            return self.messages
        return tuple(f"{self.title}: {m}" for m in self.messages)

    def __str__(self) -> str:
        mark = "✓" if self.correct else ("~" if self.points > 0 else "✗")
        head = f"{mark} {format_points(self.points)} / {format_points(self.possible)} points"
        lines = [f"{head}: {self.title}" if self.title else head]
        lines += [f"  - {m}" for m in self.messages]
        return "\n".join(lines)

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """Show the points alone as plain text: nbgrader reads a test cell's points from it."""
        printer.text(format_points(self.points))

    def _repr_html_(self) -> str:
        """Return the readable form (mark, points, messages) for Jupyter to show."""
        return f"<pre class='mkteach-feedback'>{html.escape(str(self))}</pre>"

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict of this feedback."""
        return {
            "points": self.points,
            "possible": self.possible,
            "messages": list(self.messages),
            "title": self.title,
        }


def finish(points: float, possible: float, messages: list[str], title: str = "") -> Feedback:
    """Return the Feedback of a check; a check worth no points (an observation) whose first
    message does not say "right" counts as missed, so practice does not call it all right."""
    missed = int(not possible and not any(str(m).startswith("right") for m in messages[:1]))
    return Feedback(points, possible, tuple(messages), title, missed)


def format_points(x: float) -> str:
    """Return a number of points rounded to two decimals, without a useless '.0'."""
    return f"{round(x, 2):g}"


def brief(error: BaseException) -> str:
    """Return 'ErrorType: message' on one line, for feedback that must never show a traceback."""
    return f"{type(error).__name__}: {error}".splitlines()[0][:200]


def check_failed(error: BaseException, points: float, title: str) -> Feedback:
    """Return the zero feedback of a check that could not run (a check never raises)."""
    return finish(0, points, [f"the check could not run ({brief(error)})"], title)

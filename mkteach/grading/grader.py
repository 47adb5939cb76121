"""Batch grading: each submission in its own worker process and fresh kernel, points from tests.

    results = grade(["alice.ipynb", "bob.ipynb"], "exercises", csv_path="grades.csv")
    print(format_table(results))

A submission is matched to its exercise (the copy's `metadata.mkteach.exercise`, else its file
name, else the grade_ids it shares), the instructor's tests are put back into it by grade_id, and
it runs in a worker (`worker.py`) under a per-cell and a total time limit. Whatever a submission
does (loop, raise, delete cells, not be a notebook at all) it gets a result with notes; a worker
that crashes or hangs is ended and noted, and never touches another submission's result.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat

from . import channel
from .feedback import format_points
from .markup import grade_id, is_test, points
from .merge import student_id
from .student_copies import ReleaseError, read_source, source_notebooks
from .worker import QuestionResult, read_result

TEXTS = ["feedback", "notes"]
WORKER_GRACE_SECONDS = 60  # beyond the total limit, for kernel start and shutdown


class GradingError(ValueError):
    """Grading cannot start (no source notebooks, unreadable source...)."""


@dataclass
class SubmissionResult:
    """One submission's grade: points per question, total, and notes on what happened."""

    submission: str
    exercise: str
    student: str
    questions: list[QuestionResult]
    notes: list[str] = field(default_factory=list)

    @property
    def total(self) -> float:
        """Return the points earned over all questions."""
        return round(sum(q.points for q in self.questions), 4)

    @property
    def possible(self) -> float:
        """Return the points possible over all questions."""
        return round(sum(q.possible for q in self.questions), 4)

    def question(self, gid: str) -> QuestionResult | None:
        """Return the result of question `gid`, or None when this exercise has no such test."""
        return next((q for q in self.questions if q.grade_id == gid), None)


def grade(
    submissions: Sequence[str | Path],
    source_dir: str | Path,
    csv_path: str | Path | None = None,
    *,
    cell_timeout: float = 30.0,
    total_timeout: float = 300.0,
    jobs: int | None = None,
) -> list[SubmissionResult]:
    """Grade every submission against the instructor notebooks in `source_dir`; return results
    in the order given (and write them to `csv_path` when given)."""
    try:
        sources = {p.stem: read_source(p) for p in source_notebooks(source_dir)}
    except ReleaseError as e:
        raise GradingError(str(e)) from None
    if cell_timeout <= 0 or total_timeout <= 0:
        raise GradingError("time limits must be positive numbers of seconds")
    if csv_path is not None and not Path(csv_path).resolve().parent.is_dir():
        raise GradingError(f"cannot write {csv_path}: its folder does not exist")
    limits = {"cell_timeout": cell_timeout, "total_timeout": total_timeout}
    workers = max(1, jobs or min(4, os.cpu_count() or 1))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        results = list(pool.map(lambda p: grade_one(Path(p), sources, limits), submissions))
    if csv_path is not None:
        write_csv(results, csv_path)
    return results


def grade_one(path: Path, sources: dict[str, Any], limits: dict[str, float]) -> SubmissionResult:
    """Return the grade of one submission file (never raises for anything the file does)."""
    nb, problem = load_submission(path)
    exercise = match_exercise(path, nb, sources)
    if exercise is None:
        why = problem or "it matches none of the exercises (no known grade_id, file name or tag)"
        return SubmissionResult(str(path), "", "", [], [f"not graded: {why}"])
    source = sources[exercise]
    blank = SubmissionResult(str(path), exercise, "", questions_of(source))
    if nb is None:
        blank.notes.append(f"scored 0: {problem}")
        return blank
    blank.student = student_id(nb)
    job = {
        "source": nbformat.writes(source),
        "submission": nbformat.writes(nb),
        **limits,
    }
    outcome, problem = run_worker(job, limits["total_timeout"] + WORKER_GRACE_SECONDS)
    if outcome is None:
        blank.notes.append(f"scored 0: {problem}")
        return blank
    blank.questions = [QuestionResult(**q) for q in outcome["questions"]]
    blank.notes = list(outcome["notes"])
    return blank


def questions_of(source: Any) -> list[QuestionResult]:
    """Return a zero result for each test cell of an instructor notebook, in order."""
    return [QuestionResult(grade_id(c), 0.0, points(c)) for c in source.cells if is_test(c)]  # type: ignore[arg-type]


def load_submission(path: Path) -> tuple[Any, str]:
    """Return (notebook or None, problem) for a submission file."""
    if not path.is_file():
        return None, f"{path} is not a file"
    try:
        text = path.read_text(encoding="utf-8")
        nb = nbformat.reads(text, as_version=4)
    except (OSError, UnicodeDecodeError) as e:
        return None, f"cannot read it ({type(e).__name__})"
    except Exception as e:
        return None, f"it is not a notebook ({type(e).__name__}: {str(e)[:120]})"
    cells = nb.get("cells")
    if not isinstance(cells, list):
        return None, "it is not a notebook (no list of cells)"
    for number, cell in enumerate(cells, 1):
        if not isinstance(cell, dict) or cell.get("cell_type") not in ("code", "markdown", "raw"):
            return None, f"it is not a notebook (cell {number} is not a code, markdown or raw cell)"
    return nb, ""


def match_exercise(path: Path, nb: Any, sources: dict[str, Any]) -> str | None:
    """Return which exercise a submission is: its tag, its file name, or shared grade_ids."""
    if nb is not None:
        tag = nb.get("metadata", {}).get("mkteach", {})
        if isinstance(tag, dict) and tag.get("exercise") in sources:
            return tag["exercise"]
    named = [stem for stem in sources if stem in path.name]
    if len(named) == 1:
        return named[0]
    if nb is not None:
        ids = {grade_id(c) for c in nb.get("cells", []) if isinstance(c, dict)} - {None}
        shared = {
            stem: len(ids & {grade_id(c) for c in src.cells}) for stem, src in sources.items()
        }
        best = max(shared, key=lambda s: (shared[s], s))
        if shared[best]:
            return best
    return next(iter(sources)) if len(sources) == 1 else None


def run_worker(job: dict[str, Any], seconds: float) -> tuple[dict[str, Any] | None, str]:
    """Return (the worker's result or None, problem) for one job, within `seconds`."""
    key = channel.new_key()
    root = str(Path(__file__).resolve().parents[2])
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
    try:
        done = subprocess.run(
            [sys.executable, "-m", "mkteach.grading.worker"],
            input=json.dumps({**job, "key": key}),
            capture_output=True,
            text=True,
            timeout=seconds,
            env=env,
            start_new_session=True,
        )
    except subprocess.TimeoutExpired:
        return None, f"grading took longer than {seconds:g} s and was stopped"
    result = read_result(done.stdout, key)
    if result is None:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1][:200]
        return None, f"grading failed (worker exit {done.returncode}: {last})"
    return result, ""


# -- reports --------------------------------------------------------------------------------


def question_ids(results: Sequence[SubmissionResult]) -> list[str]:
    """Return every question's grade_id, in order of first appearance."""
    return list(dict.fromkeys(q.grade_id for r in results for q in r.questions))


def write_csv(results: Sequence[SubmissionResult], path: str | Path) -> None:
    """Write one row per submission: points per question, total, possible, feedback, notes."""
    ids = question_ids(results)
    with open(path, "w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(["submission", "exercise", "student", *ids, "total", "possible"] + TEXTS)
        for r in results:
            cells = [_points(r.question(g)) for g in ids]
            texts = [" | ".join(feedback_lines(r)), " | ".join(r.notes)]
            out.writerow([r.submission, r.exercise, r.student, *cells, format_points(r.total),
                          format_points(r.possible), *texts])  # fmt: skip


def _points(q: QuestionResult | None) -> str:
    """Return a question's points for a table cell ('' when the exercise has no such test)."""
    return "" if q is None else format_points(q.points)


def feedback_lines(r: SubmissionResult) -> list[str]:
    """Return one line per question: 'grade_id points/possible: messages (note)'."""
    lines = []
    for q in r.questions:
        text = "; ".join(q.feedback) or "-"
        note = f" [{q.note}]" if q.note else ""
        lines.append(
            f"{q.grade_id} {format_points(q.points)}/{format_points(q.possible)}: {text}{note}"
        )
    return lines


def format_table(results: Sequence[SubmissionResult]) -> str:
    """Return a terminal table of points per question and total, then feedback per student."""
    ids = question_ids(results)
    head = ["submission", "student", *ids, "total"]
    rows = [
        [r.submission, r.student or "-", *[_points(r.question(g)) for g in ids],
         f"{format_points(r.total)}/{format_points(r.possible)}"]
        for r in results
    ]  # fmt: skip
    widths = [max(len(str(x)) for x in col) for col in zip(head, *rows, strict=True)]
    lines = ["  ".join(str(x).ljust(w) for x, w in zip(row, widths, strict=True)).rstrip()
             for row in [head, ["-" * w for w in widths], *rows]]  # fmt: skip
    for r in results:
        score = f"{format_points(r.total)} / {format_points(r.possible)}"
        lines += ["", f"{r.submission} ({r.student or '-'}): {score}"]
        lines += [f"  {line}" for line in feedback_lines(r)]
        lines += [f"  note: {n}" for n in r.notes]
    return "\n".join(lines)

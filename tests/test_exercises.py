"""Every exercise notebook, whoever wrote it: its reference solution earns full marks with no
notes, and its released student copy earns zero without crashing.

Both are graded the way an instructor grades: `release` writes the student copy, `grade` runs
each submission in a sandbox and its tests outside it. No visible test cell of a student copy
holds an answer: every graded check is in a hidden-test region.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
import pytest

from mkteach.grading import grade, release

ROOT = Path(__file__).resolve().parent.parent
EXERCISES = sorted((ROOT / "exercises").glob("ex*.ipynb"))
sys.path.insert(0, str(Path(__file__).resolve().parent / "grading_cases"))
import cases  # noqa: E402

pytestmark = pytest.mark.slow


def test_there_is_an_exercise_notebook_for_every_chapter():
    chapters = sorted(p.stem[:2] for p in (ROOT / "notebooks").glob("[0-9][0-9]-*.ipynb"))
    have = {p.stem[2:4] for p in EXERCISES}
    missing = [c for c in chapters if c != "00" and c not in have]
    assert not missing, f"chapters without an exercise notebook: {missing}"


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Grade every exercise's reference answers and its released copy in one batch."""
    tmp = tmp_path_factory.mktemp("exercises")
    released = tmp / "released"  # collected from student "released": their copy, unanswered
    release(ROOT / "exercises", released)
    submissions = []
    for source in EXERCISES:
        reference = tmp / cases.STUDENT / f"reference-{source.stem}.ipynb"
        reference.parent.mkdir(exist_ok=True)
        nbformat.write(cases.answered(source.stem), reference)
        submissions += [reference, released / source.name]
    results = grade(submissions, ROOT / "exercises", cell_timeout=60, total_timeout=240, jobs=2)
    return {Path(r.submission).name: r for r in results}


@pytest.mark.parametrize("exercise", [p.stem for p in EXERCISES])
def test_the_reference_solution_earns_full_marks(graded, exercise):
    result = graded[f"reference-{exercise}.ipynb"]
    assert result.possible >= 4 and len(result.questions) >= 2, "at least two graded questions"
    automatic = [q for q in result.questions if not q.note.startswith("graded by hand")]
    assert all(q.points == q.possible for q in automatic), [
        (q.grade_id, q.feedback, q.note) for q in automatic
    ]
    assert not result.notes


@pytest.mark.parametrize("exercise", [p.stem for p in EXERCISES])
def test_the_released_copy_earns_zero_without_crashing(graded, exercise):
    result = graded[f"{exercise}.ipynb"]
    assert result.total == 0 and result.possible > 0
    assert all(q.feedback or q.note for q in result.questions)

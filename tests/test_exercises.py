"""Every exercise notebook, whoever wrote it: its reference solution earns full marks with no
notes, and its released student copy earns zero without crashing.

Both are graded the way an instructor grades: `release` writes the student copy, `grade` runs
each submission in a sandbox and its tests outside it. No visible test cell of a student copy
holds an answer: every graded check is in a hidden-test region.
"""

from __future__ import annotations

import ast
import shutil
import subprocess
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


# -- what students get ----------------------------------------------------------------------

STUDENT_COPIES = ROOT / "notebooks" / "exercises"


def test_the_committed_student_copies_are_a_fresh_release(tmp_path):
    fresh = {p.name: p.read_text() for p in release(ROOT / "exercises", tmp_path)}
    committed = {p.name: p.read_text() for p in STUDENT_COPIES.glob("*.ipynb")}
    assert sorted(committed) == sorted(fresh), (
        "run: mkteach exercises release exercises/ notebooks/exercises/"
    )
    stale = [name for name in fresh if committed[name] != fresh[name]]
    assert not stale, (
        f"stale: {stale}: run mkteach exercises release exercises/ notebooks/exercises/"
    )


def secret_lines() -> set[str]:
    """Return the lines (longer than 24 characters) that appear only inside the instructor's
    solution and hidden-test regions."""
    inside, outside = set(), set()
    for path in EXERCISES:
        within = False
        for cell in nbformat.read(str(path), as_version=4).cells:
            for line in cell.source.splitlines():
                if "BEGIN SOLUTION" in line or "BEGIN HIDDEN TESTS" in line:
                    within = True
                elif "END SOLUTION" in line or "END HIDDEN TESTS" in line:
                    within = False
                elif len(line.strip()) > 24:
                    (inside if within else outside).add(line.strip())
    return inside - outside


def test_nothing_students_can_open_holds_a_solution_or_a_hidden_test():
    secrets = secret_lines()
    assert len(secrets) > 50
    for path in (ROOT / "notebooks").rglob("*.ipynb"):
        text = path.read_text()
        assert "BEGIN SOLUTION" not in text and "HIDDEN TESTS" not in text, path
        assert 'HIDDEN = "' not in text, path
        if path.parent != STUDENT_COPIES:
            continue  # a chapter may teach what a solution uses; it holds no solution region
        lines = {
            line.strip()
            for c in nbformat.read(str(path), as_version=4).cells
            for line in c.source.splitlines()
        }
        assert not lines & secrets, (path, sorted(lines & secrets)[:3])


def test_a_graded_cell_shows_students_only_what_they_answered():
    for path in STUDENT_COPIES.glob("*.ipynb"):
        for cell in nbformat.read(str(path), as_version=4).cells:
            m = cell.metadata.get("nbgrader", {})
            if not (m.get("grade") and cell.cell_type == "code"):
                continue
            body = ast.parse(cell.source).body
            assert isinstance(body[0], ast.ImportFrom) and [a.name for a in body[0].names] == [
                "answered"
            ]
            call = body[1].value
            assert len(body) == 2 and isinstance(call, ast.Call) and call.func.id == "answered"
            assert all(
                isinstance(k.value, ast.Name) and k.arg == k.value.id for k in call.keywords
            ), (path, m["grade_id"])


def test_binder_removes_the_instructor_sources_from_the_image(tmp_path):
    repo = tmp_path / "repo"
    for folder in ("exercises", "tests", "notebooks/exercises", "binder"):
        (repo / folder).mkdir(parents=True)
        (repo / folder / "x").write_text("x")
    shutil.copy(ROOT / "binder" / "postBuild", repo / "binder")
    (repo / "mkteach" / "lab_settings").mkdir(parents=True)  # the quiet JupyterLab settings
    shutil.copy(
        ROOT / "mkteach" / "lab_settings" / "overrides.json", repo / "mkteach" / "lab_settings"
    )
    fakes = tmp_path / "bin"
    fakes.mkdir()
    for name, say in [
        ("pip", ""),
        ("jupyter", "@jupyter-widgets/jupyterlab-manager jupyterlab-plotly anywidget"),
        ("python", "ready"),
    ]:
        (fakes / name).write_text(f"#!/bin/sh\necho '{say}'\n")
        (fakes / name).chmod(0o755)
    env = {"PATH": f"{fakes}:/usr/bin:/bin", "REPO_DIR": str(repo)}
    done = subprocess.run(
        ["bash", "binder/postBuild"], cwd=repo, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert not (repo / "exercises").exists() and not (repo / "tests").exists()
    assert (repo / "notebooks" / "exercises" / "x").exists()
    (repo / "exercises").mkdir()  # a working copy (no REPO_DIR) keeps everything
    env.pop("REPO_DIR")
    subprocess.run(["bash", "binder/postBuild"], cwd=repo, env=env, check=True, capture_output=True)
    assert (repo / "exercises").exists()

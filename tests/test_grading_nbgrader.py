"""nbgrader and `mkteach grade` agree: the same notebooks, the same points.

nbgrader lives in a venv of its own (`.venv-nbgrader`, or MKTEACH_NBGRADER_VENV), with this
package and its `nbgrader` extra: `.ci/run` builds it, and this test builds it when it is
missing (once; later runs reuse it). A course folder holds the exercises as nbgrader sources,
one assignment per exercise and one student per case: the reference, the wrong answers of
tests/grading_cases and a blank copy, each answered for its student's own instance. nbgrader's
generate_assignment, autograde and generate_feedback run on it; every autograded cell's score
and each feedback file's total must equal what `mkteach grade` gives the same files (a cell's
text/plain result is its points, in both). The course uses the README's nbgrader_config.py, whose
feedback preprocessor (mkteach.grading.nbgrader_feedback.ClosedFeedback) keeps the pages closed:
a leaky student's test cell raises with the salt of the hidden instances and its answer has a
<script>; neither the hidden tests, nor the salt, nor the script reach any feedback page.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import nbformat
import pytest

from mkteach.grading import grade, release

ROOT = Path(__file__).resolve().parent.parent
EXERCISES = ROOT / "exercises"
sys.path.insert(0, str(Path(__file__).resolve().parent / "grading_cases"))
import cases  # noqa: E402

pytestmark = pytest.mark.slow
CASES = ["ex02-reference", "ex02-wrong-flush", "ex02-wrong-grant", "ex03-reference", "ex03-wrong"]
# The README's nbgrader_config.py: feedback files without the hidden tests, the salt or a
# student's script (nbgrader's default feedback shows the autograded notebook, hidden tests,
# tracebacks and all).
CONFIG = """c = get_config()  # noqa: F821
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "mkteach.grading.nbgrader_feedback.ClosedFeedback",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]
"""
# A student who, in nbgrader's kernel (where the hidden tests run beside the student's code),
# makes a test cell raise and print the salt, and writes a script into an answer.
LEAKY_BUGS = """
class Leak(BaseException):
    pass


class Sneaky(set):
    def leak(self, *args):
        print("the salt is", globals().get("HIDDEN"))
        raise Leak(f"salt {globals().get('HIDDEN')}")

    __eq__ = __iter__ = __len__ = __contains__ = __bool__ = __repr__ = leak
    __hash__ = set.__hash__


bugs = Sneaky()
"""
SCRIPT = "My answer. <script>document.title = 'pwned-by-a-student'</script>"
SCORES = """
import json, sys
from nbgrader.api import Gradebook

out = {}
with Gradebook(sys.argv[1]) as gb:
    for assignment in gb.assignments:
        for student in gb.students:
            try:
                sub = gb.find_submission(assignment.name, student.id)
            except Exception:
                continue
            for nb in sub.notebooks:
                for g in nb.grades:
                    out[f"{student.id}/{assignment.name}/{g.cell.name}"] = g.auto_score
print(json.dumps(out))
"""


def nbgrader_venv() -> Path:
    """Return the venv with nbgrader and this package, building it when missing."""
    where = Path(os.environ.get("MKTEACH_NBGRADER_VENV", ROOT / ".venv-nbgrader"))
    python = where / "bin" / "python"
    ready = where / ".mkteach-ready"
    if not ready.exists():
        venv.create(where, with_pip=True, clear=True)
        subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", "-e", f"{ROOT}[nbgrader]"],
            check=True,
        )
        ready.write_text("ok\n")
    return where


def run(venv_dir: Path, *args: str, cwd: Path) -> str:
    """Run an nbgrader command of the venv in `cwd`; return its output (fail on errors)."""
    home = cwd / ".home"
    env = {
        "PATH": f"{venv_dir / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
        "HOME": str(home),
        "JUPYTER_CONFIG_DIR": str(home / "config"),
        "JUPYTER_DATA_DIR": str(home / "data"),
        "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
        "IPYTHONDIR": str(home / "ipython"),
        "JUPYTER_PLATFORM_DIRS": "1",
        "LANG": "C.UTF-8",
        # the hidden tests' salts: nbgrader runs them in its kernels, which read the course
        # secret from the file this names (tests/conftest.py makes a test one)
        "MKTEACH_COURSE_SECRET": os.environ["MKTEACH_COURSE_SECRET"],
    }
    done = subprocess.run(
        [str(venv_dir / "bin" / "nbgrader"), *args, f"--CourseDirectory.root={cwd}"],
        capture_output=True, text=True, cwd=cwd, env=env, timeout=900,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done.stdout + done.stderr


def submission(case: str, student: str) -> object:
    """Return case `case` of tests/grading_cases, answered as `student` would (their id in the
    notebook, their instance in the answers)."""
    saved = cases.STUDENT
    cases.STUDENT = student
    try:
        nb = cases.CASES[case]() if case != "blank" else None
    finally:
        cases.STUDENT = saved
    return nb


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """Build an nbgrader course of the cases, grade it with nbgrader and with mkteach."""
    venv_dir = nbgrader_venv()
    root = tmp_path_factory.mktemp("nbgrader-course")
    (root / "nbgrader_config.py").write_text(CONFIG)
    released = {p.stem: p for p in release(EXERCISES, root / "mkteach-release")}
    plan: list[tuple[str, str, str]] = []  # (assignment, student, exercise)
    submissions = []
    for exercise, assignment in ((cases.EX02, "ex02"), (cases.EX03, "ex03")):
        source = root / "source" / assignment
        source.mkdir(parents=True)
        shutil.copy(EXERCISES / f"{exercise}.ipynb", source)
        names = [c for c in CASES if c.startswith(assignment)] + ["blank"]
        names += ["leaky"] if assignment == "ex03" else []
        for case in names:
            student = case.removeprefix(f"{assignment}-")
            nb = submission(case, student) if case != "leaky" else None
            if nb is None:
                nb = nbformat.read(str(released[exercise]), as_version=4)
            if case == "leaky":
                cases.answer(nb, "ex03-q2a-answer", LEAKY_BUGS)
                nb.cells.append(nbformat.v4.new_markdown_cell(SCRIPT, id="leaky-markdown"))
            target = root / "submitted" / student / assignment / f"{exercise}.ipynb"
            target.parent.mkdir(parents=True)
            nbformat.write(cases.set_student(nb, student), str(target))
            submissions.append(target)
            plan.append((assignment, student, exercise))
    for assignment in ("ex02", "ex03"):
        run(venv_dir, "generate_assignment", assignment, "--force", cwd=root)
        run(venv_dir, "autograde", assignment, "--force", cwd=root)
        run(venv_dir, "generate_feedback", assignment, "--force", cwd=root)
    script = root / "scores.py"
    script.write_text(SCORES)
    out = subprocess.run(
        [str(venv_dir / "bin" / "python"), str(script), f"sqlite:///{root / 'gradebook.db'}"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    theirs = json.loads(out.stdout)
    ours = grade(submissions, EXERCISES, jobs=2, cell_timeout=60, total_timeout=240)
    return {"root": root, "plan": plan, "theirs": theirs, "ours": ours}


def test_generate_assignment_and_mkteach_release_write_the_same_student_copies(course):
    for assignment, _, exercise in course["plan"]:
        theirs = json.loads(
            (course["root"] / "release" / assignment / f"{exercise}.ipynb").read_text()
        )
        mine = json.loads((course["root"] / "mkteach-release" / f"{exercise}.ipynb").read_text())
        assert ["".join(c["source"]) for c in theirs["cells"]] == [
            "".join(c["source"]) for c in mine["cells"]
        ], f"nbgrader and mkteach release {exercise} differently"


def test_autograde_gives_every_cell_the_points_mkteach_gives(course):
    theirs = course["theirs"]
    compared = 0
    for (assignment, student, _), result in zip(course["plan"], course["ours"], strict=True):
        for q in result.questions:
            key = f"{student}/{assignment}/{q.grade_id}"
            if q.note.startswith("graded by hand"):
                assert theirs[key] is None, (key, theirs[key])  # waits for formgrader, in both
                continue
            assert theirs[key] == pytest.approx(q.points), (key, theirs[key], q.points, q.feedback)
            compared += 1
    assert compared >= 15 and {r.student for r in course["ours"]} >= {"reference", "blank"}
    assert any(v for v in theirs.values()) and any(v == 0 for v in theirs.values())


def test_generate_feedback_shows_the_same_scores(course):
    graded = zip(course["plan"], course["ours"], strict=True)
    for (assignment, student, exercise), result in graded:
        page = course["root"] / "feedback" / student / assignment / f"{exercise}.html"
        text = page.read_text()
        total = re.search(r"Score: ([\d.]+) / ([\d.]+)", text)
        assert total, page
        assert float(total.group(1)) == pytest.approx(result.total), (page, result.total)
        assert float(total.group(2)) == pytest.approx(result.possible)
        assert "HIDDEN TESTS" not in text


def test_feedback_shows_no_hidden_test_no_salt_and_no_students_script(course):
    from mkteach.grading import course_salt

    salt = course_salt("ex03")
    pages = {p: p.read_text() for p in (course["root"] / "feedback").rglob("*.html")}
    assert len(pages) == len(course["plan"])
    leaky = course["root"] / "feedback" / "leaky" / "ex03" / "ex03-threads-ipc.html"
    assert "Leak" in pages[leaky] and "&lt;script" in pages[leaky]  # shown, as text
    autograded = course["root"] / "autograded" / "leaky" / "ex03" / "ex03-threads-ipc.ipynb"
    assert salt in autograded.read_text()  # what nbgrader's own feedback would have shown
    for page, text in pages.items():
        assert salt not in text and "pwned-by-a-student'</script>" not in text, page
        assert "BEGIN HIDDEN TESTS" not in text and "course_salt(" not in text, page

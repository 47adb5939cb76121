"""Every graded question has a practice check, as OSTEP's `-c` and `-s` (issue 22).

A student runs the practice cell before a graded question's check: the grader's own checks on
their answers, on their own instance, without points; with `practice_seed(STUDENT, n)` they get
another instance, checked the same way. The practice checks are the hidden tests themselves,
generated from the instructor's notebooks, so they say what the grader says; the graded salt
never enters them, so the graded instances and hidden workloads stay unknown.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from mkteach.exercises.practice import QUESTIONS, practice
from mkteach.grading import Feedback, course_salt, practice_seed, seed_of
from mkteach.grading.grader import is_practice
from mkteach.grading.markup import is_test

ROOT = Path(__file__).resolve().parent.parent
SOURCES = sorted((ROOT / "exercises").glob("ex*.ipynb"))
RELEASED = ROOT / "notebooks" / "exercises"


def graded(path: Path) -> list:
    """Return the graded cells of an instructor notebook (code tests and hand-graded answers)."""
    cells = nbformat.read(path, as_version=4).cells
    return [c for c in cells if c.metadata.get("nbgrader", {}).get("grade")]


def hidden(cell) -> str:
    """Return a test cell's hidden tests."""
    return cell.source.split("### BEGIN HIDDEN TESTS")[1].split("### END HIDDEN TESTS")[0]


def test_every_automatically_graded_question_has_a_practice_check():
    tests = [c for p in SOURCES for c in graded(p) if is_test(c)]
    by_hand = [c.metadata.nbgrader.grade_id for p in SOURCES for c in graded(p) if not is_test(c)]
    assert sorted(QUESTIONS) == sorted(c.metadata.nbgrader.grade_id for c in tests)
    assert len(QUESTIONS) + len(by_hand) == 26  # and one written answer, graded by hand
    assert by_hand == ["ex02-q3-explain"]


def test_the_practice_checks_are_the_hidden_tests_of_today():
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / "make_practice.py"), "--check"],
                          capture_output=True, text=True)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr


def test_no_graded_salt_reaches_the_practice_checks_or_the_student_copies():
    exercises = {
        m
        for p in SOURCES
        for c in graded(p)
        for m in re.findall(r'course_salt\("(\w+)"\)', c.source)
    }
    assert exercises  # the hidden tests of this repository do use salts, from the course secret
    salts = {course_salt(e) for e in exercises}  # the test course's secret (tests/conftest.py)
    released = [p.read_text() for p in RELEASED.glob("ex*.ipynb")]
    generated = (ROOT / "mkteach" / "exercises" / "practice.py").read_text()
    assert "course_salt" not in generated and all("course_salt" not in t for t in released)
    for salt in salts:
        assert salt not in generated and all(salt not in text for text in released)


CASES = [{}, {"n": 0}, {"n": 288, "s": "conflict"}]  # none, and answers wrong in known ways
SLOW = {"ex01-q1-test", "ex03-q3-test", "ex07-q3-test", "ex09-q1-test", "ex10-q2-test"}
# ^ their checks weigh many believed answers by rerunning the model: compared unanswered only


def answers_for(names: tuple[str, ...], case: dict) -> dict:
    """Return answers for a question's names: numbers get case["n"], the rest case["s"]."""
    return {
        n: case.get("n") if i % 2 == 0 else case.get("s", case.get("n"))
        for i, n in enumerate(names)
    }


def hidden_test(grade_id: str) -> str:
    """Return the hidden tests of graded cell `grade_id`."""
    (cell,) = [c for p in SOURCES for c in graded(p) if c.metadata.nbgrader.grade_id == grade_id]
    return hidden(cell)


# Questions the grader checks on the student's own instance (the others only on salted ones,
# where practice runs public workloads instead: see the test after this one)
OWN_INSTANCE = [g for g in sorted(QUESTIONS) if "HIDDEN +" not in hidden_test(g)]


@pytest.mark.parametrize("grade_id", OWN_INSTANCE)
def test_on_the_students_instance_practice_says_what_the_grader_says(grade_id):
    code = hidden_test(grade_id)
    _, names = QUESTIONS[grade_id]
    for case in CASES[:1] if grade_id in SLOW else CASES:
        answers = answers_for(names, case)
        namespace = {"STUDENT": "alice", **answers}
        exec(code, namespace)  # the grader's hidden test, as the grader runs it
        grader: Feedback = namespace["feedback"]
        mine = practice(grade_id, "alice", **answers)
        assert mine.feedback == grader
        assert f"{grader.points}" not in str(mine).split("\n")[0]  # no points shown


def test_practice_on_salted_questions_uses_practice_seeds_not_the_graded_ones():
    salted = sorted(set(QUESTIONS) - set(OWN_INSTANCE))
    assert salted == ["ex03-q1-test", "ex03-q2-test", "ex04-q3-test", "ex05-q2-test"]
    from mkteach.exercises import practice as checks
    from mkteach.grading import check_pager

    fb = checks.check_ex03_q1_test("alice", my_pager=None)
    expected = check_pager(
        None, seed_of(seed_of("alice"), "practice-a"), points=2, title="Q1 pager"
    )
    assert fb.messages[0] == expected.labelled()[0]


def test_a_students_pager_gets_the_graders_verdict_in_practice():
    def my_pager(t, pages):  # right: each faulting page gets a pool page of its own, kept
        given, free = {}, list(pages)
        msg = yield t.wait()
        while True:
            if msg.fault_page not in given:
                given[msg.fault_page] = free.pop(0)
            msg = yield t.reply_and_wait(msg.sender, map=[(given[msg.fault_page], "rw", 0)])

    def lazy_pager(t, pages):  # wrong: always the same pool page
        msg = yield t.wait()
        while True:
            msg = yield t.reply_and_wait(msg.sender, map=[(pages[0], "rw", 0)])

    assert practice("ex03-q1-test", "alice", my_pager=my_pager).correct
    wrong = practice("ex03-q1-test", "alice", my_pager=lazy_pager)
    assert not wrong.correct and "(no points)" in str(wrong) and "points" not in str(wrong)[30:]


def test_another_instance_is_a_fresh_seed_and_checked_the_same_way():
    own = seed_of("alice")
    seeds = {practice_seed("alice", n) for n in (1, 2, 3)}
    assert len(seeds) == 3 and own not in seeds
    assert practice_seed("alice", 1) == practice_seed("alice", 1)  # the same in every process
    from mkteach.exercises.ex03_threads_ipc import TAGGED_WHY  # noqa: F401 - the question's keys
    from mkteach.grading import ipc_costs, seeded_overrides

    seed = practice_seed("alice", 1)
    machine = seeded_overrides(seed)  # what the set-up cell prints with SEED = this seed
    right = sum(ipc_costs("i486", machine).values())
    fb = practice("ex03-q3-test", seed, ipc_cycles=lambda facts: right)  # right there only
    assert fb.feedback.messages[0].startswith("Q3a: right")  # checked on that instance
    assert f"returns {right!r} whatever its arguments" in fb.feedback.messages[1]
    assert sum(ipc_costs("i486", seeded_overrides(own)).values()) != right  # not on one's own


def test_practice_never_raises_and_names_what_is_wrong():
    assert "no practice check named" in str(practice("ex99-q1-test", "alice"))
    assert "are not answers of" in str(practice("ex03-q1-test", "alice", pager=None))


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.stem)
def test_a_practice_cell_comes_before_each_graded_check_in_both_copies(path):
    for copy in (path, RELEASED / path.name):
        cells = nbformat.read(copy, as_version=4).cells
        for i, cell in enumerate(cells):
            if not is_test(cell):
                continue
            gid = cell.metadata.nbgrader.grade_id
            before = cells[i - 1]
            assert is_practice(before), gid
            assert re.search(rf'practice\(\s*"{gid}",\s*SEED,', before.source), gid
            for name in QUESTIONS[gid][1]:
                assert f"{name}={name}" in before.source
    text = "\n".join(c.source for c in nbformat.read(path, as_version=4).cells)
    assert "practice_seed(STUDENT, 1)" in text  # how to get another instance


def test_the_grader_does_not_run_practice_cells():
    from mkteach.grading.grader import run_and_check  # noqa: F401 - the function that skips them

    cell = nbformat.v4.new_code_cell("practice('ex03-q1-test', SEED)")
    cell.metadata["tags"] = ["practice"]
    assert is_practice(cell) and not is_practice(nbformat.v4.new_code_cell("x = 1"))

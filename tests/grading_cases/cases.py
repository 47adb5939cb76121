"""Submissions written for the grading tests: right, wrong on purpose, and tampered with.

Each case starts from the student copy of an exercise (as `release` writes it), answered with the
instructor's solutions, and then changes it: wrong answers that show a misconception, or the
tampering a grader must survive. `python tests/grading_cases/cases.py` rewrites the notebooks in
this folder from the exercises (run it after changing an exercise); tests/test_grading.py checks
that they are up to date and grades them.
"""

from __future__ import annotations

import copy
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import nbformat

from mkteach.exercises import ex02_address_spaces as ex02
from mkteach.grading import apply_ops, wrong_tree
from mkteach.grading.markup import SOLUTION, grade_id
from mkteach.grading.student_copies import read_source, student_copy

HERE = Path(__file__).resolve().parent
EXERCISES = HERE.parents[1] / "exercises"
EX02, EX03 = "ex02-address-spaces", "ex03-threads-ipc"
STUDENT = "your-id"
NOT_A_NOTEBOOK = "this was saved from a text editor, not from Jupyter\n"


def answered(exercise: str) -> Any:
    """Return the student copy of `exercise` with every answer taken from the solutions."""
    source = read_source(EXERCISES / f"{exercise}.ipynb")
    nb = student_copy(source, exercise)
    for cell, original in zip(nb.cells, source.cells, strict=True):
        if original.get("metadata", {}).get("nbgrader", {}).get("solution"):
            lines = original.source.split("\n")
            cell.source = "\n".join(x for x in lines if not any(d in x for d in SOLUTION))
    return nb


def hidden_key(exercise: str, gid: str, student: str = STUDENT, **answers: Any) -> dict:
    """Return the names a graded cell's hidden test defines when it runs for `student` (its
    answers None unless given): the instructor's answer key, which the package no longer has.
    Needs the course secret (tests/conftest.py sets MKTEACH_COURSE_SECRET)."""
    source = read_source(EXERCISES / f"{exercise}.ipynb")
    cell = next(c for c in source.cells if grade_id(c) == gid)
    hidden = cell.source.partition("### BEGIN HIDDEN TESTS")[2].partition("### END HIDDEN TESTS")
    names = re.findall(r"(\w+)=\1\b", cell.source.partition("answered(")[2].partition(")")[0])
    namespace: dict[str, Any] = {"STUDENT": student, **dict.fromkeys(names), **answers}
    exec(compile(hidden[0], f"<{gid} hidden test>", "exec"), namespace)
    return namespace


def read_copy(path: Path) -> Any:
    """Return a released student copy, as a student opens it."""
    return nbformat.read(str(path), as_version=4)


def set_student(nb: Any, student: str) -> Any:
    """Return `nb` with its STUDENT cell set to `student`."""
    for cell in nb.cells:
        if cell.cell_type == "code" and cell.source.startswith("STUDENT ="):
            cell.source = f"STUDENT = {student!r}"
    return nb


def index(nb: Any, gid: str) -> int:
    """Return the position of the cell with grade_id `gid`."""
    return next(i for i, c in enumerate(nb.cells) if grade_id(c) == gid)


def answer(nb: Any, gid: str, source: str) -> Any:
    """Return `nb` with the answer cell `gid` replaced by `source`."""
    nb.cells[index(nb, gid)].source = source.strip("\n")
    return nb


def insert_after(nb: Any, gid: str, source: str) -> Any:
    """Return `nb` with a new code cell after cell `gid`."""
    nb.cells.insert(
        index(nb, gid) + 1, nbformat.v4.new_code_cell(source.strip("\n"), id=f"x-{gid}")
    )
    return nb


def tree_source(tree: dict) -> str:
    """Return Python source assigning `predicted` for a tree {(space, page): parent}."""
    return "predicted = {\n" + "".join(f"    {k!r}: {p!r},\n" for k, p in tree.items()) + "}\n"


def sets_source(**sets: set) -> str:
    """Return Python source assigning each name its set (sorted, so the file is stable)."""
    return "".join(f"{name} = {{{', '.join(map(repr, sorted(v)))}}}\n".replace("{}", "set()")
                   for name, v in sets.items())  # fmt: skip


# -- wrong on purpose -----------------------------------------------------------------------


def ex02_wrong_flush() -> Any:
    """Q2: the standard pager's flush also removes its own mapping, f1's only what f1 mapped
    directly, F's as if F still held the page; Q3: who holds the frame now, not after the swap."""
    nb = answered(EX02)
    ops, seed = ex02.figure1_ops(STUDENT), STUDENT
    answer(nb, "ex02-q2-answer", sets_source(
        removed_by_standard=ex02.believed_removed(
            ops, ex02.flush_by(seed, "standard"), "flush_self"
        ),
        removed_by_f1=ex02.believed_removed(ops, ex02.flush_by(seed, "f1"), "flush_direct_only"),
        removed_by_F=ex02.believed_removed(ops, ex02.flush_by(seed, "F"), "grant_as_map"),
    ))  # fmt: skip
    frame = ex02.figure1_instance(seed)["f1"]["frame"]
    now = {space for space, _ in apply_ops(ops, frames=ex02.FRAMES).mapping_tree(frame).nodes}
    return answer(nb, "ex02-q3-answer", sets_source(held_if_swapped=now - {"sigma0"}))


def ex02_wrong_grant() -> Any:
    """Q1 and Q2 treat F's grant as a map: F stays in the tree."""
    nb = answered(EX02)
    ops, seed = ex02.figure1_ops(STUDENT), STUDENT
    answer(nb, "ex02-q1-answer", tree_source(wrong_tree(ops, "grant_as_map")))
    beliefs = {
        f"removed_by_{who}": ex02.believed_removed(ops, ex02.flush_by(seed, who), "grant_as_map")
        for who in ex02.FLUSHERS
    }
    return answer(nb, "ex02-q2-answer", sets_source(**beliefs))


SAME_PAGE_PAGER = """
def my_pager(t, pages):
    msg = yield t.wait()
    while True:
        msg = yield t.reply_and_wait(msg.sender, map=[(pages[0], "rw", 0)])
"""

SEND_SERVER = """
def fixed_server(t):
    msg = yield t.wait(window=(WINDOW, 0))
    while True:
        value = yield t.load(WINDOW * 4096)
        yield t.send(msg.sender, words=(value + 1,))
        msg = yield t.wait(window=(WINDOW, 0))
"""

NO_TLB_COST = """
def ipc_cycles(facts):
    return (
        facts["trap_enter_cycles"]
        + facts["trap_exit_cycles"]
        + facts["instructions"] * facts["cpi"]
        + facts["as_switch_cycles"]
    )


tagged_tlb_cycles = 0
why_tagged = "capacity"
"""


def ex03_wrong() -> Any:
    """Q1 hands out one page for every fault, Q2 finds one bug and replies with send, Q3
    forgets the TLB refill and believes a tagged TLB never misses."""
    nb = answered(EX03)
    answer(nb, "ex03-q1-answer", SAME_PAGE_PAGER)
    answer(nb, "ex03-q2a-answer", 'bugs = {"send"}')
    answer(nb, "ex03-q2b-answer", SEND_SERVER)
    return answer(nb, "ex03-q3-answer", NO_TLB_COST)


# -- tampering ------------------------------------------------------------------------------


def deleted_tests() -> Any:
    """Two test cells deleted."""
    nb = answered(EX02)
    for gid in ("ex02-q2-test", "ex02-q3-test"):
        del nb.cells[index(nb, gid)]
    return nb


def edited_test() -> Any:
    """A wrong answer, and its test cell edited to claim full marks."""
    nb = ex02_wrong_flush()
    nb.cells[
        index(nb, "ex02-q2-test")
    ].source = "from mkteach.grading import Feedback\n\nFeedback(4, 4, ('all right',))"
    return nb


def duplicated_test() -> Any:
    """A test cell pasted twice more."""
    nb = answered(EX02)
    at = index(nb, "ex02-q2-test")
    for n in range(2):
        twin = copy.deepcopy(nb.cells[at])
        twin.id = f"{twin.id}-copy{n}"
        nb.cells.insert(at + 1, twin)
    return nb


def changed_types() -> Any:
    """A test cell turned into markdown and an answer cell into a raw cell."""
    nb = answered(EX02)
    for gid, kind in (("ex02-q3-test", "markdown"), ("ex02-q2-answer", "raw")):
        cell = nb.cells[index(nb, gid)]
        cell.cell_type = kind
        cell.pop("outputs", None)
        cell.pop("execution_count", None)
    return nb


def endless_loop() -> Any:
    """A cell that loops for ever (an interrupt stops it)."""
    return insert_after(answered(EX02), "ex02-q2-answer", "while True:\n    pass")


def stuck_loop() -> Any:
    """A cell that ignores interrupts and loops for ever, after the first test."""
    loop = "import signal\n\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass"
    return insert_after(answered(EX02), "ex02-q2-test", loop)


def raising_cell() -> Any:
    """A cell that raises."""
    return insert_after(answered(EX02), "ex02-q2-answer", 'raise RuntimeError("boom")')


def missing_import() -> Any:
    """A cell that imports a module that does not exist."""
    return insert_after(answered(EX02), "ex02-setup", "import module_that_does_not_exist")


CASES: dict[str, Callable[[], Any]] = {
    "ex02-reference": lambda: answered(EX02),
    "ex03-reference": lambda: answered(EX03),
    "ex02-wrong-flush": ex02_wrong_flush,
    "ex02-wrong-grant": ex02_wrong_grant,
    "ex03-wrong": ex03_wrong,
    "tamper-deleted-tests": deleted_tests,
    "tamper-edited-test": edited_test,
    "tamper-duplicated-test": duplicated_test,
    "tamper-cell-types": changed_types,
    "tamper-endless-loop": endless_loop,
    "tamper-stuck-loop": stuck_loop,
    "tamper-raising-cell": raising_cell,
    "tamper-missing-import": missing_import,
}
TEXT_CASES = {"tamper-not-a-notebook": NOT_A_NOTEBOOK}


def collect(names: list[str], folder: Path, student: str = STUDENT) -> list[Path]:
    """Return copies of the cases' files in folder/STUDENT/, as an instructor collects them
    (the grader takes the student's identity from that folder)."""
    (folder / student).mkdir(parents=True, exist_ok=True)
    out = []
    for name in names:
        target = folder / student / path(name).name
        target.write_bytes(path(name).read_bytes())
        out.append(target)
    return out


def path(name: str) -> Path:
    """Return the file of case `name` (named after its exercise, so the grader can match it)."""
    exercise = EX03 if name.startswith("ex03") else EX02
    return HERE / f"{name}.{exercise}.ipynb"


def render(name: str) -> str:
    """Return the file content of case `name`."""
    if name in TEXT_CASES:
        return TEXT_CASES[name]
    nb = CASES[name]()
    nbformat.validate(nb)
    return nbformat.writes(nb) + "\n"


def write_all() -> list[Path]:
    """Write every case's file; return their paths."""
    written = []
    for name in [*CASES, *TEXT_CASES]:
        path(name).write_text(render(name), encoding="utf-8")
        written.append(path(name))
    return written


if __name__ == "__main__":
    for p in write_all():
        print(p.relative_to(HERE.parents[1]), file=sys.stdout)

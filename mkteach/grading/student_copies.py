"""Student copies of instructor notebooks: solutions stubbed, hidden tests removed, outputs cleared.

    release("exercises", "release")      # writes release/ex02-....ipynb, ...

nbgrader metadata stays, so nbgrader can still grade the copies, and each copy records which
exercise it is (`metadata.mkteach.exercise`) so the grader can match a renamed submission.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import nbformat

from .markup import MarkupError, check_cells, grade_id, student_source
from .secret import SecretError, create_secret, in_checkout

LEAKS = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "BEGIN MARK SCHEME")


class ReleaseError(ValueError):
    """An exercise notebook cannot be released (unreadable, broken markup, bad folders)."""


def source_notebooks(src_dir: str | Path) -> list[Path]:
    """Return the instructor notebooks directly in `src_dir`, sorted; raise if there are none."""
    src = Path(src_dir)
    if not src.is_dir():
        raise ReleaseError(f"{src} is not a folder of exercise notebooks")
    found = sorted(p for p in src.glob("*.ipynb") if p.is_file())
    if not found:
        raise ReleaseError(f"{src} has no .ipynb notebooks")
    return found


def read_source(path: str | Path) -> Any:
    """Return an instructor notebook, checked for broken nbgrader markup."""
    try:
        nb = nbformat.read(str(path), as_version=4)
    except Exception as e:
        raise ReleaseError(f"{path}: not a readable notebook ({type(e).__name__}: {e})") from None
    try:
        check_cells(nb.cells, str(path))
    except MarkupError as e:
        raise ReleaseError(str(e)) from None
    return nb


def student_copy(nb: Any, exercise: str, where: str = "") -> Any:
    """Return the student's copy of instructor notebook `nb` (which is left unchanged)."""
    out = copy.deepcopy(nb)
    out.metadata.pop("widgets", None)
    out.metadata["mkteach"] = {"exercise": exercise}
    for index, cell in enumerate(out.cells):
        name = f"{where or exercise}, cell {index}" + (
            f" ({grade_id(cell)})" if grade_id(cell) else ""
        )
        try:
            cell.source = student_source(cell, name)
        except MarkupError as e:
            raise ReleaseError(str(e)) from None
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        cell.metadata.pop("execution", None)
        for word in LEAKS:
            if word in cell.source:
                raise ReleaseError(f"{name}: '{word}' is still in the student's copy")
    return out


def release(
    src_dir: str | Path, out_dir: str | Path, *, course_dir: str | Path | None = None
) -> list[Path]:
    """Write a student copy of every notebook in `src_dir` to `out_dir`, and create the course
    secret (secret.py) in `course_dir` (default: the folder holding `src_dir`, unless that is
    this package's repository) when it has none; return the copies' paths."""
    src, out = Path(src_dir), Path(out_dir)
    notebooks = source_notebooks(src)
    if out.resolve() == src.resolve():
        raise ReleaseError("the output folder must differ from the source folder")
    copies = [(p, student_copy(read_source(p), p.stem, str(p))) for p in notebooks]
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for path, nb in copies:
        target = out / path.name
        try:
            nbformat.validate(nb)
        except nbformat.ValidationError as e:
            raise ReleaseError(f"{path}: the student's copy is not a valid notebook: {e}") from None
        nbformat.write(nb, str(target))
        written.append(target)
    course = course_folder(src, course_dir)
    if course is not None:
        try:
            create_secret(course)
        except (SecretError, OSError) as e:
            raise ReleaseError(f"the course secret: {e}") from None
    return written


def course_folder(src_dir: str | Path, course_dir: str | Path | None = None) -> Path | None:
    """Return the course folder that keeps the course secret: `course_dir`, else the folder
    holding `src_dir`, or None when that is this package's (public) repository."""
    if course_dir is not None:
        return Path(course_dir)
    parent = Path(src_dir).resolve().parent
    return None if in_checkout(parent) else parent

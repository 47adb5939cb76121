"""Put the instructor's tests back into a submission, whatever the student did to them.

Test cells and locked cells are restored from the instructor's notebook by `grade_id` (edited ones
replaced, deleted ones re-inserted where they were, duplicates dropped, changed cell types
undone); answer cells keep the student's text but get back their cell type; the student's own
cells stay. Every repair is reported as a note, so the result says what was done and why.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

import nbformat

from .markup import grade_id, is_protected, is_solution, is_test, points, student_source


@dataclass
class Merged:
    """A submission ready to run: its cells, the notes on repairs, and the questions to grade."""

    nb: Any
    notes: list[str] = field(default_factory=list)
    questions: dict[str, float] = field(default_factory=dict)  # grade_id -> points, in order


def merge(source: Any, submission: Any) -> Merged:
    """Return the submission with the instructor's protected cells from `source` restored."""
    protected = {grade_id(c): c for c in source.cells if is_protected(c)}
    answers = {grade_id(c): c for c in source.cells if is_solution(c)}
    cells: list[Any] = []
    notes: list[str] = []
    seen: set[str] = set()
    for cell in submission.cells:
        gid = grade_id(cell)
        if gid in protected:
            if gid in seen:
                notes.append(f"a copy of cell {gid} was dropped: each test runs once")
                continue
            notes += _tampering(cell, protected[gid], gid)
            cells.append(_fresh(protected[gid]))
        elif gid in answers:
            cells.append(_answer(cell, answers[gid], gid, notes))
        else:
            cells.append(_own(cell, gid, notes))
        seen.add(gid or "")
    for gid, original in list(protected.items()) + list(answers.items()):
        if gid not in seen:
            what = "test cell" if is_test(original) else "cell"
            if gid in answers:
                what = "answer cell"
            notes.append(f"{what} {gid} was missing and has been put back")
            restored = _fresh(original) if gid in protected else _stub(original)
            cells.insert(_position(cells, source.cells, original), restored)
    nb = nbformat.v4.new_notebook(metadata=copy.deepcopy(submission.metadata))
    nb.cells = _unique_ids(cells)
    questions = {grade_id(c): points(c) for c in source.cells if is_test(c)}
    return Merged(nb, notes, questions)  # type: ignore[arg-type]


def _tampering(cell: Any, original: Any, gid: str) -> list[str]:
    """Return notes on how a protected cell in the submission differs from the released one."""
    if cell.get("cell_type") != original.cell_type:
        return [f"cell {gid} was changed to {cell.get('cell_type')}: the instructor's was used"]
    given = str(cell.get("source", "")).strip()
    if given not in (student_source(original, gid).strip(), original.source.strip()):
        return [f"cell {gid} was edited: the instructor's version was used"]
    return []


def _fresh(cell: Any) -> Any:
    """Return a copy of an instructor cell with no outputs."""
    out = copy.deepcopy(cell)
    if out.cell_type == "code":
        out.outputs, out.execution_count = [], None
    return out


def _stub(original: Any) -> Any:
    """Return the released (unanswered) version of an answer cell."""
    out = _fresh(original)
    out.source = student_source(original, grade_id(original) or "")
    return out


def _answer(cell: Any, original: Any, gid: str, notes: list[str]) -> Any:
    """Return the student's answer cell with the instructor's cell type and metadata."""
    source = str(cell.get("source", ""))
    if cell.get("cell_type") != original.cell_type:
        notes.append(
            f"answer cell {gid} was changed to {cell.get('cell_type')}: it was graded as "
            f"{original.cell_type}"
        )
    out = _fresh(original)
    out.source = source
    return out


def _own(cell: Any, gid: str | None, notes: list[str]) -> Any:
    """Return a student's own cell as a plain cell (a made-up grade_id grades nothing)."""
    kind = cell.get("cell_type")
    source = str(cell.get("source", ""))
    if gid is not None:
        notes.append(f"cell {gid} is not in the exercise: it ran as an ordinary cell")
    if kind == "code":
        return nbformat.v4.new_code_cell(source)
    if kind == "raw":
        return nbformat.v4.new_raw_cell(source)
    return nbformat.v4.new_markdown_cell(source)


def _position(cells: list[Any], source_cells: list[Any], original: Any) -> int:
    """Return where to re-insert `original`: after the nearest earlier source cell still here."""
    index = next(i for i, c in enumerate(source_cells) if c is original)
    present = {grade_id(c): i for i, c in enumerate(cells) if grade_id(c)}
    for earlier in reversed(source_cells[:index]):
        gid = grade_id(earlier)
        if gid in present:
            return present[gid] + 1
    for later in source_cells[index + 1 :]:
        gid = grade_id(later)
        if gid in present:
            return present[gid]
    return len(cells)


def _unique_ids(cells: list[Any]) -> list[Any]:
    """Return the cells with unique cell ids (restored copies may repeat a student's)."""
    used: set[str] = set()
    for n, cell in enumerate(cells):
        cid = cell.get("id")
        if not isinstance(cid, str) or cid in used:
            cell["id"] = f"merged-{n}"
        used.add(cell["id"])
    return cells

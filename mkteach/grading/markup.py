"""nbgrader markup: solution, hidden-test and mark-scheme regions, and cell metadata.

The rules follow nbgrader's preprocessors, so a notebook released here and one released by
`nbgrader generate_assignment` hide the same things: a line containing "BEGIN SOLUTION" starts a
solution region (replaced by a stub, indented like the line), "BEGIN HIDDEN TESTS" a hidden-test
region (removed; only in grade cells), "BEGIN MARK SCHEME" a mark scheme (removed; only in task
cells). A solution cell without a region is replaced whole by the stub.
"""

from __future__ import annotations

import re
from typing import Any

CODE_STUB = "# YOUR CODE HERE\nraise NotImplementedError()"
TEXT_STUB = "YOUR ANSWER HERE"
SOLUTION = ("BEGIN SOLUTION", "END SOLUTION")
HIDDEN = ("BEGIN HIDDEN TESTS", "END HIDDEN TESTS")
MARK_SCHEME = ("BEGIN MARK SCHEME", "END MARK SCHEME")


class MarkupError(ValueError):
    """A notebook's nbgrader markup is broken (unbalanced regions, regions in the wrong cell)."""


def meta(cell: Any) -> dict[str, Any]:
    """Return the cell's nbgrader metadata ({} when it has none)."""
    value = cell.get("metadata", {}).get("nbgrader", {})
    return value if isinstance(value, dict) else {}


def grade_id(cell: Any) -> str | None:
    """Return the cell's grade_id, or None."""
    value = meta(cell).get("grade_id")
    return value if isinstance(value, str) and value else None


def is_test(cell: Any) -> bool:
    """Return True for an autograder test cell (a code cell with grade and no solution)."""
    m = meta(cell)
    return bool(m.get("grade")) and not m.get("solution") and cell.get("cell_type") == "code"


def is_protected(cell: Any) -> bool:
    """Return True for a cell whose source the grader restores: tests and locked cells."""
    m = meta(cell)
    return (
        grade_id(cell) is not None
        and not m.get("solution")
        and bool(m.get("grade") or m.get("locked"))
    )


def is_solution(cell: Any) -> bool:
    """Return True for a cell the student answers in."""
    return bool(meta(cell).get("solution")) and grade_id(cell) is not None


def points(cell: Any) -> float:
    """Return the cell's points (0 when missing or not a number)."""
    value = meta(cell).get("points", 0)
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0


def replace_regions(
    source: str, delimiters: tuple[str, str], stub: str | None, where: str
) -> tuple[str, bool]:
    """Return (source with each delimited region replaced by `stub` or removed, found any).

    Raises MarkupError for a nested or unterminated region; `where` names the cell in messages.
    """
    begin, end = delimiters
    out: list[str] = []
    inside = found = False
    for line in source.split("\n"):
        if begin in line:
            if inside:
                raise MarkupError(f"{where}: '{begin}' inside another '{begin}' region")
            inside = found = True
            if stub is not None:
                indent = re.match(r"\s*", line).group(0)  # type: ignore[union-attr]
                out += [indent + s for s in stub.split("\n")]
        elif end in line:
            if not inside:
                raise MarkupError(f"{where}: '{end}' without '{begin}'")
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise MarkupError(f"{where}: '{begin}' has no '{end}'")
    return "\n".join(out), found


def student_source(cell: Any, where: str) -> str:
    """Return the source a student gets for `cell`: solutions stubbed, hidden tests and mark
    schemes removed; raise MarkupError where nbgrader would refuse the cell."""
    m = meta(cell)
    code = cell.get("cell_type") == "code"
    source, solved = replace_regions(cell.source, SOLUTION, CODE_STUB if code else TEXT_STUB, where)
    if solved and not m.get("solution"):
        raise MarkupError(f"{where}: a solution region in a cell not marked as a solution cell")
    if m.get("solution") and not solved:
        source = CODE_STUB if code else TEXT_STUB
    source, hidden = replace_regions(source, HIDDEN, None, where)
    if hidden and not m.get("grade"):
        raise MarkupError(f"{where}: a hidden-test region in a cell that is not a grade cell")
    source, schemed = replace_regions(source, MARK_SCHEME, None, where)
    if schemed and not m.get("task"):
        raise MarkupError(f"{where}: a mark scheme in a cell that is not a task cell")
    return source


def check_cells(cells: list[Any], where: str) -> None:
    """Raise MarkupError unless grade_ids are unique and every graded cell has points."""
    seen: set[str] = set()
    for index, cell in enumerate(cells):
        m = meta(cell)
        gid = grade_id(cell)
        if (m.get("grade") or m.get("solution") or m.get("locked")) and gid is None:
            raise MarkupError(f"{where}, cell {index}: nbgrader cell without a grade_id")
        if gid is None:
            continue
        if gid in seen:
            raise MarkupError(f"{where}: grade_id {gid!r} is used twice")
        seen.add(gid)
        if m.get("grade") and "points" not in m:
            raise MarkupError(f"{where}: grade cell {gid!r} has no points")

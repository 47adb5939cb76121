"""The course itself, shipped with the package: `mkteach course DIR` writes it to a folder.

A wheel carries the chapters and the student copies of the exercises as mkteach/course/
(setup.py copies notebooks/ there when it builds); a working copy of the repository reads
notebooks/ itself. Never the instructor's exercise sources: those stay in exercises/.
"""

from __future__ import annotations

from pathlib import Path

PACKAGED = Path(__file__).resolve().parent / "course"
CHECKOUT = Path(__file__).resolve().parent.parent / "notebooks"
PATTERNS = ("*.ipynb", "exercises/*.ipynb")  # the chapters, then the student copies


class CourseError(ValueError):
    """The course cannot be written where asked (nothing was written)."""


def course_source() -> Path:
    """Return the folder the course is read from: the package's copy, else the checkout's."""
    for folder in (PACKAGED, CHECKOUT):
        if any(folder.glob("*.ipynb")):
            return folder
    raise CourseError("this install of mkteach carries no course notebooks")


def course_files(source: Path | None = None) -> list[Path]:
    """Return the course's notebooks relative to their folder: chapters, then exercises."""
    source = source or course_source()
    return [p.relative_to(source) for pattern in PATTERNS for p in sorted(source.glob(pattern))]


def write_course(target: Path, force: bool = False) -> list[Path]:
    """Write the chapters and the student copies into `target` (created if missing); return
    the files written. Without `force`, an existing notebook there is never overwritten: if
    any is present, raise CourseError naming them and write nothing."""
    source = course_source()
    files = course_files(source)
    if target.exists() and not target.is_dir():
        raise CourseError(f"{target} is a file, not a folder")
    present = [str(f) for f in files if (target / f).exists()]
    if present and not force:
        shown = ", ".join(present[:3]) + (" …" if len(present) > 3 else "")
        raise CourseError(f"{target} already holds {len(present)} course notebook(s) "
                          f"({shown}); nothing written (use --force to replace them)")  # fmt: skip
    written = []
    for f in files:
        (target / f).parent.mkdir(parents=True, exist_ok=True)
        (target / f).write_bytes((source / f).read_bytes())
        written.append(target / f)
    return written

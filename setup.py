"""Build hook (everything else is in pyproject.toml): the wheel carries the course.

`build_py` copies the chapters (notebooks/*.ipynb) and the student copies of the exercises
(notebooks/exercises/*.ipynb) into the package as mkteach/course/, so that `mkteach course DIR`
works after `pip install mkteach` (a JupyterHub image, say). The instructor's exercise sources
(exercises/) are never copied. MKTEACH_WHEEL_WITHOUT_COURSE=1 leaves the course out (the
JupyterLite build serves the notebooks as the site's own files).
"""

import os
import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
COURSE = ("*.ipynb", "exercises/*.ipynb")


class BuildWithCourse(build_py):
    """build_py that also copies the course's notebooks into the built package."""

    def run(self) -> None:
        """Build the package, then copy the course into build_lib/mkteach/course/."""
        super().run()
        if os.environ.get("MKTEACH_WHEEL_WITHOUT_COURSE") == "1":
            return
        source = ROOT / "notebooks"
        target = Path(self.build_lib) / "mkteach" / "course"
        for pattern in COURSE:
            for notebook in sorted(source.glob(pattern)):
                dest = target / notebook.relative_to(source)
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(notebook, dest)


setup(cmdclass={"build_py": BuildWithCourse})

"""The course travels with the package: a JupyterHub image installs the wheel, and an instructor
(or a student's start-up script) runs `mkteach course DIR` to get the chapters and the student
copies of the exercises, never the instructor's sources. Bad input changes nothing.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from mkteach.cli import main
from mkteach.course import course_files

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"


def test_mkteach_course_writes_every_chapter_and_exercise_copy(tmp_path, capsys):
    target = tmp_path / "course"
    assert main(["course", str(target)]) == 0
    files = course_files(NOTEBOOKS)
    assert len([f for f in files if f.parent == Path(".")]) == 11
    copies = sorted((NOTEBOOKS / "exercises").glob("*.ipynb"))  # ten exercises and the labs
    assert len(copies) >= 13 and [f for f in files if f.parent == Path("exercises")] == [
        Path("exercises") / p.name for p in copies
    ]
    for f in files:
        assert (target / f).read_bytes() == (NOTEBOOKS / f).read_bytes(), f
    assert f"wrote 11 chapters and {len(copies)} exercise copies" in capsys.readouterr().out


def test_mkteach_course_never_overwrites_a_students_work_unless_told(tmp_path, capsys):
    target = tmp_path / "course"
    (target / "exercises").mkdir(parents=True)
    (target / "exercises" / "ex02-address-spaces.ipynb").write_text("my work")
    assert main(["course", str(target)]) == 1
    assert "nothing written" in capsys.readouterr().err
    assert sorted(p.name for p in target.rglob("*")) == ["ex02-address-spaces.ipynb", "exercises"]
    assert (target / "exercises" / "ex02-address-spaces.ipynb").read_text() == "my work"
    assert main(["course", str(target), "--force"]) == 0
    assert (target / "00-start.ipynb").is_file()
    (tmp_path / "a-file").write_text("x")
    assert main(["course", str(tmp_path / "a-file")]) == 1
    assert "is a file" in capsys.readouterr().err


@pytest.mark.slow
def test_a_wheel_install_carries_the_course(tmp_path):
    source = tmp_path / "src"
    listed = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT,
                            capture_output=True, text=True, check=True).stdout.split()  # fmt: skip
    for name in listed:
        if (ROOT / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, source / name)
    env = dict(os.environ, PIP_DISABLE_PIP_VERSION_CHECK="1")
    env.pop("PYTHONPATH", None)
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", str(source),
                            "-w", str(tmp_path / "dist")], capture_output=True, text=True,
                           env=env, timeout=600)  # fmt: skip
    assert built.returncode == 0, built.stdout[-2000:] + built.stderr[-2000:]
    (wheel,) = (tmp_path / "dist").glob("mkteach-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "mkteach/course/00-start.ipynb" in names
    assert "mkteach/course/exercises/ex02-address-spaces.ipynb" in names
    assert "mkteach/views/player/model.js" in names
    for name in names:
        text = zipfile.ZipFile(wheel).read(name).decode("utf-8", "replace")
        assert not (name.endswith(".ipynb") and "BEGIN SOLUTION" in text), name
    site = tmp_path / "site"
    done = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target",
                           str(site), str(wheel)], capture_output=True, text=True, env=env,
                          timeout=600)  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    target = tmp_path / "hub-home" / "course"
    # the installed wheel, not this checkout, answers (no notebooks/ next to it)
    code = (
        "import sys, mkteach; assert mkteach.__file__.startswith(sys.argv[1]), mkteach.__file__;"
        "from mkteach.cli import main; sys.exit(main(['course', sys.argv[2]]))"
    )
    ran = subprocess.run(
        [sys.executable, "-c", code, str(site), str(target)],
        cwd=tmp_path,
        env=dict(env, PYTHONPATH=str(site)),
        capture_output=True,
        text=True,
    )
    assert ran.returncode == 0, ran.stdout + ran.stderr
    for f in course_files(NOTEBOOKS):
        assert (target / f).read_bytes() == (NOTEBOOKS / f).read_bytes(), f
    # `mkteach lab` from the wheel serves ./mkteach-course (written the first time), never
    # site-packages, and a second start keeps the student's work
    student = tmp_path / "student"
    student.mkdir()
    lab = "from mkteach.cli import lab_command, lab_root; print(lab_command([], *lab_root()))"
    first = subprocess.run([sys.executable, "-c", lab], cwd=student, capture_output=True,
                           text=True, env=dict(env, PYTHONPATH=str(site)))  # fmt: skip
    assert first.returncode == 0, first.stderr
    course = student / "mkteach-course"
    assert "wrote the course" in first.stdout and (course / "00-start.ipynb").is_file()
    assert f"--ServerApp.root_dir={course}" in first.stdout  # not site-packages
    assert "'00-start.ipynb']" in first.stdout  # it opens on the start notebook
    (course / "01-rationale.ipynb").write_text("my work")
    again = subprocess.run([sys.executable, "-c", lab], cwd=student, capture_output=True,
                           text=True, env=dict(env, PYTHONPATH=str(site)))  # fmt: skip
    assert "wrote" not in again.stdout and (course / "01-rationale.ipynb").read_text() == "my work"

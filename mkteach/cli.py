"""The `mkteach` command line.

mkteach lab                                          open the course in JupyterLab
mkteach run SCENARIO [--seed N] [--steps N] [--machine NAME]   a scenario's trace in the terminal
mkteach trace SCENARIO --format chrome|json -o FILE  write a scenario's trace (Perfetto: chrome)
mkteach course DIR [--force]                         write the course's notebooks to DIR
mkteach exercises release SRC_DIR OUT_DIR [--course DIR]   student copies, and the course secret
mkteach grade SUBMISSION... --source SRC_DIR [--csv FILE] [--feedback DIR] [--shard I/N]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import NoReturn

from .commands import CommandError, add_commands, run_command, trace_command

ROOT = Path(__file__).resolve().parent.parent
START = "notebooks/00-start.ipynb"
LAB_SETTINGS = Path(__file__).resolve().parent / "lab_settings"


INSTALLED_COURSE = "mkteach-course"  # where `mkteach lab` puts the course of an installed wheel


def lab_root(here: Path | None = None) -> tuple[Path, str]:
    """Return (the folder JupyterLab serves, its start notebook): this checkout, or for an
    installed package the folder mkteach-course/ in `here` (the current folder), written from
    the course the package carries the first time (later, a student's own copies are kept)."""
    if (ROOT / START).exists():
        return ROOT, START
    folder = (here or Path.cwd()) / INSTALLED_COURSE
    if not (folder / "00-start.ipynb").exists():
        from .course import write_course

        written = write_course(folder)  # raises CourseError, writing nothing, if it cannot
        print(f"mkteach lab: wrote the course ({len(written)} notebooks) to {folder}")
    return folder, "00-start.ipynb"


def lab_command(extra: list[str], root: Path = ROOT, start: str = START) -> list[str]:
    """Return the command that starts JupyterLab in `root` on its start notebook `start`, with
    no news or update pop-up."""
    jupyter = shutil.which("jupyter", path=str(Path(sys.executable).parent)) or "jupyter"
    # 127.0.0.1 only, and JupyterLab's random token (printed in the URL it shows)
    command = [jupyter, "lab", "--ip=127.0.0.1", f"--ServerApp.root_dir={root}",
               "--LabApp.news_url=None",
               "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
               # defaults that answer JupyterLab's "news?" question (no): lab_settings/
               f"--LabApp.app_settings_dir={LAB_SETTINGS}"]  # fmt: skip
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")  # JupyterLab refuses to start as root without it
    if (root / start).exists():
        # the URL it prints (and the browser it opens) goes to 00-start, not the Launcher
        start_url = f"/lab/tree/{start}"
        command += [f"--ServerApp.default_url={start_url}", f"--LabApp.default_url={start_url}"]
        command.append(start)  # relative to root, where main() runs it
    return command + extra


def trust_course_notebooks(chapters: Path = ROOT / "notebooks") -> None:
    """Mark the course's own notebooks (the chapters in `chapters`) trusted, so their saved
    dashboard replays (HTML with a script) step in JupyterLab before any cell runs; say so and
    go on if it cannot."""
    notebooks = sorted(str(p) for p in chapters.glob("*.ipynb"))
    if not notebooks:
        return
    jupyter = shutil.which("jupyter", path=str(Path(sys.executable).parent)) or "jupyter"
    try:
        subprocess.run([jupyter, "trust", *notebooks], check=True, capture_output=True)
    except (OSError, subprocess.CalledProcessError) as e:
        print(f"mkteach lab: could not trust the course notebooks ({e}); their saved dashboards "
              "step once their cells run", file=sys.stderr)  # fmt: skip


class Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one clear line and exit code 2."""

    def error(self, message: str) -> NoReturn:
        """Print `message` as one line (with the command's name) and exit with code 2."""
        self.exit(2, f"{self.prog}: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    """Return the parser of every subcommand."""
    parser = Parser(prog="mkteach", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    lab = sub.add_parser("lab", help="open the course in JupyterLab")
    lab.add_argument("jupyter_args", nargs=argparse.REMAINDER, help="passed on to jupyter lab")
    add_commands(sub)
    course = sub.add_parser("course", help="write the chapters and exercise copies to DIR")
    course.add_argument("dir", help="the folder to write them to (created if missing)")
    course.add_argument("--force", action="store_true", help="replace notebooks already there")
    exercises = sub.add_parser("exercises", help="work with exercise notebooks")
    actions = exercises.add_subparsers(dest="action", required=True, parser_class=Parser)
    release = actions.add_parser(
        "release", help="write student copies: solutions stubbed, hidden tests removed"
    )
    release.add_argument("src_dir", help="folder of instructor notebooks (with solutions)")
    release.add_argument("out_dir", help="folder to write the student copies to")
    release.add_argument(
        "--course", metavar="DIR", help="course folder that keeps the course secret (default: "
        "the folder holding SRC_DIR)"
    )  # fmt: skip
    grade = sub.add_parser("grade", help="grade submissions: points, feedback, CSV")
    grade.add_argument("submissions", nargs="+", metavar="SUBMISSION", help="notebook files")
    grade.add_argument("--source", required=True, help="folder of instructor notebooks")
    grade.add_argument("--csv", help="also write the grades to this CSV file")
    grade.add_argument("--feedback", metavar="DIR", help="write DIR/STUDENT/NOTEBOOK.html")
    grade.add_argument("--shard", metavar="I/N", help="grade only the I-th of N equal parts")
    grade.add_argument("--cell-timeout", type=float, default=30, help="seconds per cell (30)")
    grade.add_argument("--timeout", type=float, default=300, help="seconds per notebook (300)")
    grade.add_argument("--jobs", type=int, default=None, help="notebooks graded at once")
    grade.add_argument(
        "--course", metavar="DIR", help="course folder with the course secret (default: the "
        "folder holding --source)"
    )  # fmt: skip
    return parser


def lab(jupyter_args: list[str]) -> int:
    """Open the course in JupyterLab (this checkout's, or an installed package's written to
    ./mkteach-course); return JupyterLab's exit code, or 1 if the course cannot be written."""
    from .course import CourseError

    try:
        root, start = lab_root()
    except (CourseError, OSError) as e:
        print(f"mkteach lab: cannot put the course in {Path.cwd() / INSTALLED_COURSE}: {e}. "
              f"Run `mkteach course {INSTALLED_COURSE} --force` to write it again, or start "
              "`mkteach lab` from another folder you can write to", file=sys.stderr)  # fmt: skip
        return 1
    trust_course_notebooks(root / Path(start).parent)
    try:
        return subprocess.call(lab_command(jupyter_args, root, start), cwd=root)
    except KeyboardInterrupt:
        return 0


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["lab"] and not {"-h", "--help"} & set(argv[1:]):
        return lab(argv[1:])  # everything after `lab` goes to jupyter lab (say --port=9999)
    args = build_parser().parse_args(argv)
    if args.command == "lab":
        return lab(args.jupyter_args)
    if args.command in ("run", "trace"):
        try:
            return run_command(args) if args.command == "run" else trace_command(args)
        except CommandError as e:
            print(f"mkteach {args.command}: {e}", file=sys.stderr)
            return 1
    if args.command == "course":
        return course_command(args)
    # jsonschema (under nbformat) loads an IRI-format checker that takes a second and that
    # notebooks never use: this short-lived command skips it.
    sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]
    try:
        if args.command == "exercises":
            return release_command(args)
        return grade_command(args)
    except (ValueError, OSError) as e:  # GradingError and ReleaseError are ValueErrors
        print(f"mkteach {args.command}: {e}", file=sys.stderr)
        return 1


def course_command(args: argparse.Namespace) -> int:
    """Write the course to args.dir; print what was written and how to open it."""
    from .course import CourseError, write_course

    target = Path(args.dir)
    try:
        written = write_course(target, force=args.force)
    except (CourseError, OSError) as e:
        print(f"mkteach course: {e}", file=sys.stderr)
        return 1
    chapters = sum(1 for p in written if p.parent == target)
    print(f"mkteach course: wrote {chapters} chapters and {len(written) - chapters} exercise "
          f"copies to {target}; open {target / '00-start.ipynb'} in JupyterLab")  # fmt: skip
    return 0


def release_command(args: argparse.Namespace) -> int:
    """Write the student copies and say where; return 0."""
    from .grading import release
    from .grading.secret import secret_path
    from .grading.student_copies import course_folder

    for path in release(args.src_dir, args.out_dir, course_dir=args.course):
        print(f"wrote {path}")
    course = course_folder(args.src_dir, args.course)
    if course is None:
        print("no course secret written: SRC_DIR is in the mkteach repository, which is public; "
              "copy exercises/ to your course folder (or pass --course DIR) before you grade",
              file=sys.stderr)  # fmt: skip
    else:
        print(f"course secret: {secret_path(course)} (keep it; grade reads it, students never)")
    return 0


def parse_shard(text: str | None) -> tuple[int, int] | None:
    """Return (I, N) from 'I/N', or raise ValueError saying what a shard looks like."""
    if text is None:
        return None
    index, _, count = text.partition("/")
    if not (index.isdigit() and count.isdigit()) or not 1 <= int(index) <= int(count):
        raise ValueError(f"--shard takes I/N with 1 <= I <= N (e.g. 2/4), not {text!r}")
    return int(index), int(count)


def grade_command(args: argparse.Namespace) -> int:
    """Grade the submissions, print the table (and write the CSV and feedback); return 0, or 1
    when a path was missing or not a notebook (after grading all the others)."""
    from .grading import format_table, grade

    if args.jobs is not None and args.jobs < 1:
        raise ValueError("--jobs must be at least 1")
    results = grade(
        args.submissions,
        args.source,
        args.csv,
        feedback_dir=args.feedback,
        shard=parse_shard(args.shard),
        cell_timeout=args.cell_timeout,
        total_timeout=args.timeout,
        jobs=args.jobs,
        course_dir=args.course,
    )
    print(format_table(results))
    if args.csv:
        print(f"\nwrote {args.csv}")
    if args.feedback:
        print(f"wrote feedback to {args.feedback}/STUDENT/NOTEBOOK.html")
    failed = [r for r in results if r.problem]
    for r in failed:
        print(f"mkteach grade: {r.submission}: {r.problem}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

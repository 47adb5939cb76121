"""The `mkteach` command line: `mkteach lab` opens the course in JupyterLab."""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
START = "notebooks/00-start.ipynb"


def lab_command(extra: list[str]) -> list[str]:
    """Return the command that starts JupyterLab on the course's start notebook."""
    jupyter = shutil.which("jupyter", path=str(Path(sys.executable).parent)) or "jupyter"
    command = [jupyter, "lab", f"--ServerApp.root_dir={ROOT}"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")  # JupyterLab refuses to start as root without it
    if (ROOT / START).exists():
        command.append(START)
    return command + extra


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    parser = argparse.ArgumentParser(prog="mkteach", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    lab = sub.add_parser("lab", help="open the course in JupyterLab")
    lab.add_argument("jupyter_args", nargs=argparse.REMAINDER, help="passed on to jupyter lab")
    args = parser.parse_args(argv)
    if args.command == "lab":
        try:
            return subprocess.call(lab_command(args.jupyter_args), cwd=ROOT)
        except KeyboardInterrupt:
            return 0
    return 2  # pragma: no cover - argparse rejects unknown commands


if __name__ == "__main__":
    sys.exit(main())

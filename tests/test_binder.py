"""The Binder set-up, proved the honest way: the image's folder as repo2docker builds it
(binder/.dockerignore applied) and a fresh virtual environment as its image holds it:
repo2docker's own base environment, then binder/requirements.txt, then binder/postBuild run in
the folder. In it: no solution, salt or git history, every package consistent (`pip check`), the
notebooks trusted, JupyterLab quiet, and two chapters checked by nbval: the one Binder opens and
one with figures and dashboards (`make nbval` checks every chapter).

The install is slow (a minute or two), so it runs once per `make test`.
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BINDER = ROOT / "binder"
BASE = Path(__file__).with_name("repo2docker_base.txt")
MARKERS = ("BEGIN SOLUTION", "BEGIN HIDDEN TESTS")
SECRET_NAME = ".mkteach-course-secret"  # mkteach.grading.secret.SECRET_NAME


def ignore_patterns(path: Path) -> list[str]:
    """Return the patterns of a .dockerignore file (comments and blank lines dropped)."""
    lines = (line.strip() for line in path.read_text().splitlines())
    return [line.lstrip("/") for line in lines if line and not line.startswith("#")]


def ignored(relative: str, patterns: list[str]) -> bool:
    """Return True when `relative` (a/b/c) or a folder above it matches a pattern, as Docker
    reads them (a `**/` prefix matches at any depth)."""
    parts = relative.split("/")
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    for pattern in patterns:
        if pattern.startswith("**/"):
            if any(fnmatch.fnmatchcase(part, pattern[3:]) for part in parts):
                return True
        elif any(fnmatch.fnmatchcase(prefix, pattern) for prefix in prefixes):
            return True
    return False


def binder_tree(dest: Path) -> Path:
    """Copy what repo2docker puts in the image (the working copy, with .git, minus what
    binder/.dockerignore excludes) to `dest`; return it."""
    patterns = ignore_patterns(BINDER / ".dockerignore")
    listed = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT,
                            capture_output=True, text=True, check=True).stdout.split()  # fmt: skip
    git = [str(p.relative_to(ROOT)) for p in (ROOT / ".git").rglob("*") if p.is_file()]
    for name in listed + git:
        if (ROOT / name).is_file() and not ignored(name, patterns):
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, dest / name)
    return dest


def instructor_material(tree: Path) -> list[str]:
    """Return what in `tree` gives away the exercises: their sources, a git history, a
    solution or hidden-test region, or a course secret (the hidden instances' salts derive from
    it; it never lies in the repository, and neither may it lie in the image)."""
    found = [name for name in (".git", "exercises", SECRET_NAME) if (tree / name).exists()]
    for path in tree.rglob("*"):
        if path.is_file():
            if path.name == SECRET_NAME:
                found.append(str(path))
            if path.suffix == ".ipynb":  # code that strips the markers names them
                text = path.read_bytes().decode("utf-8", "replace")
                found += [f"{path}: {s}" for s in MARKERS if s in text]
    return found


def test_the_binder_tree_holds_no_solution_salt_or_history(tmp_path):
    assert ignore_patterns(ROOT / ".dockerignore") == ignore_patterns(BINDER / ".dockerignore")
    tree = binder_tree(tmp_path / "image")
    assert (tree / "notebooks" / "00-start.ipynb").is_file()
    assert (tree / "notebooks" / "exercises" / "ex06-switching-costs.ipynb").is_file()
    assert instructor_material(tree) == []
    # the working copy itself holds all of it: what the ignore file keeps out is really there
    assert any("ex06-" in line for line in instructor_material(ROOT))


# The chapter Binder opens, and one with plotly figures beside its dashboards (`make nbval`
# checks every chapter).
CHAPTERS = ["notebooks/00-start.ipynb", "notebooks/02-address-spaces.ipynb"]


def run(command: list[str], env: dict, timeout: int = 900, cwd: Path = ROOT
        ) -> subprocess.CompletedProcess:  # fmt: skip
    """Run `command` in `cwd` (the repository root); fail the test with its output if it fails."""
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout)  # fmt: skip
    if done.returncode:
        pytest.fail(f"{' '.join(command)} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return done


def test_the_binder_files_are_what_repo2docker_expects():
    assert (BINDER / "runtime.txt").read_text().strip() == "python-3.11"
    post = (BINDER / "postBuild").read_text()
    assert post.startswith("#!/bin/bash") and "set -e" in post.splitlines()[2]
    assert os.access(BINDER / "postBuild", os.X_OK)
    pins = [line for line in (BINDER / "requirements.txt").read_text().splitlines()
            if line and not line.startswith("#")]  # fmt: skip
    # pinned, or (for what repo2docker's base environment holds) a range with an upper bound
    assert pins and all("==" in line or ("<" in line and ">=" in line) for line in pins)
    names = {re.split("[=<>]", line)[0].lower() for line in pins}
    assert {"jupyterlab", "voila", "ipywidgets", "anywidget", "plotly", "networkx"} <= names


@pytest.mark.skipif(
    shutil.which("jupyter-repo2docker") is None,
    reason="jupyter-repo2docker is not installed (pip install jupyter-repo2docker)",
)
def test_repo2docker_picks_up_the_binder_folder():
    done = run(["jupyter-repo2docker", "--no-run", "--no-build", str(ROOT)], dict(os.environ))
    assert "postBuild" in done.stdout and "requirements.txt" in done.stdout


def test_binder_on_repo2dockers_base_passes_pip_check_starts_trusted_quiet_and_runs_the_course(
    tmp_path,
):
    tree = binder_tree(tmp_path / "image")
    env_dir = tmp_path / "env"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    bin_dir = env_dir / "bin"
    env = dict(os.environ, PATH=f"{bin_dir}{os.pathsep}{os.environ['PATH']}", REPO_DIR=str(tree),
               VIRTUAL_ENV=str(env_dir), PIP_DISABLE_PIP_VERSION_CHECK="1")  # fmt: skip
    for var in ("JUPYTER_CONFIG_DIR", "JUPYTER_RUNTIME_DIR", "IPYTHONDIR", "JUPYTER_DATA_DIR"):
        env[var] = str(tmp_path / var.lower())
    env.pop("PYTHONPATH", None)
    python = str(bin_dir / "python")
    run([python, "-m", "pip", "install", "-q", "-r", str(BASE)], env)  # the base image
    run([python, "-m", "pip", "install", "-q", "-r", str(tree / "binder/requirements.txt")], env)
    done = subprocess.run(["bash", str(tree / "binder/postBuild")], cwd=tree, env=env,
                          capture_output=True, text=True, timeout=900)  # fmt: skip
    assert done.returncode == 0 and "ready" in done.stdout, done.stdout[-2000:] + done.stderr
    check = subprocess.run([python, "-m", "pip", "check"], env=env, capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    versions = run([python, "-c", "import notebook, jupyterlab; print(notebook.__version__, "
                    "jupyterlab.__version__)"], env).stdout.split()  # fmt: skip
    assert versions == ["7.4.7", "4.4.9"]  # the base's own, kept
    assert instructor_material(tree) == []  # postBuild ran where .git would have been
    trusted = run([python, "-c", TRUSTED, str(tree / "notebooks")], env).stdout
    assert trusted.strip() == "all trusted"
    prefix = Path(run([python, "-c", "import sys; print(sys.prefix)"], env).stdout.strip())
    settings = json.loads((prefix / "share/jupyter/lab/settings/overrides.json").read_text())
    assert settings["@jupyterlab/apputils-extension:notification"]["fetchNews"] == "false"
    # Two chapters run by nbval in the image's folder (test tools on top: Binder needs none).
    run([python, "-m", "pip", "install", "-q", "pytest", "nbval"], env)
    run([python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--nbval", *CHAPTERS,
         "--nbval-sanitize-with", "notebooks/sanitize.cfg"], env, cwd=tree)  # fmt: skip
    assert sys.executable != python


TRUSTED = """
import sys
from pathlib import Path
import nbformat
from nbformat.sign import NotebookNotary
notary = NotebookNotary()
books = sorted(Path(sys.argv[1]).glob("*.ipynb"))
untrusted = [b.name for b in books if not notary.check_signature(nbformat.read(b, 4))]
print("all trusted" if books and not untrusted else f"untrusted: {untrusted}")
"""

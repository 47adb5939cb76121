"""The Binder set-up, proved the honest way: a fresh virtual environment built only from
binder/requirements.txt and binder/postBuild, then two chapters checked by nbval in it: the one
Binder opens and one with figures and dashboards (`make nbval` checks every chapter).

This is slow (a minute or two: a real install), so it runs once per `make test`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BINDER = ROOT / "binder"
# The chapter Binder opens, and one with plotly figures beside its dashboards (`make nbval`
# checks every chapter).
CHAPTERS = ["notebooks/00-start.ipynb", "notebooks/02-address-spaces.ipynb"]


def run(command: list[str], env: dict, timeout: int = 900) -> subprocess.CompletedProcess:
    """Run `command` in the repository root; fail the test with its output if it fails."""
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True,
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
    assert pins and all("==" in line for line in pins)  # every package pinned
    names = {line.split("==")[0].lower() for line in pins}
    assert {"jupyterlab", "voila", "ipywidgets", "anywidget", "plotly", "networkx"} <= names


@pytest.mark.skipif(
    shutil.which("jupyter-repo2docker") is None,
    reason="jupyter-repo2docker is not installed (pip install jupyter-repo2docker)",
)
def test_repo2docker_picks_up_the_binder_folder():
    done = run(["jupyter-repo2docker", "--no-run", "--no-build", str(ROOT)], dict(os.environ))
    assert "postBuild" in done.stdout and "requirements.txt" in done.stdout


def test_a_fresh_binder_environment_runs_the_course(tmp_path):
    env_dir = tmp_path / "binder-env"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    bin_dir = env_dir / "bin"
    env = dict(os.environ, PATH=f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
               VIRTUAL_ENV=str(env_dir), PIP_DISABLE_PIP_VERSION_CHECK="1")  # fmt: skip
    for var in ("JUPYTER_CONFIG_DIR", "JUPYTER_RUNTIME_DIR", "IPYTHONDIR", "JUPYTER_DATA_DIR"):
        env[var] = str(tmp_path / var.lower())
    env.pop("PYTHONPATH", None)
    python = str(bin_dir / "python")
    run([python, "-m", "pip", "install", "-q", "-r", str(BINDER / "requirements.txt")], env)
    done = run(["bash", str(BINDER / "postBuild")], env)
    assert "ready" in done.stdout
    # Test tools on top of the Binder environment (Binder itself does not need them).
    run([python, "-m", "pip", "install", "-q", "pytest", "nbval"], env)
    run([python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--nbval", *CHAPTERS,
         "--nbval-sanitize-with", "notebooks/sanitize.cfg"], env)  # fmt: skip
    assert sys.executable != python

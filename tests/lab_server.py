"""A real JupyterLab for browser tests: temporary Jupyter dirs, a token, 127.0.0.1, --allow-root.

`start_lab(root)` starts it on a free port and waits until it answers; `open_notebook(page, ...)`
opens a notebook in headless Chromium (Playwright), runs every cell and waits for the kernel.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
WIDGET_ERRORS = ("Error displaying widget", "model not found")


def chromium_missing() -> str | None:
    """Return why browser tests cannot run here (with how to fix it), or None when they can."""
    if not Path(CHROMIUM).exists():
        return (
            f"no Chromium at {CHROMIUM}: install it with `apt-get install -y chromium` "
            "(.ci/run does this) to run the browser tests"
        )
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is missing: `make install` installs the test extras"
    return None


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that is free now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def start_lab(root: Path, timeout: float = 60):
    """Run JupyterLab serving `root`; yield its base URL and token; stop it afterwards."""
    home = Path(tempfile.mkdtemp(prefix="mkteach-lab-"))
    env = dict(os.environ)
    for var, sub in (
        ("JUPYTER_CONFIG_DIR", "config"),
        ("JUPYTER_RUNTIME_DIR", "runtime"),
        ("JUPYTERLAB_SETTINGS_DIR", "settings"),
        ("JUPYTERLAB_WORKSPACES_DIR", "workspaces"),
        ("IPYTHONDIR", "ipython"),
    ):
        env[var] = str(home / sub)  # fmt: skip
    news = home / "settings" / "@jupyterlab" / "apputils-extension"
    news.mkdir(parents=True)
    (news / "notification.jupyterlab-settings").write_text('{"fetchNews": "false"}')
    token, port = secrets.token_hex(16), free_port()
    command = [
        sys.executable, "-m", "jupyter", "lab", "--no-browser", "--ip=127.0.0.1",
        f"--port={port}", "--allow-root", f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root}", "--LabApp.expose_app_in_browser=True",
    ]  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    with _server(command, env, home, root) as (proc, log):
        _wait_until_up(url, token, proc, timeout, log)
        yield url, token


@contextmanager
def _server(command: list[str], env: dict, home: Path, cwd: Path):
    """Run `command` with its output in home/server.log; yield (process, log path); then stop
    it and remove `home`."""
    log_path = home / "server.log"
    log = open(log_path, "w")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=cwd)
    try:
        yield proc, log_path
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
        shutil.rmtree(home, ignore_errors=True)


def _wait_until_up(url: str, token: str, proc: subprocess.Popen, timeout: float, log: Path,
                   path: str = "/api/status") -> None:  # fmt: skip
    """Return when the server answers `path`; raise with its log if it does not."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited early:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{url}{path}?token={token}", timeout=2):
                return
        except urllib.error.HTTPError:
            return  # it answers (a 404 for a folder is fine)
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"the server did not start in {timeout} s:\n{log.read_text()[-3000:]}")


@contextmanager
def start_voila(notebook: Path, timeout: float = 60):
    """Run Voila on `notebook` (127.0.0.1, a free port); yield its URL; stop it afterwards."""
    home = Path(tempfile.mkdtemp(prefix="mkteach-voila-"))
    env = dict(
        os.environ,
        JUPYTER_CONFIG_DIR=str(home / "config"),
        JUPYTER_RUNTIME_DIR=str(home / "runtime"),
        IPYTHONDIR=str(home / "ipython"),
    )
    port = free_port()
    command = [sys.executable, "-m", "voila", "--no-browser", f"--port={port}",
               "--Voila.ip=127.0.0.1", str(notebook)]  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    with _server(command, env, home, notebook.parent) as (proc, log):
        _wait_until_up(url, "", proc, timeout, log, path="/voila/static/")
        yield url


def run_all_cells(page, url: str, token: str, notebook: str, timeout_ms: int = 120_000) -> None:
    """Open `notebook` in JupyterLab, run all cells and wait until the kernel is idle."""
    page.goto(f"{url}/lab/tree/{notebook}?token={token}")
    page.wait_for_function(
        "() => window.jupyterapp && window.jupyterapp.shell.currentWidget"
        " && window.jupyterapp.shell.currentWidget.sessionContext"
        " && window.jupyterapp.shell.currentWidget.sessionContext.session"
        " && window.jupyterapp.shell.currentWidget.sessionContext.session.kernel"
        " && window.jupyterapp.shell.currentWidget.sessionContext.kernelDisplayStatus === 'idle'",
        timeout=timeout_ms,
    )
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
    page.wait_for_function(
        """() => {
            const panel = window.jupyterapp.shell.currentWidget;
            const cells = panel.content.widgets.filter(c => c.model.type === 'code');
            return panel.sessionContext.kernelDisplayStatus === 'idle'
                && cells.every(c => c.model.executionCount !== null);
        }""",
        timeout=timeout_ms,
    )

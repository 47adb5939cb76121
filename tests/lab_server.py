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

import nbformat

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
WIDGET_ERRORS = ("Error displaying widget", "model not found", "Failed to initialize model")


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


def lab_env(home: Path) -> dict[str, str]:
    """Return an environment whose Jupyter state lives under `home` (not the user's)."""
    env = dict(os.environ)
    for var, sub in (
        ("JUPYTER_CONFIG_DIR", "config"),
        ("JUPYTER_RUNTIME_DIR", "runtime"),
        ("JUPYTERLAB_SETTINGS_DIR", "settings"),
        ("JUPYTERLAB_WORKSPACES_DIR", "workspaces"),
        ("IPYTHONDIR", "ipython"),
        ("JUPYTER_DATA_DIR", "data"),  # where trusted notebooks are signed
    ):
        env[var] = str(home / sub)  # fmt: skip
    return env


@contextmanager
def start_lab(root: Path, timeout: float = 60, trust: tuple[Path, ...] = ()):
    """Run JupyterLab serving `root` (with the notebooks in `trust` trusted, as `mkteach lab`
    trusts the course's); yield its base URL and token; stop it afterwards."""
    home = Path(tempfile.mkdtemp(prefix="mkteach-lab-"))
    env = lab_env(home)
    if trust:
        subprocess.run([sys.executable, "-m", "jupyter", "trust", *map(str, trust)], env=env,
                       check=True, capture_output=True)  # fmt: skip
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
def start_mkteach_lab(timeout: float = 60):
    """Run `mkteach lab` as a student would (fresh Jupyter dirs, no news setting made for it);
    yield the URL it printed and its log; stop it afterwards."""
    from mkteach.cli import ROOT, lab_command

    home = Path(tempfile.mkdtemp(prefix="mkteach-cli-lab-"))
    token, port = secrets.token_hex(16), free_port()
    command = lab_command(["--no-browser", f"--port={port}", f"--IdentityProvider.token={token}"])
    with _server(command, lab_env(home), home, ROOT) as (proc, log):  # as main() runs it
        _wait_until_up(f"http://127.0.0.1:{port}", token, proc, timeout, log)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            urls = [w for w in log.read_text().split() if w.startswith(f"http://127.0.0.1:{port}")]
            if urls:  # the server masks a token it was given as "token=..."
                yield urls[-1].replace("token=...", f"token={token}"), log
                return
            time.sleep(0.3)
        raise RuntimeError(f"mkteach lab printed no URL:\n{log.read_text()[-3000:]}")


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


STEP_TIMES = """async ([index, label, count]) => {
    // click a dashboard's button `count` times; return ms from each click to the next frame
    const el = document.querySelectorAll('.mkp')[index];
    const times = [];
    for (let i = 0; i < count; i++) {
        const button = [...el.querySelectorAll('button')].find(b => b.textContent === label);
        const before = el.dataset.step;
        const t0 = performance.now();
        button.click();
        await new Promise(r => requestAnimationFrame(() => setTimeout(r, 0)));
        if (el.dataset.step === before) throw new Error(`${label} did not move from ${before}`);
        times.push(performance.now() - t0);
    }
    return times;
}"""


def stepping_times(page, index: int, count: int = 20) -> dict[str, float]:
    """Return the median, 90th percentile and worst ms of `count` steps back and `count`
    forward on the `index`-th dashboard of the page, from a click to the next painted frame."""
    page.evaluate(STEP_TIMES, [index, "◀ back", 5])  # warm up (the first draws compile)
    times = page.evaluate(STEP_TIMES, [index, "◀ back", count])
    times += page.evaluate(STEP_TIMES, [index, "step ▶", count])
    times.sort()
    return {"median_ms": round(times[len(times) // 2], 1),
            "p90_ms": round(times[int(len(times) * 0.9)], 1), "max_ms": round(times[-1], 1),
            "steps": len(times)}  # fmt: skip


def dashboard_step(page, index: int = 0) -> int:
    """Return the step the `index`-th dashboard of the page shows."""
    return int(page.evaluate(f"() => document.querySelectorAll('.mkp')[{index}].dataset.step"))


# -- small notebooks the browser tests write and open ----------------------------------------

TINY = """\
from mkteach import System
from mkteach.views import dashboard


def toucher(t):
    yield t.store(3 * 4096, 1)
    yield t.load(3 * 4096)


s = System(frames=8)
s.create_thread(s.create_space("A"), toucher, name="toucher", pager=s.sigma0_pager)
s.run()
dashboard(s)
"""

PING_PONG = """\
from mkteach import System
from mkteach.views import dashboard


def echo(t):
    msg = yield t.wait()
    while True:
        msg = yield t.reply_and_wait(msg.sender, words=(msg.words[0] + 1,))


def pinger(t, srv):
    n = 0
    while True:
        reply = yield t.call(srv, words=(n,))
        n = reply.words[0]


def ping_pong(steps):
    s = System(frames=16)
    srv = s.create_thread(s.create_space("Server"), echo, name="echo")
    s.create_thread(s.create_space("Client"), pinger, srv, name="pinger")
    s.run(max_steps=steps)
    return s
"""


def write_notebook(path: Path, *cells: str) -> Path:
    """Write a notebook of code cells at `path`; return the path."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(source) for source in cells]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}  # fmt: skip
    nbformat.write(nb, path)
    return path


def tiny(folder: Path) -> Path:
    """Write the tiny dashboard notebook into `folder`."""
    return write_notebook(folder / "tiny.ipynb", TINY)


def ping_pong(folder: Path, steps: int) -> Path:
    """Write a notebook with one dashboard over a ping-pong run of about `steps` steps."""
    return write_notebook(folder / f"steps-{steps}.ipynb", PING_PONG,
                          f"board = dashboard(ping_pong({steps}))\nboard")  # fmt: skip


def measure_stepping(steps: int) -> dict:
    """Return how long a dashboard step takes in JupyterLab in headless Chromium (median, p90
    and worst ms, click to painted frame) on a ping-pong run of `steps` steps, and the bytes
    the page received while the notebook ran (for `make bench`)."""
    from playwright.sync_api import sync_playwright

    folder = Path(tempfile.mkdtemp(prefix="mkteach-bench-views-"))
    try:
        notebook = ping_pong(folder, steps)
        with start_lab(folder) as (url, token), sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            received = [0]
            page.on("websocket", lambda ws: ws.on(
                "framereceived", lambda payload: received.__setitem__(0, received[0] + len(payload))
            ))  # fmt: skip
            run_all_cells(page, url, token, notebook.name, timeout_ms=300_000)
            drawn = "() => document.querySelector('.mkp')?.dataset.step"
            page.wait_for_function(drawn, timeout=120_000)
            sent = received[0]
            times = stepping_times(page, 0)
            browser.close()
        return {**times, "run_steps": steps, "bytes_sent": sent}
    finally:
        shutil.rmtree(folder, ignore_errors=True)

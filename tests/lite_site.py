"""The JupyterLite site (build/lite/) in a real browser, with nothing but 127.0.0.1 reachable.

`serve(site)` serves the built site as static files on 127.0.0.1; `offline_page(browser)` opens a
Chromium page in which every request to another host is aborted (and recorded), and host names
do not resolve at all (service workers and web workers included); `run_notebook(page, ...)` opens
a notebook in JupyterLite, runs every cell in the Pyodide kernel and returns what happened.
Used by tests/test_lite.py and by the `lite` section of bench/run.py.
"""

from __future__ import annotations

import functools
import http.server
import subprocess
import sys
import threading
import time
import urllib.parse
from contextlib import contextmanager
from pathlib import Path

from lab_server import CHROMIUM, CHROMIUM_ARGS

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "build" / "lite"
# Even a request that slips past Playwright's routing (a service worker's) cannot leave the
# machine: no host name resolves, and 127.0.0.1 is an address, not a name.
OFFLINE_ARGS = [*CHROMIUM_ARGS, "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"]
TYPES = {".wasm": "application/wasm", ".mjs": "text/javascript", ".js": "text/javascript",
         ".json": "application/json", ".whl": "application/octet-stream",
         ".zip": "application/zip", ".ipynb": "application/json"}  # fmt: skip


def ensure_site() -> Path:
    """Return build/lite/, building it with scripts/build_lite.py first if it is not there."""
    if not (SITE / "jupyter-lite.json").is_file():
        done = subprocess.run([sys.executable, str(ROOT / "scripts" / "build_lite.py")],
                              capture_output=True, text=True)  # fmt: skip
        if done.returncode:
            raise RuntimeError(f"make lite failed:\n{done.stdout[-3000:]}{done.stderr[-3000:]}")
    return SITE


class _Quiet(http.server.SimpleHTTPRequestHandler):
    """A static file handler that knows the site's file types and logs nothing."""

    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map, **TYPES}

    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass


class _QuietServer(http.server.ThreadingHTTPServer):
    """A threading HTTP server that says nothing when a page closes mid-download (a test
    closing its page while the site still loads); any other error is printed as usual."""

    def handle_error(self, request, client_address):  # type: ignore[no-untyped-def]
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


@contextmanager
def serve(site: Path):
    """Serve `site` on 127.0.0.1 (a free port) in a thread; yield its base URL."""
    handler = functools.partial(_Quiet, directory=str(site))
    server = _QuietServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def offline_page(browser, blocked: list[str]):
    """Return a new page whose requests to any host but 127.0.0.1 are aborted into `blocked`."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})

    def route(r) -> None:
        url = urllib.parse.urlparse(r.request.url)
        if url.scheme in ("http", "https", "ws", "wss") and url.hostname != "127.0.0.1":
            blocked.append(r.request.url)
            r.abort()
        else:
            r.continue_()

    context.route("**/*", route)
    return context.new_page()


def launch(pw):
    """Return headless Chromium (Debian's) with the offline flags."""
    return pw.chromium.launch(executable_path=CHROMIUM, args=OFFLINE_ARGS)


KERNEL_IDLE = """() => {
    const panel = window.jupyterapp && window.jupyterapp.shell.currentWidget;
    return !!(panel && panel.sessionContext && panel.sessionContext.session
        && panel.sessionContext.session.kernel
        && panel.sessionContext.kernelDisplayStatus === 'idle');
}"""

CELLS_DONE = """() => {
    const panel = window.jupyterapp.shell.currentWidget;
    const cells = panel.content.widgets.filter(c => c.model.type === 'code');
    return panel.sessionContext.kernelDisplayStatus === 'idle'
        && cells.every(c => c.model.executionCount !== null);
}"""

RUN_FIRST_CODE_CELL = """() => {
    const panel = window.jupyterapp.shell.currentWidget;
    panel.content.activeCellIndex = panel.content.widgets.findIndex(c => c.model.type === 'code');
    return window.jupyterapp.commands.execute('notebook:run-cell');
}"""

FIRST_RESULT = """() => {
    const panel = window.jupyterapp.shell.currentWidget;
    const first = panel.content.widgets.find(c => c.model.type === 'code');
    return first.model.executionCount !== null
        && panel.sessionContext.kernelDisplayStatus === 'idle';
}"""

OUTPUTS = """() => window.jupyterapp.shell.currentWidget.content.widgets
    .filter(c => c.model.type === 'code')
    .map(c => ({source: c.model.sharedModel.getSource(), outputs: c.model.outputs.toJSON()}))"""


def run_notebook(page, url: str, notebook: str, timeout_ms: int = 300_000) -> dict:
    """Open `notebook` in the site at `url`, run all cells; return timings and every code cell.

    As a student does, it first runs the first code cell alone, then all cells. Returns
    {"kernel_ready_s": seconds from opening the page until the kernel is idle (Pyodide and the
    course loaded), "first_result_s": until the first code cell has run and shown its output,
    "all_cells_s": until every cell has run, "cells": [{"source", "outputs"}, ...]}.
    """
    start = time.monotonic()
    page.goto(f"{url}/lab/index.html?path={notebook}", timeout=timeout_ms)
    page.wait_for_function(KERNEL_IDLE, timeout=timeout_ms, polling=100)
    ready = time.monotonic() - start
    page.evaluate(RUN_FIRST_CODE_CELL)
    page.wait_for_function(FIRST_RESULT, timeout=timeout_ms, polling=100)
    first = time.monotonic() - start
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
    page.wait_for_function(CELLS_DONE, timeout=timeout_ms, polling=200)
    return {
        "kernel_ready_s": round(ready, 2),
        "first_result_s": round(first, 2),
        "all_cells_s": round(time.monotonic() - start, 2),
        "cells": page.evaluate(OUTPUTS),
    }


def errors_in(cells: list[dict]) -> list[str]:
    """Return a line per error output or traceback on stderr among `cells`' outputs."""
    found = []
    for cell in cells:
        for out in cell["outputs"]:
            text = "".join(out.get("text", "")) if out["output_type"] == "stream" else ""
            if out["output_type"] == "error":
                found.append(f"{out['ename']}: {out['evalue']} in:\n{cell['source'][:300]}")
            elif out.get("name") == "stderr" and ("Traceback" in text or "Error" in text):
                found.append(f"stderr {text[:300]} in:\n{cell['source'][:300]}")
    return found


def site_size(site: Path) -> int:
    """Return the bytes of every file in the site."""
    return sum(f.stat().st_size for f in site.rglob("*") if f.is_file())

"""Execute the course notebooks in place, for nbval to check and for readers with no kernel.

python scripts/execute_notebooks.py notebooks/*.ipynb

Beside every plotly figure it stores a static PNG (drawn by kaleido in headless Chromium), so
GitHub, nbviewer and an HTML export show the figure. A dashboard's output keeps its
self-contained HTML replay (it steps with no kernel) and drops the widget view, whose model is
gone once the kernel stops; so does a prediction's output (its question, with the model's answer
behind a closed disclosure). Inside a replay's HTML it stores a picture of the dashboard at its
saved step (the replay drawn in headless Chromium), which GitHub and nbviewer, running no
JavaScript, show in place of the dashboard, and which the player replaces once its script runs.
Widget state is not stored, and no reader's predictions are read or written
(MKTEACH_PREDICTIONS=off).
"""

from __future__ import annotations

import base64
import os
import re
import sys
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from unittest.mock import patch

import nbformat
from nbclient import NotebookClient

PLOTLY = "application/vnd.plotly.v1+json"
WIDGET = "application/vnd.jupyter.widget-view+json"
CHROMIUM = "/usr/bin/chromium"  # Debian's; kaleido finds it through BROWSER_PATH
IMAGE_WIDTH = 900
DASHBOARD_WIDTH = 1200
PICTURE = re.compile(r'(class="mkteach-replay">.*?)(</div><script>)', re.S)


class Pictures:
    """Headless Chromium that draws saved dashboard replays (one browser for a whole run). It
    runs in a thread of its own: Playwright's sync API refuses a thread that has an event loop
    (a caller's own Playwright, say)."""

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1)
        self._pw = self._browser = None

    def shot(self, html: str) -> str:
        """Return a base64 PNG of the dashboard the replay `html` draws, at its saved step, all
        panels shown (the page is tall enough that none scrolls), nothing fetched."""
        return self._pool.submit(self._shot, html).result()

    def _shot(self, html: str) -> str:
        """Draw `html` and return the dashboard's picture (in the browser's thread)."""
        if self._browser is None:
            from playwright.sync_api import sync_playwright

            self._pw = sync_playwright().start()
            self._browser = self._pw.chromium.launch(
                executable_path=CHROMIUM if Path(CHROMIUM).exists() else None
            )
        page = self._browser.new_page(viewport={"width": DASHBOARD_WIDTH, "height": 4000})
        try:
            page.route("**/*", lambda route: route.abort())  # nothing leaves the page
            page.set_content(f"<!DOCTYPE html><html><body style='margin:8px'>{html}</body></html>")
            page.wait_for_selector(".mkp[data-step]", timeout=30_000)
            png = page.locator(".mkp").first.screenshot(animations="disabled")
        finally:
            page.close()
        return base64.b64encode(png).decode("ascii")

    def _close(self) -> None:
        """Close the browser, if one was started (in the browser's thread)."""
        if self._browser is not None:
            self._browser.close()
            self._pw.stop()
            self._browser = self._pw = None

    def close(self) -> None:
        """Close the browser and its thread."""
        self._pool.submit(self._close).result()
        self._pool.shutdown()


def with_picture(html: str, png: str) -> str:
    """Return the replay `html` with the picture `png` in its placeholder (what a page that
    runs no script shows; the player draws over it)."""
    img = (
        '<br><img alt="the dashboard at its saved step (a picture: trust the notebook or run it '
        f'to step it)" style="max-width:100%" src="data:image/png;base64,{png}">'
    )
    return PICTURE.sub(lambda m: m.group(1) + img + m.group(2), html, count=1)


def static_image(figure_json: dict) -> str:
    """Return a plotly figure drawn as a base64 PNG (the figure's own height, 900 px wide)."""
    import kaleido
    import plotly.graph_objects as go
    import plotly.io as pio

    fig = go.Figure(figure_json)
    size = {"width": IMAGE_WIDTH, "height": fig.layout.height or 450}
    try:
        png = pio.to_image(fig, format="png", **size)
    except Exception:  # the browser's pipe can drop a message: once more, with a fresh browser
        kaleido.stop_sync_server(silence_warnings=True)
        kaleido.start_sync_server(silence_warnings=True)
        png = pio.to_image(fig, format="png", **size)
    return base64.b64encode(png).decode("ascii")


def add_static_views(
    nb: nbformat.NotebookNode, pictures: Pictures | None = None
) -> tuple[int, int]:
    """Give every plotly output a PNG beside it and make dashboards' outputs replays only, each
    with a picture of itself; return (images added, dashboards turned into replays)."""
    images = replays = 0
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if PLOTLY in data and "image/png" not in data:
                data["image/png"] = static_image(data[PLOTLY])
                images += 1
            marks = output.get("metadata", {}).get("mkteach", {})
            if (marks.get("replay") or marks.get("static")) and WIDGET in data:
                del data[WIDGET]
                replays += 1
                html = data.get("text/html", "")
                if marks.get("replay") and pictures is not None and "data:image/png" not in html:
                    data["text/html"] = with_picture(html, pictures.shot(html))
    return images, replays


def execute(path: str, pictures: Pictures | None = None) -> tuple[int, int]:
    """Run every cell of the notebook at `path`, add its static views and write it back;
    return (images added, dashboard replays)."""
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=300, kernel_name="python3", store_widget_state=False)
    client.execute(cwd=str(Path(path).parent))
    nb.metadata.pop("widgets", None)
    counts = add_static_views(nb, pictures)
    nbformat.write(nb, path)
    return counts


def main(paths: list[str]) -> int:
    """Execute each notebook, saying what it stored; return the exit code."""
    import kaleido

    warnings.filterwarnings("ignore", message="The kopts argument is ignored")  # plotly 7 + kaleido
    settings = {"MKTEACH_PREDICTIONS": "off"}  # committed outputs never show a prediction
    if "BROWSER_PATH" not in os.environ and Path(CHROMIUM).exists():
        settings["BROWSER_PATH"] = CHROMIUM
    # set for this run only: a caller in the same process (a test) keeps its own environment
    with patch.dict(os.environ, settings):
        kaleido.start_sync_server(silence_warnings=True)  # one browser for every image
        pictures = Pictures()  # and one for the dashboards' pictures
        try:
            for notebook in paths:
                images, replays = execute(notebook, pictures)
                print(f"executed {notebook}: {images} static images, {replays} dashboard replays")
        finally:
            pictures.close()
            kaleido.stop_sync_server(silence_warnings=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""Execute the course notebooks in place, for nbval to check and for readers with no kernel.

python scripts/execute_notebooks.py notebooks/*.ipynb

Beside every plotly figure it stores a static PNG (drawn by kaleido in headless Chromium), so
GitHub, nbviewer and an HTML export show the figure. A dashboard's output keeps its
self-contained HTML replay (it steps with no kernel) and drops the widget view, whose model is
gone once the kernel stops; so does a prediction's output (its question, with the model's answer
behind a closed disclosure). Widget state is not stored, and no reader's predictions are read
or written (MKTEACH_PREDICTIONS=off).
"""

from __future__ import annotations

import base64
import os
import sys
import warnings
from pathlib import Path

import nbformat
from nbclient import NotebookClient

PLOTLY = "application/vnd.plotly.v1+json"
WIDGET = "application/vnd.jupyter.widget-view+json"
CHROMIUM = "/usr/bin/chromium"  # Debian's; kaleido finds it through BROWSER_PATH
IMAGE_WIDTH = 900


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


def add_static_views(nb: nbformat.NotebookNode) -> tuple[int, int]:
    """Give every plotly output a PNG beside it and make dashboards' outputs replays only;
    return (images added, dashboards turned into replays)."""
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
    return images, replays


def execute(path: str) -> tuple[int, int]:
    """Run every cell of the notebook at `path`, add its static views and write it back;
    return (images added, dashboard replays)."""
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=300, kernel_name="python3", store_widget_state=False)
    client.execute(cwd=str(Path(path).parent))
    nb.metadata.pop("widgets", None)
    counts = add_static_views(nb)
    nbformat.write(nb, path)
    return counts


def main(paths: list[str]) -> int:
    """Execute each notebook, saying what it stored; return the exit code."""
    import kaleido

    warnings.filterwarnings("ignore", message="The kopts argument is ignored")  # plotly 7 + kaleido
    os.environ["MKTEACH_PREDICTIONS"] = "off"  # committed outputs never show a prediction
    if "BROWSER_PATH" not in os.environ and Path(CHROMIUM).exists():
        os.environ["BROWSER_PATH"] = CHROMIUM
    kaleido.start_sync_server(silence_warnings=True)  # one browser for every image
    try:
        for notebook in paths:
            images, replays = execute(notebook)
            print(f"executed {notebook}: {images} static images, {replays} dashboard replays")
    finally:
        kaleido.stop_sync_server(silence_warnings=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

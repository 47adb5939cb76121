"""The course runs in the browser with no server and no network: the JupyterLite build.

build/lite/ (`make lite`) is served as static files on 127.0.0.1; headless Chromium opens it
with every request to any other host aborted (and host names unresolvable). For chapters 00, 02
and 06 the test opens the notebook, runs the first cell as a student would, then every cell in
the Pyodide kernel, and checks what a person would: no error output, no widget error, the
figures drawn, the dashboard stepping, and not one request that tried to leave the site.
A screenshot per chapter lands in build/screenshots/.
"""

from __future__ import annotations

import json

import pytest
from lab_server import WIDGET_ERRORS, chromium_missing
from lite_site import (
    KERNEL_IDLE,
    ROOT,
    SITE,
    ensure_site,
    errors_in,
    launch,
    offline_page,
    run_notebook,
    serve,
    site_size,
)

SCREENSHOTS = ROOT / "build" / "screenshots"
CHAPTERS = ["00-start.ipynb", "02-address-spaces.ipynb", "06-switching-costs.ipynb"]
READOUT = "() => Number(document.querySelector('.mkp').dataset.step)"  # the dashboard's step

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(chromium_missing() is not None, reason=str(chromium_missing())),
]


@pytest.fixture(scope="module")
def site_url():
    """Yield the URL of build/lite/ (built first if missing) served on 127.0.0.1."""
    with serve(ensure_site()) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    """Yield headless Chromium that cannot resolve any host name."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = launch(pw)
        yield chromium
        chromium.close()


def test_the_site_bundles_everything_it_loads_and_no_solutions():
    site = ensure_site()
    config = json.loads((site / "jupyter-lite.json").read_text())["jupyter-config-data"]
    kernel = config["litePluginSettings"]["@jupyterlite/pyodide-kernel-extension:kernel"]
    assert kernel["pyodideUrl"].startswith("./static/pyodide/")
    assert kernel["disablePyPIFallback"] is True
    lock = json.loads((site / "static" / "pyodide" / "pyodide-lock.json").read_text())
    for name, package in lock["packages"].items():
        assert (site / "static" / "pyodide" / package["file_name"]).is_file(), name
        assert package["file_name"].endswith("-none-any.whl"), name  # nothing compiled
        assert set(package["depends"]) <= set(lock["packages"]), name
    assert set(kernel["loadPyodideOptions"]["packages"]) <= set(lock["packages"])
    assert {"mkteach", "plotly", "ipywidgets", "anywidget", "networkx"} <= set(lock["packages"])
    assert "numpy" not in lock["packages"] and "nbformat" not in lock["packages"]
    files = sorted(p.name for p in (site / "files").rglob("*.ipynb"))
    assert {"00-start.ipynb", "02-address-spaces.ipynb", "06-switching-costs.ipynb"} <= set(files)
    for nb in (site / "files").rglob("*.ipynb"):
        assert "BEGIN SOLUTION" not in nb.read_text(), nb  # never the instructor's copies
    assert site_size(SITE) <= 80e6


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_a_chapter_runs_offline_in_the_browser(chapter, site_url, browser):
    blocked: list[str] = []
    page = offline_page(browser, blocked)
    try:
        run = run_notebook(page, site_url, chapter)
        assert errors_in(run["cells"]) == []
        assert all(cell["outputs"] is not None for cell in run["cells"])
        # figures drawn by plotly.js, or a dashboard drawn (00-start has only a dashboard)
        page.wait_for_selector(".js-plotly-plot, .mkp[data-step]", timeout=60_000)
        text = page.inner_text("body")
        for error in WIDGET_ERRORS:
            assert error not in text
        assert page.locator(".mkp").count() >= 1  # each of these has a dashboard
        page.get_by_role("button", name="⟲ reset").first.click()
        page.wait_for_function(f"() => ({READOUT})() === -1")
        page.get_by_role("button", name="step ▶").first.click()
        page.wait_for_function(f"() => ({READOUT})() === 0")
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"lite-{chapter.removesuffix('.ipynb')}.png"))
        print(f"{chapter}: kernel ready {run['kernel_ready_s']} s, first result "
              f"{run['first_result_s']} s, all cells {run['all_cells_s']} s")  # fmt: skip
        assert blocked == []  # nothing tried to leave 127.0.0.1
    finally:
        page.context.close()


PREDICTING = [p.name for p in sorted((ROOT / "notebooks").glob("[01][0-9]-*.ipynb"))[1:]]


@pytest.mark.parametrize("chapter", PREDICTING)
def test_after_run_all_no_answer_shows_before_a_prediction_in_the_browser(
    chapter, site_url, browser
):
    from predict_page import closed_problems, committed, enter, run_all_afresh
    from test_browser import RIGHT, WRONG, check_verdicts

    page = offline_page(browser, [])
    try:
        page.goto(f"{site_url}/lab/index.html?path={chapter}", timeout=300_000)
        page.wait_for_function(KERNEL_IDLE, timeout=300_000, polling=200)
        run_all_afresh(page, timeout_ms=900_000)
        path = ROOT / "notebooks" / chapter  # the committed chapter the site was built from
        assert closed_problems(page, path) == []
        if chapter == RIGHT[0]:
            (answer,) = [p["answer"] for p in committed(path) if p["name"] == RIGHT[1]]
            verdicts = {"right": enter(page, RIGHT[1], list(answer.values()))}
            verdicts["wrong"] = enter(page, WRONG[0], WRONG[1])
            check_verdicts(verdicts)
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.locator(f".mkteach-predict-{WRONG[0]}").screenshot(
                path=str(SCREENSHOTS / "lite-prediction-verdict.png")
            )
    finally:
        page.context.close()

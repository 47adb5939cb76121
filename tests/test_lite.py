"""The course runs in the browser with no server and no network: the JupyterLite build.

build/lite/ (`make lite`) is served as static files on 127.0.0.1; headless Chromium opens it
with every request to any other host aborted (and host names unresolvable). Every chapter is
opened, its saved outputs cleared, and every cell run in the Pyodide kernel (once: one run
serves every check), and the test checks what a person would: no error output, no widget error,
in chapters 00, 02 and 06 the figures drawn and the dashboard stepping, no model answer before a
prediction, and not one request that tried to leave the site. A screenshot per chapter lands in
build/screenshots/ (how long the first result takes is `make bench`'s).

Before any cell runs, the saved outputs read as in JupyterLab: 00-start's multi-line printed
output line by line and its dashboard stepping, chapter 10's claims table a table, and the table
of contents without an error. A student's saved copy that predates the course is announced, can
be downloaded, and resets to the course's copy.
"""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from lab_server import WIDGET_ERRORS, chromium_missing
from lite_site import (
    KERNEL_IDLE,
    OUTPUTS,
    ROOT,
    SITE,
    ensure_site,
    errors_in,
    launch,
    offline_page,
    serve,
    site_size,
)

SCREENSHOTS = ROOT / "build" / "screenshots"
DASHBOARDS = ["00-start.ipynb", "02-address-spaces.ipynb", "06-switching-costs.ipynb"]
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


def check_runs_offline(page, chapter: str) -> None:
    """Fail unless the chapter that Run All just ran in `page` shows no error output and no
    widget error, and, for a chapter with a dashboard (DASHBOARDS), draws its figures and steps
    its dashboard; a screenshot lands in build/screenshots/."""
    cells = page.evaluate(OUTPUTS)
    assert errors_in(cells) == []
    assert all(cell["outputs"] is not None for cell in cells)
    text = page.inner_text("body")
    for error in WIDGET_ERRORS:
        assert error not in text
    if chapter in DASHBOARDS:
        # figures drawn by plotly.js, or a dashboard drawn (00-start has only a dashboard)
        page.wait_for_selector(".js-plotly-plot, .mkp[data-step]", timeout=60_000)
        assert page.locator(".mkp").count() >= 1  # each of these has a dashboard
        page.get_by_role("button", name="⟲ reset").first.click()
        page.wait_for_function(f"() => ({READOUT})() === -1")
        page.get_by_role("button", name="step ▶").first.click()
        page.wait_for_function(f"() => ({READOUT})() === 0")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"lite-{chapter.removesuffix('.ipynb')}.png"))


OPENED = """(path) => {
    const panel = window.jupyterapp && window.jupyterapp.shell.currentWidget;
    return !!(panel && panel.content && panel.content.widgets
        && panel.content.widgets.length > 0 && panel.context && panel.context.isReady
        && (!path || panel.context.path === path));
}"""


OPEN = "(path) => window.jupyterapp.commands.execute('docmanager:open', {path}).then(() => 1)"


def open_notebook(page, url: str, notebook: str) -> None:
    """Open `notebook` in the site (no cell run) and wait until it is shown: the site is loaded
    first if the page does not show it yet, else the notebook is opened as a student would."""
    if page.url.startswith(url) and page.evaluate("() => !!window.jupyterapp"):
        page.evaluate(OPEN, notebook)
    else:
        page.goto(f"{url}/lab/index.html?path={notebook}", timeout=300_000)
    page.wait_for_function(OPENED, arg=notebook, timeout=300_000, polling=200)


SHOWN_OUTPUT = """async ([kind, mime, what]) => {
    // the first saved output of `kind` (a stream, or a mime type), scrolled into view (the
    // notebook draws only the cells on screen): its drawn text, or HTML if `what` says so
    const notebook = window.jupyterapp.shell.currentWidget.content;
    const has = (o) => kind === 'stream' ? o.output_type === 'stream'
        && String(o.text).split('\\n').length > 3 : !!(o.data && o.data[kind]);
    const index = notebook.widgets.findIndex(c => c.model.type === 'code'
        && c.model.outputs.toJSON().some(has));
    if (index < 0) return '';
    const selector = `.jp-OutputArea-output[data-mime-type="${mime}"]`;
    for (let i = 0; i < 300; i++) {  // until it is drawn (the notebook may still lay out)
        if (i % 10 === 0) await notebook.scrollToItem(index, 'start');
        const node = notebook.widgets[index].node.querySelector(selector);
        if (node && node.innerText) return what === 'html' ? node.innerHTML : node.innerText;
        await new Promise(r => setTimeout(r, 100));
    }
    return '';
}"""


def test_saved_outputs_render_as_in_jupyterlab_before_any_cell_runs(site_url, browser):
    blocked: list[str] = []
    page = offline_page(browser, blocked)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        open_notebook(page, site_url, "00-start.ipynb")
        text = page.evaluate(SHOWN_OUTPUT, ["stream", "application/vnd.jupyter.stdout"])
        lines = text.splitlines()
        assert len(lines) > 3, text  # a multi-line printed output, line by line
        assert [line for line in lines if line.startswith(",")] == []
        # the saved dashboard's replay steps: the course's notebooks are trusted
        page.wait_for_selector(".mkp[data-step]", timeout=60_000)
        page.get_by_role("button", name="◀ back").first.click()
        before = page.evaluate(READOUT)
        page.get_by_role("button", name="step ▶").first.click()
        page.wait_for_function(f"() => ({READOUT})() === {before + 1}")
        page.evaluate("() => window.jupyterapp.commands.execute('toc:show-panel')")
        page.wait_for_selector(".jp-TableOfContents-tree, .jp-TableOfContents-content",
                               timeout=30_000)  # fmt: skip
        open_notebook(page, site_url, "10-conclusions.ipynb")
        html = page.evaluate(SHOWN_OUTPUT, ["text/markdown", "text/markdown", "html"])
        assert "<table" in html and "claim" in html and html.count("<tr") > 5  # a table
        page.wait_for_timeout(1_000)  # the table of contents follows the new notebook
        assert [e for e in errors if "replace is not a function" in e] == []
        assert errors == []
        assert page.evaluate("() => document.body.dataset.mkteachCourse") == "current"
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "lite-10-before-running.png"))
        assert blocked == []
    finally:
        page.context.close()


SAVE_OLD_COPY = """async () => {
    const contents = window.jupyterapp.serviceManager.contents;
    const path = '02-address-spaces.ipynb';
    const model = await contents.get(path, {content: true});
    const nb = model.content;
    nb.metadata.mkteach.course = {version: '0.0.1+before', notebook: 'before'};
    nb.cells[0].source = 'MY OWN NOTE\\n' + nb.cells[0].source;
    await contents.save(path, {type: 'notebook', format: 'json', content: nb});
}"""

STORED_02 = """async () => {
    const model = await window.jupyterapp.serviceManager.contents.get(
        '02-address-spaces.ipynb', {content: true});
    return {stamp: model.content.metadata.mkteach.course, first: model.content.cells[0].source};
}"""


def test_a_course_update_over_a_saved_copy_is_announced_and_resets(site_url, browser):
    blocked: list[str] = []
    page = offline_page(browser, blocked)
    try:
        open_notebook(page, site_url, "00-start.ipynb")
        page.wait_for_function("() => document.body.dataset.mkteachCourse === 'current'")
        assert page.locator("#mkteach-course-notice").count() == 0
        # the student saved 02 from an earlier version of the course (stamped so), with a note
        page.evaluate(SAVE_OLD_COPY)
        page.reload()
        notice = page.locator("#mkteach-course-notice")
        notice.wait_for(timeout=120_000)
        assert "predates the course" in notice.inner_text()
        assert "02-address-spaces.ipynb" in notice.inner_text()
        with page.expect_download() as download:  # one click: every notebook, theirs as saved
            notice.get_by_role("button", name="Download my notebooks").click()
        archive = zipfile.ZipFile(io.BytesIO(open(download.value.path(), "rb").read()))
        names = archive.namelist()
        assert "02-address-spaces.ipynb" in names and "exercises/ex02-address-spaces.ipynb" in names
        manifest = json.loads((SITE / "mkteach-course.json").read_text())
        assert len(names) == len(manifest["notebooks"])
        assert "MY OWN NOTE" in archive.read("02-address-spaces.ipynb").decode()
        notice.get_by_role("button", name="Reset to the course's copy").click()
        page.wait_for_function("() => document.body.dataset.mkteachCourse === 'current'",
                               timeout=300_000)  # fmt: skip
        assert page.locator("#mkteach-course-notice").count() == 0
        # the reload restores the saved layout (which may or may not hold 00-start yet, as the
        # layout is saved a moment after a change): wait for it, then open 00-start as a student
        page.wait_for_function("() => !!window.jupyterapp", timeout=300_000)
        page.evaluate("() => window.jupyterapp.restored.then(() => 1)")
        open_notebook(page, site_url, "00-start.ipynb")
        stored = page.evaluate(STORED_02)
        assert stored["stamp"]["notebook"] == manifest["notebooks"]["02-address-spaces.ipynb"]
        assert "MY OWN NOTE" not in stored["first"]
        assert blocked == []
    finally:
        page.context.close()


PREDICTING = [p.name for p in sorted((ROOT / "notebooks").glob("[01][0-9]-*.ipynb"))[1:]]
EVERY_CHAPTER = sorted(set(DASHBOARDS) | set(PREDICTING))


@pytest.mark.parametrize("chapter", EVERY_CHAPTER)
def test_a_chapter_runs_offline_and_keeps_its_answers_closed_in_the_browser(
    chapter, site_url, browser
):
    """One Run All per chapter, from cleared outputs (so no saved output passes for a fresh
    one): no error, the dashboard steps, nothing leaves 127.0.0.1, and no model answer shows
    before a prediction; in chapter 4 a right and a wrong prediction show their verdicts."""
    from predict_page import closed_problems, committed, enter, run_all_afresh
    from test_browser import RIGHT, WRONG, check_verdicts

    blocked: list[str] = []
    page = offline_page(browser, blocked)
    try:
        page.goto(f"{site_url}/lab/index.html?path={chapter}", timeout=300_000)
        page.wait_for_function(KERNEL_IDLE, timeout=300_000, polling=200)
        run_all_afresh(page, chapter, timeout_ms=900_000)
        check_runs_offline(page, chapter)
        path = ROOT / "notebooks" / chapter  # the committed chapter the site was built from
        assert closed_problems(page, path) == []
        if chapter == RIGHT[0]:
            (answer,) = [p["answer"] for p in committed(path) if p["name"] == RIGHT[1]]
            verdicts = {"right": enter(page, RIGHT[1], list(answer.values()))}
            verdicts["wrong"] = enter(page, WRONG[0], WRONG[1])
            check_verdicts(verdicts)
            page.locator(f".mkteach-predict-{WRONG[0]}").screenshot(
                path=str(SCREENSHOTS / "lite-prediction-verdict.png")
            )
        assert blocked == []  # nothing tried to leave 127.0.0.1
    finally:
        page.context.close()

"""Real browsers open the dashboards: JupyterLab, Voila and a static HTML export, in headless
Chromium (Debian's package) driven by Playwright.

The stories: a student opens the course (`mkteach lab`) and lands on 00-start with no pop-up;
runs a notebook and reads every view (keys, the program pane, both runs side by side); steps
back and forth at 1,000 and 100,000 steps without waiting for the kernel; reloads a dashboard
20 times in JupyterLab and in Voila without one page error; and opens the HTML export of an
executed notebook, with no kernel and no network, and steps through its replay there.
Screenshots of every view land in build/screenshots/ for a person to look at.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import pytest
from lab_server import (
    CHROMIUM,
    CHROMIUM_ARGS,
    WIDGET_ERRORS,
    chromium_missing,
    dashboard_step,
    ping_pong,
    run_all_cells,
    start_lab,
    start_mkteach_lab,
    start_voila,
    stepping_times,
    tiny,
)

HERE = Path(__file__).parent
ROOT = HERE.parent
SCREENSHOTS = ROOT / "build" / "screenshots"
LATENCY = ROOT / "build" / "browser-latency.json"
VIEWS = ("program", "tree", "ipc", "hardware", "cost")

pytestmark = [
    pytest.mark.skipif(chromium_missing() is not None, reason=str(chromium_missing())),
    pytest.mark.slow,
]


class Browser:
    """A headless Chromium page that records every page error and widget error it shows."""

    def __init__(self, pw) -> None:
        self.browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        self.page = self.browser.new_page(viewport={"width": 1400, "height": 1000})
        self.errors: list[str] = []
        self.received = 0  # bytes the page received over websockets
        self.page.on("pageerror", lambda e: self.errors.append(f"page error: {e}"))
        self.page.on("console", self._console)
        self.page.on("websocket", self._websocket)

    def _console(self, message) -> None:
        if message.type == "error" and any(
            word in message.text for word in ("anywidget", "widget", "mkteach", "Uncaught")
        ):
            self.errors.append(f"console: {message.text}")

    def _websocket(self, ws) -> None:
        ws.on("framereceived", self._frame)

    def _frame(self, payload) -> None:
        self.received += len(payload)

    def check_no_widget_errors(self) -> None:
        """Fail if the page shows a widget error or recorded a page error."""
        text = self.page.inner_text("body")
        for error in WIDGET_ERRORS:
            assert error not in text
        assert self.errors == []


@pytest.fixture
def browser():
    """Yield a Browser (headless Chromium)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = Browser(pw)
        yield b
        b.browser.close()


def wait_for_dashboards(page, count: int = 1, timeout: int = 120_000) -> None:
    """Wait until `count` dashboards have drawn a step."""
    page.wait_for_function(
        f"() => [...document.querySelectorAll('.mkp')].filter(e => e.dataset.step).length"
        f" >= {count}",
        timeout=timeout,
    )


def click(page, label: str, index: int = 0) -> None:
    """Click the dashboard button labelled `label`."""
    page.locator(".mkp").nth(index).get_by_role("button", name=label).click()


def shoot(locator, name: str) -> None:
    """Save a screenshot of what `locator` shows as build/screenshots/`name`.png (scrolled into
    view first: JupyterLab draws only the cells on screen)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    locator.scroll_into_view_if_needed()
    locator.page.wait_for_timeout(300)
    locator.screenshot(path=str(SCREENSHOTS / f"{name}.png"))


def screenshot_views(page, prefix: str) -> None:
    """Save a screenshot of each view of the first dashboard and of every plotly figure."""
    board = page.locator(".mkp").first
    shoot(board.locator(".mkp-bar"), f"{prefix}-controls")
    for view in VIEWS:
        shoot(board.locator(f".mkp-{view}"), f"{prefix}-{view}")
    for i, figure in enumerate(page.locator(".js-plotly-plot").all()):
        shoot(figure, f"{prefix}-figure-{i}")


def test_mkteach_lab_opens_the_start_notebook_with_no_pop_up(browser):
    with start_mkteach_lab() as (url, log):
        assert "/lab/tree/notebooks/00-start.ipynb" in url
        page = browser.page
        page.goto(url)
        page.wait_for_function(
            "() => document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)')"
            " && document.title.includes('00-start')",
            timeout=60_000,
        )
        page.wait_for_timeout(3_000)  # the news question comes a moment after loading
        text = page.inner_text("body")
        assert "official Jupyter news" not in text
        assert page.locator(".jp-toast-message, .Toastify__toast").count() == 0
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "mkteach-lab.png"))


def test_every_view_is_readable_and_compares_two_runs_in_jupyterlab(tmp_path, browser):
    shutil.copy(HERE / "browser" / "views.ipynb", tmp_path / "views.ipynb")
    page = browser.page
    with start_lab(tmp_path) as (url, token):
        run_all_cells(page, url, token, "views.ipynb")
        wait_for_dashboards(page)
        page.wait_for_function("() => document.querySelectorAll('.js-plotly-plot').length >= 4")
        board = page.locator(".mkp").first
        assert dashboard_step(page) == 28  # drawn at the last step before any click
        for view in VIEWS:  # compare=: each view shows both runs side by side
            assert board.locator(f".mkp-{view} .mkp-cell").count() == 2, view
        text = board.inner_text()
        assert "pentium, l3 kernel" in text and "pentium, mach kernel" in text
        # Mach's steps dwarf L3's: each run gets its own cost scale, and the pane says so
        assert "this run on its own scale" in text
        scales = board.locator(".mkp-cost svg").evaluate_all("s => s.map(e => e.dataset.scale)")
        assert scales[0] != scales[1]
        board.get_by_role("button", name="cost scale: each run its own").click()
        assert "every run on the same scale" in board.locator(".mkp-cost").inner_text()
        scales = board.locator(".mkp-cost svg").evaluate_all("s => s.map(e => e.dataset.scale)")
        assert scales[0] == scales[1]

        click(page, "⟲ reset")
        assert dashboard_step(page) == -1 and "Before the first step" in board.inner_text()
        assert "nothing mapped outside σ0 yet" in board.locator(".mkp-tree").inner_text()
        click(page, "step ▶")  # creating a space: set-up, not anyone's kernel entry
        assert "set-up" in board.locator(".mkp-readout").inner_text()
        assert "set-up, not a kernel entry" in board.locator(".mkp-program").inner_text()
        click(page, "▶▶ first kernel entry")
        first = dashboard_step(page)
        assert first > 1 and "set-up" not in board.locator(".mkp-readout").inner_text()
        assert board.locator(".mkp-program .hl").count() >= 1  # a program line made it
        click(page, "⟲ reset")
        for _ in range(14):
            click(page, "step ▶")
        assert dashboard_step(page) == 13  # app's first store faults: its pager is called
        program = board.locator(".mkp-program .mkp-cell").first
        assert "line" in program.locator("h4").inner_text()
        assert "yield t.store(3 * 4096" in program.locator(".hl").inner_text()
        states = program.locator("table").inner_text()
        assert "page fault: waiting for its pager pager2" in states or "pager2" in states
        messages = board.locator(".mkp-ipc .mkp-cell").first.inner_text()
        assert "page fault: write page 3" in messages and "app (App)" in messages
        hardware = board.locator(".mkp-hardware .mkp-cell").first.inner_text()
        assert "way 3" in hardware and "way 4" not in hardware  # a 4-way TLB: ways 0..3
        assert "kernel code" in hardware and "sets this step touched" in hardware
        for _ in range(3):
            click(page, "step ▶")
        tree = board.locator(".mkp-tree .mkp-cell").first.inner_text()
        assert "mapped in this step" in tree and "σ0 is the root" in tree
        click(page, "◀ back")
        assert dashboard_step(page) == 15
        overflow = board.locator(".mkp-program pre").evaluate_all(
            "ps => ps.map(p => p.scrollWidth - p.clientWidth)"
        )
        assert overflow and max(overflow) <= 1  # program lines wrap: none is cut off

        page.locator(".mkp").first.get_by_role("button", name="play").click()
        page.wait_for_function("() => Number(document.querySelector('.mkp').dataset.step) > 16")
        click(page, "pause")
        screenshot_views(page, "jupyterlab")
        page.screenshot(path=str(SCREENSHOTS / "jupyterlab-dashboard.png"))
        browser.check_no_widget_errors()


def controls_in_view(page, board) -> bool:
    """Return True when the dashboard's buttons are wholly inside the window."""
    box, height = board.locator(".mkp-bar").bounding_box(), page.viewport_size["height"]
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= height


def test_the_controls_stay_in_reach_and_stepping_past_the_end_says_why(tmp_path, browser):
    shutil.copy(HERE / "browser" / "views.ipynb", tmp_path / "views.ipynb")
    page = browser.page
    page.set_viewport_size({"width": 1400, "height": 900})
    with start_lab(tmp_path) as (url, token):
        run_all_cells(page, url, token, "views.ipynb")
        wait_for_dashboards(page)
        board = page.locator(".mkp").first
        # the last panel (the costs) in view: the buttons are still on screen, and work
        board.locator(".mkp-cost").scroll_into_view_if_needed()
        click(page, "◀ back")
        assert controls_in_view(page, board) and board.locator(".mkp-cost").is_visible()
        assert dashboard_step(page) == 27
        assert board.bounding_box()["height"] <= 900  # the panels scroll inside it
        # the trees follow the frame the latest mapping step changed; every frame on demand
        assert "which the latest mapping step changed" in board.locator(".mkp-tree").inner_text()
        board.locator(".mkp-pick").select_option("all")
        assert "latest mapping step" not in board.locator(".mkp-tree").inner_text()
        board.locator(".mkp-hardware > summary").click()  # a panel folds away
        assert not board.locator(".mkp-hardware .mkp-cell").first.is_visible()
        click(page, "step ▶")
        assert dashboard_step(page) == 28  # the last step of the run
        click(page, "step ▶")  # past the end: every thread ended or waits
        page.wait_for_function(
            "() => (document.querySelector('.mkp .mkp-events').textContent || '')"
            ".includes('Nothing more happens')",
            timeout=1_000,
        )
        events = board.locator(".mkp-events").inner_text()
        assert "Running one more step" not in events and "waits" in events
        assert dashboard_step(page) == 28 and controls_in_view(page, board)
        browser.check_no_widget_errors()


def test_stepping_takes_no_kernel_round_trip_at_1000_and_100000_steps(tmp_path, browser):
    results = {}
    page = browser.page
    for steps, limit in ((1_000, 50), (100_000, 100)):
        notebook = ping_pong(tmp_path, steps)
        with start_lab(tmp_path) as (url, token):
            browser.received = 0
            run_all_cells(page, url, token, notebook.name, timeout_ms=300_000)
            wait_for_dashboards(page)
            assert dashboard_step(page) >= steps - 1
            sent = browser.received
            times = stepping_times(page, 0)  # fails unless each step shows by the next frame
            results[str(steps)] = {**times, "target_ms": limit, "bytes_sent": sent}  # make bench
            if steps == 100_000:
                assert sent <= 2_000_000, f"the dashboard sent {sent:,} bytes"
                click(page, "⟲ reset")  # outside the window: one request to the kernel
                page.wait_for_function("() => document.querySelector('.mkp').dataset.step === '-1'")
                hardware = page.locator(".mkp-hardware").inner_text()
                assert "0 hits, 0 misses so far" in hardware  # the state before step 0
            browser.check_no_widget_errors()
    LATENCY.parent.mkdir(parents=True, exist_ok=True)
    LATENCY.write_text(json.dumps(results, indent=2) + "\n")


def test_a_dashboard_renders_20_times_in_a_row_in_jupyterlab(tmp_path, browser):
    tiny(tmp_path)
    page = browser.page
    with start_lab(tmp_path) as (url, token):
        for _ in range(20):
            run_all_cells(page, url, token, "tiny.ipynb")
            wait_for_dashboards(page)
            assert page.locator(".mkp-tree svg").count() == 1
            browser.check_no_widget_errors()


def test_voila_shows_filled_views_before_any_click_20_times_in_a_row(tmp_path, browser):
    notebook = tiny(tmp_path)
    page = browser.page
    with start_voila(notebook) as url:
        for _ in range(20):
            page.goto(url, timeout=120_000)
            wait_for_dashboards(page)
            board = page.locator(".mkp").first
            assert page.locator(".mkp-tree svg").count() == 1
            assert page.locator(".mkp-hardware rect").count() > 0
            assert "toucher" in board.locator(".mkp-program").inner_text()
            browser.check_no_widget_errors()
        click(page, "⟲ reset")
        assert dashboard_step(page) == -1
        click(page, "step ▶")
        assert dashboard_step(page) == 0
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "voila-dashboard.png"))


def test_an_html_export_steps_with_no_kernel_and_no_network(tmp_path, browser):
    sys.path.insert(0, str(ROOT / "scripts"))
    import execute_notebooks

    notebook = tmp_path / "views.ipynb"
    shutil.copy(HERE / "browser" / "views.ipynb", notebook)
    environment = dict(os.environ)
    execute_notebooks.main([str(notebook)])
    assert dict(os.environ) == environment  # its settings (no predictions kept) were its own
    outputs = [o for c in json.loads(notebook.read_text())["cells"] for o in c.get("outputs", [])]
    figures = [o for o in outputs if "application/vnd.plotly.v1+json" in o.get("data", {})]
    assert figures and all("image/png" in o["data"] for o in figures)  # GitHub, nbviewer
    replays = [o for o in outputs if "mkteach" in o.get("metadata", {})]
    assert replays and all(
        "application/vnd.jupyter.widget-view+json" not in o["data"] for o in replays
    )
    # GitHub and nbviewer run no script: they show the picture stored in the replay's HTML
    saved = "".join(replays[0]["data"]["text/html"])
    assert "data:image/png;base64," in saved
    still = browser.browser.new_page(java_script_enabled=False)
    still.set_content(f"<html><body>{saved}</body></html>")
    picture = still.locator(".mkteach-replay img")
    assert picture.evaluate("i => i.complete && i.naturalWidth") > 600
    assert still.locator(".mkp").count() == 0  # no player without JavaScript
    still.close()
    from nbconvert import HTMLExporter

    html, _ = HTMLExporter().from_filename(str(notebook))
    page_path = tmp_path / "views.html"
    page_path.write_text(html)
    page = browser.page
    page.route("http*://**", lambda route: route.abort())  # no network, no kernel
    for _ in range(2):  # the first load, then a reload
        page.goto(page_path.as_uri())
        wait_for_dashboards(page, timeout=30_000)
        assert dashboard_step(page) == 28
        click(page, "◀ back")
        click(page, "◀ back")
        assert dashboard_step(page) == 26
        assert page.locator(".mkp-tree svg").count() == 2  # both runs
        assert page.locator(".mkp img").count() == 0  # the player drew over the picture
        page.reload()
    assert page.locator("img").count() >= len(figures)  # the static figures
    assert browser.errors == []
    shoot(page.locator(".mkp").first, "html-export-dashboard")


def test_a_saved_dashboard_steps_in_jupyterlab_before_any_cell_runs(tmp_path, browser):
    sys.path.insert(0, str(ROOT / "scripts"))
    import execute_notebooks

    notebook = tmp_path / "views.ipynb"
    shutil.copy(HERE / "browser" / "views.ipynb", notebook)
    execute_notebooks.main([str(notebook)])  # what `make notebooks` commits
    page = browser.page
    with start_lab(tmp_path, trust=(notebook,)) as (url, token):  # as `mkteach lab` trusts
        for _ in range(2):  # opened, then the page reloaded: no cell has run
            page.goto(f"{url}/lab/tree/views.ipynb?token={token}")
            wait_for_dashboards(page, timeout=60_000)
            click(page, "◀ back")
            assert dashboard_step(page) == 27
            assert page.locator(".mkp-program .hl").count() == 2  # both runs' program line
        browser.check_no_widget_errors()


def check_views_rendered(page, browser, name: str) -> None:
    """Fail if the chapter Run All just ran shows a traceback or a widget error; in chapter 2
    (dashboards and plotly figures) wait until they are drawn and take a picture."""
    if name == "02-address-spaces.ipynb":
        wait_for_dashboards(page)
        page.wait_for_function("() => document.querySelectorAll('.js-plotly-plot').length >= 3")
        shoot(page.locator(".mkp").first, "chapter-02-dashboard")
    assert "Traceback" not in page.inner_text("body")
    browser.check_no_widget_errors()


RIGHT = ("04-interrupts-ids-clans.ipynb", "ch04-merged-interrupts")  # entered as the model says
WRONG = (  # a known wrong answer, and the misconception its verdict must name
    "ch04-lost-reply",
    ["yes", "send"],
    "the printer replies with timeout 0 between the chief's two kernel entries",
)

CLOSE = """async () => {
    const panel = window.jupyterapp.shell.currentWidget;
    const timeout = new Promise(resolve => setTimeout(resolve, 10000));
    await Promise.race([panel.sessionContext.shutdown(), timeout]);
    panel.context.model.dirty = false;
    panel.close();
}"""


def open_and_run_afresh(page, url: str, token: str, name: str) -> None:
    """Open notebook `name` in JupyterLab and, once it is shown with its kernel idle, clear it
    and run all cells (`run_all_afresh` waits for that)."""
    from predict_page import run_all_afresh

    page.goto(f"{url}/lab/tree/{name}?token={token}")
    run_all_afresh(page, name)


PREDICTING = [p.name for p in sorted((ROOT / "notebooks").glob("[01][0-9]-*.ipynb"))[1:]]


def check_predictions_after_run_all(
    page,
    open_and_run,
    folder: Path,
    prefix: str,
    chapters: list[str] = PREDICTING,
    check_views=None,
) -> dict[str, str]:
    """Run each chapter (`open_and_run(name)`; then `check_views(name)` if given), check that
    no model answer shows before a prediction; in chapter 4 enter a right and a wrong one;
    return their verdicts' text."""
    from predict_page import closed_problems, committed, enter

    problems, verdicts = [], {}
    for name in chapters:
        open_and_run(name)
        if check_views is not None:
            check_views(name)
        problems += closed_problems(page, folder / name)
        if name == RIGHT[0]:
            (answer,) = [p["answer"] for p in committed(folder / name) if p["name"] == RIGHT[1]]
            verdicts["right"] = enter(page, RIGHT[1], list(answer.values()))
            verdicts["wrong"] = enter(page, WRONG[0], WRONG[1])
            shoot(page.locator(f".mkteach-predict-{WRONG[0]}"), f"{prefix}-prediction-verdict")
        page.evaluate(CLOSE)
    assert problems == []
    return verdicts


def check_verdicts(verdicts: dict[str, str]) -> None:
    """Fail unless the right prediction was called right and the wrong one named its mistake."""
    assert verdicts["right"].startswith("Right.") and "wrong" not in verdicts["right"]
    assert "Not quite" in verdicts["wrong"] and WRONG[2] in verdicts["wrong"]
    assert "you predicted" in verdicts["wrong"] and "the model" in verdicts["wrong"]


@pytest.mark.parametrize("part", [PREDICTING[:4], PREDICTING[4:7], PREDICTING[7:]], ids=str)
def test_after_run_all_no_chapter_shows_an_answer_before_a_prediction_in_jupyterlab(
    part, tmp_path, browser
):
    """One Run All per chapter serves every check: no traceback or widget error (chapter 2's
    views drawn), no model answer before a prediction, verdicts in chapter 4, and the
    predictions kept beside the notebook."""
    for name in part:
        shutil.copy(ROOT / "notebooks" / name, tmp_path / name)
    shutil.copytree(ROOT / "notebooks" / "exercises", tmp_path / "exercises")
    page = browser.page
    with start_lab(tmp_path) as (url, token):
        verdicts = check_predictions_after_run_all(
            page,
            lambda name: open_and_run_afresh(page, url, token, name),
            tmp_path,
            "jupyterlab",
            part,
            check_views=lambda name: check_views_rendered(page, browser, name),
        )
        if RIGHT[0] in part:
            check_verdicts(verdicts)
            kept = json.loads((tmp_path / "my-predictions.json").read_text())
            assert kept[RIGHT[1]]["right"] is True and kept[WRONG[0]]["right"] is False
        browser.check_no_widget_errors()


def test_voila_keeps_the_answers_closed_until_a_prediction_is_entered(tmp_path, browser):
    from predict_page import committed, enter

    chapter = tmp_path / RIGHT[0]
    shutil.copy(ROOT / "notebooks" / RIGHT[0], chapter)
    shutil.copytree(ROOT / "notebooks" / "exercises", tmp_path / "exercises")
    page = browser.page
    with start_voila(chapter) as url:
        page.goto(url, timeout=300_000)
        for p in committed(chapter):  # Voila runs every cell before it shows the page
            widget = page.locator(f".mkteach-predict-{p['name']}")
            widget.wait_for(state="visible", timeout=300_000)
            assert "opens once you have given a prediction" in widget.inner_text()
            assert widget.locator(".mkteach-answer").count() == 0
            assert [t for t in p["tells"] if t in widget.inner_text()] == []
        (answer,) = [p["answer"] for p in committed(chapter) if p["name"] == RIGHT[1]]
        verdicts = {"right": enter(page, RIGHT[1], list(answer.values()))}
        verdicts["wrong"] = enter(page, WRONG[0], WRONG[1])
        check_verdicts(verdicts)
        for p in committed(chapter):  # the predictions drew without a widget error
            text = page.locator(f".mkteach-predict-{p['name']}").inner_text()
            assert not [e for e in WIDGET_ERRORS if e in text]

"""A real browser opens a notebook that uses every view, runs it, steps and plays it.

JupyterLab runs on 127.0.0.1 with a token; headless Chromium (Debian's package) is driven by
Playwright. The test asserts what a person would look for: every view rendered, no widget
errors, the slider moves when stepping and playing, and a plot changes. A screenshot lands in
build/screenshots/ for a person to look at.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from lab_server import (
    CHROMIUM,
    CHROMIUM_ARGS,
    WIDGET_ERRORS,
    chromium_missing,
    run_all_cells,
    start_lab,
    start_voila,
)

HERE = Path(__file__).parent
SCREENSHOTS = HERE.parent / "build" / "screenshots"

pytestmark = pytest.mark.skipif(chromium_missing() is not None, reason=str(chromium_missing()))


@pytest.fixture
def browser_page():
    """Yield a Playwright page in headless Chromium."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        yield page
        browser.close()


READOUT = (
    "() => Number(document.querySelector('.widget-slider .widget-readout')"
    ".innerText.replace('\u2212', '-'))"
)  # the readout writes -1 with a Unicode minus sign


def slider_value(page) -> int:
    """Return the stepper slider's value as the page shows it."""
    return page.evaluate(READOUT)


def test_the_dashboard_renders_steps_and_plays_in_jupyterlab(tmp_path, browser_page):
    shutil.copy(HERE / "browser" / "views.ipynb", tmp_path / "views.ipynb")
    page = browser_page
    with start_lab(tmp_path) as (url, token):
        run_all_cells(page, url, token, "views.ipynb")
        page.wait_for_selector(".js-plotly-plot", timeout=60_000)
        page.wait_for_function(
            "() => document.querySelectorAll('.js-plotly-plot').length >= 5", timeout=60_000
        )
        text = page.inner_text("body")
        for error in WIDGET_ERRORS:
            assert error not in text
        assert page.locator(".widget-slider").count() >= 1
        assert page.locator(".widget-play, .jupyter-widgets.widget-play").count() >= 1
        assert "Done after" in text  # the run's summary printed by the first cell

        before = slider_value(page)
        page.get_by_role("button", name="⟲ reset").click()
        page.wait_for_function(f"() => ({READOUT})() === -1")
        title = "() => [...document.querySelectorAll('.gtitle')].map(t => t.textContent).join('|')"
        titles_at_start = page.evaluate(title)
        page.get_by_role("button", name="step ▶").click()
        page.wait_for_function(f"() => ({READOUT})() === 0")
        page.wait_for_function(f"() => ({title})() !== {titles_at_start!r}")

        page.locator(".widget-play button").first.click()  # Play
        page.wait_for_function(f"() => ({READOUT})() > 1", timeout=30_000)
        assert slider_value(page) != before or before > 1
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.locator(".widget-slider").first.scroll_into_view_if_needed()
        page.screenshot(path=str(SCREENSHOTS / "dashboard.png"))
        text = page.inner_text("body")
        for error in WIDGET_ERRORS:
            assert error not in text


def test_the_dashboard_renders_and_steps_in_voila(tmp_path, browser_page):
    notebook = tmp_path / "views.ipynb"
    shutil.copy(HERE / "browser" / "views.ipynb", notebook)
    page = browser_page
    with start_voila(notebook) as url:
        page.goto(url, timeout=120_000)
        page.wait_for_function(
            "() => document.querySelectorAll('.js-plotly-plot').length >= 5", timeout=120_000
        )
        text = page.inner_text("body")
        for error in WIDGET_ERRORS:
            assert error not in text
        page.get_by_role("button", name="⟲ reset").click()
        page.wait_for_function(f"() => ({READOUT})() === -1")
        page.get_by_role("button", name="step ▶").click()
        page.wait_for_function(f"() => ({READOUT})() === 0")
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "dashboard-voila.png"))


def test_a_chapter_runs_in_jupyterlab_with_its_views_rendered(tmp_path, browser_page):
    chapter = "02-address-spaces.ipynb"
    shutil.copy(HERE.parent / "notebooks" / chapter, tmp_path / chapter)
    page = browser_page
    with start_lab(tmp_path) as (url, token):
        run_all_cells(page, url, token, chapter)
        page.wait_for_function(
            "() => document.querySelectorAll('.js-plotly-plot').length >= 3", timeout=60_000
        )
        assert page.locator(".widget-slider").count() >= 1  # the chapter's dashboard
        text = page.inner_text("body")
        for error in WIDGET_ERRORS:
            assert error not in text
        assert "Traceback" not in text
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "chapter-02.png"))

"""What a reader sees of a chapter's predictions in a browser (JupyterLab or JupyterLite).

`committed(path)` reads each prediction's name, the strings that would state its answer
(`tells`) and the model's answer from the committed chapter. After "Run All" in the page,
`closed_problems(page, path)` scrolls to every prediction and returns what is wrong: an answer
shown before a prediction was entered, a tell on the screen before it. `enter(page, name, values)`
fills in the form and commits, and returns the verdicts the page then shows.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import nbformat

CELLS = """() => window.jupyterapp.shell.currentWidget.content.widgets.map(c => ({
    type: c.model.type,
    source: c.model.sharedModel.getSource(),
    tags: c.model.getMetadata('tags') || [],
    outputs: c.model.type === 'code' ? c.model.outputs.toJSON() : [],
}))"""

SCROLL_TO = """async (index) => {
    const notebook = window.jupyterapp.shell.currentWidget.content;
    notebook.activeCellIndex = index;
    const timeout = new Promise(resolve => setTimeout(resolve, 5000));
    await Promise.race([notebook.scrollToItem(index, 'center'), timeout]);
}"""


ALL_RUN = """() => {
    const panel = window.jupyterapp.shell.currentWidget;
    const cells = panel.content.widgets.filter(c => c.model.type === 'code');
    return panel.sessionContext.kernelDisplayStatus === 'idle'
        && cells.every(c => c.model.executionCount !== null);
}"""


SHOWN = """(path) => {
    const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
    return !!(w && w.context && w.context.path === path && w.context.isReady && w.sessionContext
        && w.sessionContext.session && w.sessionContext.session.kernel
        && w.sessionContext.kernelDisplayStatus === 'idle');
}"""


def run_all_afresh(page, path: str, timeout_ms: int = 600_000) -> None:
    """In notebook `path`, once it is the one shown with its kernel idle (JupyterLab may first
    restore the notebook shown before): clear every output (and execution count), run all cells
    and wait until each has run, so no committed output can pass for a fresh one."""
    page.wait_for_function(SHOWN, arg=path, timeout=300_000, polling=200)
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:clear-all-cell-outputs')")
    page.wait_for_function(
        "() => window.jupyterapp.shell.currentWidget.content.widgets"
        ".filter(c => c.model.type === 'code').every(c => c.model.executionCount === null)"
    )
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
    page.wait_for_function(ALL_RUN, timeout=timeout_ms, polling=250)


def committed(path: Path) -> list[dict]:
    """Return, for each prediction of a committed chapter: name, tells and the model's answer
    ({part: value as the page shows it}, read from the closed disclosure)."""
    out = []
    for cell in nbformat.read(path, as_version=4).cells:
        if "predict-reveal" not in cell.metadata.get("tags", []):
            continue
        for output in cell.outputs:
            marks = output.get("metadata", {}).get("mkteach", {}).get("predict")
            if marks:
                page = "".join(output["data"]["text/html"])
                items = re.findall(r"<li>(.*?): (.*?)</li>", page.split("<details>", 1)[1])
                answer = {html.unescape(k): html.unescape(v) for k, v in items}
                out.append({**marks, "answer": answer})
    return out


def text_of(cells: list[dict]) -> str:
    """Return the text a reader sees in `cells`: markdown and text outputs (never the HTML
    form of a prediction, whose answer is behind a closed disclosure or not rendered)."""
    parts = []
    for cell in cells:
        if cell["type"] == "markdown":
            parts.append(cell["source"])
        for out in cell["outputs"]:
            text = out.get("text", "")
            parts.append("".join(text) if isinstance(text, list) else text)
            plain = out.get("data", {}).get("text/plain", "")
            parts.append("".join(plain) if isinstance(plain, list) else plain)
    return "\n".join(parts)


def closed_problems(page, path: Path) -> list[str]:
    """Return what is wrong with the predictions of the notebook open in `page` (after Run All):
    an answer open or a tell shown before any prediction was entered."""
    problems = []
    expected = {p["name"]: p for p in committed(path)}
    cells = page.evaluate(CELLS)
    reveals = [i for i, c in enumerate(cells) if "predict-reveal" in c["tags"]]
    if len(reveals) != len(expected):
        return [f"{path.name}: {len(reveals)} reveal cells in the page, {len(expected)} committed"]
    for index, (name, p) in zip(reveals, expected.items(), strict=True):
        page.evaluate(SCROLL_TO, index)
        widget = page.locator(f".mkteach-predict-{name}")
        widget.wait_for(state="visible", timeout=60_000)
        shown = widget.inner_text()
        if "opens once you have given a prediction" not in shown:
            problems.append(f"{name}: the form does not say the answer is closed")
        if widget.locator(".mkteach-answer").count():
            problems.append(f"{name}: the model's answer is open before any prediction")
        before = text_of(cells[:index]) + shown
        problems += [f"{name}: {t!r} is on the screen before the answer" for t in p["tells"]
                     if t in before]  # fmt: skip
    return problems


def enter(page, name: str, values: list[str]) -> str:
    """Fill in prediction `name`'s form part by part with `values` (a number as text, an
    option's label, or for a set the labels joined by '|'), commit it; return the verdict
    table's text."""
    widget = page.locator(f".mkteach-predict-{name}")
    widget.scroll_into_view_if_needed()
    for i, value in enumerate(values):
        part = widget.locator(f".mkteach-part-{i}")
        if part.locator("select").count():
            part.locator("select").select_option(label=value)
        elif part.locator("input[type=checkbox]").count():
            for box in part.locator(".widget-checkbox").all():
                if box.inner_text().strip() in value.split("|"):
                    box.locator("input").check()
        else:
            part.locator("input").fill(value)
    page.wait_for_timeout(300)  # the form's values reach the kernel
    widget.get_by_role("button", name="Commit my prediction").click()
    answer = widget.locator(".mkteach-answer")
    answer.wait_for(state="visible", timeout=60_000)
    return answer.inner_text()

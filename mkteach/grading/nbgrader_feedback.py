"""nbgrader feedback that stays closed: no hidden test, no salt, no student script in the page.

In an nbgrader course's `nbgrader_config.py` (README, "With nbgrader"):

    c.GenerateFeedback.preprocessors = [
        "nbgrader.preprocessors.GetGrades",
        "mkteach.grading.nbgrader_feedback.ClosedFeedback",
        "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
    ]

nbgrader's autograde runs the hidden tests in the student's kernel, so its feedback page shows
whatever they printed or raised: a traceback quotes the test cell's lines, hidden ones included,
and a student's object can put the salt of the hidden instances (course_salt) into a message.
`ClosedFeedback` removes the hidden tests from the test cells' source, replaces the tracebacks
of test cells by their last line, removes every salt from every output, shows markdown and raw
cells as text (never as HTML: a `<script>` in an answer does not run in the page) and keeps
only plain-text outputs of the student's code cells (no HTML, JavaScript or SVG they made).
"""

from __future__ import annotations

import re
from typing import Any

from nbconvert.preprocessors import Preprocessor
from traitlets import Bool

from .markup import HIDDEN, meta

SALT = re.compile(r"\b[\w.-]*?ex\d\d-[0-9a-f]{16}\b")  # what course_salt returns
CLOSED_TEST = "# (the hidden tests of this cell are not shown)"
SAFE_DATA = ("text/plain", "image/png", "image/jpeg")


def redact(text: str) -> str:
    """Return `text` with every salt of hidden instances replaced by '<salt>'."""
    return SALT.sub("<salt>", text)


def without_hidden_tests(source: str) -> str:
    """Return a test cell's source up to its hidden tests (all of it when it has none)."""
    begin = source.find(HIDDEN[0])
    if begin < 0:
        return source
    kept = source[:begin].rsplit("\n", 1)[0] if "\n" in source[:begin] else ""
    return (kept + "\n" + CLOSED_TEST).lstrip("\n")


class ClosedFeedback(Preprocessor):
    """An nbconvert preprocessor for nbgrader's GenerateFeedback (see the module docstring)."""

    enabled = Bool(True, help="on whenever a config names it (nbgrader registers it so)").tag(
        config=True
    )

    def preprocess_cell(self, cell: Any, resources: Any, index: int) -> tuple[Any, Any]:
        """Return the cell as a feedback page may show it."""
        close_cell(cell)
        return cell, resources


def close_cell(cell: Any) -> None:
    """Change one notebook cell in place into what a feedback page may show."""
    kind = cell.get("cell_type")
    if kind in ("markdown", "raw"):
        text = "".join(cell.get("source", ""))
        cell["source"] = redact(text).replace("&", "&amp;").replace("<", "&lt;")
        cell.get("metadata", {}).pop("format", None)
        cell.get("metadata", {}).pop("raw_mimetype", None)
        cell.pop("attachments", None)
        if kind == "raw":  # shown as text, never as the raw HTML a raw cell may carry
            cell["cell_type"] = "markdown"
        return
    if kind != "code":
        return
    m = meta(cell)
    test = bool(m.get("grade")) and not m.get("solution")
    source = "".join(cell.get("source", ""))
    cell["source"] = redact(without_hidden_tests(source) if test else source)
    for output in cell.get("outputs", []):
        close_output(output, test)


def close_output(output: Any, test: bool) -> None:
    """Change one output in place: salts removed; a test's traceback cut to its last line;
    a student cell's rich output cut to plain text and images."""
    if output.get("output_type") == "error":
        output["evalue"] = redact(str(output.get("evalue", "")))
        lines = [redact(str(line)) for line in output.get("traceback", [])]
        output["traceback"] = lines[-1:] if test else lines
        return
    if output.get("output_type") == "stream":
        output["text"] = redact("".join(output.get("text", "")))
        return
    data = output.get("data")
    if not isinstance(data, dict):
        return
    for mime in list(data):
        keep = mime in SAFE_DATA or (test and mime == "text/html" and is_feedback_html(data[mime]))
        if not keep:
            del data[mime]
        elif mime.startswith("text/"):
            value = data[mime]
            data[mime] = redact("".join(value) if isinstance(value, list) else str(value))


def is_feedback_html(value: Any) -> bool:
    """Return True for the HTML a check's Feedback shows: escaped text in one <pre>, no tag."""
    text = "".join(value) if isinstance(value, list) else str(value)
    head, tail = "<pre class='mkteach-feedback'>", "</pre>"
    body = text.strip()
    if not (body.startswith(head) and body.endswith(tail)):
        return False
    return "<" not in body[len(head) : -len(tail)]

"""The README stays true: its claims table is what the model computes today, and its example
prints what the README says it prints."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

from mkteach import paper
from mkteach.paper.__main__ import table

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()


def test_the_claims_table_in_the_readme_is_todays():
    block = README.split("claim  ", 1)[1].split("```", 1)[0]
    assert ("claim  " + block).strip() == table(paper.claims()).strip()


def test_the_example_prints_what_the_readme_says():
    code = README.split("## The model in a few lines", 1)[1].split("```python", 1)[1]
    code = code.split("```", 1)[0]
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "README example", "exec"), {})
    promised = re.search(r"print\(s\.run\(\)\)\s+# (.+)", code).group(1)
    assert out.getvalue().splitlines()[0] == promised


def test_the_quick_start_is_the_two_make_commands():
    quick = README.split("## Quick start", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    commands = [line.split("#")[0].strip() for line in quick.strip().splitlines()]
    assert commands == ["make lab", "make test"]

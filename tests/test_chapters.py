"""The chapters teach the paper the way issue 12 asks: each opens with its crux, has a section on
misconceptions, asks the reader to predict before it shows the model's answer, links to its
exercise where the student copies live, and chapter 1 states the paper's principle.
Chapter 4's "Try it" names seeds; each must do what the text says it does."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from mkteach.scenarios import clans
from mkteach.scenarios.basics import forwarding_chief

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
CHAPTERS = sorted(NOTEBOOKS.glob("[0-9][0-9]-*.ipynb"))
NUMBERED = [p for p in CHAPTERS if not p.name.startswith("00-")]


def cells(path: Path) -> list:
    """Return the notebook's cells."""
    return nbformat.read(path, as_version=4).cells


def tags(cell) -> list[str]:
    """Return a cell's tags."""
    return cell.metadata.get("tags", [])


def test_there_are_eleven_chapters():
    assert [p.name[:2] for p in CHAPTERS] == [f"{n:02d}" for n in range(11)]


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_a_chapter_opens_with_its_crux_in_one_sentence(path):
    first = cells(path)[0]
    assert first.cell_type == "markdown"
    (line,) = [x for x in first.source.split("\n\n") if x.startswith("**Crux.**")]
    sentence = " ".join(line.removeprefix("**Crux.**").split())
    assert sentence[-1] in ".?" and not re.search(r"[.?!] [A-Z]", sentence), sentence


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_a_chapter_has_a_misconceptions_section_with_items(path):
    sections = [c.source for c in cells(path) if c.cell_type == "markdown"]
    text = "\n".join(sections)
    assert "## Misconceptions" in text
    body = text.split("## Misconceptions", 1)[1].split("\n#", 1)[0]
    assert body.count("\n- ") >= 2, body


@pytest.mark.parametrize("path", NUMBERED, ids=lambda p: p.stem)
def test_a_chapter_asks_to_predict_before_it_shows_the_answer(path):
    cs = cells(path)
    asks = [i for i, c in enumerate(cs) if "predict" in tags(c)]
    assert len(asks) >= 2
    for i in asks:
        question, mine, answer = cs[i : i + 3]
        assert question.cell_type == "markdown" and "?" in question.source
        assert mine.cell_type == "code" and "your-prediction" in tags(mine)
        assert "prediction" in mine.source  # the reader's own cell, with a place to answer
        assert answer.cell_type == "code" and "predict-reveal" in tags(answer)
        hidden = answer.metadata.get("jupyter", {})
        assert hidden.get("source_hidden") and hidden.get("outputs_hidden")  # collapsed
        assert "prediction" in answer.source  # it shows the reader's answer beside the model's
        assert answer.outputs, "the answer cell was never run: nbval would check nothing"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_exercise_links_point_at_the_student_copies_beside_the_chapters(path):
    text = "\n".join(c.source for c in cells(path) if c.cell_type == "markdown")
    assert "../exercises/" not in text
    if not path.name.startswith("00-"):
        (link,) = set(re.findall(r"\]\((exercises/ex\d\d-[a-z0-9-]+\.ipynb)\)", text))
        assert link == f"exercises/ex{path.name[:2]}-{path.stem[3:]}.ipynb"
        assert (NOTEBOOKS / link).exists(), f"{link} is not there"


def test_chapter_1_states_the_principle_and_tests_candidates_against_it():
    cs = cells(NOTEBOOKS / "01-rationale.ipynb")
    text = "\n".join(c.source for c in cs)
    assert "tolerated inside the µ-kernel only if" in text
    assert "competing implementations" in text and "§2" in text
    for candidate in ("paging policy", "driver", "file system", "scheduling", "address spaces"):
        assert candidate in text, candidate
    assert "IPC" in text
    verdicts = [c for c in cs if c.cell_type == "code" and "CANDIDATES" in c.source]
    assert verdicts and verdicts[-1].outputs, "the candidates are tested in a run cell"


def test_chapter_4_try_it_seeds_do_what_the_text_says():
    text = "\n".join(c.source for c in cells(NOTEBOOKS / "04-interrupts-ids-clans.ipynb"))
    try_it = text.split("## Try it", 1)[1]
    named = re.findall(r"clans\(seed=(\d+), chief_program=forward", try_it)
    seeds = sorted({int(n) for n in named})
    assert seeds, "the Try it names no seed"
    for seed in seeds:
        lost = clans(seed=seed, chief_program=forwarding_chief)
        summary = lost.run()
        assert summary.reason == "deadlock", (seed, str(summary))
        (stuck,) = [b for b in summary.blocked if not b.idle]
        assert str(stuck.thread) == "alice" and "printer" in stuck.waits_for
        assert any(e.kind == "reply_failed" for e in lost.trace)
        assert f"clans(seed={seed})" in try_it
        assert clans(seed=seed).run().reason == "done"

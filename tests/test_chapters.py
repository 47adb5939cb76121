"""The chapters teach the paper the way issue 12 asks: each opens with its crux, has a section on
misconceptions, asks the reader to predict before it shows the model's answer, links to its
exercise where the student copies live, and chapter 1 states the paper's principle.
Chapter 4's "Try it" names seeds; each must do what the text says it does."""

from __future__ import annotations

import functools
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


def reveal_output(cell) -> dict:
    """Return the committed output of a reveal cell that holds its Prediction (or fail)."""
    (out,) = [o for o in cell.outputs if "predict" in o.get("metadata", {}).get("mkteach", {})]
    return out


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
        assert answer.metadata.get("jupyter", {}).get("source_hidden")  # how it is computed
        assert not answer.metadata.get("jupyter", {}).get("outputs_hidden")  # the form shows
        assert "Prediction(" in answer.source and "prediction," in answer.source
        out = reveal_output(answer)  # executed and committed: nbval checks it
        text, html = "".join(out["data"]["text/plain"]), "".join(out["data"]["text/html"])
        assert "not given yet" in text and "the model says" not in text  # the question only
        assert "<details>" in html and "<details open" not in html  # the answer: closed
        assert "application/vnd.jupyter.widget-view+json" not in out["data"]  # no dead widget


def test_every_prediction_has_a_name_of_its_own():
    names = [
        reveal_output(c)["metadata"]["mkteach"]["predict"]["name"]
        for path in NUMBERED
        for c in cells(path)
        if "predict-reveal" in tags(c)
    ]
    assert len(names) == len(set(names)) >= 20


def shown_before(cs: list, end: int) -> str:
    """Return what a reader sees in cells before index `end`: markdown and text outputs."""
    parts = []
    for c in cs[:end]:
        if c.cell_type == "markdown":
            parts.append(c.source)
        for out in c.get("outputs", []):
            parts.append("".join(out.get("text", "")))
            # text, never the HTML: a prediction's HTML holds its answer behind a closed <details>
            parts.append("".join(out.get("data", {}).get("text/plain", "")))
    return "\n".join(parts)


@pytest.mark.parametrize("path", NUMBERED, ids=lambda p: p.stem)
def test_no_markdown_or_output_before_a_reveal_states_its_answer(path):
    cs = cells(path)
    for i, c in enumerate(cs):
        if "predict-reveal" not in tags(c):
            continue
        out = reveal_output(c)
        tells = out["metadata"]["mkteach"]["predict"]["tells"]
        seen = shown_before(cs, i) + "".join(out["data"]["text/plain"])
        for tell in tells:
            assert tell not in seen, f"{tell!r} is stated before the answer of cell {c.id}"


@functools.cache
def claim_bases() -> dict[str, str]:
    """Return each claim's basis, as the model gives it."""
    from mkteach import paper

    return {c.id: c.basis for c in paper.claims()}


def calls_hidden_helpers(path: Path) -> list[str]:
    """Return 'cell: name' for each visible code cell that calls a function defined (or
    imported) only in cells whose source is collapsed."""
    import ast

    where: dict[str, list[bool]] = {}
    found = []
    for c in cells(path):
        if c.cell_type != "code":
            continue
        hidden = bool(c.metadata.get("jupyter", {}).get("source_hidden"))
        tree = ast.parse(c.source)
        here = set()
        for node in tree.body:
            if isinstance(node, ast.FunctionDef | ast.ClassDef):
                here.add(node.name)
            elif isinstance(node, ast.Import | ast.ImportFrom):
                here |= {(a.asname or a.name).split(".")[0] for a in node.names}
        called = {n.func.id for n in ast.walk(tree)
                  if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}  # fmt: skip
        if not hidden:
            found += [
                f"{c.id}: {n}" for n in sorted(called - here) if where.get(n) and all(where[n])
            ]
        for name in here:
            where.setdefault(name, []).append(hidden)
    return found


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_helpers_are_in_sight(path):
    assert calls_hidden_helpers(path) == []


def test_the_helper_check_finds_a_helper_hidden_in_a_collapsed_cell(tmp_path):
    nb = nbformat.v4.new_notebook()
    helper = nbformat.v4.new_code_cell("def per_rpc(m):\n    return m")
    helper.metadata["jupyter"] = {"source_hidden": True}
    nb.cells = [helper, nbformat.v4.new_code_cell("per_rpc(1)")]
    nbformat.write(nb, tmp_path / "x.ipynb")
    assert calls_hidden_helpers(tmp_path / "x.ipynb") == [f"{nb.cells[1].id}: per_rpc"]
    helper.metadata["jupyter"] = {}
    nbformat.write(nb, tmp_path / "x.ipynb")
    assert calls_hidden_helpers(tmp_path / "x.ipynb") == []


@pytest.mark.parametrize("path", NUMBERED, ids=lambda p: p.stem)
def test_a_chapter_closes_with_its_crux_answered_and_the_evidence_named(path):
    cs = cells(path)
    (at,) = [i for i, c in enumerate(cs) if c.source.startswith("## Summary")]
    assert at > max(i for i, c in enumerate(cs) if "predict-reveal" in tags(c))
    summary = cs[at].source
    answer = summary.split("**The crux, answered.**", 1)[1].split("**Evidence:**")[0]
    sentences = re.findall(r"[.?!](?:\s|$)", answer.strip())
    assert 2 <= len(sentences) <= 3, answer
    (heading,) = re.findall(r"\*\*Evidence:\*\* the output under `([^`]+)`", summary)
    earlier = [line for c in cs[:at] if c.cell_type == "markdown" for line in c.source.split("\n")]
    assert heading in earlier, f"no section {heading!r} before the summary"
    basis = summary.split("**Basis:**", 1)[1]
    named = dict(re.findall(r"`([a-z0-9_.]+)` \((given|derived|simulated)", basis))
    assert named or "no numeric claim" in basis or "no claim" in basis or "basis" in basis
    if named:
        assert {k: claim_bases().get(k) for k in named} == named  # the model's own basis


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

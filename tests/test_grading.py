"""Exercises, checks, student copies and batch grading (mkteach.grading).

Checks are tested in-process: right answers earn full marks, wrong answers written for a purpose
earn partial credit with the message that names their misconception, and nonsense never raises.
Grading is tested on the submissions in tests/grading_cases/ (see cases.py there), all graded in
one batch: reference solutions score full marks, released copies zero, wrong answers partial
marks, and every tampering case a graded result with a clear note that changes no other result.
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import networkx as nx
import pytest

from mkteach.grading import (
    FLUSH_MISCONCEPTIONS,
    MISCONCEPTIONS,
    Feedback,
    MemOp,
    ReleaseError,
    answered,
    apply_ops,
    check_choice,
    check_cost,
    check_mapping_tree,
    check_pager,
    check_server,
    check_value,
    grade,
    ipc_costs,
    memory_ops,
    model_tree,
    paper_beliefs,
    release,
    seed_of,
    wrong_flush_instance,
)
from mkteach.grading.markup import grade_id, is_test
from mkteach.grading.trees import simulate

ROOT = Path(__file__).resolve().parent.parent
EXERCISES = ROOT / "exercises"
CASES_DIR = Path(__file__).resolve().parent / "grading_cases"
sys.path.insert(0, str(CASES_DIR))
import cases  # noqa: E402

LIMITS = {"cell_timeout": 8, "total_timeout": 120}  # roomy: CI machines may be busy


# -- seeds and instances --------------------------------------------------------------------


def test_seeds_are_the_same_in_every_process():
    code = "from mkteach.grading import seed_of, memory_ops; print(seed_of('alice'), memory_ops('alice')[-1])"  # noqa: E501
    outs = {
        subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            env={**os.environ, "PYTHONHASHSEED": h},
            check=True,
        ).stdout
        for h in ("1", "2")
    }
    assert outs == {f"{seed_of('alice')} {memory_ops('alice')[-1]}\n"}
    assert seed_of("alice") != seed_of("bob") and seed_of("alice", "q1") != seed_of("alice")


def test_memory_ops_are_valid_and_the_reference_rules_match_the_kernel():
    for seed in range(60):
        ops = memory_ops(seed, "t")
        kinds = [op.kind for op in ops]
        assert kinds.count("grant") == 1 and kinds[-1] == "flush"
        assert simulate(ops) == model_tree(apply_ops(ops)), seed


# -- check_mapping_tree ---------------------------------------------------------------------


def right_tree(ops):
    return {k: p for k, (p, _) in model_tree(apply_ops(ops)).items()}


def test_a_right_tree_earns_full_marks_as_dict_or_graph():
    ops = memory_ops("alice")
    tree = right_tree(ops)
    assert check_mapping_tree(tree, ops, points=4).points == 4
    graph = nx.DiGraph()
    for node, (parent, rights) in model_tree(apply_ops(ops)).items():
        graph.add_node(node, rights=rights)
        graph.add_edge(parent, node)
    feedback = check_mapping_tree(graph, apply_ops(ops), points=4, rights=True)
    assert feedback.correct and feedback.possible == 4


def variants(seed: int):
    """Yield the seeded sequence and the same one ending in a partial ("w") flush."""
    ops = memory_ops(seed, "m")
    yield ops
    yield ops[:-1] + [MemOp("flush", ops[-1].space, ops[-1].page, rights="w")]


@pytest.mark.parametrize("mistake", sorted(MISCONCEPTIONS))
def test_each_misconception_is_named_with_partial_credit(mistake):
    found = False
    for ops in (ops for seed in range(300) for ops in variants(seed)):
        right = simulate(ops)
        wrong = simulate(ops, [mistake])
        others = [simulate(ops, [m]) for m in MISCONCEPTIONS if m != mistake]
        if wrong != right and wrong not in others and set(wrong.items()) & set(right.items()):
            found = True
            break
    assert found, f"no instance shows {mistake} alone"
    feedback = check_mapping_tree(wrong, ops, points=4)  # the answer gives rights too
    assert 0 < feedback.points < 4
    assert MISCONCEPTIONS[mistake] in feedback.messages


def test_impossible_trees_are_explained():
    ops = [("map", "sigma0", 3, "A", 0, "r"), ("map", "A", 0, "B", 1, "r")]
    widened = check_mapping_tree({("A", 0): (("sigma0", 3), "r"), ("B", 1): (("A", 0), "rw")}, ops)
    assert any("rights never widen" in m for m in widened.messages)
    dangling = check_mapping_tree({("B", 1): ("A", 0)}, ops)
    assert any("not in your tree" in m for m in dangling.messages)
    cycle = check_mapping_tree({("A", 0): ("B", 1), ("B", 1): ("A", 0)}, ops)
    assert any("derives from itself" in m for m in cycle.messages)


@pytest.mark.parametrize("answer", [None, 42, "tree", {("A",): 1}, {("A", 0): 5}, [1, 2]])
def test_nonsense_trees_get_zero_and_a_message_never_an_exception(answer):
    feedback = check_mapping_tree(answer, memory_ops(1), points=2)
    assert feedback.points == 0 and feedback.messages


def test_the_flush_drawing_shows_its_misconception():
    for student in ("alice", "bob", "carol", "dave", "eve"):
        ops, mistake, drawn = wrong_flush_instance(seed_of(student))
        assert mistake in FLUSH_MISCONCEPTIONS and drawn != right_tree(ops)


# -- values, choices, costs -----------------------------------------------------------------


def test_check_value_names_known_wrong_answers():
    assert check_value(7, lambda: 7).correct
    assert check_value(" Grant ", "grant").correct
    wrong = check_value(5, lambda: 7, wrong=[(lambda: 5, "that counts the flusher")], points=2)
    assert wrong.points == 0 and wrong.messages == ("that counts the flusher",)
    assert "too high" in check_value(9, 7).messages[0]
    assert check_value(None, 7).messages == ("no answer yet",)


def test_check_choice_gives_partial_credit_for_several_picks():
    choices = {"a": "", "b": "", "c": "", "d": ""}
    assert check_choice("a", "a", choices=choices).correct
    assert check_choice({"a"}, {"a", "b"}, choices=choices, points=2).points == 1
    assert check_choice({"a", "c"}, {"a", "b"}, choices=choices, points=2).points == 0
    explained = check_choice("c", "a", choices=choices, explain={"c": "c confuses map and grant"})
    assert explained.messages == ("c confuses map and grant",)
    assert "not among the choices" in check_choice("z", "a", choices=choices).messages[0]


def test_check_cost_says_what_was_left_out():
    costs = ipc_costs("i486")
    total = sum(costs.values())
    assert check_cost(total, lambda: ipc_costs("i486"), points=2).points == 2
    no_tlb = check_cost(total - costs["tlb_miss"], lambda: ipc_costs("i486"), points=2)
    assert no_tlb.points == 1 and "but not the TLB refill" in no_tlb.messages[0]
    micro = check_cost(total / 50, lambda: ipc_costs("i486"), clock_mhz=50)
    assert "µs" in micro.messages[0]
    twice = check_cost(total + costs["trap"], lambda: ipc_costs("i486"))
    assert "the trap (entering and leaving the kernel) twice" in twice.messages[0]
    assert check_cost("a lot", lambda: total).points == 0


# -- programs -------------------------------------------------------------------------------


def good_pager(t, pages):
    given, free = {}, list(pages)
    msg = yield t.wait()
    while True:
        if msg.fault_page not in given:
            given[msg.fault_page] = free.pop(0)
        msg = yield t.reply_and_wait(msg.sender, map=[(given[msg.fault_page], "rw", 0)])


def one_page_pager(t, pages):
    msg = yield t.wait()
    while True:
        msg = yield t.reply_and_wait(msg.sender, map=[(pages[0], "rw", 0)])


def spinning_pager(t, pages):
    yield t.wait()
    while True:
        pass


def test_check_pager_runs_the_program_and_explains_what_went_wrong():
    assert check_pager(good_pager, "alice", points=4).points == 4
    shared = check_pager(one_page_pager, "alice", points=4)
    assert 0 < shared.points < 4 and any("all map frame" in m for m in shared.messages)
    spin = check_pager(spinning_pager, "alice", seconds=0.5)
    assert spin.points == 0 and "without yielding" in spin.messages[0]
    assert "not a generator" in check_pager(lambda t, pages: None, "alice").messages[0]


def good_server(t):
    msg = yield t.wait(window=(64, 0))
    while True:
        value = yield t.load(64 * 4096)
        msg = yield t.reply_and_wait(msg.sender, words=(value + 1,), window=(64, 0))


def sending_server(t):
    msg = yield t.wait(window=(64, 0))
    while True:
        value = yield t.load(64 * 4096)
        yield t.send(msg.sender, words=(value + 1,))
        msg = yield t.wait(window=(64, 0))


def test_check_server_finds_the_blocking_reply():
    assert check_server(good_server, "bob").correct
    stuck = check_server(sending_server, "bob", points=3)
    assert 0 < stuck.points < 3 and any("instead of send" in m for m in stuck.messages)


# -- feedback and the result channel --------------------------------------------------------


def test_feedback_adds_up_and_reads_well():
    total = Feedback(1, 2, ("half",), "a") + Feedback(2, 2, ("right",), "b")
    assert (total.points, total.possible, total.title) == (3, 4, "a + b")
    assert str(Feedback(9, 2)).startswith("✓ 2 / 2 points")  # points never exceed the possible


def test_feedback_shows_its_points_as_plain_text_for_nbgrader():
    from IPython.core.formatters import DisplayFormatter

    data, _ = DisplayFormatter().format(Feedback(1.6, 4, ("half",), "Q1"))
    assert data["text/plain"] == "1.6" and float(data["text/plain"]) == 1.6
    assert "half" in data["text/html"] and "1.6 / 4 points" in data["text/html"]


def test_answered_says_what_is_filled_in_never_whether_it_is_right():
    text = str(answered(a={("A", 1)}, b=None, c=check_value))
    assert "not all answered yet" in text and "a: a set of 1 entry" in text
    assert "b: not answered yet" in text


def test_a_number_written_as_text_is_read_as_the_number():
    f = check_value("2", 2, title="Q")
    assert f.correct and "read as the number 2" in f.messages[0]
    assert not check_value("two", 2).correct


# -- release --------------------------------------------------------------------------------


def test_release_stubs_solutions_and_removes_hidden_tests(tmp_path):
    written = release(EXERCISES, tmp_path)
    assert sorted(p.name for p in written) == sorted(p.name for p in EXERCISES.glob("*.ipynb"))
    for path in written:
        source = nbformat.read(str(EXERCISES / path.name), as_version=4)
        copy = nbformat.read(str(path), as_version=4)
        text = path.read_text()
        assert "BEGIN SOLUTION" not in text and "HIDDEN TESTS" not in text
        lines = {line.strip() for c in copy.cells for line in c.source.splitlines()}
        assert not lines & set(solution_lines(source))
        assert "raise NotImplementedError()" in text
        assert copy.metadata["mkteach"] == {"exercise": path.stem}
        assert [c.get("metadata", {}).get("nbgrader") for c in copy.cells] == [
            c.get("metadata", {}).get("nbgrader") for c in source.cells
        ]
        assert all(not c.get("outputs") for c in copy.cells if c.cell_type == "code")


def solution_lines(nb) -> list[str]:
    """Return the long lines found only inside solution and hidden-test regions of a notebook."""
    inside, outside, within = [], set(), False
    for cell in nb.cells:
        for line in cell.source.splitlines():
            if "BEGIN SOLUTION" in line or "BEGIN HIDDEN TESTS" in line:
                within = True
            elif "END SOLUTION" in line or "END HIDDEN TESTS" in line:
                within = False
            else:
                (inside.append if within else outside.add)(line.strip())
    return [line for line in inside if len(line) > 24 and line not in outside]


@pytest.mark.parametrize(
    "cell, words",
    [
        ({"solution": False}, "not marked as a solution cell"),
        ({"solution": True, "source": "### BEGIN SOLUTION\nx = 1"}, "has no"),
        ({"grade": False, "source": "### BEGIN HIDDEN TESTS\n### END HIDDEN TESTS"}, "grade"),
        ({"duplicate": True}, "used twice"),
    ],
)
def test_broken_markup_is_refused_with_the_cell_named(tmp_path, cell, words):
    src = tmp_path / "src"
    src.mkdir()
    meta = {"grade": False, "locked": False, "schema_version": 3, "grade_id": "q1"}
    meta.update({k: v for k, v in cell.items() if k in ("solution", "grade")})
    meta.setdefault("solution", False)
    source = cell.get("source", "### BEGIN SOLUTION\nx = 1\n### END SOLUTION")
    cells = [nbformat.v4.new_code_cell(source, metadata={"nbgrader": meta})]
    if cell.get("duplicate"):
        cells[0].metadata["nbgrader"]["solution"] = True
        cells.append(nbformat.v4.new_code_cell("y = 2", metadata={"nbgrader": dict(meta)}))
    nbformat.write(nbformat.v4.new_notebook(cells=cells), str(src / "ex.ipynb"))
    with pytest.raises(ReleaseError, match=words):
        release(src, tmp_path / "out")


def test_exercises_have_stable_grade_ids_points_and_no_outputs():
    for path in sorted(EXERCISES.glob("*.ipynb")):
        nb = nbformat.read(str(path), as_version=4)
        tests = [c for c in nb.cells if is_test(c)]
        assert len(tests) >= 2 and all(grade_id(c).startswith(path.stem[:4]) for c in tests)
        assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")
        assert "widgets" not in nb.metadata


# -- grading --------------------------------------------------------------------------------


def test_the_case_notebooks_are_up_to_date():
    for name in [*cases.CASES, *cases.TEXT_CASES]:
        assert cases.path(name).read_text(encoding="utf-8") == cases.render(name), (
            f"{name} is stale: run python tests/grading_cases/cases.py"
        )


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Grade every case and both released copies in one batch; return {name: result}."""
    tmp = tmp_path_factory.mktemp("grading")
    copies = release(EXERCISES, tmp / "released")
    names = [*cases.CASES, *cases.TEXT_CASES]
    paths = cases.collect(names, tmp / "collected")
    (tmp / "collected" / "blank").mkdir()
    released = []
    for p in copies:
        if p.stem in (cases.EX02, cases.EX03):  # the rest: test_exercises
            released.append(tmp / "collected" / "blank" / p.name)
            released[-1].write_bytes(p.read_bytes())
    results = grade(
        paths + released, EXERCISES, tmp / "grades.csv", feedback_dir=tmp / "feedback",
        jobs=2, **LIMITS,
    )  # fmt: skip
    out = dict(zip(names + [f"released-{p.stem}" for p in released], results, strict=True))
    out["_csv"] = (tmp / "grades.csv").read_text()
    out["_feedback"] = tmp / "feedback"
    return out


def points(result) -> dict[str, float]:
    return {q.grade_id: q.points for q in result.questions}


def auto(result) -> tuple[float, float]:
    """Return (points, possible) of the automatically graded questions."""
    qs = [q for q in result.questions if not q.note.startswith("graded by hand")]
    return sum(q.points for q in qs), sum(q.possible for q in qs)


def feedback(result, gid: str) -> str:
    q = result.question(gid)
    return " ".join(q.feedback) + " " + q.note


def notes(result) -> str:
    return " | ".join(result.notes)


@pytest.mark.slow
def test_reference_solutions_score_full_marks(graded):
    for name in ("ex02-reference", "ex03-reference"):
        r = graded[name]
        got, possible = auto(r)
        assert got == possible > 0 and not r.notes and r.student == cases.STUDENT, (name, r)


@pytest.mark.slow
def test_a_free_text_answer_waits_for_the_instructor_with_its_text(graded):
    q = graded["ex02-reference"].question("ex02-q3-explain")
    assert q.points == 0 and q.possible == 2 and q.note.startswith("graded by hand")
    assert "F must remember" in q.feedback[0]


@pytest.mark.slow
def test_released_copies_score_zero_without_crashing(graded):
    for stem in ("ex02-address-spaces", "ex03-threads-ipc"):
        r = graded[f"released-{stem}"]
        assert r.total == 0 and r.possible > 0 and r.exercise == stem and r.student == "blank"
        assert "NotImplementedError" in notes(r)
        assert all(q.feedback or q.note for q in r.questions)  # every test ran and said why


@pytest.mark.slow
def test_wrong_answers_score_partial_marks_with_the_intended_feedback(graded):
    flush = graded["ex02-wrong-flush"]
    assert points(flush)["ex02-q2-test"] == 1 and points(flush)["ex02-q3-test"] == 0
    text = feedback(flush, "ex02-q2-test")
    assert "Q2a: you removed the flusher's own mapping: flush keeps it" in text
    assert "Q2c: you treated grant like map" in text
    assert "that is who holds it now" in feedback(flush, "ex02-q3-test")
    grant = graded["ex02-wrong-grant"]
    assert points(grant)["ex02-q2-test"] < 4
    assert "you treated grant like map" in feedback(grant, "ex02-q2-test")
    ex03 = graded["ex03-wrong"]
    assert all(0 < q.points < q.possible for q in ex03.questions), points(ex03)
    assert "all map frame" in feedback(ex03, "ex03-q1-test")
    assert "instead of send" in feedback(ex03, "ex03-q2-test")
    assert "but not the TLB refill" in feedback(ex03, "ex03-q3-test")


@pytest.mark.slow
@pytest.mark.parametrize(
    "case, total, words",
    [
        ("tamper-deleted-tests", 5, "test cell ex02-q2-test was missing and has been put back"),
        ("tamper-edited-test", 1, "cell ex02-q2-test was edited: the instructor's version"),
        ("tamper-duplicated-test", 5, "a copy of cell ex02-q2-test was dropped"),
        ("tamper-cell-types", 5, "cell ex02-q3-test was changed to markdown"),
        ("tamper-endless-loop", 5, "ran out of time and was interrupted"),
        ("tamper-stuck-loop", 5, "ran out of time and was interrupted"),
        ("tamper-raising-cell", 5, "raised RuntimeError: boom"),
        ("tamper-missing-import", 5, "raised ModuleNotFoundError"),
        ("tamper-not-a-notebook", 0, "it is not a notebook"),
    ],
)
def test_tampering_gets_a_graded_result_with_a_clear_note(graded, case, total, words):
    r = graded[case]
    assert r.possible == 7 and r.exercise == "ex02-address-spaces"
    assert words in notes(r), notes(r)
    assert r.total == total, (case, points(r), r.notes)


@pytest.mark.slow
def test_tampering_details(graded):
    types = graded["tamper-cell-types"]
    assert "answer cell ex02-q2-answer was changed to raw: it was graded as code" in notes(types)
    assert graded["tamper-not-a-notebook"].problem  # the command then exits non-zero


@pytest.mark.slow
def test_one_bad_submission_changes_no_other_result(graded, tmp_path):
    path = cases.collect(["ex02-reference"], tmp_path)[0]
    alone = grade([path], EXERCISES, jobs=1, **LIMITS)[0]
    batch = graded["ex02-reference"]
    assert (points(alone), alone.notes) == (points(batch), batch.notes)
    assert [q.feedback for q in alone.questions] == [q.feedback for q in batch.questions]


@pytest.mark.slow
def test_the_csv_has_a_row_per_submission(graded):
    rows = list(csv.DictReader(graded["_csv"].splitlines()))
    assert len(rows) == len(cases.CASES) + len(cases.TEXT_CASES) + 2
    first = rows[0]
    assert first["exercise"] == "ex02-address-spaces" and first["total"] == "5"
    assert first["ex02-q2-test"] == "4" and first["ex03-q1-test"] == ""
    assert first["student"] == cases.STUDENT


@pytest.mark.slow
def test_feedback_files_name_points_and_messages_never_the_hidden_tests(graded):
    folder = graded["_feedback"]
    page = (folder / cases.STUDENT / "ex02-wrong-flush.ex02-address-spaces.html").read_text()
    assert "1 / 4" in page and "you removed the flusher&#x27;s own mapping" in page
    assert "HIDDEN" not in page and "check_removed" not in page
    assert (folder / "blank" / "ex03-threads-ipc.html").exists()


def test_identity_comes_from_where_the_submission_was_collected():
    from mkteach.grading.grader import identity_of

    assert identity_of(Path("course/submitted/alice/ps1/ex02.ipynb")) == "alice"
    assert identity_of(Path("/x/bob/ex02.ipynb")) == "bob"


def test_shards_split_a_class_into_disjoint_parts_that_cover_it():
    from mkteach.grading.grader import GradingError, select_shard

    paths = [f"s{n}/ex.ipynb" for n in range(30)]
    parts = [select_shard(paths, (i, 3)) for i in (1, 2, 3)]
    assert sorted(sum(parts, [])) == sorted(paths) and all(parts)
    # a machine whose list has a late file (or another order) grades the same ones
    later = [select_shard(["s99/ex.ipynb", *reversed(paths)], (i, 3)) for i in (1, 2, 3)]
    assert [sorted(set(p) - {"s99/ex.ipynb"}) for p in later] == [sorted(p) for p in parts]
    with pytest.raises(GradingError, match="between 1 and N"):
        select_shard(paths, (4, 3))


# -- the command line -----------------------------------------------------------------------


def mkteach(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "mkteach.cli", *args], capture_output=True, text=True, cwd=cwd
    )


@pytest.mark.slow
def test_cli_releases_then_grades_a_class_to_a_csv_and_feedback(tmp_path):
    done = mkteach("exercises", "release", str(EXERCISES), "out", cwd=tmp_path)
    assert done.returncode == 0 and "wrote" in done.stdout, done.stderr
    blank = tmp_path / "submitted" / "bob" / "ex02" / "ex02-address-spaces.ipynb"
    blank.parent.mkdir(parents=True)
    blank.write_bytes((tmp_path / "out" / "ex02-address-spaces.ipynb").read_bytes())
    submissions = [str(blank), *map(str, cases.collect(["ex02-reference"], tmp_path))]
    done = mkteach(
        "grade", *submissions, "--source", str(EXERCISES), "--csv", "grades.csv",
        "--feedback", "feedback", "--cell-timeout", "10", "--timeout", "60", cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "ex02-q2-test" in done.stdout and "5/7" in done.stdout and "0/7" in done.stdout
    rows = list(csv.DictReader((tmp_path / "grades.csv").open()))
    assert [(r["student"], r["total"]) for r in rows] == [("bob", "0"), (cases.STUDENT, "5")]
    assert (tmp_path / "feedback" / "bob" / "ex02-address-spaces.html").exists()
    from mkteach.grading.grader import shard_of

    part = shard_of(blank, 2)  # bob's shard; the other student is in it or not, by its hash
    again = mkteach(
        "grade", *submissions, "--source", str(EXERCISES), "--shard", f"{part}/2", cwd=tmp_path
    )
    other = shard_of(Path(submissions[1]), 2) == part
    assert again.returncode == 0 and "bob" in again.stdout
    assert (f"{cases.STUDENT}/" in again.stdout) == other, again.stdout


@pytest.mark.slow
def test_cli_grades_the_others_then_fails_for_a_missing_path(tmp_path):
    good = cases.collect(["ex02-reference"], tmp_path)[0]
    done = mkteach(
        "grade", str(good), "no/such/ex02-address-spaces.ipynb", "--source", str(EXERCISES),
        "--csv", "g.csv", cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 1 and "does not exist" in done.stderr
    rows = list(csv.DictReader((tmp_path / "g.csv").open()))
    assert [r["total"] for r in rows] == ["5", "0"]


@pytest.mark.parametrize(
    "args, words",
    [
        (["exercises", "release", "no-such-folder", "out"], "not a folder of exercise notebooks"),
        (["grade", "x.ipynb", "--source", "no-such-folder"], "not a folder of exercise notebooks"),
        (["grade", "x.ipynb", "--source", str(EXERCISES), "--csv", "no/such/dir/g.csv"], "folder"),
        (["grade", "x.ipynb", "--source", str(EXERCISES), "--shard", "3/2"], "--shard takes I/N"),
    ],
)
def test_cli_errors_are_one_clear_line(tmp_path, args, words):
    done = mkteach(*args, cwd=tmp_path)
    assert done.returncode == 1 and words in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr


def test_the_papers_own_number_where_the_models_is_asked_is_named():
    from mkteach.exercises.ex01_rationale import kernel_call_machine, speedup_beliefs

    paper_ipc = paper_beliefs("ipc.short.l3.i486")[0][0]
    f = check_value(paper_ipc, 244.5, wrong=paper_beliefs("ipc.short.l3.i486"))
    assert not f.correct and "is the paper's number (§4.1" in f.messages[0]
    overrides = kernel_call_machine(seed_of("your-id"))
    f = check_value(10, lambda: 7.3, wrong=speedup_beliefs(overrides, 7.3), tolerance=0.01)
    assert "10 x is the paper's number" in f.messages[0]


@pytest.mark.slow
def test_no_sandbox_outlives_the_batch_program_answers_included(graded):
    from mkteach.grading.sandbox import FIRST_UID, RUNNER, SLOTS

    left = []  # sandboxes of this checkout (another test run's may share the user ids)
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            uid = os.stat(f"/proc/{pid}").st_uid
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if FIRST_UID <= uid < FIRST_UID + SLOTS and str(RUNNER) in cmd:
            left.append(f"{pid} {cmd[:80]}")
    assert left == []


def test_a_long_csv_field_is_cut_to_the_limit_even_when_it_looks_like_a_formula():
    from mkteach.grading.grader import FIELD_CHARS, csv_field

    for text in ("x" * 5000, "=" + "x" * 5000, "y" * 1999, "@" + "y" * 1999):
        field = csv_field(text)
        assert len(field) <= FIELD_CHARS and field[0] not in "=@"

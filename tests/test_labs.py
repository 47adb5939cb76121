"""Kernel labs: a student's mechanism in the kernel, checked at once against the reference.

Stories: the reference passes every lab; each real student mistake fails with a message that
names the difference; an exception or an endless loop is a reported failure and the kernel
stays consistent; any System runs with a mechanism installed; `mkteach grade` runs the
mechanism in a sandbox and gives the instructor copy full marks, the released copy 0.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from mkteach import System, lab
from mkteach.errors import KernelError
from mkteach.lab import flush, mistakes, window
from mkteach.lab.core import MechanismRefused
from mkteach.lab.guard import call

ROOT = Path(__file__).resolve().parent.parent
MESSAGES = {  # each mistake, and words its failure must contain
    "flush_children_only": "derives from",
    "flush_to_siblings": "yours gone, the reference rights",
    "flush_ignores_self": "include_self=True), the mappings differ",
    "flush_removes_on_w": "rights='w'",
    "spaces_never_promote": "more than its slot's",
    "spaces_overlap": "overlaps",
    "spaces_unaligned": "not a power of two",
    "spaces_never_small": "correct but slow",
    "window_no_offset": "belongs in frame",
    "window_no_flush": "stale TLB entry",
    "window_page_chunks": "never mapped",
    "window_word_copies": "correct but slow",
}


@pytest.mark.parametrize("name", list(lab.LABS))
def test_the_reference_passes_its_lab_visible_and_hidden(name):
    report = lab.check(name, lab.reference(name), seed=7)
    assert report.passed, report.failures
    assert report.scenarios == len(lab.VISIBLE) + lab.HIDDEN
    if name in lab.SPEED:
        assert report.cycles["yours"] == report.cycles["reference"] > 0


@pytest.mark.parametrize(
    "name,fn",
    [(n, f) for n, fs in mistakes.MISTAKES.items() for f in fs],
    ids=lambda x: getattr(x, "__name__", str(x)),
)
def test_each_student_mistake_fails_naming_the_difference(name, fn):
    report = lab.check(name, fn)
    assert not report.passed
    assert MESSAGES[fn.__name__] in report.failures[0], report.failures[0]
    assert "reproduce" in report.failures[0]


def test_hidden_scenarios_depend_on_the_seed():
    assert lab.seeds(1)[:3] == lab.seeds(2)[:3] == list(lab.VISIBLE)
    assert lab.seeds(1)[3:] != lab.seeds(2)[3:]


def boom(*args):
    raise ValueError("oops")


def forever(*args):
    while True:
        pass


@pytest.mark.parametrize(
    "fn,words", [(boom, "raised ValueError: oops"), (forever, "did not return")]
)
def test_an_exception_or_a_hang_is_a_failure_and_the_kernel_stays_right(fn, words):
    for name in lab.LABS:
        report = lab.check(name, fn, hidden=0)
        assert not report.passed and words in report.failures[0]
    with pytest.warns(MechanismRefused):
        s = lab.scenario("mapdb_flush", 1, fn)
    s.check_invariants()
    assert flush.state(s) == flush.state(lab.scenario("mapdb_flush", 1))  # the kernel's own flush
    assert s.mechanisms.failures and words in s.mechanisms.failures[0].problem


def test_an_answer_no_flush_could_give_is_refused_and_changes_nothing():
    def drop_sigma0(tree, index, rights, include_self):
        return tree[1:]

    with pytest.warns(MechanismRefused):
        s = lab.scenario("mapdb_flush", 0, drop_sigma0)
    s.check_invariants()
    assert "σ0" in s.mechanisms.failures[0].problem


def test_any_system_runs_with_a_mechanism_installed_and_its_dashboard_renders():
    from mkteach.scenarios.basics import adder, asker

    s = System(machine="pentium", mechanisms={name: lab.reference(name) for name in lab.LABS})
    a, b = s.create_space("A"), s.create_space("B")
    s.map(s.sigma0, 3, a, 0)
    s.map(a, 0, b, 4)
    srv = s.create_thread(a, adder, name="server")
    s.create_thread(b, asker, srv, 41, name="client")
    assert s.run().reason == "done"
    s.flush(a, 0)
    assert s.lookup(b, 4) is None and s.mechanisms.calls >= 3
    assert not s.mechanisms.failures
    assert s.mechanisms.placement.slots  # the policy placed A and B
    from mkteach.views import dashboard

    assert dashboard(s) is not None


def test_an_unknown_mechanism_is_refused_with_the_labs_named():
    with pytest.raises(KernelError, match="mapdb_flush"):
        System(mechanisms={"scheduler": boom})


def test_a_guarded_call_copies_the_answer_as_plain_data():
    kept = [1, 2]
    outcome = call(lambda: kept, ())
    kept.append(3)
    assert outcome.value == [1, 2]
    assert "not plain data" in call(lambda: object(), ()).problem


def test_the_window_catches_a_stale_translation_only_on_the_second_message():
    w = window.Window()
    args = (100, 0x1000, 0x5000, {5: 40}, window.WINDOW)
    plan = mistakes.window_no_flush(*args)
    assert w.execute(*args[:4], plan) == ""
    again = (100, 0x1000, 0x5000, {5: 41}, window.WINDOW)
    assert "stale TLB entry" in w.execute(*again[:4], mistakes.window_no_flush(*again))


@pytest.mark.skipif(shutil.which("bwrap") is None, reason="grading needs bubblewrap")
def test_mkteach_grade_gives_the_instructor_copy_full_marks_and_the_released_copy_zero(tmp_path):
    from mkteach.grading import grade

    src = tmp_path / "src"
    shutil.copytree(ROOT / "exercises", src)
    subs = []
    for slug in ("mapdb-flush", "small-spaces", "temporary-mapping"):
        for student, folder in (("ann", ROOT / "exercises"), ("ben", ROOT / "notebooks/exercises")):
            target = tmp_path / "sub" / student / f"lab-{slug}.ipynb"
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(folder / f"lab-{slug}.ipynb", target)
            subs.append(target)
    results = grade(subs, src, jobs=2)
    for r in results:
        assert r.possible == 6
        assert r.total == (6 if r.student == "ann" else 0), (r.submission, r.questions, r.notes)
    from mkteach.grading.sandbox import FIRST_UID, SLOTS

    left = []  # no sandbox, the mechanisms' own included, outlives the batch
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if FIRST_UID <= os.stat(f"/proc/{pid}").st_uid < FIRST_UID + SLOTS:
                left.append(pid)
        except OSError:
            pass
    assert left == []


def test_each_lab_is_linked_from_its_chapter_and_released_beside_it():
    import nbformat

    for chapter, slug in (("02", "mapdb-flush"), ("03", "temporary-mapping"),
                          ("08", "small-spaces")):  # fmt: skip
        (path,) = (ROOT / "notebooks").glob(f"{chapter}-*.ipynb")
        cells = [c for c in nbformat.read(str(path), as_version=4).cells if c.id.endswith("i25-a")]
        assert len(cells) == 1 and f"](exercises/lab-{slug}.ipynb)" in cells[0].source
        assert (ROOT / "notebooks" / "exercises" / f"lab-{slug}.ipynb").exists()


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("bwrap") is None, reason="grading needs bubblewrap")
def test_nbgrader_and_mkteach_grade_give_the_labs_the_same_points(tmp_path):
    import json
    import subprocess

    from test_grading_nbgrader import CONFIG, SCORES, nbgrader_venv, run

    from mkteach.grading import grade

    venv_dir = nbgrader_venv()
    (tmp_path / "nbgrader_config.py").write_text(CONFIG)
    subs, plan = [], []
    for slug in ("mapdb-flush", "small-spaces", "temporary-mapping"):
        assignment = slug.replace("-", "")
        (tmp_path / "source" / assignment).mkdir(parents=True)
        shutil.copy(ROOT / "exercises" / f"lab-{slug}.ipynb", tmp_path / "source" / assignment)
        for student, folder in (
            ("full", ROOT / "exercises"),
            ("blank", ROOT / "notebooks/exercises"),
        ):
            target = tmp_path / "submitted" / student / assignment / f"lab-{slug}.ipynb"
            target.parent.mkdir(parents=True)
            shutil.copy(folder / f"lab-{slug}.ipynb", target)
            subs.append(target)
            plan.append((assignment, student))
        run(venv_dir, "generate_assignment", assignment, "--force", cwd=tmp_path)
        run(venv_dir, "autograde", assignment, "--force", cwd=tmp_path)
    script = tmp_path / "scores.py"
    script.write_text(SCORES)
    out = subprocess.run(
        [str(venv_dir / "bin" / "python"), str(script), f"sqlite:///{tmp_path / 'gradebook.db'}"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    theirs = json.loads(out.stdout)
    ours = grade(subs, ROOT / "exercises", jobs=2)
    for (assignment, student), result in zip(plan, ours, strict=True):
        assert [q.grade_id.rsplit("-", 1)[1] for q in result.questions] == ["visible", "hidden"]
        for q in result.questions:
            assert theirs[f"{student}/{assignment}/{q.grade_id}"] == pytest.approx(q.points)
        assert result.total == (6 if student == "full" else 0), (result.submission, result.notes)


UNTIMED = ["client-server", "figure1", "clans", "stacked-pagers", "coexisting-pagers",
           "page-colouring", "unix-server"]  # fmt: skip


@pytest.mark.parametrize("name", UNTIMED)
def test_every_scenario_runs_with_the_reference_mechanisms_and_means_the_same(name):
    from mkteach.scenarios import build

    def semantics(s):
        return [(e.step, e.kind, e.text, e.deltas) for e in s.trace]

    plain = build(name, machine="pentium")
    plain.run(max_steps=3_000)
    s = build(name, machine="pentium")
    lab.install(s, {n: lab.reference(n) for n in lab.LABS})
    s.run(max_steps=3_000)
    s.check_invariants()
    assert semantics(s) == semantics(plain)
    assert not s.mechanisms.failures and not s.mechanisms.differences
    assert s.mechanisms.calls > 0


@pytest.mark.parametrize("name", ["remote-ipc", "device-driver", "multimedia-pager"])
def test_a_scenario_with_timeouts_runs_with_them_too_only_its_times_move(name):
    from mkteach.scenarios import build

    s = build(name, machine="pentium")
    lab.install(s, {n: lab.reference(n) for n in lab.LABS})
    summary = s.run(max_steps=3_000)
    s.check_invariants()
    assert summary.reason != "deadlock" and not summary.failed
    assert not s.mechanisms.failures and s.mechanisms.calls > 0
    with pytest.raises(KernelError, match="already"):
        lab.install(s, {"mapdb_flush": boom})


def test_a_mechanism_that_changes_its_arguments_cannot_change_what_the_kernel_checks():
    def squat(space, extent, slots, region):
        slots.clear()  # forget the others, then take the start of the region
        return (0, 256) if extent <= 256 else None

    report = lab.check("small_spaces", squat)
    assert not report.passed and "overlaps" in report.failures[0]


def two_page_window(length, src, dst, frames, window):
    """The reference plan, but for a window of two pages whatever the kernel says."""
    first, plan, done = window[0], [], 0
    while done < length:
        page, offset = divmod(dst + done, 4096)
        n = min(4096 - offset, length - done)
        wpage = first + (page - dst // 4096) % 2
        plan += [("flush", wpage), ("map", wpage, frames[page])]
        plan.append(("copy", src + done, wpage * 4096 + offset, n))
        done += n
    return plan


def region_of_4096(space, extent, slots, region):
    """The reference policy, but for a region of 4096 pages whatever the kernel says."""
    own = slots.get(space)
    if own is not None and extent <= own[1]:
        return own
    size = 256
    while size < extent:
        size *= 2
    others = [slot for name, slot in slots.items() if name != space]
    for start in range(0, 4096 - size + 1, size):
        if all(start + size <= s or s + n <= start for s, n in others):
            return (start, size)
    return None


@pytest.mark.parametrize("name,fn", [("temporary_mapping", two_page_window),
                                     ("small_spaces", region_of_4096)])  # fmt: skip
def test_a_mechanism_that_hard_codes_the_visible_scenarios_fails_on_others(name, fn):
    report = lab.check(name, fn, seed=3)
    assert not report.passed and "mkteach package" not in report.failures[0]


def test_a_system_says_once_that_it_refused_a_mechanism():
    with pytest.warns(MechanismRefused, match="refused your mapdb_flush") as seen:
        s = lab.scenario("mapdb_flush", 0, boom)
    assert len(seen) == 1 and len(s.mechanisms.failures) > 1


def test_system_installs_exactly_the_labs_a_student_can_check():
    from mkteach.lab.hooks import LAB_NAMES

    assert LAB_NAMES == tuple(lab.LABS)

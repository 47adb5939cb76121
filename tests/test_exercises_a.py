"""Exercises 1, 4, 5 and 6: answers that are wrong on purpose earn partial marks, and the feedback
names the misconception behind each.

Every submission starts from the student copy answered with the instructor's solutions
(`cases.answered`) and replaces some answers with ones a student holding a misconception would
write. All are graded the way an instructor grades them, in one batch.
"""

from __future__ import annotations

import sys
from pathlib import Path
from types import SimpleNamespace

import nbformat
import pytest

from mkteach.exercises import (
    ex01_rationale,
    ex04_interrupts_ids_clans,
    ex05_flexibility,
    ex06_switching_costs,
)
from mkteach.grading import grade, seed_of

X = SimpleNamespace(
    **{
        k: v
        for m in (ex01_rationale, ex04_interrupts_ids_clans, ex05_flexibility, ex06_switching_costs)
        for k, v in vars(m).items()
    }
)

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent / "grading_cases"))
import cases  # noqa: E402

pytestmark = pytest.mark.slow

EX01, EX04 = "ex01-rationale", "ex04-interrupts-ids-clans"
EX05, EX06 = "ex05-flexibility", "ex06-switching-costs"
SEED = seed_of(cases.STUDENT)


def source(**answers: object) -> str:
    """Return Python source assigning each answer its value (repr)."""
    return "".join(f"{name} = {value!r}\n" for name, value in answers.items())


# -- the wrong submissions ------------------------------------------------------------------


def ex01_wrong():
    """Q1: the trap alone (the hardware floor), a cold call without its misses, the ratio of
    instructions; Q2: the wild write reaches the file server's counter."""
    nb = cases.answered(EX01)
    cases.answer(nb, "ex01-q1-answer", EX01_WRONG_RULES + source(speedup=X.instruction_ratio()))
    served = cases.hidden_key(EX01, "ex01-q2-test")["count"]  # the model's count: the key
    corrupted = X.isolation_count_beliefs(SEED, served)[0][0]
    return cases.answer(nb, "ex01-q2-answer", source(what_happens="fs_corrupt", served=corrupted))


EX01_WRONG_RULES = """
def trap(facts):
    return facts["trap_enter_cycles"] + facts["trap_exit_cycles"]


def l3_warm(facts):  # the hardware floor alone
    return trap(facts)


def l3_cold(facts):  # a cold call without its misses
    return trap(facts) + facts["l3_instructions"] * facts["cpi"]


"""


def ex04_wrong():
    """Q1: every raise a message of its own, acknowledged at delivery; Q2: a stale id reaches
    the new thread; Q3: a wrong bug and a chief that forgets as_sender."""
    timeline = X.irq_instance(SEED)
    stale = X.stale_instance(SEED)
    assert stale["held"] != stale["reuses"], "the wrong answer assumes a stale id"
    nb = cases.answered(EX04)
    everyone = timeline["before"] + timeline["busy"] + timeline["later"]
    cases.answer(nb, "ex04-q1-answer", source(deliveries=everyone, acked_by="delivery"))
    cases.answer(
        nb,
        "ex04-q2-answer",
        source(late_result="delivered", current_version=stale["reuses"]),
    )
    cases.answer(nb, "ex04-q3a-answer", source(chief_bugs={"timeout"}))
    return cases.answer(nb, "ex04-q3b-answer", CHIEF_WITHOUT_AS_SENDER)


CHIEF_WITHOUT_AS_SENDER = """
fixed_priority = 150


def fixed_chief(t, allowed):
    while True:
        msg = yield t.wait()
        if msg.intended in allowed or msg.sender in allowed:
            yield t.send(msg.intended, words=msg.words, label=msg.label)
        else:
            yield t.send(msg.sender, words=(REFUSED,), as_sender=msg.intended, timeout=0)
"""

CHIEF_AT_CLAN_PRIORITY = """
fixed_priority = 100


def fixed_chief(t, allowed):
    while True:
        msg = yield t.wait()
        if msg.intended in allowed or msg.sender in allowed:
            yield t.send(msg.intended, words=msg.words, label=msg.label, as_sender=msg.sender)
        else:
            yield t.send(msg.sender, words=(REFUSED,), as_sender=msg.intended, timeout=0)
"""


def ex04_priority():
    """Q3b only: the right chief program, at its clan's priority."""
    return cases.answer(cases.answered(EX04), "ex04-q3b-answer", CHIEF_AT_CLAN_PRIORITY)


def ex05_wrong():
    """Q1: the flush removes only what was mapped directly from the flushed page; Q2: a pager
    that ignores colours, and a virtually indexed 486 cache."""
    nb = cases.answered(EX05)
    cases.answer(nb, "ex05-q1-answer", EX05_FLUSH_DIRECT_ONLY)
    cases.answer(nb, "ex05-q2a-answer", COLOUR_BLIND_PAGER)
    return cases.answer(nb, "ex05-q2b-answer", source(why_486="virtual"))


EX05_FLUSH_DIRECT_ONLY = """
def predicted(stacked):  # the flush removes only what was mapped from the flushed page itself
    tree = {}
    for page, own in zip(stacked["reads"], stacked["free"]):
        tree[("Memory", own)] = ("sigma0", own)
        tree[("Files", FILE_BASE + page)] = ("Memory", own)
        tree[("App", page)] = ("Files", FILE_BASE + page)
    flushed = ("Memory", stacked["free"][stacked["flush_read"]])
    return {key: parent for key, parent in tree.items() if parent != flushed}
"""


COLOUR_BLIND_PAGER = """
def colour_pager(t, pool, colours):
    free = list(pool)
    given = {}
    msg = yield t.wait()
    while True:
        if msg.fault_page not in given:
            given[msg.fault_page] = free.pop(0)
        msg = yield t.reply_and_wait(msg.sender, map=[(given[msg.fault_page], "rw", 0)])
"""


def ex06_wrong():
    """Q1: no TLB refill between large spaces, a refill kept for the small space; Q2: the
    client refills twice per call, a small server still flushes, small spaces are cheaper to
    refill."""
    nb = cases.answered(EX06)
    cases.answer(nb, "ex06-q1-answer", EX06_WRONG_RULES)
    return cases.answer(nb, "ex06-q2-answer", EX06_WRONG_PASS + source(why_small="fewer"))


EX06_WRONG_RULES = """
def path(facts):
    trap = facts["trap_enter_cycles"] + facts["trap_exit_cycles"]
    return trap + facts["instructions"] * facts["cpi"]


def ipc_large(facts):  # forgets the TLB refill after the flush
    return path(facts) + facts["as_switch_cycles"]


def ipc_small(facts):  # keeps a refill the small space does not pay
    small = facts["segment_switch_cycles"] + facts["small_space_extra_cycles"]
    return path(facts) + small + facts["tlb_pages"] * facts["tlb_miss_cycles"]
"""

EX06_WRONG_PASS = """
def extra_large(facts, n):  # the TLB is flushed at both switches: two refills per call
    return 2 * n * facts["tlb_miss_cycles"]


def extra_small(facts, n):  # a small server still flushes the TLB
    return n * facts["tlb_miss_cycles"]


"""


WRONG = {
    f"ex01-wrong.{EX01}": ex01_wrong,
    f"ex04-wrong.{EX04}": ex04_wrong,
    f"ex04-priority.{EX04}": ex04_priority,
    f"ex05-wrong.{EX05}": ex05_wrong,
    f"ex06-wrong.{EX06}": ex06_wrong,
}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Grade every wrong submission in one batch; return {name: result}."""
    tmp = tmp_path_factory.mktemp("exercises-a") / cases.STUDENT  # whose: from the folder
    tmp.mkdir()
    paths = []
    for name, build in WRONG.items():
        path = tmp / f"{name}.ipynb"
        nbformat.write(build(), path)
        paths.append(path)
    results = grade(paths, ROOT / "exercises", cell_timeout=60, total_timeout=240, jobs=2)
    return dict(zip(WRONG, results, strict=True))


def points(result) -> dict[str, float]:
    return {q.grade_id: q.points for q in result.questions}


def feedback(result, gid: str) -> str:
    q = result.question(gid)
    return " ".join(q.feedback) + " " + q.note


def test_every_wrong_submission_is_graded_without_notes(graded):
    for name, result in graded.items():
        assert result.exercise == name.split(".")[1], name
        assert 0 < result.total < result.possible, (name, points(result))
        assert not result.notes, (name, result.notes)


def test_ex01_names_the_floor_the_missing_misses_and_the_isolation(graded):
    r = graded[f"ex01-wrong.{EX01}"]
    # Q1a half of 1.5, except on one hidden machine whose trap (108 cycles) is the paper's
    # floor (107) within 1%: that belief earns a quarter there, too far below the half to
    # count (0.75 x 2/3 = 0.5); Q1b half of 1.5; Q1c 0
    assert points(r) == {"ex01-q1-test": 1.25, "ex01-q2-test": 0.0}
    q1 = feedback(r, "ex01-q1-test")
    assert "Q1a: you counted the trap" in q1 and "not the kernel's instructions" in q1
    assert "on 1 of 3 instances you did not see, your function earns less: 107 cycles" in q1
    assert "Q1b: you counted" in q1 and "TLB refill" in q1 and "cache misses" in q1
    assert "Q1c: you compared only the kernels' instructions" in q1
    q2 = feedback(r, "ex01-q2-test")
    assert "address 0 in the print server's space is not address 0 in the file server's" in q2
    assert "the wild write did not reach the file server's counter" in q2


def test_ex04_names_merging_acknowledgement_stale_ids_and_as_sender(graded):
    r = graded[f"ex04-wrong.{EX04}"]
    assert points(r) == {"ex04-q1-test": 0.0, "ex04-q2-test": 1.0, "ex04-q3-test": 0.0}
    q1 = feedback(r, "ex04-q1-test")
    assert "raises of an interrupt that is still pending merge into one" in q1
    assert "acknowledges the interrupt only at the driver's next IPC" in q1
    assert "a stale id never reaches the new thread" in feedback(r, "ex04-q2-test")
    q3 = feedback(r, "ex04-q3-test")
    assert "timeout 0 is right for the refusal" in q3
    assert "forward with as_sender=msg.sender" in q3 and "your chief failed" in q3


def test_ex04_a_chief_at_its_clans_priority_loses_the_reply(graded):
    r = graded[f"ex04-priority.{EX04}"]
    assert points(r) == {"ex04-q1-test": 3.0, "ex04-q2-test": 2.0, "ex04-q3-test": 1.9}
    q3 = feedback(r, "ex04-q3-test")
    assert "found your chief busy and was lost" in q3 and "above its clan's priority" in q3


def test_ex05_names_the_indirect_flush_and_the_colours(graded):
    r = graded[f"ex05-wrong.{EX05}"]
    got = points(r)
    assert 2 <= got["ex05-q1-test"] < 3
    assert got["ex05-q2-test"] == pytest.approx(0.6 * 3)
    q1 = feedback(r, "ex05-q1-test")
    assert "flush removes everything derived from the flushed page, directly or indirectly" in q1
    q2 = feedback(r, "ex05-q2-test")
    assert "give each page a frame of its own colour" in q2
    assert "the model's caches are physically indexed" in q2


def test_ex06_names_the_refills_and_the_small_spaces(graded):
    r = graded[f"ex06-wrong.{EX06}"]
    assert points(r) == {"ex06-q1-test": 1.5, "ex06-q2-test": 0.0}
    q1 = feedback(r, "ex06-q1-test")
    assert "Q1a: you counted" in q1 and "but not the TLB refill" in q1
    assert "Q1b: a switch to a small space reloads segment registers and flushes nothing" in q1
    q2 = feedback(r, "ex06-q2-test")
    assert "the client refills its pages once" in q2
    assert "switching to and from a small space flushes nothing" in q2
    assert "with a small server the client's refill is not shorter, it is gone" in q2

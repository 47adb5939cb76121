"""Exercises 7-10 (memory effects, non-portability, related systems, conclusions).

Wrong answers written for the purpose, one submission per exercise, all graded in one batch the
way an instructor grades: each earns partial marks, and the feedback names the misconception
behind each wrong answer. The seeded instances and model measurements the exercises use
(`mkteach.exercises.ex07_memory_effects` to `ex10_conclusions`) are checked against the model
functions they stand for.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
import pytest

from mkteach import paper
from mkteach.exercises.ex07_memory_effects import (
    KINDS,
    MCPI_CHANGES,
    MCPI_WHY,
    footprint_parts,
    mcpi_instance,
    mcpi_parts,
    mcpi_why_not,
)
from mkteach.exercises.ex08_non_portability import (
    TCB_ALIGNS,
    conventional_parts,
    tcb_instance,
    tcb_machine,
    tcbs_conflict,
)
from mkteach.exercises.ex09_related_systems import (
    DESIGNS,
    SYSTEMS,
    crossing_instance,
    exo_instance,
)
from mkteach.exercises.ex10_conclusions import (
    CLAIM_CHANGES,
    CLAIM_POOL,
    DIRECTION_CHANGES,
    DIRECTION_TARGETS,
    change_target,
    claim_instance,
    claim_now,
    direction_instance,
    unmoved_reason,
)
from mkteach.grading import check_hand_cost, grade, ipc_costs
from mkteach.paper import workloads

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent / "grading_cases"))
import cases  # noqa: E402

EX07, EX08 = "ex07-memory-effects", "ex08-non-portability"
EX09, EX10 = "ex09-related-systems", "ex10-conclusions"

# -- wrong on purpose -----------------------------------------------------------------------

EX07_WRONG = {
    # Q1: the bytes the spans touch over the line size; the bytes without the receiver's code
    "ex07-q1-answer": """
from mkteach.exercises.ex07_memory_effects import footprint_parts

footprint_lines = sum(size for _, _, size in footprint_spans("i486", MACHINE, "l3")) // L
parts = footprint_parts("i486", MACHINE, "l3")
footprint_bytes = sum(parts.values()) - parts["receiver_code"]
mach_bytes = workloads.ipc_footprint("i486", {"i486": MACHINE}, "mach")
""",
    # Q2: every line survives L3; the address-space switch flushes the cache
    "ex07-q2-answer": """
l3_survivors = DATA_BYTES // 16
s_mach = pollution_system("mach", DATA_BYTES)
mach_survivors = cache_owners(s_mach, after_rpc(s_mach))["user"]
why_evicted = "switch_flush"
""",
    # Q3: the change not passed to the model; a wrong kind of miss
    "ex07-q3-answer": """
new_gap = mcpi_parts({})[0]["gap"]
gap_holds = mcpi_holds(CHANGE)
why_gap = WRONG_WHY
""",
}

EX08_WRONG = {
    # Q1: the 486's 16-byte lines; the chance with replacement
    "ex08-q1-answer": """
from mkteach.exercises.ex08_non_portability import tcb_machine, tcbs_conflict

header_sets = tuple((tcb_address(*t, ALIGN) // 16) % 128 for t in (THREAD_A, THREAD_B))
tcbs_collide = tcbs_conflict(tcb_machine(ALIGN), THREAD_A, THREAD_B)
conflict_free_share = 1 - ALIGN / 4096
""",
    # Q2: the paper's formula without the root load; one direction; the saving's sign turned
    "ex08-q2-answer": """
i486 = PROFILES["i486"]
conventional_486 = i486.trap_exit_cycles + PAGES * i486.tlb_miss_cycles
small_roundtrip_486 = i486.segment_switch_cycles + i486.small_space_extra_cycles
saving_486 = 2 * small_roundtrip_486 - workloads.conventional_switch("i486", {}, PAGES)
small = workloads.small_space_switches("pentium", {}, [1, 2, 1], {2})
saving_pentium = workloads.conventional_switch("pentium", {}, PAGES) - sum(small.values())
""",
    # Q3: the new layout believed to behave like the old; ids believed to index a table
    "ex08-q3-answer": """
old_conflicts = TASKS - 1
new_conflicts = TASKS - 1
why_new_ids = "lookup"
""",
}

EX09_WRONG = {
    # Q1: the 486's TLB misses added; the bare control transfer; multiplied by 1.4
    "ex09-q1-answer": """
I486_TLB_PAGES = ipc_facts("i486")["tlb_pages"]  # a number: it travels with the functions


def trap(facts):
    return facts["trap_enter_cycles"] + facts["trap_exit_cycles"]


def r2000_ipc(facts):
    misses = I486_TLB_PAGES * facts["tlb_miss_cycles"]
    return trap(facts) + facts["instructions"] * facts["cpi"] + facts["as_switch_cycles"] + misses


def times_exokernel(facts):
    return (r2000_ipc(facts) - I486_TLB_PAGES * facts["tlb_miss_cycles"]) / 35


def converted(i486_costs, r2000_facts):
    return i486_costs["instructions"] * 1.4 + trap(r2000_facts)
""",
    # Q2: Spin given the Exokernel's choice, DP-Mach the µ-kernel's answer to it
    "ex09-q2-answer": """
choices_made = {
    "Synthesis": "codegen",
    "Spin": "primitives",
    "Utah Mach": "migrating",
    "DP-Mach": "small_spaces",
    "Panda": "interrupts_only",
    "Cache Kernel": "cached_objects",
    "Exokernel": "primitives",
}
""",
    # Q3: only the trap counted as crossing; one IPC instead of an RPC
    "ex09-q3-answer": """
def crossing_cycles(costs):
    return costs["trap"]


def rpc_saving_us(costs, clock_mhz):
    return sum(cycles for cause, cycles in costs.items() if cause in CROSSING) / clock_mhz
""",
}

EX10_WRONG = {
    # Q1: the right changes and one more on the same machine; the verdict turned round
    "ex10-q1-answer": """
right = {k for k, (o, _) in CLAIM_CHANGES.items() if claim_now(CLAIM, o).model != now.model}
moves = right | {sorted(k for k in CLAIM_CHANGES if k not in right and k.startswith("i486"))[0]}
holds_after = not claim_now(CLAIM, CLAIM_CHANGES[MY_CHANGE][0]).holds
""",
    # Q2: right about what moves; a claim still in tolerance counted as broken; the new value
    "ex10-q2-answer": """
before = {c.id: c for c in CLAIMS}
after = {c.id: c for c in paper.claims(machine_overrides={"i486": {PARAM: VALUE}})}
changed = {i for i in before if after[i].model != before[i].model}
broken = {i for i in changed if before[i].holds and not after[i].holds}
broken.add("ipc.short.l3.i486")  # it moves, but stays within its tolerance
change_by = after[TARGET].model
""",
}


def model_why(change: dict) -> str:
    """Return the MCPI_WHY key the hidden test of ex07 Q3 takes as right for `change` (its rule:
    the price of a miss alone changes no count, else the kind whose part moved most)."""
    if set(change) == {"cache_miss_cycles"}:
        return "miss_cost"
    split, base = mcpi_parts(change)[0], mcpi_parts({})[0]
    return max(KINDS, key=lambda kind: (abs(split[kind] - base[kind]), kind))


def wrong_why(student: str = cases.STUDENT) -> str:
    """Return a wrong Q3c answer of ex07 for `student`: capacity, unless that is right."""
    why = cases.hidden_key(EX07, "ex07-q3-test", student)["why"]
    return "capacity" if why != "capacity" else "conflict"


def submission(exercise: str, answers: dict[str, str]):
    """Return the student copy of `exercise` answered with the solutions, then `answers`."""
    nb = cases.answered(exercise)
    for gid, source in answers.items():
        cases.answer(nb, gid, source)
    return nb


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Grade the four wrong submissions in one batch."""
    tmp = tmp_path_factory.mktemp("wrong-b") / cases.STUDENT  # whose: from the folder
    tmp.mkdir()
    wrong = {EX07: EX07_WRONG, EX08: EX08_WRONG, EX09: EX09_WRONG, EX10: EX10_WRONG}
    paths = []
    for exercise, answers in wrong.items():
        answers = {g: text.replace("WRONG_WHY", repr(wrong_why())) for g, text in answers.items()}
        path = tmp / f"wrong-{exercise}.ipynb"
        nbformat.write(submission(exercise, answers), path)
        paths.append(path)
    results = grade(paths, ROOT / "exercises", cell_timeout=60, total_timeout=240)
    return {r.exercise: r for r in results}


def points(result, gid: str) -> float:
    return result.question(gid).points


def feedback(result, gid: str) -> str:
    q = result.question(gid)
    return " | ".join(q.feedback) + " " + q.note


@pytest.mark.slow
def test_wrong_answers_run_cleanly_and_earn_partial_marks(graded):
    assert set(graded) == {EX07, EX08, EX09, EX10}
    for exercise, result in graded.items():
        assert not result.notes, (exercise, result.notes)
        assert 0 < result.total < result.possible, (exercise, result.total)


@pytest.mark.slow
def test_ex07_wrong_answers_name_their_misconceptions(graded):
    r = graded[EX07]
    assert points(r, "ex07-q1-test") == 2  # (a) 0 + (b) half of 2 + (c) 1
    q1 = feedback(r, "ex07-q1-test")
    assert "Q1a: you added the bytes the paths touch: a cold cache fills whole lines" in q1
    assert "but not receiver code" in q1 and "(32 bytes)" not in q1 and "Q1c: right" in q1
    assert points(r, "ex07-q2-test") == 1
    q2 = feedback(r, "ex07-q2-test")
    assert "Q2a: not all of them" in q2 and "Q2b: right" in q2
    assert "the 486's cache is physically addressed: a switch flushes the TLB only" in q2
    assert points(r, "ex07-q3-test") == 1
    q3 = feedback(r, "ex07-q3-test")
    assert "Q3a: that is the gap as profiled: pass your change" in q3 and "Q3b: right" in q3
    change = mcpi_instance(cases.STUDENT)
    why = cases.hidden_key(EX07, "ex07-q3-test")["why"]
    assert why == model_why(change)
    assert f"Q3c: {mcpi_why_not(change, why)[wrong_why()]}" in q3


@pytest.mark.slow
def test_ex08_wrong_answers_name_their_misconceptions(graded):
    r = graded[EX08]
    assert points(r, "ex08-q1-test") == 1  # (a) 0 of 2, (b) 1, (c) 0
    q1 = feedback(r, "ex08-q1-test")
    assert "you used 16-byte lines (the 486's): the Pentium's are 32" in q1
    assert "Q1b: right" in q1 and "drawn independently" in q1
    assert points(r, "ex08-q2-test") == 1.75  # (a) 1 of 2, (b) 0.25, (c) 0 + 0.5
    q2 = feedback(r, "ex08-q2-test")
    assert (
        "you counted the trap (entering and leaving the kernel) and the TLB refill (TLB misses) "
        "but not the address-space" in q2
    )
    assert "your value is half the model's" in q2
    assert "Q2c 486: conventional minus round trip is negative" in q2
    assert "Q2c Pentium: right" in q2
    assert points(r, "ex08-q3-test") == 1
    q3 = feedback(r, "ex08-q3-test")
    assert "Q3a: right" in q3 and "Q3b: that is the task-major count" in q3
    assert "the id still encodes the TCB's address" in q3


@pytest.mark.slow
def test_ex09_wrong_answers_name_their_misconceptions(graded):
    r = graded[EX09]
    assert points(r, "ex09-q1-test") == 0
    q1 = feedback(r, "ex09-q1-test")
    assert "the R2000's TLB is tagged and its kernel unmapped" in q1
    assert "compare like with like" in q1 and "divide by 1.4" in q1
    assert points(r, "ex09-q2-test") == 1.5  # two of four systems
    q2 = feedback(r, "ex09-q2-test")
    assert "Q2 Spin: that was the Exokernel's choice" in q2
    assert "Q2 DP-Mach: that is the µ-kernel's own answer to DP-Mach" in q2
    assert "Q2 Panda: right" in q2 and "Q2 Exokernel: right" in q2
    assert points(r, "ex09-q3-test") == 0
    q3 = feedback(r, "ex09-q3-test")
    assert "the trap is only part of the crossing" in q3 and "that is one IPC" in q3


@pytest.mark.slow
def test_ex10_wrong_answers_name_their_misconceptions(graded):
    r = graded[EX10]
    assert points(r, "ex10-q1-test") == 1  # (a) half of 2: one wrong pick, (b) 0
    q = claim_instance(cases.STUDENT)
    before = claim_now(q["claim"]).model
    right = {k for k, (o, _) in CLAIM_CHANGES.items() if claim_now(q["claim"], o).model != before}
    extra = sorted(k for k in CLAIM_CHANGES if k not in right and k.startswith("i486"))[0]
    q1 = feedback(r, "ex10-q1-test")
    assert f"Q1a: {unmoved_reason(q['claim'], *change_target(extra))}" in q1
    assert "Q1b: " in q1 and "Q1b: right" not in q1
    q = direction_instance(cases.STUDENT)
    after = claim_now("ipc.short.l3.i486", {"i486": {q["param"]: q["value"]}})
    assert after.holds and after.model != claim_now("ipc.short.l3.i486").model
    broken = {c.id for c in paper.claims() if c.holds}
    broken -= {c.id for c in paper.claims({"i486": {q["param"]: q["value"]}}) if c.holds}
    assert points(r, "ex10-q2-test") == 2 + 1 - 1 / len(broken)  # (a) 2, (b) part, (c) 0
    q2 = feedback(r, "ex10-q2-test")
    assert "Q2a: right" in q2
    assert "moves, but its new value" in q2 and "is still within its tolerance" in q2
    assert "Q2c: that is the new value: the question asks for new minus old" in q2


# -- the instances and measurements behind the exercises ------------------------------------


@pytest.mark.parametrize("kernel", ["l3", "mach"])
@pytest.mark.parametrize("line", [8, 16, 32, 64])
def test_footprint_parts_add_up_to_the_models_footprint(kernel, line):
    for machine in ("i486", "pentium"):
        parts = footprint_parts(machine, {"cache_line": line}, kernel)
        expected = workloads.ipc_footprint(machine, {machine: {"cache_line": line}}, kernel)
        assert sum(parts.values()) == expected and all(n % line == 0 for n in parts.values())


def test_conventional_parts_add_up_to_the_models_switch():
    for machine in ("i486", "pentium"):
        for pages in (0, 4, 14, 28):
            parts = conventional_parts(machine, pages)
            assert sum(parts.values()) == workloads.conventional_switch(machine, {}, pages)


@pytest.mark.parametrize("align", TCB_ALIGNS + (4096,))
def test_the_tcb_conflict_rule_is_the_models(align):
    m = tcb_machine(align)
    slots = [(0, n) for n in range(64)]
    pairs = [(a, b) for i, a in enumerate(slots) for b in slots[i + 1 :]]
    free = sum(not tcbs_conflict(m, a, b) for a, b in pairs) / len(pairs)
    assert free == pytest.approx(workloads.tcb_conflict_free("pentium", {}, align))


def test_tcb_instances_conflict_about_half_the_time():
    conflicts = [tcbs_conflict(tcb_machine(q["align"]), q["a"], q["b"])
                 for q in map(tcb_instance, range(100))]  # fmt: skip
    assert 30 < sum(conflicts) < 70


def test_claim_now_is_the_claims_table():
    for overrides in ({}, {"i486": {"tlb_miss_cycles": 12}}, {"pentium": {"tcb_align": 4096}}):
        for claim in paper.claims(machine_overrides=overrides):
            assert claim_now(claim.id, overrides) == claim


def test_every_claim_question_has_a_move_and_a_reason_for_every_other_change():
    for claim in CLAIM_POOL:
        before = claim_now(claim).model
        moving = {k for k, (o, _) in CLAIM_CHANGES.items() if claim_now(claim, o).model != before}
        assert moving, claim
        for key in set(CLAIM_CHANGES) - moving:
            assert "does not depend" not in unmoved_reason(claim, *change_target(key)), key


def test_every_direction_question_breaks_a_claim_and_explains_the_rest():
    then = {c.id: c for c in paper.claims()}
    for param, values in DIRECTION_CHANGES:
        for value in values:
            now = {c.id: c for c in paper.claims(machine_overrides={"i486": {param: value}})}
            assert any(then[i].holds and not now[i].holds for i in then), (param, value)
            for target in DIRECTION_TARGETS[param]:
                assert now[target].model != then[target].model
            for i in then:
                if now[i].model == then[i].model:
                    assert "does not depend" not in unmoved_reason(i, "i486", param), (i, param)


def test_a_rule_answers_hidden_instances_are_unlike_the_students_own():
    """A number worked out for one's own R2000 or processor fits none of the hidden ones, so a
    function that returns it earns nothing there; one's own instance is drawn as before."""
    totals: dict[tuple, float] = {}

    def total(r2000):  # the model's IPC on an R2000 instance (each instance measured once)
        key = tuple(sorted(r2000.items()))
        if key not in totals:
            totals[key] = sum(ipc_costs("r2000", r2000).values())
        return totals[key]

    def trap(r2000):
        return r2000["trap_enter_cycles"] + r2000["trap_exit_cycles"]

    for seed in range(12):
        own = exo_instance(seed)
        assert exo_instance(seed, unlike=None) == own
        for other in (exo_instance(f"{seed}-{n}", unlike=own) for n in range(3)):
            assert trap(other) != trap(own)
            assert abs(total(other) - total(own)) > 0.03 * total(own)
        name = crossing_instance(seed)
        for other in (crossing_instance(f"{seed}-{n}", unlike=name) for n in range(3)):
            assert ipc_costs(other) != ipc_costs(name)


def test_the_matching_question_explains_every_choice():
    key = cases.hidden_key(EX09, "ex09-q2-test")  # the answer key lives in the hidden test only
    system_design, design_owner = key["SYSTEM_DESIGN"], key["DESIGN_OWNER"]
    assert set(system_design) == set(SYSTEMS) and set(design_owner) == set(DESIGNS)
    assert set(system_design.values()) < set(DESIGNS)
    for change in MCPI_CHANGES:
        why = model_why(dict([change]))
        assert why in MCPI_WHY
        assert set(mcpi_why_not(dict([change]), why)) == set(MCPI_WHY) - {why}


def test_check_hand_cost_names_a_misconception_and_falls_back_to_check_cost():
    parts = {"trap": 107, "instructions": 87}
    named = check_hand_cost(250, parts, wrong=[(250, "a misconception")], points=2)
    assert named.points == 0 and named.messages == ("a misconception",)
    right = check_hand_cost(194, lambda: parts, wrong=[(194, "never shown")], points=2)
    assert right.correct and "never shown" not in " ".join(right.messages)
    left_out = check_hand_cost(107, parts, wrong=[(250, "a misconception")], points=2)
    assert left_out.points == 1 and "but not the kernel's instructions" in left_out.messages[0]
    assert check_hand_cost(None, parts).messages == ("no answer yet",)
    assert "expected a number" in check_hand_cost("lots", parts).messages[0]

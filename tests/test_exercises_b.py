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
    FOOTPRINT_LINE_SIZES,
    KINDS,
    MCPI_CHANGES,
    MCPI_WHY,
    footprint_instance,
    footprint_parts,
    footprint_spans,
    mcpi_instance,
    mcpi_parts,
    mcpi_why_not,
)
from mkteach.exercises.ex08_non_portability import (
    TCB_ALIGNS,
    conventional_parts,
    layout_instance,
    layout_others,
    switch_instance,
    switch_others,
    switch_params,
    switch_variant,
    tcb_instance,
    tcb_machine,
    tcb_others,
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
from mkteach.hw.kernels import tcb_address
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
def footprint_lines(spans, L):
    return -(-sum(size for _, _, size in spans) // L)


def footprint_bytes(spans, L):
    lines = set()
    for part, address, size in spans:
        if part != "receiver_code":
            lines.update(range(address // L, (address + size - 1) // L + 1))
    return len(lines) * L
""",
    # Q2 (the observations earn nothing): every line survives L3; the switch flushes the cache
    "ex07-q2-answer": """
l3_survivors = DATA_BYTES // 16
s_mach = pollution_system("mach", DATA_BYTES)
mach_survivors = cache_owners(s_mach, after_rpc(s_mach))["user"]
why_evicted = "switch_flush"
""",
    # Q3 (the observations earn nothing): the change not passed to the model; a wrong kind
    "ex07-q3-answer": """
new_gap = mcpi_parts({})[0]["gap"]
gap_holds = mcpi_holds(CHANGE)
why_gap = WRONG_WHY
""",
}

EX08_WRONG = {
    # Q1: the 486's 16-byte lines; the chance with replacement
    "ex08-q1-answer": """
def header_sets(cache, tcbs, align, a, b):  # the 486's 16-byte lines
    return tuple((tcbs + (t * 16 + n) * align) // 16 % 128 for t, n in (a, b))


def tcbs_collide(cache, tcbs, align, a, b):
    sets = cache["size"] // (cache["ways"] * cache["line"])
    starts = [tcbs + (t * 16 + n) * align for t, n in (a, b)]
    hot = [address for start in starts for address in (start, start + align - 32)]
    return len({address // cache["line"] % sets for address in hot}) < 4


def conflict_free_share(cache, align):  # two TCBs drawn independently
    return 1 - align / (cache["size"] // cache["ways"])
""",
    # Q2: the paper's formula without the root load; one direction; the saving's sign turned
    "ex08-q2-answer": """
def conventional(p, pages):
    return p["trap_exit_cycles"] + pages * p["tlb_miss_cycles"]


def round_trip(p):
    return p["segment_switch_cycles"] + p["small_space_extra_cycles"]


def saving(p, pages):
    return 2 * round_trip(p) - conventional(p, pages) - p["as_switch_cycles"]
""",
    # Q3: the model asked from inside the function; the new layout believed to behave like the
    # old; ids believed to index a table
    "ex08-q3-answer": """
def old_conflicts(task, tasks):
    from mkteach.exercises.ex08_non_portability import tcb_machine, tcbs_conflict

    m = tcb_machine(1024)
    return sum(tcbs_conflict(m, (task, 0), (t, 0)) for t in range(1, tasks + 1) if t != task)


def new_conflicts(task, tasks):
    return tasks - 1


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


def change_by(param, old, value, claim):  # old minus new: the sign turned round
    misses = {
        "as_switch.i486.conventional_full": 28,
        "as_switch.i486.conventional_half": 14,
        "ipc.short.l3.i486": TLB_PAGES,
    }
    return (misses.get(claim, 0) if param == "tlb_miss_cycles" else 1) * (old - value)
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
    # the rules run in the grader's sandbox, on the student's spans and on hidden machines'
    assert points(r, "ex07-q1-test") == 1.5  # (a) 0 + (b) half of 2 + (c) half of 1
    q1 = feedback(r, "ex07-q1-test")
    assert "Q1a: you added the bytes the paths touch: a cold cache fills whole lines" in q1
    assert "Q1b: you counted" in q1 and "Q1c: you counted" in q1
    assert q1.count("but not receiver code") == 2 and "(32 bytes)" not in q1
    assert "Q1c: the same on the 3 instances you did not see" in q1
    assert points(r, "ex07-q2-test") == 0  # (a) and (b) are observations: 0 points
    q2 = feedback(r, "ex07-q2-test")
    assert "Q2a (no points): not all of them" in q2 and "Q2b (no points): right" in q2
    assert "the 486's cache is physically addressed: a switch flushes the TLB only" in q2
    assert points(r, "ex07-q3-test") == 0
    q3 = feedback(r, "ex07-q3-test")
    assert "Q3a (no points): that is the gap as profiled: pass your change" in q3
    assert "Q3b (no points): right" in q3
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
    assert "Q1b: right | Q1b: the same on the 3 instances you did not see" in q1
    assert "drawn independently" in q1
    # a consistent slip keeps its partial credit on every instance: (a) 1 of 2, (b) 0.25
    assert points(r, "ex08-q2-test") == 1.25
    q2 = feedback(r, "ex08-q2-test")
    assert (
        "you counted the trap (entering and leaving the kernel) and the TLB refill (TLB misses) "
        "but not the address-space" in q2
    )
    assert "your value is half the model's" in q2
    assert "Q2c 486: conventional minus round trip is negative" in q2
    assert "Q2c Pentium: conventional minus round trip is negative" in q2
    assert points(r, "ex08-q3-test") == 0
    q3 = feedback(r, "ex08-q3-test")
    assert "Q3a: old_conflicts uses tcb_machine from mkteach.exercises.ex08_non_portability" in q3
    assert "graded where the mkteach package cannot be imported" in q3
    assert "Q3b: that is the task-major count" in q3
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
    assert points(r, "ex10-q1-test") == 1.5  # (a) half of 3: one wrong pick; (b) not graded
    q = claim_instance(cases.STUDENT)
    before = claim_now(q["claim"]).model
    right = {k for k, (o, _) in CLAIM_CHANGES.items() if claim_now(q["claim"], o).model != before}
    extra = sorted(k for k in CLAIM_CHANGES if k not in right and k.startswith("i486"))[0]
    q1 = feedback(r, "ex10-q1-test")
    assert f"Q1a: {unmoved_reason(q['claim'], *change_target(extra))}" in q1
    assert "Q1b (not graded): " in q1 and "Q1b (not graded): right" not in q1
    q = direction_instance(cases.STUDENT)
    after = claim_now("ipc.short.l3.i486", {"i486": {q["param"]: q["value"]}})
    assert after.holds and after.model != claim_now("ipc.short.l3.i486").model
    broken = {c.id for c in paper.claims() if c.holds}
    broken -= {c.id for c in paper.claims({"i486": {q["param"]: q["value"]}}) if c.holds}
    assert points(r, "ex10-q2-test") == 2 + 1 - 1 / len(broken)  # (a) 2, (b) part, (c) 0
    q2 = feedback(r, "ex10-q2-test")
    assert "Q2a: right" in q2
    assert "moves, but its new value" in q2 and "is still within its tolerance" in q2
    assert "Q2c: new minus old: yours has the other sign" in q2


# -- the instances and measurements behind the exercises ------------------------------------


@pytest.mark.parametrize("kernel", ["l3", "mach"])
@pytest.mark.parametrize("line", [8, 16, 32, 64])
def test_footprint_parts_add_up_to_the_models_footprint(kernel, line):
    for machine in ("i486", "pentium"):
        parts = footprint_parts(machine, {"cache_line": line}, kernel)
        expected = workloads.ipc_footprint(machine, {machine: {"cache_line": line}}, kernel)
        assert sum(parts.values()) == expected and all(n % line == 0 for n in parts.values())


def cold_lines(spans, L):
    """Return the distinct lines of L bytes the spans cover (ex07 Q1's hand rule)."""
    return len({n for _, a, size in spans for n in range(a // L, (a + size - 1) // L + 1)})


def test_the_footprint_rule_is_the_models_on_every_machine_and_kernel():
    for line in FOOTPRINT_LINE_SIZES:
        for kernel in ("l3", "mach"):
            spans = footprint_spans("i486", {"cache_line": line}, kernel)
            model = workloads.ipc_footprint("i486", {"i486": {"cache_line": line}}, kernel)
            assert cold_lines(spans, line) * line == model


def footprint_bytes(spans, L):
    """Return the bytes of cache the spans fill (ex07 Q1b's hand rule)."""
    return cold_lines(spans, L) * L


@pytest.mark.parametrize("student", ["alice", "bob", "carol", "dave"])
def test_a_footprint_rule_right_only_on_the_students_own_spans_earns_nothing(student):
    from mkteach.exercises.practice import check_ex07_q1_test as check

    mine = footprint_instance(student)  # the hidden machines have another line size
    assert all(footprint_instance(f"{student}-{n}", mine) != mine for n in range(20))
    l3, mach = (workloads.ipc_footprint("i486", {"i486": mine}, k) for k in ("l3", "mach"))
    lines = l3 // mine["cache_line"]  # the student's own answers, read from the model

    assert check(student, footprint_lines=cold_lines, footprint_bytes=footprint_bytes).correct
    constant = check(student, footprint_lines=lambda s, L: lines, footprint_bytes=lambda s, L: l3)
    assert constant.points == 0 and "whatever its arguments" in " ".join(constant.messages)
    # a table of the student's two footprints, told apart by the number of spans
    table = check(
        student,
        footprint_lines=cold_lines,
        footprint_bytes=lambda spans, L: mach if len(spans) > 9 else l3,
    )
    assert table.points <= 1 + 0.5  # (a) 1, and at most a slip's half on one hidden machine
    slip = check(  # the receiver's code left out, on every machine: half of (b) and of (c)
        student,
        footprint_lines=cold_lines,
        footprint_bytes=lambda spans, L: footprint_bytes(
            [span for span in spans if span[0] != "receiver_code"], L
        ),
    )
    assert slip.points == 1 + 1 + 0.5 and "but not receiver code" in slip.messages[2]


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


def test_ex08_hidden_tcbs_differ_from_the_students_in_alignment_and_verdict():
    for seed in range(20):
        mine = tcb_instance(seed)
        assert tcb_instance(seed, mine["align"]) == mine  # fixing what was drawn changes nothing
        verdict = tcbs_conflict(tcb_machine(mine["align"]), mine["a"], mine["b"])
        others = tcb_others(mine, [seed + 100, seed + 200, seed + 300])
        assert {q["align"] for q in others} == set(TCB_ALIGNS) - {mine["align"]}
        assert all(tcbs_conflict(tcb_machine(q["align"]), q["a"], q["b"]) != verdict
                   for q in others)  # fmt: skip


def test_ex08_hidden_switches_have_other_working_sets_and_costs():
    for seed in range(30):
        pages = switch_instance(seed)
        sizes = switch_others(pages, [seed + 1, seed + 2, seed + 3])
        assert pages not in sizes and all(4 <= p <= 28 for p in sizes)
        variant = switch_variant(seed)
        assert set(variant) < set(switch_params("i486"))
        assert switch_params("i486", variant) != switch_params("i486")
        parts = conventional_parts("i486", pages, variant)
        model = workloads.conventional_switch("i486", {"i486": variant}, pages)
        assert sum(parts.values()) == model


def test_ex08_hidden_layouts_have_other_task_counts():
    for seed in range(20):
        mine = layout_instance(seed)
        assert layout_instance(seed, mine["tasks"]) == mine
        others = layout_others(mine, [seed + 1, seed + 2, seed + 3])
        assert len({q["tasks"] for q in others} | {mine["tasks"]}) == 4
        assert all(1 <= q["task"] <= q["tasks"] for q in others)


def test_ex08_a_function_right_only_on_the_students_instance_earns_nothing():
    """Constant functions returning the student's own right values (what one call into the
    package gives) earn no points on the converted parts; only the choice Q3c is left."""
    from mkteach.exercises.practice import (
        check_ex08_q1_test,
        check_ex08_q2_test,
        check_ex08_q3_test,
    )
    from mkteach.grading import seed_of

    seed = seed_of(cases.STUDENT)
    q = tcb_instance(seed)
    m = tcb_machine(q["align"])
    sets = tuple(m.dcache.set_index(tcb_address(t, n, q["align"])) for t, n in (q["a"], q["b"]))
    collide = tcbs_conflict(m, q["a"], q["b"])
    share = workloads.tcb_conflict_free("pentium", {}, q["align"])
    right = check_ex08_q1_test(
        seed,
        header_sets=lambda *args: sets,
        tcbs_collide=lambda *args: collide,
        conflict_free_share=lambda *args: share,
    )
    assert right.points == 0 and right.messages.count("Q1a: right") == 1
    pages = switch_instance(seed)
    conventional = workloads.conventional_switch("i486", {}, pages)
    trip = sum(workloads.small_space_switches("i486", {}, [1, 2, 1], {2}).values())
    q2 = check_ex08_q2_test(
        seed,
        conventional=lambda p, n: conventional,
        round_trip=lambda p: trip,
        saving=lambda p, n: conventional - trip,
    )
    assert q2.points == 0 and "Q2a: right" in q2.messages[0]
    q = layout_instance(seed)
    old = tcb_machine(1024)
    count = sum(tcbs_conflict(old, (q["task"], 0), (t, 0)) for t in range(1, q["tasks"] + 1))
    q3 = check_ex08_q3_test(
        seed, old_conflicts=lambda *a: count - 1, new_conflicts=lambda *a: 0, why_new_ids="sets"
    )
    assert q3.points == 1 and "Q3a: right" in q3.messages


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

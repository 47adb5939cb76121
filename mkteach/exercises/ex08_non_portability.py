"""Exercise 8 (non-portability): TCB placement in the Pentium's cache and the charges of
address-space switches.

Every instance is seeded (`seed_of(STUDENT)`). `tcbs_conflict`, `workloads.tcb_conflict_free`
and `workloads.conventional_switch` are the checks the notebook itself tells students to run on
their prediction; the sets of a TCB's hot lines (Q1a) are computed in the exercise's hidden test:
no function here returns that graded answer (issue 20). The hand computations are answered as
functions of what the set-up prints (`tcb_cache`, `switch_params`: plain dicts) and graded on
the student's instance and on hidden ones (`tcb_others`, `switch_others`, `switch_variant`,
`layout_others`), which differ from the student's where a constant could otherwise pass.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from mkteach.grading.instances import instance
from mkteach.hw.costs import Cause
from mkteach.hw.kernels import HOT_TCB
from mkteach.hw.machine import Machine
from mkteach.hw.profiles import profile

TCB_ALIGNS = (512, 1024, 2048)


def tcb_instance(
    seed: int | str, align: int | None = None, collide: bool | None = None
) -> dict[str, Any]:
    """Return the seeded TCB question: an alignment and two threads (task, number); `align`
    and `collide` fix the alignment and whether the two TCBs conflict (else the seed draws
    them)."""
    rng = instance(seed, "tcb")
    drawn = rng.choice(TCB_ALIGNS)
    align = drawn if align is None else align
    drawn_collide = rng.random() < 0.5  # half the instances conflict, whatever the alignment
    collide = drawn_collide if collide is None else collide
    m = tcb_machine(align)
    a = (rng.randint(1, 12), rng.randint(0, 15))
    while True:
        b = (rng.randint(1, 12), rng.randint(0, 15))
        if b != a and tcbs_conflict(m, a, b) == collide:
            return {"align": align, "a": a, "b": b}


def tcb_others(mine: dict[str, Any], seeds: list[int]) -> list[dict[str, Any]]:
    """Return the TCB questions of `seeds` made unlike `mine`: each at another alignment and
    with the other verdict (conflicting where `mine` does not, and the other way round)."""
    others = [a for a in TCB_ALIGNS if a != mine["align"]]
    collide = tcbs_conflict(tcb_machine(mine["align"]), mine["a"], mine["b"])
    return [
        tcb_instance(seed, others[n % len(others)], not collide) for n, seed in enumerate(seeds)
    ]


def tcb_cache(machine: str = "pentium") -> dict[str, int]:
    """Return the data cache of `machine` as a plain dict: size (bytes), ways, line (bytes)."""
    p = profile(machine)
    return {"size": p.cache_size, "ways": p.cache_assoc, "line": p.cache_line}


def tcb_machine(align: int, interleave: bool = False, machine: str = "pentium") -> Machine:
    """Return a fresh `machine` with TCBs `align` bytes apart, in the given thread-id layout."""
    return Machine(profile(machine, tcb_align=align, tcb_interleave=interleave))


def tcbs_conflict(m: Machine, a: tuple[int, int], b: tuple[int, int]) -> bool:
    """Return True when the hot lines of TCBs `a` and `b` (task, number) need more than all but
    one way of some cache set: the rule of `workloads.tcb_conflict_free` (one way stays for the
    rest of the IPC path). The model's cache decides where each hot line (header, stack top)
    goes."""
    from ..kernel.ids import ThreadId

    cache, load = m.dcache, Counter()
    for task, number in (a, b):
        for address, size in m.tcb_spans(ThreadId(task, number, 0), HOT_TCB):
            load.update(cache.set_index(line) for line in cache.lines_of(address, size))
    return max(load.values()) > cache.assoc - 1


SWITCH_PARAMS = (
    "as_switch_cycles",
    "trap_exit_cycles",
    "tlb_miss_cycles",
    "tlb_entries",
    "segment_switch_cycles",
    "small_space_extra_cycles",
)
SWITCH_PAGES = (4, 28)  # the fewest and most pages of a working set after a switch


def switch_instance(seed: int | str) -> int:
    """Return the seeded number of pages the working set touches after a switch."""
    return instance(seed, "switch").randint(*SWITCH_PAGES)


def switch_others(pages: int, seeds: list[int]) -> list[int]:
    """Return the working sets (pages) of `seeds`, each moved to the next size where it would
    equal `pages`."""
    low, high = SWITCH_PAGES
    drawn = [switch_instance(seed) for seed in seeds]
    return [p if p != pages else low + (p - low + 1) % (high - low + 1) for p in drawn]


def switch_variant(seed: int | str) -> dict[str, int]:
    """Return seeded switch costs of a processor the student does not see: overrides of a
    profile's root load, iret, TLB miss, segment switch and small-space extra cycles."""
    rng = instance(seed, "switch-variant")
    return {
        "as_switch_cycles": rng.randint(3, 20),
        "trap_exit_cycles": rng.randint(20, 60),
        "tlb_miss_cycles": rng.randint(5, 30),
        "segment_switch_cycles": rng.randint(10, 50),
        "small_space_extra_cycles": rng.randint(0, 200),
    }


def switch_params(machine: str, overrides: dict[str, Any] | None = None) -> dict[str, int]:
    """Return the parameters of `machine` (with `overrides`) the switch question prints, as a
    plain dict."""
    p = profile(machine, **(overrides or {}))
    return {name: getattr(p, name) for name in SWITCH_PARAMS}


def conventional_parts(
    machine: str, pages: int, overrides: dict[str, Any] | None = None
) -> dict[str, int]:
    """Return {cause: cycles} of a conventional switch between large spaces that then touches
    `pages` pages: what `workloads.conventional_switch` adds up (root load, iret, TLB misses)."""
    m = Machine(profile(machine, **(overrides or {})))
    m.switch_space(1)
    for page in range(pages):
        m.user_access(1, page, page, 0, False)
    m.take_costs()
    m.switch_space(2)
    m.charge(Cause.TRAP, m.profile.trap_exit_cycles)  # the iret back to user mode
    for page in range(pages):
        m.user_access(2, page, 64 + page, 0, False)
    got = dict(m.take_costs())
    return {c: got[c] for c in (Cause.AS_SWITCH, Cause.TRAP, Cause.TLB_MISS) if got.get(c)}


LAYOUT_TASKS = (8, 12, 16, 20)


def layout_instance(seed: int | str, tasks: int | None = None) -> dict[str, int]:
    """Return the seeded thread-id layout question: a task and how many tasks there are
    (`tasks` when given, else drawn by the seed)."""
    rng = instance(seed, "layout")
    drawn = rng.choice(LAYOUT_TASKS)
    tasks = drawn if tasks is None else tasks
    return {"task": rng.randint(1, tasks), "tasks": tasks}


def layout_others(mine: dict[str, int], seeds: list[int]) -> list[dict[str, int]]:
    """Return the layout questions of `seeds`, each with another number of tasks than `mine`."""
    others = [t for t in LAYOUT_TASKS if t != mine["tasks"]]
    return [layout_instance(seed, others[n % len(others)]) for n, seed in enumerate(seeds)]


TCB_LAYOUT_WHY = {
    "sets": "with task-major ids, thread 0 of every task lies 16 TCBs from the next task's: "
    "at 1 KB that is 16 KB, a multiple of the 4 KB way, so they all share one set; the new "
    "layout puts the tasks' threads side by side, in different sets",
    "lookup": "1 KB TCBs no longer let the kernel find a TCB from the id, so ids now index a table",
    "more_threads": "smaller TCBs allow more threads per task, so the thread number needed "
    "more bits",
    "reuse": "the ids had to change so that a stale 486 id cannot reach a new thread",
    "stack": "a 1 KB TCB leaves too little room for the kernel stack, so stacks moved and the "
    "id had to say where",
}

TCB_LAYOUT_WHY_NOT = {
    "lookup": "the id still encodes the TCB's address (no table on the IPC path); only the "
    "order of the slots changed",
    "more_threads": "the number of threads per task did not change: 16, as before",
    "reuse": "stale ids are caught by the id's version, in either layout",
    "stack": "the kernel stack stays in the TCB's slot: its top is the slot's last bytes",
}

"""Exercise 6 (switching costs): an IPC between large spaces and to a small space, and the
client's TLB refill.

Every instance is seeded (`seed_of(STUDENT)`); every check returns `Feedback` and never raises
at the student. The model's costs of one IPC (`ipc_costs`, `small_ipc_costs`) are the notebook's
own "run the model" step; the client's refill is measured in the exercise's hidden test: no
function here returns that graded answer (issue 20).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from mkteach.grading.answers import as_number, check_cost, close, unanswered
from mkteach.grading.costs import ipc_costs, ipc_facts
from mkteach.grading.feedback import Feedback, check_failed, finish
from mkteach.grading.instances import instance
from mkteach.programs import client, echo_server
from mkteach.system import System

PAGE = 4096


def switch_machine(seed: int | str) -> dict[str, Any]:
    """Return seeded Pentium parameter overrides for the switching-cost questions."""
    rng = instance(seed, "switch")
    return {
        "trap_enter_cycles": rng.randint(60, 80),
        "cpi": rng.choice([1.0, 1.5, 2.0]),
        "tlb_miss_cycles": rng.randint(6, 14),
        "as_switch_cycles": rng.randint(2, 10),
        "segment_switch_cycles": rng.randint(10, 24),
    }


def switch_facts(machine: str = "pentium", overrides: dict[str, Any] | None = None) -> dict:
    """Return ipc_facts plus what a small-space switch costs and the TLB's size."""
    p = System(machine=machine, frames=1, overrides=overrides).profile
    return {
        **ipc_facts(machine, overrides),
        "segment_switch_cycles": p.segment_switch_cycles,
        "small_space_extra_cycles": p.small_space_extra_cycles,
        "tlb_entries": p.tlb_entries,
    }


def small_ipc_costs(
    machine: str = "pentium", overrides: dict[str, Any] | None = None, small: bool = True
) -> dict[str, int]:
    """Return {cause: cycles} of one steady-state call whose server runs in a small space (or a
    large one when `small` is False), measured as ipc_costs measures it."""
    s = System(machine=machine, frames=8, overrides=overrides)
    a, b = s.create_space("server", small=small), s.create_space("client")
    server = s.create_thread(a, echo_server, name="server")
    s.create_thread(b, client, server, 10, name="client")
    s.run(max_steps=200)
    calls = [e for e in s.trace if e.kind == "call"]
    return dict(calls[-1].costs)


def working_set(seed: int | str) -> int:
    """Return the seeded number of pages the client touches between two calls."""
    return instance(seed, "working-set").randint(4, 14)


SMALL_WHY = {
    "tagged": "the kernel tags the TLB entries of small spaces with an address-space id",
    "fewer": "a small space has fewer pages, so the refill after the flush is shorter",
    "segments": "the small space lives at its own linear addresses inside every large space: "
    "switching reloads segment registers, and the page table and the TLB stay",
    "cache": "the TLB is refilled from the cache, so the misses cost nothing",
}


SMALL_EXPLAIN = {
    "tagged": "the Pentium's TLB has no tags at all: small spaces avoid the flush by keeping the "
    "page table",
    "fewer": "with a small server the client's refill is not shorter, it is gone: nothing was "
    "flushed",
    "cache": "a TLB miss costs tlb_miss_cycles whatever the cache holds; here there are no misses "
    "because nothing was flushed",
}


def large_ipc_beliefs(overrides: dict[str, Any], machine: str = "pentium") -> list:
    """Return (cycles, message) of an IPC between large spaces as wrong beliefs compute it."""
    f = switch_facts(machine, overrides)
    trap = f["trap_enter_cycles"] + f["trap_exit_cycles"]
    path = trap + f["instructions"] * f["cpi"]
    refill = f["tlb_pages"] * f["tlb_miss_cycles"]
    full = (
        "that counts the refill bound of a full TLB: an IPC refills only the kernel pages its "
        "path touches (tlb_pages), not every entry"
    )
    return [
        (
            sum(ipc_costs(machine, {}).values()),
            "that is the unchanged machine's cost: use your machine's parameters, printed above",
        ),
        (path + f["as_switch_cycles"] + f["tlb_entries"] * f["tlb_miss_cycles"], full),
        (
            trap + f["instructions"] + f["as_switch_cycles"] + refill,
            "each kernel instruction takes cpi cycles: instructions x cpi",
        ),
        (
            path + f["segment_switch_cycles"] + refill,
            "between large spaces the switch loads the page-table root (as_switch_cycles); the "
            "segment switch is for small spaces",
        ),
    ]


def small_ipc_beliefs(overrides: dict[str, Any], machine: str = "pentium") -> list:
    """Return (cycles, message) of an IPC to a small space as wrong beliefs compute it."""
    f = switch_facts(machine, overrides)
    path = f["trap_enter_cycles"] + f["trap_exit_cycles"] + f["instructions"] * f["cpi"]
    small = f["segment_switch_cycles"] + f["small_space_extra_cycles"]
    refill = f["tlb_pages"] * f["tlb_miss_cycles"]
    return [
        (
            path + small + refill,
            "a switch to a small space reloads segment registers and flushes nothing: there is no"
            " TLB refill",
        ),
        (
            path + f["as_switch_cycles"],
            "a switch to a small space costs the segment switch (segment_switch_cycles), not the "
            "page-table root load",
        ),
        (
            path + small + f["as_switch_cycles"],
            "a switch to a small space loads no page-table root: only the segment registers",
        ),
        (
            path + f["as_switch_cycles"] + refill,
            "that is the IPC between large spaces (Q1a): with a small server, the switch and the "
            "refill change",
        ),
        (
            path + f["segment_switch_cycles"] + 130,
            "130 cycles is the 486's extra cost of small spaces: use small_space_extra_cycles, "
            "printed above",
        ),
    ]


def pass_beliefs(overrides: dict[str, Any], pages: int, machine: str = "pentium") -> list:
    """Return (cycles, message) for the client's extra refill as wrong beliefs compute it."""
    f = switch_facts(machine, overrides)
    m = f["tlb_miss_cycles"]
    return [
        (
            0,
            "the Pentium's TLB is untagged: the switch to a large space flushes it, and the "
            "client's pages miss again in its next pass",
        ),
        (
            (pages + f["tlb_pages"]) * m,
            "the kernel's own pages are refilled inside the IPC and charged to it (Q1a), not to "
            "the client's pass",
        ),
        (
            2 * pages * m,
            "the TLB is flushed at both switches of a call, but the client refills its pages "
            "once, in its next pass",
        ),
        (
            f["tlb_entries"] * m,
            "that is the refill bound of a full TLB: the client refills only the pages it "
            "touches, min(n, s) x m",
        ),
    ]


def small_pass_beliefs(overrides: dict[str, Any], pages: int, machine: str = "pentium") -> list:
    """Return (cycles, message) for the client's refill with a small server, wrongly computed."""
    f = switch_facts(machine, overrides)
    return [
        (
            pages * f["tlb_miss_cycles"],
            "switching to and from a small space flushes nothing: the client's TLB entries "
            "survive the call",
        ),
        (
            f["segment_switch_cycles"],
            "the segment switch is part of the IPC (Q1b), not a TLB miss of the client's pass",
        ),
    ]


def check_cost_beliefs(
    answer: object,
    model: Callable[[], Any] | Any,
    beliefs: Iterable[tuple[Callable[[], Any] | Any, str]] = (),
    tolerance: float = 0.02,
    *,
    points: float = 1.0,
    unit: str = "cycles",
    clock_mhz: float | None = None,
    credit: float = 0.25,
    title: str = "",
) -> Feedback:
    """Return check_cost's feedback, but first name a wrong belief: when `answer` matches a
    belief's value (a number or a function computing it now) and not the model's, the feedback
    gives `credit` of the points and the belief's message."""
    try:
        value = as_number(answer)
        target = model() if callable(model) else model
        total = float(sum(target.values())) if isinstance(target, Mapping) else float(target)
        if value is not None and not unanswered(answer) and not close(value, total, tolerance):
            for belief, message in beliefs:
                expected = as_number(belief() if callable(belief) else belief)
                if expected is None or close(expected, total, tolerance):
                    continue
                if close(value, expected, tolerance):
                    return finish(points * credit, points, [message], title)
        return check_cost(
            answer, target, tolerance, points=points, unit=unit, clock_mhz=clock_mhz, title=title
        )
    except Exception as e:  # a check never raises at the student
        return check_failed(e, points, title)

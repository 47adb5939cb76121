"""Exercise 10 (conclusions): one claim recomputed under a machine-parameter change.

Every instance is seeded (`seed_of(STUDENT)`); every model answer is computed when a test cell
asks for it; every check returns `Feedback` and never raises at the student.
"""

from __future__ import annotations

from typing import Any

from mkteach.grading.instances import instance
from mkteach.paper.claims import SPECS
from mkteach.paper.claims import claim as paper_claim

CLAIM_CHANGES: dict[str, tuple[dict[str, dict[str, Any]], str]] = {
    "i486_tlb_miss": ({"i486": {"tlb_miss_cycles": 18}}, "i486: tlb_miss_cycles 9 -> 18"),
    "i486_trap_exit": ({"i486": {"trap_exit_cycles": 50}}, "i486: trap_exit_cycles 36 -> 50"),
    "i486_small_extra": (
        {"i486": {"small_space_extra_cycles": 0}},
        "i486: small_space_extra_cycles 130 -> 0",
    ),
    "i486_segment": (
        {"i486": {"segment_switch_cycles": 15}},
        "i486: segment_switch_cycles 39 -> 15",
    ),
    "i486_cache_line": ({"i486": {"cache_line": 32}}, "i486: cache_line 16 -> 32"),
    "pentium_tcb_align": ({"pentium": {"tcb_align": 4096}}, "pentium: tcb_align 1024 -> 4096"),
    "pentium_cache_assoc": ({"pentium": {"cache_assoc": 4}}, "pentium: cache_assoc 2 -> 4"),
    "r3000_cache_miss": ({"r3000": {"cache_miss_cycles": 18}}, "r3000: cache_miss_cycles 9 -> 18"),
}

CLAIM_POOL = (
    "as_switch.i486.small_roundtrip",
    "as_switch.i486.conventional_full",
    "tcb.conflict_free.pentium",
    "kernel_user_switch.l3.i486",
    "ipc.short.l3.i486",
    "ipc.l3.cache_bytes",
)

_CLAIM_MACHINE = {spec.id: "i486" for spec in SPECS}
_CLAIM_MACHINE.update(
    {
        "tlb_refill.worst.pentium": "pentium",
        "as_switch.small_space.pentium": "pentium",
        "tcb.conflict_free.pentium_4k": "pentium",
        "tcb.conflict_free.pentium": "pentium",
        "memory.mcpi_gap.mach_vs_l3": "r3000",
    }
)

_UNMOVED = {  # (claim, changed parameter) -> why that change leaves the claim's value alone
    ("as_switch.i486.small_roundtrip", "tlb_miss_cycles"): "a small space needs no TLB flush: "
    "the round trip has no TLB misses to get dearer",
    ("as_switch.i486.small_roundtrip", "trap_exit_cycles"): "the round trip counts the two "
    "switches' charges (segment reload and the small-space extra), no return to user mode",
    ("as_switch.i486.small_roundtrip", "cache_line"): "the switch charges involve no cache misses",
    ("as_switch.i486.conventional_full", "small_space_extra_cycles"): "a conventional switch "
    "goes between two large spaces: no segments, no small-space cost",
    ("as_switch.i486.conventional_full", "segment_switch_cycles"): "a conventional switch goes "
    "between two large spaces: no segment reload",
    ("as_switch.i486.conventional_full", "cache_line"): "the refill is TLB misses; the "
    "conventional switch counts no cache misses",
    ("kernel_user_switch.l3.i486", "small_space_extra_cycles"): "a kernel call switches no "
    "address space",
    ("kernel_user_switch.l3.i486", "segment_switch_cycles"): "a kernel call switches no address "
    "space",
    ("ipc.short.l3.i486", "small_space_extra_cycles"): "the ping-pong's two spaces are large: "
    "no segment switch",
    ("ipc.short.l3.i486", "segment_switch_cycles"): "the ping-pong's two spaces are large: no "
    "segment switch",
    ("ipc.short.l3.i486", "cache_line"): "in the steady state the IPC path's lines are in the "
    "cache whatever their size: no misses to change",
    ("ipc.l3.cache_bytes", "tlb_miss_cycles"): "the footprint counts bytes of cache lines, not "
    "cycles",
    ("ipc.l3.cache_bytes", "trap_exit_cycles"): "the footprint counts bytes of cache lines, not "
    "cycles",
    ("ipc.l3.cache_bytes", "small_space_extra_cycles"): "the footprint counts bytes of cache "
    "lines, not cycles",
    ("ipc.l3.cache_bytes", "segment_switch_cycles"): "the footprint counts bytes of cache "
    "lines, not cycles",
    ("tcb.conflict_free.pentium", "tlb_miss_cycles"): "the share counts TCB lines that share "
    "cache sets: no TLB in it",
    ("kernel_user_switch.hw_floor.i486", "tlb_miss_cycles"): "the hardware floor is the trap "
    "alone (int + iret): no TLB miss in it",
    ("kernel_user_switch.mach.i486", "tlb_miss_cycles"): "the Mach-style call is measured warm: "
    "its pages are in the TLB",
    ("kernel_user_switch.speedup.i486", "tlb_miss_cycles"): "both calls of the speedup are "
    "measured warm: no TLB misses in either",
    ("as_switch.small_space.i486", "tlb_miss_cycles"): "a switch between small spaces flushes no "
    "TLB: it is the segment reload alone",
    ("as_switch.small_space.i486", "trap_exit_cycles"): "a switch between small spaces is the "
    "segment reload alone: no return to user mode in it",
}


def claim_now(claim_id: str, machine_overrides: dict[str, dict[str, Any]] | None = None) -> Any:
    """Return one claim recomputed now, as `paper.claims(machine_overrides)` would return it
    (only that claim is measured, so it is quicker than the whole table)."""
    return paper_claim(claim_id, machine_overrides)


def change_target(key: str) -> tuple[str, str]:
    """Return (machine, parameter) that the change `key` of CLAIM_CHANGES sets."""
    ((machine, params),) = CLAIM_CHANGES[key][0].items()
    return machine, next(iter(params))


def claim_instance(seed: int | str) -> dict[str, str]:
    """Return the seeded claim of the 'which parameter moves it' question, and a change."""
    rng = instance(seed, "claim")
    return {"claim": rng.choice(CLAIM_POOL), "change": rng.choice(sorted(CLAIM_CHANGES))}


def unmoved_reason(claim_id: str, machine: str, param: str) -> str:
    """Return why changing `machine`'s `param` leaves claim `claim_id`'s model value alone."""
    home = _CLAIM_MACHINE.get(claim_id, "i486")
    if home != machine:
        return (
            f"{claim_id} is measured on the {home} profile: a change to the {machine} "
            "does not reach it"
        )
    return _UNMOVED.get(
        (claim_id, param), f"{claim_id} does not depend on {param}: run claim_now to see"
    )


DIRECTION_CHANGES = (
    ("tlb_miss_cycles", (5, 6, 7, 12, 14, 18)),
    ("trap_exit_cycles", (20, 28, 44, 50)),
)

DIRECTION_TARGETS = {
    "tlb_miss_cycles": (
        "as_switch.i486.conventional_full",
        "as_switch.i486.conventional_half",
        "ipc.short.l3.i486",
    ),
    "trap_exit_cycles": (
        "kernel_user_switch.hw_floor.i486",
        "as_switch.i486.conventional_best",
        "ipc.short.l3.i486",
    ),
}


def direction_instance(seed: int | str) -> dict[str, Any]:
    """Return the seeded i486 change of the 'predict the direction' question and the claim whose
    change is computed by hand."""
    rng = instance(seed, "direction")
    param, values = rng.choice(DIRECTION_CHANGES)
    return {
        "param": param,
        "value": rng.choice(values),
        "claim": rng.choice(DIRECTION_TARGETS[param]),
    }

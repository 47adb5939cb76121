"""Exercise 9 (related systems): the seven systems' design choices and seeded R2000
parameters.

Every instance is seeded (`seed_of(STUDENT)`). Which system made which choice is the answer of
Q2: it lives in the exercise's hidden test, never in this package (issue 20); the costs come from
the model (`ipc_costs`), as a student runs it.
"""

from __future__ import annotations

from typing import Any

from mkteach.grading.instances import instance
from mkteach.hw.profiles import PROFILES

SYSTEMS = ("Synthesis", "Spin", "Utah Mach", "DP-Mach", "Panda", "Cache Kernel", "Exokernel")

DESIGNS = {
    "codegen": "kernel code generated at run time, specialised for one thread or one use",
    "extensions": "application code loaded into the kernel, kept safe by a type-safe "
    "language's compiler",
    "migrating": "the client's thread itself moves into the server for the duration of an RPC",
    "domains": "several protection domains inside one user address space, with protected "
    "inter-domain calls",
    "interrupts_only": "a kernel that handles only interrupts and exceptions; protection "
    "domains and virtual processors are built outside",
    "cached_objects": "the kernel caches kernels, threads, address spaces and mappings, loaded "
    "and written back by user-level application kernels",
    "primitives": "the kernel exports the hardware's primitives, not abstractions; library "
    "operating systems build the abstractions",
    "small_spaces": "small address spaces inside every large one, separated by segment "
    "registers, with no TLB flush between them",
    "direct_switch": "call and reply_and_wait switch directly from the client's thread to the "
    "server's and back, without the scheduler",
    "few_abstractions": "a few abstractions (address spaces, threads, IPC), made as cheap as "
    "primitives",
}


def matching_instance(seed: int | str) -> list[str]:
    """Return the seeded four systems (in the paper's order) a student matches to choices."""
    chosen = set(instance(seed, "matching").sample(SYSTEMS, 4))
    return [name for name in SYSTEMS if name in chosen]


def exo_instance(seed: int | str, unlike: dict[str, Any] | None = None) -> dict[str, Any]:
    """Return seeded R2000 overrides (trap entry and exit, cycles per kernel instruction).

    Given `unlike` (another instance), the trap differs from its trap and the cycles per
    instruction from its by 0.2 or more, so that no number worked out for `unlike` fits this
    one by chance (a rule answer's hidden instances are drawn so).
    """
    rng = instance(seed, "exokernel")
    while True:
        drawn = {
            "trap_enter_cycles": rng.randint(8, 12),
            "trap_exit_cycles": rng.randint(6, 9),
            "cpi": rng.choice([1.0, 1.2, 1.3, 1.5, 2.0]),
        }
        if unlike is None or (
            _trap(drawn) != _trap(unlike) and abs(drawn["cpi"] - unlike["cpi"]) > 0.15
        ):
            return drawn


def _trap(overrides: dict[str, Any]) -> int:
    """Return the cycles of an R2000 instance's trap (enter + exit)."""
    return overrides["trap_enter_cycles"] + overrides["trap_exit_cycles"]


CROSSING = ("trap", "as_switch", "small_space", "tlb_miss")
CROSSING_MACHINES = tuple(name for name in PROFILES if name != "i486")


def crossing_instance(seed: int | str, unlike: str | None = None) -> str:
    """Return the seeded processor of the crossing question (any profile but the 486).

    Given `unlike` (another processor), one whose IPC costs by cause differ from its, so that no
    number worked out for `unlike` fits this one by chance (a rule answer's hidden instances are
    drawn so).
    """
    from mkteach.grading.costs import ipc_costs

    rng = instance(seed, "crossing")
    while True:
        name = rng.choice(CROSSING_MACHINES)
        if unlike is None or ipc_costs(name) != ipc_costs(unlike):
            return name

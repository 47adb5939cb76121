"""Model measurements that cost questions check against, computed when the check runs.

ipc_costs("i486")                  # {cause: cycles} of one steady-state call between spaces
ipc_facts("i486")                  # what a student needs to compute it by hand
"""

from __future__ import annotations

from typing import Any

from ..programs import client, echo_server
from ..system import System


def ipc_costs(
    machine: str = "i486", overrides: dict[str, Any] | None = None, kernel: str = "l3"
) -> dict[str, int]:
    """Return {cause: cycles} of one short IPC (a call) in the steady state of a ping-pong.

    A client calls an echo server in another space ten times; the last call's kernel entry is
    measured, so caches hold the kernel's working set and only what every call pays remains.
    """
    s = System(machine=machine, frames=8, kernel=kernel, overrides=overrides)
    a, b = s.create_space("server"), s.create_space("client")
    server = s.create_thread(a, echo_server, name="server")
    s.create_thread(b, client, server, 10, name="client")
    s.run(max_steps=200)
    calls = [e for e in s.trace if e.kind == "call"]
    return dict(calls[-1].costs)


def ipc_facts(
    machine: str = "i486", overrides: dict[str, Any] | None = None, kernel: str = "l3"
) -> dict[str, Any]:
    """Return the machine's parameters and the IPC path's facts a cost is computed from.

    Keys: trap_enter_cycles, trap_exit_cycles, cpi, as_switch_cycles, tlb_miss_cycles,
    tlb_tagged, instructions (the IPC and transfer paths' instructions) and tlb_pages (how many
    kernel pages the path touches: each is a TLB miss after a flush of an untagged TLB).
    """
    s = System(machine=machine, frames=8, kernel=kernel, overrides=overrides)
    p, paths = s.profile, s.machine.variant.paths
    untagged = dict(overrides or {}, tlb_tagged=False)
    refill = ipc_costs(machine, untagged, kernel).get("tlb_miss", 0)
    return {
        "machine": p.name,
        "trap_enter_cycles": p.trap_enter_cycles,
        "trap_exit_cycles": p.trap_exit_cycles,
        "cpi": p.cpi,
        "as_switch_cycles": p.as_switch_cycles,
        "tlb_miss_cycles": p.tlb_miss_cycles,
        "tlb_tagged": p.tlb_tagged,
        "instructions": paths["ipc"].instructions + paths["transfer"].instructions,
        "tlb_pages": refill // p.tlb_miss_cycles if p.tlb_miss_cycles else 0,
    }


def seeded_overrides(seed: int | str, question: str = "ipc") -> dict[str, Any]:
    """Return seeded i486 parameter overrides (TLB miss, CPI, switch and trap cycles) so that
    every student computes a different but reproducible cost."""
    from .instances import instance

    rng = instance(seed, question)
    return {
        "tlb_miss_cycles": rng.randint(6, 14),
        "cpi": rng.choice([1.0, 1.5, 2.0]),
        "as_switch_cycles": rng.randint(2, 10),
        "trap_enter_cycles": rng.randint(60, 80),
    }

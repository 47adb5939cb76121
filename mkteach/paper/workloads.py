"""Small measurements on the model that the paper's claims are recomputed from.

Each function builds a fresh machine (or a whole System), runs a workload through it and returns
what the model measured: cycles charged by cause, misses, bytes. Nothing here knows the paper's
values. A workload's result depends only on its machine, the overrides and its arguments, so
each is measured once per process (`@remembered`, memo.py) and handed back as a copy after.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..hw.costs import Cause
from ..hw.kernels import HOT_TCB, KernelVariant, tcb_address
from ..hw.machine import Machine
from ..hw.profiles import profile
from ..kernel.ids import ThreadId
from ..programs import client, echo_server
from .memo import remembered

Overrides = dict[str, dict[str, Any]]
CLIENT = ThreadId(2, 0, 0, "client")
SERVER = ThreadId(1, 0, 0, "server")


def machine(name: str, overrides: Overrides, kernel: str = "l3") -> Machine:
    """Return a fresh machine `name` with this run's parameter overrides for it."""
    return Machine(profile(name, **overrides.get(name, {})), kernel)


def charges(m: Machine, action: Callable[[], None]) -> dict[str, int]:
    """Return the cycles by cause that `action` charges on machine `m`."""
    m.take_costs()
    action()
    return dict(m.take_costs())


@remembered
def kernel_call(name: str, overrides: Overrides, kernel: str) -> tuple[dict, dict]:
    """Return (warm, cold) charges of a null kernel call: cold on empty TLB and caches."""
    m = machine(name, overrides, kernel)
    m.switch_space(1)
    cold = charges(m, lambda: m.kernel_entry(CLIENT, "null_call"))
    warm = charges(m, lambda: m.kernel_entry(CLIENT, "null_call"))
    return warm, cold


@remembered
def tlb_refill_after_switch(name: str, overrides: Overrides) -> int:
    """Return the TLB-miss cycles to refill a working set that fills the TLBs, after a switch.

    The working set has as many code pages as the instruction TLB holds and as many data pages
    as the data TLB holds: the worst case of the paper's bound min(n, s) x m.
    """
    m = machine(name, overrides)
    code, data = m.itlb.entries, m.dtlb.entries if m.itlb is not m.dtlb else 0
    m.switch_space(1)

    def touch() -> None:
        for page in range(code):
            m.user_access(1, page, page, 0, False, fetch=True)
        for page in range(data):
            m.user_access(1, 1024 + page, 1024 + page, 0, False)

    touch()  # warm: the working set is in the TLB
    m.switch_space(2)
    m.switch_space(1)
    return charges(m, touch).get("tlb_miss", 0)


@remembered
def conventional_switch(name: str, overrides: Overrides, pages: int) -> int:
    """Return the cycles of a switch between large spaces that then touches `pages` pages.

    Counted: loading the page-table root, the return into the new space (iret), and the TLB
    misses that refill the working set (the simulated TLB decides how many).
    """
    m = machine(name, overrides)
    m.switch_space(1)
    for page in range(pages):
        m.user_access(1, page, page, 0, False)

    def switch_and_touch() -> None:
        m.switch_space(2)
        m.charge(Cause.TRAP, m.profile.trap_exit_cycles)  # the iret back to user mode
        for page in range(pages):
            m.user_access(2, page, 64 + page, 0, False)

    got = charges(m, switch_and_touch)
    return sum(got.get(cause, 0) for cause in (Cause.AS_SWITCH, Cause.TRAP, Cause.TLB_MISS))


@remembered
def small_space_switches(name: str, overrides: Overrides, route: list[int], small: set[int]):
    """Return the charges of switching along `route` (space ids), `small` ones being small."""
    m = machine(name, overrides)
    for space in small:
        m.make_small(space)
    m.switch_space(route[0])
    return charges(m, lambda: [m.switch_space(s) for s in route[1:]])


@remembered
def ipc_footprint(name: str, overrides: Overrides, kernel: str) -> int:
    """Return the bytes of cache lines one short IPC's kernel path touches (cold cache)."""
    m = machine(name, overrides, kernel)
    m.switch_space(2)
    m.kernel_entry(CLIENT, "ipc")
    m.transfer(CLIENT, SERVER, 2, 0)
    lines = m.dcache.misses + (m.icache.misses if m.icache is not m.dcache else 0)
    return lines * m.profile.cache_line


@remembered
def tcb_conflict_free(name: str, overrides: Overrides, align: int | None, slots: int = 64) -> float:
    """Return the fraction of pairs of distinct TCBs whose hot lines fit the cache together.

    Two TCBs fit when no cache set must hold more of their hot lines (TCB header, top of the
    kernel stack) than its ways minus one: one way stays for the rest of the IPC path (code,
    message, user data). Placement comes from the TCB alignment, sets from the cache model.
    """
    m = machine(name, overrides)
    align = align or m.profile.tcb_align
    cache = m.dcache

    def sets(slot: int) -> list[int]:
        base = tcb_address(0, slot, align)
        spans = [(base + (o if o >= 0 else align + o), size) for o, size in HOT_TCB]
        return [cache.set_index(a) for addr, size in spans for a in cache.lines_of(addr, size)]

    footprint = [sets(i) for i in range(slots)]
    fits = total = 0
    for i in range(slots):
        for j in range(i + 1, slots):
            load: dict[int, int] = {}
            for s in footprint[i] + footprint[j]:
                load[s] = load.get(s, 0) + 1
            fits += max(load.values()) <= cache.assoc - 1
            total += 1
    return fits / total


@remembered
def ping_pong(name: str, overrides: Overrides, kernel: str, rounds: int = 40) -> dict[str, float]:
    """Return steady-state cycles of one short IPC and of one RPC between two spaces."""
    from ..system import System

    s = System(machine=name, frames=16, kernel=kernel, overrides=overrides.get(name))
    a, b = s.create_space("server"), s.create_space("client")
    server = s.create_thread(a, echo_server, name="server")
    s.create_thread(b, client, server, rounds, name="client")
    s.run(max_steps=10 * rounds + 50)
    calls = [e.cycles for e in s.trace if e.kind in ("call", "reply_and_wait")]
    steady = calls[len(calls) // 2 :]
    ipc = sum(steady) / len(steady)
    return {"ipc_cycles": ipc, "rpc_us": 2 * ipc / s.profile.clock_mhz}


@remembered
def mcpi(name: str, overrides: Overrides, kernel: str, rounds: int = 8) -> float:
    """Return memory cycles per instruction of a user program that calls a server now and then.

    The client sweeps its 4 KB data working set four times (3 instructions per load: about one
    system call per 3,000 user instructions, [assumed]) and then makes one RPC to a server that
    touches 1 KB of its own; MCPI counts cache-miss cycles over user and kernel instructions
    together, as Chen and Bershad measured a whole system.
    """
    from ..system import System

    s = System(machine=name, frames=16, kernel=kernel, overrides=overrides.get(name))
    a, b = s.create_space("server"), s.create_space("client")
    for page in range(2):
        s.map(s.sigma0, page, a, page)
        s.map(s.sigma0, 8 + page, b, page)
    server = s.create_thread(a, _touching_server, name="server")
    s.create_thread(b, _sweeping_client, server, rounds, name="client")
    s.run(max_steps=rounds * 1200 + 100)
    events = [e for e in s.trace if e.kind not in ("map", "create_space", "create_thread")]
    events = events[len(events) // 3 :]  # past the cold start
    loads = sum(1 for e in events if e.kind == "load")
    kernel_instr = sum(dict(e.costs).get("instructions", 0) for e in events) / s.profile.cpi
    missed = sum(dict(e.costs).get("cache_miss", 0) for e in events)
    return missed / (3 * loads + kernel_instr)


def _sweeping_client(t, server, rounds):  # type: ignore[no-untyped-def]
    """Sweep 4 KB of data four times (a load per 16 bytes), then call the server; repeat."""
    for _ in range(rounds):
        for _sweep in range(4):
            for offset in range(0, 4096, 16):
                yield t.load(offset)
        yield t.call(server, words=(1,))


def _touching_server(t):  # type: ignore[no-untyped-def]
    """Touch 1 KB of own data for every request, then reply."""
    msg = yield t.wait()
    while True:
        for offset in range(0, 1024, 16):
            yield t.load(4096 + offset)
        msg = yield t.reply_and_wait(msg.sender, words=(0,))


def variant_paths(kernel: KernelVariant) -> dict[str, int]:
    """Return each path's instruction count (for notes and tables)."""
    return {name: p.instructions for name, p in kernel.paths.items()}

"""Exercise 7 (memory effects): the cache footprint of an IPC path, part by part, and a client
whose data meets one RPC in the cache.

Every instance is seeded (`seed_of(STUDENT)`). The model's footprints, cache contents and MCPI
split are the notebook's own "run the model" steps; which kind of miss explains a changed gap
(Q3c) is decided in the exercise's hidden test: no function here returns it (issue 20).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

from mkteach.grading.instances import instance
from mkteach.hw.kernels import CODE, DATA
from mkteach.hw.machine import TRAP_SPANS, Machine
from mkteach.hw.profiles import profile
from mkteach.paper.workloads import CLIENT, SERVER
from mkteach.system import System

FOOTPRINT_LINE_SIZES = (16, 32, 64)

FOOTPRINT_PARTS = {
    "trap_descriptors": "the trap: the IDT gate and the GDT entry the processor reads",
    "sender_code": "the sender's IPC path: kernel code",
    "sender_data": "the sender's IPC path: kernel data",
    "sender_TCB": "the sender's TCB (header and top of its kernel stack)",
    "receiver_code": "the receiver's transfer path: kernel code",
    "receiver_data": "the receiver's transfer path: kernel data",
    "receiver_TCB": "the receiver's TCB (header and top of its kernel stack)",
}


def footprint_instance(seed: int | str, unlike: dict[str, int] | None = None) -> dict[str, int]:
    """Return the seeded 486 parameter override for the footprint question: a cache line size
    (one other than `unlike`'s, another instance, when given: the hidden instances' machines)."""
    other = [n for n in FOOTPRINT_LINE_SIZES if not unlike or n != unlike["cache_line"]]
    return {"cache_line": instance(seed, "footprint").choice(other)}


def footprint_spans(
    machine: str = "i486", overrides: dict[str, Any] | None = None, kernel: str = "l3"
) -> list[tuple[str, int, int]]:
    """Return (part, physical address, bytes) of every span one short IPC's kernel paths touch.

    The order is the order the machine touches them: the trap's descriptors, then the sender's
    IPC path (code, data, its TCB), then the transfer path for the receiver.
    """
    m = Machine(profile(machine, **(overrides or {})), kernel)
    ipc, transfer = m.variant.paths["ipc"], m.variant.paths["transfer"]
    spans = [("trap_descriptors", a, n) for a, n in TRAP_SPANS]
    for side, path, thread in (("sender", ipc, CLIENT), ("receiver", transfer, SERVER)):
        spans.append((f"{side}_code", CODE + path.code[0], path.code[1]))
        spans += [(f"{side}_data", DATA + off, n) for off, n in path.data]
        spans += [(f"{side}_TCB", a, n) for a, n in m.tcb_spans(thread, path.tcb)]
    return spans


def footprint_parts(
    machine: str = "i486", overrides: dict[str, Any] | None = None, kernel: str = "l3"
) -> dict[str, int]:
    """Return {part: bytes of cache lines it fills} for one short IPC on a cold cache.

    Runs the same accesses as `workloads.ipc_footprint` (trap, IPC path for the sender,
    transfer path for the receiver) through the model's cache, counting each part's misses;
    the parts add up to `ipc_footprint`.
    """
    m = Machine(profile(machine, **(overrides or {})), kernel)
    m.switch_space(2)
    caches = {id(c): c for c in (m.dcache, m.icache)}.values()
    parts: dict[str, int] = {}
    for part, address, size in footprint_spans(machine, overrides, kernel):
        before = sum(c.misses for c in caches)
        if part.endswith("_code"):
            m.fetch_code(address, size)
        else:
            m.touch_data([(address, size)])
        missed = sum(c.misses for c in caches) - before
        parts[part] = parts.get(part, 0) + missed * m.profile.cache_line
    return {part: n for part, n in parts.items() if n}


POLLUTION_SIZES = (2048, 3072, 4096, 5120, 6144)


def pollution_instance(seed: int | str) -> int:
    """Return the seeded size of the client's data (bytes) for the cache-pollution question."""
    return instance(seed, "pollution").choice(POLLUTION_SIZES)


def _rpc_server(t):  # type: ignore[no-untyped-def]
    """Answer every request at once."""
    msg = yield t.wait()
    while True:
        msg = yield t.reply_and_wait(msg.sender, words=(0,))


def _sweeping_client(t, server, data_bytes, line):  # type: ignore[no-untyped-def]
    """Read every cache line of the data, call the server once, read them all again."""
    for offset in range(0, data_bytes, line):
        yield t.load(offset)
    yield t.call(server, words=(1, 0))
    for offset in range(0, data_bytes, line):
        yield t.load(offset)


def pollution_system(
    kernel: str, data_bytes: int, machine: str = "i486", overrides: dict[str, Any] | None = None
) -> System:
    """Return a System after a client read `data_bytes` of its data (one load per cache line),
    made one RPC to a server in another space, and read the same data again (chapter 7, §2)."""
    s = System(machine=machine, frames=16, kernel=kernel, overrides=overrides)
    server_space, client_space = s.create_space("server"), s.create_space("client")
    for page in range(-(-data_bytes // s.page_size)):
        s.map(s.sigma0, 8 + page, client_space, page)
    server = s.create_thread(server_space, _rpc_server, name="server")
    line = s.profile.cache_line
    s.create_thread(client_space, _sweeping_client, server, data_bytes, line, name="client")
    s.run()
    return s


def after_rpc(s: System) -> int:
    """Return the step of the server's reply: the RPC is over, the client's second pass next."""
    return next(e.step for e in s.trace if e.kind == "reply_and_wait")


def cache_owners(s: System, step: int) -> Counter:
    """Return how many lines of the (data or unified) cache each kind of memory holds after
    `step`: "user", "kernel code", "kernel data", "TCB", "descriptors"."""
    from ..views.hardware import owner  # plotly: imported only when needed

    unit = s.machine.dcache
    sets = s.hardware_at(step).units[unit.name]["sets"]
    return Counter(owner(tag * unit.line) for lines in sets for tag in lines)


MCPI_MACHINE = "r3000"  # the DECstation 5000/200 Chen and Bershad measured

MCPI_CHANGES = (
    ("cache_assoc", 2),
    ("cache_assoc", 4),
    ("cache_miss_cycles", 3),
    ("cache_miss_cycles", 12),
    ("cache_size", 8192),
    ("cache_size", 16384),
    ("server_kb", 116),
    ("server_kb", 120),
    ("server_kb", 124),
)

MCPI_WHY = {
    "conflict": "it changes conflict misses: lines that evict each other because they must go "
    "to the same place, although a fully associative cache of the same size would keep them",
    "capacity": "it changes capacity misses: the working sets no longer fit (or fit again) in a "
    "cache of this size, however lines are placed",
    "compulsory": "it changes compulsory misses: lines touched for the first time",
    "miss_cost": "every miss costs more (or less); the number of misses of each kind stays the "
    "same",
    "tlb": "the R3000's TLB is flushed less often",
}
KINDS = ("compulsory", "capacity", "conflict")


def mcpi_parts(change: Mapping[str, Any]) -> tuple[dict[str, Any], float]:
    """Return (the gap's three-C split on the R3000 under `change`, server_kb) (chapter 7, §4).

    `change` sets a machine parameter or the workload's server working set (server_kb, else 0).
    """
    from mkteach.paper.misses import mcpi_gap

    server_kb = change.get("server_kb", 0)
    machine = {k: v for k, v in change.items() if k != "server_kb"}
    return mcpi_gap(MCPI_MACHINE, server_kb, **machine), server_kb


def mcpi_gap_now(change: Mapping[str, Any]) -> float:
    """Return the MCPI gap (Mach-style - L3-style) on the R3000 under `change`."""
    return mcpi_parts(change)[0]["gap"]


def mcpi_holds(change: Mapping[str, Any]) -> bool:
    """Return whether §4.2's MCPI claim holds under `change` (number and mechanism)."""
    from mkteach.paper.claims import mcpi_claim

    server_kb = change.get("server_kb", 0)
    machine = {k: v for k, v in change.items() if k != "server_kb"}
    return mcpi_claim(server_kb, {MCPI_MACHINE: machine} if machine else None).holds


def mcpi_instance(seed: int | str) -> dict[str, Any]:
    """Return the seeded change: one R3000 cache parameter, or the server's working set."""
    param, value = instance(seed, "mcpi").choice(MCPI_CHANGES)
    return {param: value}


def _moves(change: Mapping[str, Any]) -> dict[str, float]:
    """Return how far each kind of miss moved the gap (MCPI) from the profile to `change`."""
    before, _ = mcpi_parts({})
    after, _ = mcpi_parts(change)
    return {kind: after[kind] - before[kind] for kind in KINDS}


def mcpi_why_not(change: Mapping[str, Any], why: str) -> dict[str, str]:
    """Return, for each MCPI_WHY key other than the model's answer `why` under `change`, why it
    does not explain the change (with the split's numbers)."""
    if why == "miss_cost":
        same = "only the price of a miss changed: the split counts the same misses of every kind"
        moved = {kind: same for kind in KINDS}
    else:
        moves = _moves(change)
        split = ", ".join(f"{kind} {moves[kind]:+.3f}" for kind in KINDS)
        moved = {
            kind: f"the three-C split says the gap moved by {split} MCPI: {why} misses moved "
            f"it most, {kind} misses by {moves[kind]:+.3f}"
            for kind in KINDS
        }
    moved["miss_cost"] = "a miss costs what it did: the number of misses changed"
    moved["tlb"] = "the R3000's TLB is tagged: no flushes, and MCPI counts cache misses only"
    return {key: text for key, text in moved.items() if key != why}


WHY_EVICTED = {
    "capacity": "the Mach-style RPC touches more lines than the whole cache holds: each new line "
    "replaces its set's least recently used one, and those are the client's",
    "switch_flush": "the address-space switch flushes the cache, as it flushes the TLB",
    "tlb_flush": "once the TLB is flushed, the cache lines of the old space are invalid",
    "server": "the server's own data take the client's place in the cache",
    "conflict": "the kernel's lines all map to the sets of the client's data while other sets "
    "stay empty",
}

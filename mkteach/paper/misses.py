"""Memory effects by the three Cs (§4.2): `paper.miss_split`.

Chen and Bershad split the system's cache misses under Mach + a Unix server by kind and found
mostly capacity misses. A miss is classified by running the very same reference stream through
three caches of the same line size:
- an infinite cache: its misses are the compulsory ones (a line's first touch);
- a fully associative LRU cache of the real size: what it misses beyond those is capacity;
- the real cache (here direct-mapped): what it misses beyond both is conflict (placement).
The three add up to the real cache's misses. Conflict may come out negative: on a loop larger
than the cache, LRU evicts every line just before its reuse, where a direct-mapped cache keeps
some (the classic caveat of the three-C split).

The workload is a system-call loop in steady state: a client runs its own code and data, then
calls the system (a kernel IPC to a server, the server's work, the reply); the first rounds warm
the caches and are not counted, and no thread starts or ends inside the measured rounds.
"""

from __future__ import annotations

import itertools
import random
from numbers import Real
from typing import Any

from ..errors import InvalidArgument
from ..hw.machine import Machine, Plan, same_page_unlooked
from ..hw.profiles import profile
from .memo import remembered
from .workloads import CLIENT, SERVER

CLIENT_SPACE, SERVER_SPACE = CLIENT.task, SERVER.task
USER_BASE = 0x1000_0000  # physical address below which no program line lies (see `_layout`)
USER_CODE = 1024  # [assumed] bytes of the client's inner loop
USER_DATA = 4096  # [assumed] the client's data working set, as in `workloads.mcpi`
USER_INSTRUCTIONS = 3000  # [assumed] user instructions between two system calls
BLOCK = 64  # bytes touched in a row: a basic block of code, a small record of data
WARMUP, ROUNDS = 1, 3  # rounds not counted (they warm the caches), rounds counted
MAX_SERVER_KB = 1024
KINDS = ("infinite", "fully_associative", "real")


def miss_split(
    machine: str = "r2000", kernel: str = "mach", server_kb: float = 0, **overrides: Any
) -> dict[str, Any]:
    """Return the three-C split of a system-call workload's cache misses in steady state.

    Keys: misses, compulsory, capacity, conflict (counts over the `rounds` counted rounds; they
    add up), mcpi (cache-miss cycles per instruction, user + kernel + server), instructions and
    miss_cycles of those rounds, by_cache ({cache name: its own split}), rounds, and the
    arguments. `server_kb` is the working set a
    Unix server and its emulation library touch on every call, half code and half data (0: the
    kernel alone); `overrides` replace machine parameters (e.g. cache_size=16384).
    """
    profile(machine, **overrides)  # an unknown machine or parameter is refused first
    return _split_of(machine, {machine: overrides}, kernel, _check_server_kb(server_kb))


@remembered  # measured once per process per machine profile, kernel and server; copies handed out
def _split_of(machine: str, overrides: dict, kernel: str, kb: float) -> dict[str, Any]:
    """Return miss_split's result for `machine` with its `overrides` (by machine), measured now."""
    p = profile(machine, **overrides.get(machine, {}))
    counts = {kind: _run(p, kernel, kb, kind) for kind in KINDS}
    per_cache = {name: _split(*(counts[k][0][name] for k in KINDS)) for name in counts["real"][0]}
    instructions = counts["real"][1]
    total = _split(*(sum(counts[k][0].values()) for k in KINDS))
    miss_cycles = total["misses"] * p.cache_miss_cycles
    return {
        **total,
        "mcpi": miss_cycles / instructions,
        "instructions": instructions,
        "miss_cycles": miss_cycles,
        "by_cache": per_cache,
        "rounds": ROUNDS,
        "machine": p.name,
        "kernel": kernel,
        "server_kb": kb,
    }


def mcpi_gap(machine: str = "r3000", server_kb: float = 0, **overrides: Any) -> dict[str, Any]:
    """Return the MCPI gap that a Mach-style kernel makes over an L3-style one, split by kind.

    Both systems run the same program and the same server of `server_kb` (the model has no
    Ultrix): only the kernel differs, so the gap is the misses the Mach-style kernel causes.
    Keys: gap (MCPI), compulsory, capacity, conflict (the gap's misses by kind, in MCPI; they
    add up to the gap), capacity_share (capacity / gap; 0 when there is no gap), mach, l3 (the
    two `miss_split` results).
    """
    mach = miss_split(machine, "mach", server_kb, **overrides)
    l3 = miss_split(machine, "l3", server_kb, **overrides)
    cost = profile(machine, **overrides).cache_miss_cycles
    parts = {
        kind: cost * (mach[kind] / mach["instructions"] - l3[kind] / l3["instructions"])
        for kind in ("compulsory", "capacity", "conflict")
    }
    gap = mach["mcpi"] - l3["mcpi"]
    share = parts["capacity"] / gap if gap > 0 else 0.0
    return {"gap": gap, **parts, "capacity_share": share, "mach": mach, "l3": l3}


def _split(infinite: int, associative: int, real: int) -> dict[str, int]:
    """Return misses by kind from the misses of the infinite, fully associative and real caches."""
    return {
        "misses": real,
        "compulsory": infinite,
        "capacity": associative - infinite,
        "conflict": real - associative,
    }


def _check_server_kb(server_kb: object) -> float:
    """Return `server_kb` when it is a number of KB from 0 to MAX_SERVER_KB; raise otherwise."""
    if isinstance(server_kb, bool) or not isinstance(server_kb, Real):
        raise InvalidArgument(f"server_kb must be a number of KB, not {server_kb!r}")
    if not 0 <= server_kb <= MAX_SERVER_KB:
        raise InvalidArgument(f"server_kb must be from 0 to {MAX_SERVER_KB} KB, not {server_kb}")
    return float(server_kb)


def _run(p, kernel: str, server_kb: float, kind: str) -> tuple[dict[str, int], int]:  # type: ignore[no-untyped-def]
    """Return ({cache name: misses}, instructions) of the counted rounds on `kind` caches."""
    m = Machine(p, kernel)
    layout = _layout(p, kernel, int(server_kb * 1024) // 2)
    m.model_caches(kind)
    rng = random.Random(0)  # the same block order on all three caches: the same stream
    caches = list(dict.fromkeys((m.icache, m.dcache)))
    misses = dict.fromkeys((c.name for c in caches), 0)
    instructions = 0
    owners = {"client code": CLIENT_SPACE, "client data": CLIENT_SPACE,
              "server code": SERVER_SPACE, "server data": SERVER_SPACE}  # fmt: skip
    regions = {
        name: _blocks(m, space, layout[name], name.endswith("code"))
        for name, space in owners.items()
    }
    for round_ in range(WARMUP + ROUNDS):
        before = {c.name: c.misses for c in caches}
        m.take_costs()
        m.switch_space(CLIENT_SPACE)
        _touch(m, *regions["client code"], rng)
        _touch(m, *regions["client data"], rng)
        m.ipc_entry(CLIENT, "call")  # the system call: IPC to the server ...
        m.transfer(CLIENT, SERVER, 2, 0)
        m.switch_space(SERVER_SPACE)
        _touch(m, *regions["server code"], rng)  # ... the server's work ...
        _touch(m, *regions["server data"], rng)
        m.ipc_entry(SERVER, "reply_and_wait")  # ... and the reply
        m.transfer(SERVER, CLIENT, 2, 0)
        m.switch_space(CLIENT_SPACE)
        kernel_instructions = dict(m.take_costs()).get("instructions", 0) / p.cpi
        if round_ >= WARMUP:
            for c in caches:
                misses[c.name] += c.misses - before[c.name]
            server = len(layout["server code"]) * p.cache_line // 4  # each word runs once
            instructions += USER_INSTRUCTIONS + server + round(kernel_instructions)
    return misses, instructions


def _layout(p, kernel: str, half: int) -> dict[str, list[int]]:  # type: ignore[no-untyped-def]
    """Return the physical line numbers of the programs' code and data, in program order.

    The programs' lines go where the kernel's are not, first into the cache ways the kernel's
    lines leave free, set after set, and only then again over every set (an ideal page
    colouring): while everything fits, no two lines collide, so a conflict miss is one that
    placement could not have avoided.
    """
    probe = Machine(p, kernel)
    probe.switch_space(CLIENT_SPACE)
    for thread, other, kind in ((CLIENT, SERVER, "call"), (SERVER, CLIENT, "reply_and_wait")):
        probe.ipc_entry(thread, kind)
        probe.transfer(thread, other, 2, 0)
    sizes = {"client code": USER_CODE, "client data": USER_DATA,
             "server code": half, "server data": half}  # fmt: skip
    layout: dict[str, list[int]] = {}
    for cache, names in ((probe.icache, ("client code", "server code")),
                         (probe.dcache, ("client data", "server data"))):  # fmt: skip
        lines = _free_lines(cache, sum(sizes[name] // cache.line for name in names))
        for name in names:
            count = sizes[name] // cache.line
            layout[name], lines = lines[:count], lines[count:]
    return layout


def _free_lines(cache, count: int) -> list[int]:  # type: ignore[no-untyped-def]
    """Return the first `count` user line numbers for `cache`: its free ways set by set, then
    lap after lap over every set."""
    base = USER_BASE // cache.line  # a multiple of the sets: line number n lands in set n % sets
    lines = [
        base + way * cache.n_sets + index
        for way in range(cache.assoc)
        for index, held in enumerate(cache.sets)
        if way >= len(held)
    ][:count]
    lap = 0
    while len(lines) < count:
        first = base + (cache.assoc + lap) * cache.n_sets
        lines += range(first, first + min(cache.n_sets, count - len(lines)))
        lap += 1
    return lines


def _blocks(m: Machine, space: int, lines: list[int], fetch: bool) -> tuple:
    """Return (tlb, cache, region): the access plan of `lines` (physical line numbers) in
    `space`, cut into blocks of BLOCK bytes that are touched in a row."""
    tlb, cache = (m.itlb, m.icache) if fetch else (m.dtlb, m.dcache)
    tag, page_size, line = m.tag(space), m.profile.page_size, cache.line
    plan = []
    for number in lines:
        page = number * line // page_size
        plan.append((page % tlb.n_sets, (tag, page), number % cache.n_sets, number))
    per_block = max(1, BLOCK // line)
    return tlb, cache, Region([plan[i : i + per_block] for i in range(0, len(plan), per_block)])


class Region:
    """A program region's access plan in blocks, ready to be joined in any order of them."""

    def __init__(self, blocks: list[list[tuple]]) -> None:
        self.tlb_sets = frozenset(line[0] for block in blocks for line in block)  # any order's
        self.cache_sets = frozenset(line[2] for block in blocks for line in block)
        self.first_keys = [block[0][1] for block in blocks]
        self.last_keys = [block[-1][1] for block in blocks]
        # each block as it stands first, or after a block that ended on another page
        self.alone = [same_page_unlooked(tuple(block)) for block in blocks]
        self.after_same_page = [((t, None, c, g), *rest) for (t, _, c, g), *rest in self.alone]

    def __len__(self) -> int:
        """Return the number of blocks."""
        return len(self.alone)

    def plan(self, order: list[int]) -> Plan:
        """Return the plan of the blocks in `order`: what `Plan` of their lines returns, built
        block by block (a block's first line looks its page up unless the block before ended
        on that page)."""
        parts, last = [], None
        for i in order:
            same = last is not None and self.first_keys[i] == last
            parts.append(self.after_same_page[i] if same else self.alone[i])
            last = self.last_keys[i]
        lines = tuple(itertools.chain.from_iterable(parts))
        return Plan.joined(lines, self.tlb_sets, self.cache_sets)


def _touch(m: Machine, tlb, cache, region: Region, rng: random.Random) -> None:  # type: ignore[no-untyped-def]
    """Touch every block's lines once, the blocks in a new (seeded) order.

    Programs do not sweep their working sets in lockstep: each round visits the blocks in a new
    order, so a line's reuse distance varies as in a real program.
    """
    order = list(range(len(region)))
    rng.shuffle(order)  # the permutation depends on the length alone
    m.run_lines(tlb, cache, region.plan(order))

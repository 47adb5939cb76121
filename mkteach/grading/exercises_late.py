"""Seeded instances and model measurements for exercises 7-10, and one more check.

Exercise 7 (memory effects): the cache footprint of an IPC path, part by part, and a client whose
data meets one RPC in the cache. Exercise 8 (non-portability): TCB placement in the Pentium's
cache and the charges of address-space switches. Exercise 9 (related systems): the seven
systems' design choices and seeded R2000 parameters. Exercise 10 (conclusions): one claim
recomputed under a machine-parameter change.

Every measurement runs the model when it is called (nothing here knows an answer), and every
instance comes from `instance(seed, question)`, so each student gets a different but
reproducible one. `check_hand_cost` is `check_cost` that also recognises answers which reveal a
known misconception (`wrong=`), as `check_value` does.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from ..hw.kernels import CODE, DATA, HOT_TCB
from ..hw.machine import TRAP_SPANS, Machine
from ..hw.profiles import PROFILES, profile
from ..paper.claims import SPECS, Claim, _check_overrides, within
from ..paper.workloads import CLIENT, SERVER
from ..system import System
from .answers import _close, _now, _number, _unanswered, check_cost
from .feedback import Feedback, check_failed, finish
from .instances import instance

# -- a check: a cost by hand, with named misconceptions ---------------------------------------


def check_hand_cost(
    answer: object,
    model: Callable[[], Any] | Any,
    tolerance: float = 0.02,
    *,
    wrong: Iterable[tuple[Any, str]] = (),
    points: float = 1.0,
    unit: str = "cycles",
    clock_mhz: float | None = None,
    title: str = "",
) -> Feedback:
    """Return check_cost's feedback on a cost computed by hand, after first recognising answers
    that reveal a misconception: `wrong` lists (value or function, message) pairs; an answer
    that matches one (and not the model's cost) earns nothing and gets that message."""
    try:
        if not _unanswered(answer) and _number(answer) is not None:
            value = float(answer)  # type: ignore[arg-type]
            parts = _now(model)
            total = float(sum(parts.values()) if isinstance(parts, Mapping) else parts)
            if not _close(value, total, tolerance):
                for candidate, message in wrong:
                    target = _number(_now(candidate))
                    if target is not None and _close(value, target, tolerance):
                        return finish(0, points, [message], title)
            return check_cost(
                answer, parts, tolerance, points=points, unit=unit, clock_mhz=clock_mhz,
                title=title,
            )  # fmt: skip
        return check_cost(
            answer, model, tolerance, points=points, unit=unit, clock_mhz=clock_mhz, title=title
        )
    except Exception as e:  # a check never raises at the student
        return check_failed(e, points, title)


# -- exercise 7: memory effects ---------------------------------------------------------------

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


def footprint_instance(seed: int | str) -> dict[str, int]:
    """Return the seeded 486 parameter override for the footprint question: a cache line size."""
    return {"cache_line": instance(seed, "footprint").choice(FOOTPRINT_LINE_SIZES)}


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


MCPI_CHANGES = (
    ("cache_assoc", 2),
    ("cache_assoc", 4),
    ("cache_line", 8),
    ("cache_line", 16),
    ("cache_line", 32),
    ("cache_miss_cycles", 3),
    ("cache_miss_cycles", 4),
    ("cache_miss_cycles", 9),
    ("cache_miss_cycles", 12),
    ("cache_size", 8192),
)

MCPI_WHY = {
    "conflict": "it changes conflict misses: lines that evict each other because they must go "
    "to the same place, although the cache has room elsewhere",
    "capacity": "it changes capacity misses: the kernel's and the programs' working sets no "
    "longer fit in the cache together",
    "spatial": "each miss now brings in more (or fewer) neighbouring bytes, and the kernel's "
    "code runs straight through its lines",
    "miss_cost": "every miss costs more (or less); the number of misses stays the same",
    "tlb": "the R2000's TLB is flushed less often",
}

_WHY_OF_PARAM = {
    "cache_assoc": "conflict",
    "cache_size": "capacity",
    "cache_line": "spatial",
    "cache_miss_cycles": "miss_cost",
}

_WHY_NOT = {
    "conflict": {
        "capacity": "the cache keeps its size: everything fits as before; what changed is how "
        "many places a line may go",
        "spatial": "the line size did not change",
        "miss_cost": "a miss costs what it did: there are fewer misses",
        "tlb": "the R2000's TLB is tagged: no flushes, and MCPI counts cache misses only",
    },
    "capacity": {
        "conflict": "still direct-mapped, as before; what changed is that 8 KB is less than the "
        "Mach-style IPC's working set alone (chapter 7, §1)",
        "spatial": "the line size did not change",
        "miss_cost": "a miss costs what it did: there are more misses",
        "tlb": "the R2000's TLB is tagged: no flushes, and MCPI counts cache misses only",
    },
    "spatial": {
        "conflict": "still direct-mapped, with the same number of bytes",
        "capacity": "the cache keeps its size: the same working sets fit",
        "miss_cost": "a miss costs what it did: there are fewer (or more) of them",
        "tlb": "the R2000's TLB is tagged: no flushes, and MCPI counts cache misses only",
    },
    "miss_cost": {
        "conflict": "the cache's geometry did not change, so the same lines miss",
        "capacity": "the cache's size did not change, so the same lines miss",
        "spatial": "the line size did not change, so the same lines miss",
        "tlb": "the R2000's TLB is tagged: no flushes, and MCPI counts cache misses only",
    },
}


def mcpi_instance(seed: int | str) -> dict[str, Any]:
    """Return the seeded change of one R2000 cache parameter, as an overrides dict."""
    param, value = instance(seed, "mcpi").choice(MCPI_CHANGES)
    return {param: value}


def mcpi_why(change: Mapping[str, Any]) -> str:
    """Return the MCPI_WHY key that explains the gap's change under `change`."""
    (param,) = change
    return _WHY_OF_PARAM[param]


def mcpi_why_not(change: Mapping[str, Any]) -> dict[str, str]:
    """Return, for each wrong MCPI_WHY key under `change`, why it does not explain it."""
    return dict(_WHY_NOT[mcpi_why(change)])


# -- exercise 8: non-portability ---------------------------------------------------------------

TCB_ALIGNS = (512, 1024, 2048)


def tcb_instance(seed: int | str) -> dict[str, Any]:
    """Return the seeded TCB question: an alignment and two threads (task, number)."""
    rng = instance(seed, "tcb")
    align = rng.choice(TCB_ALIGNS)
    collide = rng.random() < 0.5  # half the instances conflict, whatever the alignment
    m = tcb_machine(align)
    a = (rng.randint(1, 12), rng.randint(0, 15))
    while True:
        b = (rng.randint(1, 12), rng.randint(0, 15))
        if b != a and tcbs_conflict(m, a, b) == collide:
            return {"align": align, "a": a, "b": b}


def tcb_machine(align: int, interleave: bool = False, machine: str = "pentium") -> Machine:
    """Return a fresh `machine` with TCBs `align` bytes apart, in the given thread-id layout."""
    return Machine(profile(machine, tcb_align=align, tcb_interleave=interleave))


def tcb_hot_sets(m: Machine, task: int, number: int) -> list[int]:
    """Return the data-cache sets of the hot lines of thread (task, number)'s TCB on machine
    `m`: its header first, then the top of its kernel stack (the model's cache decides)."""
    from ..kernel.ids import ThreadId

    spans = m.tcb_spans(ThreadId(task, number, 0), HOT_TCB)
    cache = m.dcache
    return [cache.set_index(line) for a, n in spans for line in cache.lines_of(a, n)]


def tcbs_conflict(m: Machine, a: tuple[int, int], b: tuple[int, int]) -> bool:
    """Return True when the hot lines of TCBs `a` and `b` (task, number) need more than all but
    one way of some cache set: the rule of `workloads.tcb_conflict_free` (one way stays for the
    rest of the IPC path)."""
    load = Counter(tcb_hot_sets(m, *a) + tcb_hot_sets(m, *b))
    return max(load.values()) > m.dcache.assoc - 1


def switch_instance(seed: int | str) -> int:
    """Return the seeded number of pages the working set touches after a switch."""
    return instance(seed, "switch").randint(4, 28)


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
    m.charge("trap_exit", m.profile.trap_exit_cycles)
    for page in range(pages):
        m.user_access(2, page, 64 + page, 0, False)
    got = dict(m.take_costs())
    return {c: got[c] for c in ("as_switch", "trap_exit", "tlb_miss") if got.get(c)}


def layout_instance(seed: int | str) -> dict[str, int]:
    """Return the seeded thread-id layout question: a task and how many tasks there are."""
    rng = instance(seed, "layout")
    tasks = rng.choice((8, 12, 16, 20))
    return {"task": rng.randint(1, tasks), "tasks": tasks}


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


# -- exercise 9: related systems ---------------------------------------------------------------

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

SYSTEM_DESIGN = {
    "Synthesis": "codegen",
    "Spin": "extensions",
    "Utah Mach": "migrating",
    "DP-Mach": "domains",
    "Panda": "interrupts_only",
    "Cache Kernel": "cached_objects",
    "Exokernel": "primitives",
}

DESIGN_OWNER = {
    "codegen": "that was Synthesis's choice (the paper: its gain is lost to cache effects)",
    "extensions": "that was Spin's choice (Modula-3 extensions in the kernel)",
    "migrating": "that was Utah Mach's choice (migrating-thread RPC, 3-4x over Mach's IPC)",
    "domains": "that was DP-Mach's choice (domains in one space, about 2x slower than a good RPC)",
    "interrupts_only": "that was Panda's choice (its kernel handles interrupts and exceptions)",
    "cached_objects": "that was the Cache Kernel's choice (kernel objects cached from user level)",
    "primitives": "that was the Exokernel's choice (primitives, not abstractions)",
    "small_spaces": "that is the µ-kernel's own answer to DP-Mach (chapter 6), not another "
    "system's choice",
    "direct_switch": "that is L3's own answer to Utah's migrating threads, not another "
    "system's choice",
    "few_abstractions": "that is L3's own position, its answer to the Exokernel",
}


def matching_instance(seed: int | str) -> list[str]:
    """Return the seeded four systems (in the paper's order) a student matches to choices."""
    chosen = set(instance(seed, "matching").sample(SYSTEMS, 4))
    return [name for name in SYSTEMS if name in chosen]


def exo_instance(seed: int | str) -> dict[str, Any]:
    """Return seeded R2000 overrides (trap entry and exit, cycles per kernel instruction)."""
    rng = instance(seed, "exokernel")
    return {
        "trap_enter_cycles": rng.randint(8, 12),
        "trap_exit_cycles": rng.randint(6, 9),
        "cpi": rng.choice([1.0, 1.2, 1.3, 1.5, 2.0]),
    }


CROSSING = ("trap", "as_switch", "small_space", "tlb_miss")
CROSSING_MACHINES = tuple(name for name in PROFILES if name != "i486")


def crossing_instance(seed: int | str) -> str:
    """Return the seeded processor of the crossing question (any profile but the 486)."""
    return instance(seed, "crossing").choice(CROSSING_MACHINES)


# -- exercise 10: conclusions ------------------------------------------------------------------

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
    "r2000_cache_miss": ({"r2000": {"cache_miss_cycles": 12}}, "r2000: cache_miss_cycles 6 -> 12"),
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
        "tcb.conflict_free.pentium_1k": "pentium",
        "tcb.conflict_free.pentium_4k": "pentium",
        "tcb.conflict_free.pentium": "pentium",
        "memory.mcpi_gap.mach_vs_l3": "r2000",
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
    overrides = _check_overrides(machine_overrides)
    spec = next(s for s in SPECS if s.id == claim_id)
    model = spec.measure(overrides)
    holds = within(model, spec.paper, spec.tolerance)
    return Claim(spec.id, spec.section, spec.statement, spec.paper, model, spec.unit,
                         spec.tolerance, holds, spec.source, spec.note)  # fmt: skip


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

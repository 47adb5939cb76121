"""The machine: the one door through which every hardware effect is charged in cycles.

The kernel and executor never add cycles themselves: they tell the machine what happened
(a kernel entry on a named kernel path, an address-space switch, a message transfer between two
threads, a user memory access, a page-table update) and the machine runs it through its models
(TLBs, caches, segment registers, the kernel variant's paths) and charges what that costs on its
profile, recording each charge with its cause: trap, instructions, tlb_miss, cache_miss,
as_switch, small_space, memory, copy, idle.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..errors import InvalidArgument
from .cache import Cache, fully_associative, infinite
from .costs import Cause
from .kernels import (
    BUFFERS,
    CODE,
    DATA,
    DESCRIPTORS,
    TRAP_REFS,
    KernelVariant,
    Path,
    tcb_address,
    variant,
)
from .log import ChangeLog, Touched, Units
from .profiles import Profile
from .techniques import EXTRA_WORK, MESSAGE_BUFFERS, Extra, check_techniques
from .tlb import TLB

KERNEL_TAG = -1  # TLB tag of kernel pages (mapped in every space)
TRAP_SPANS = tuple((DESCRIPTORS + offset, size) for offset, size in TRAP_REFS)
SHARED_TAG = 0  # TLB tag every large space uses on an untagged TLB


def same_page_unlooked(lines: tuple) -> tuple:
    """Return `lines` (TLB set, TLB key, cache set, tag) with the key of every line on the page
    of the line before it made None: it translates through the entry that line just used."""
    return tuple(
        (tidx, None if i and key == lines[i - 1][1] else key, cidx, tag)
        for i, (tidx, key, cidx, tag) in enumerate(lines)
    )


class Plan(tuple):
    """An access plan: per line (TLB set, TLB key, cache set, line tag) in the order the bytes
    are touched, and the sets it touches: `tlb_sets` (where it translates) and `cache_sets`.

    A line on the page of the line before it translates through the TLB entry that line has
    just made the most recent: a hit that changes nothing. Its key is None in the plan (no
    lookup), as for lines kernel space does not translate at all; `Machine.run_lines` still
    counts it as a translated line that hit.
    """

    def __new__(cls, lines: Iterable[tuple]) -> Plan:
        """Return the plan of `lines`, with the TLB and cache sets they touch."""
        lines = tuple(lines)
        plan = super().__new__(cls, same_page_unlooked(lines))
        plan.tlb_sets = frozenset(t for t, key, _, _ in lines if key is not None)
        plan.cache_sets = frozenset(c for _, _, c, _ in lines)
        return plan

    @classmethod
    def joined(cls, lines: tuple, tlb_sets: frozenset, cache_sets: frozenset) -> Plan:
        """Return the plan of `lines` already in plan form (a same-page successor's key None),
        which touch exactly `tlb_sets` and `cache_sets`: no pass over the lines."""
        plan = super().__new__(cls, lines)
        plan.tlb_sets, plan.cache_sets = tlb_sets, cache_sets
        return plan


class Machine:
    """A processor with its TLBs and caches, running one kernel variant, charging cycles."""

    def __init__(self, profile: Profile, kernel: str = "l3", techniques: object = None) -> None:
        p = self.profile = profile
        self.variant: KernelVariant = variant(kernel)
        self.techniques = technique_settings(self.variant, techniques)
        self.extras = extra_work(self.variant, self.techniques)
        self.dtlb = TLB(p.tlb_entries, p.tlb_assoc, "dtlb" if p.itlb_entries else "tlb")
        self.itlb = (
            TLB(p.itlb_entries, min(p.tlb_assoc, p.itlb_entries), "itlb")
            if p.itlb_entries
            else self.dtlb
        )
        self.dcache = Cache(
            p.cache_size, p.cache_assoc, p.cache_line, "dcache" if p.split_cache else "cache"
        )
        self.icache = (
            Cache(p.cache_size, p.cache_assoc, p.cache_line, "icache")
            if p.split_cache
            else self.dcache
        )
        self.units: dict[str, TLB | Cache] = {}  # by name; a unified TLB or cache appears once
        for unit in (self.itlb, self.dtlb, self.icache, self.dcache):
            self.units.setdefault(unit.name, unit)
        self.small: set[int] = set()
        self.current_space: int | None = None
        self.loaded_large: int | None = None  # whose page table the MMU holds
        self._costs: dict[Cause, int] = {}  # the current step's cycles by cause, in charge order
        self._plans: dict[tuple, tuple] = {}  # access plans of kernel paths (see `plan`)
        self._keep: list[tuple] = []

    def model_caches(self, kind: str) -> None:
        """Replace the first-level caches by `kind` models of the same size and line, empty.

        kind: "real" (the profile's geometry), "fully_associative" (LRU, one set) or "infinite"
        (never evicts): the three machines of the three-C split (compulsory, capacity, conflict).
        Call it before the machine runs anything.
        """
        p = self.profile
        makers = {
            "real": lambda name: Cache(p.cache_size, p.cache_assoc, p.cache_line, name),
            "fully_associative": lambda name: fully_associative(p.cache_size, p.cache_line, name),
            "infinite": lambda name: infinite(p.cache_line, name),
        }
        if kind not in makers:
            raise InvalidArgument(
                f"unknown cache model {kind!r}: choose one of {', '.join(makers)}"
            )
        self.dcache = makers[kind](self.dcache.name)
        self.icache = makers[kind]("icache") if p.split_cache else self.dcache
        self.units = {}
        for unit in (self.itlb, self.dtlb, self.icache, self.dcache):
            self.units.setdefault(unit.name, unit)
        self._plans.clear()

    # -- accounting -----------------------------------------------------------------------------

    def charge(self, cause: Cause, cycles: float) -> None:
        """Add `cycles` (rounded) to what `cause` cost in the current step."""
        if cycles:
            self._costs[cause] = self._costs.get(cause, 0) + round(cycles)

    def take_costs(self) -> tuple[tuple[Cause, int], ...]:
        """Return the step's charges, merged by cause in order of first charge, and clear them."""
        costs, self._costs = tuple(self._costs.items()), {}
        return costs

    # -- address spaces -------------------------------------------------------------------------

    def make_small(self, space_id: int) -> None:
        """Run space `space_id` as a small space (a segment inside every large space).

        A machine without segment registers has no small spaces: the space stays an ordinary one.
        """
        if self.profile.segment_switch_cycles is not None:
            self.small.add(space_id)

    def tag(self, space_id: int) -> int:
        """Return the TLB tag of user pages of `space_id` on this machine."""
        if self.profile.tlb_tagged or space_id in self.small:
            return space_id + 1  # tagged, or a small space at its own linear addresses
        return SHARED_TAG

    def switch_space(self, space_id: int) -> None:
        """Make `space_id` current, charging the switch the hardware needs (maybe a TLB flush)."""
        previous, self.current_space = self.current_space, space_id
        if previous is None or previous == space_id:
            if self.loaded_large is None and space_id not in self.small:
                self.loaded_large = space_id
            return
        p = self.profile
        if space_id in self.small or (space_id == self.loaded_large and previous in self.small):
            if p.segment_switch_cycles is not None:
                self.charge(Cause.AS_SWITCH, p.segment_switch_cycles)
                self.charge(Cause.SMALL_SPACE, p.small_space_extra_cycles)
                return
        self.charge(Cause.AS_SWITCH, p.as_switch_cycles)
        if space_id not in self.small:
            if not p.tlb_tagged and self.loaded_large != space_id:
                self.flush_tlbs()
            self.loaded_large = space_id

    def flush_tlbs(self) -> None:
        """Flush the TLB(s): the cost shows up as the misses that refill them."""
        self.dtlb.flush()
        if self.itlb is not self.dtlb:
            self.itlb.flush()

    # -- kernel paths ---------------------------------------------------------------------------

    def kernel_entry(self, thread: Any, path: str) -> None:
        """Charge entering and leaving the kernel for `thread` and running kernel `path`."""
        p = self.profile
        self.charge(Cause.TRAP, p.trap_enter_cycles + p.trap_exit_cycles)
        self.run_lines(self.dtlb, self.dcache, self.plan(TRAP_SPANS))
        self.run_path(self.variant.paths[path], thread)

    def ipc_entry(self, thread: Any, kind: str) -> None:
        """Charge the kernel entries of IPC operation `kind`: one, or two for call and
        reply_and_wait when the kernel has no combined send-and-receive call."""
        self.kernel_entry(thread, "ipc")
        if kind in ("call", "reply_and_wait") and not self.techniques["combined_call"]:
            self.kernel_entry(thread, "ipc")

    def run_path(self, path: Path, thread: Any = None) -> None:
        """Execute `path` for `thread`: instructions, code fetches, data and TCB accesses."""
        self.charge(Cause.INSTRUCTIONS, path.instructions * self.profile.cpi)
        code, data = self.path_plans(path)
        self.run_lines(self.itlb, self.icache, code)
        self.run_lines(self.dtlb, self.dcache, data)
        if thread is not None and not thread.is_interrupt:
            self.run_lines(self.dtlb, self.dcache, self.tcb_plan(thread, path.tcb))

    def tcb_spans(self, thread: Any, spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
        """Return absolute (address, size) spans of `spans` inside `thread`'s TCB."""
        align = self.profile.tcb_align
        base = tcb_address(thread.task, thread.number, align, self.profile.tcb_interleave)
        return [(base + (off if off >= 0 else align + off), size) for off, size in spans]

    def fetch_code(self, address: int, size: int) -> None:
        """Fetch kernel code bytes through the instruction TLB and cache."""
        self.run_lines(
            self.itlb, self.icache, self.lines(self.itlb, self.icache, [(address, size)])
        )

    def touch_data(self, spans: Iterable[tuple[int, int]]) -> None:
        """Read or write kernel data bytes through the data TLB and cache."""
        self.run_lines(self.dtlb, self.dcache, self.lines(self.dtlb, self.dcache, spans))

    # -- access plans: where each line of a kernel path goes in the TLB and the cache --------------

    def lines(self, tlb: TLB, cache: Cache, spans: Iterable[tuple[int, int]]) -> Plan:
        """Return the access plan of `spans`: per line, (TLB set, TLB key, cache set, line tag).

        Lines are in the order the bytes are touched; the TLB key is None where kernel space
        bypasses the TLB (MIPS kseg0), or where the line before is on the same page (`Plan`).
        """
        p = self.profile
        plan = []
        for address, size in spans:
            for line in cache.lines_of(address, size):
                page = line // p.page_size
                key = None if p.kernel_unmapped else (KERNEL_TAG, page)
                tag = line // cache.line
                plan.append((page % tlb.n_sets, key, tag % cache.n_sets, tag))
        return Plan(plan)

    def plan(self, spans: tuple[tuple[int, int], ...]) -> Plan:
        """Return the (cached) access plan of fixed kernel data `spans` (absolute addresses)."""
        key = (id(spans), "data")
        plan = self._plans.get(key)
        if plan is None:
            plan = self._plans[key] = self.lines(self.dtlb, self.dcache, spans)
            self._keep.append(spans)  # the id stays this tuple's as long as the machine lives
        return plan

    def path_plans(self, path: Any) -> tuple[Plan, Plan]:
        """Return the (cached) access plans of a kernel path's code and data (Path or Extra)."""
        key = (id(path), "path")
        plans = self._plans.get(key)
        if plans is None:
            code = self.lines(self.itlb, self.icache, [(CODE + path.code[0], path.code[1])])
            data = self.lines(self.dtlb, self.dcache, [(DATA + o, n) for o, n in path.data])
            plans = self._plans[key] = (code, data)
            self._keep.append(path)
        return plans

    def tcb_plan(self, thread: Any, spans: tuple[tuple[int, int], ...]) -> Plan:
        """Return the (cached) access plan of `spans` inside `thread`'s TCB."""
        key = (id(spans), thread.task, thread.number)
        plan = self._plans.get(key)
        if plan is None:
            plan = self.lines(self.dtlb, self.dcache, self.tcb_spans(thread, spans))
            self._plans[key] = plan
            self._keep.append(spans)
        return plan

    def run_lines(self, tlb: TLB, cache: Cache, plan: Plan) -> None:
        """Access kernel memory line by line as `plan` says: translate each line through `tlb`,
        then read it through `cache` (both LRU), charging every miss.

        The hottest loop of the full model (about 25 lines per IPC): it does the TLB's and the
        cache's lookups inline, and charges misses once per cause, in the order they first
        occurred, which is what charging each miss as it happens would record.
        """
        tlb.dirty |= plan.tlb_sets
        cache.dirty |= plan.cache_sets
        tsets, tassoc = tlb.sets, tlb.assoc
        csets, cassoc = cache.sets, cache.assoc
        tlb_misses = cache_misses = 0
        first = None
        for tidx, tkey, cidx, tag in plan:
            if tkey is not None:
                entries = tsets[tidx]
                if tkey in entries:
                    entries.move_to_end(tkey)
                else:
                    tlb_misses += 1
                    first = first or Cause.TLB_MISS
                    if len(entries) >= tassoc:
                        entries.popitem(last=False)
                    entries[tkey] = None
            lines = csets[cidx]
            if tag in lines:
                lines.move_to_end(tag)
            else:
                cache_misses += 1
                first = first or Cause.CACHE_MISS
                if len(lines) >= cassoc:
                    lines.popitem(last=False)
                lines[tag] = None
        translated = 0 if self.profile.kernel_unmapped else len(plan)
        tlb.hits += translated - tlb_misses
        tlb.misses += tlb_misses
        cache.hits += len(plan) - cache_misses
        cache.misses += cache_misses
        if first is None:
            return
        p = self.profile
        charges = {Cause.TLB_MISS: tlb_misses * p.tlb_miss_cycles,
                   Cause.CACHE_MISS: cache_misses * p.cache_miss_cycles}  # fmt: skip
        later = Cause.CACHE_MISS if first == Cause.TLB_MISS else Cause.TLB_MISS
        self.charge(first, charges[first])
        self.charge(later, charges[later])

    def miss_if(self, missed: bool) -> None:
        """Charge a cache miss when `missed`."""
        if missed:
            self.charge(Cause.CACHE_MISS, self.profile.cache_miss_cycles)

    # -- what the kernel reports ------------------------------------------------------------------

    def transfer(self, sender: Any, receiver: Any, words: int, string_bytes: int) -> None:
        """Charge moving a message from sender to receiver: the receiver's TCB, string copies."""
        self.run_path(self.variant.paths["transfer"], receiver)
        for extra in self.extras:
            self.run_extra(extra, sender, receiver, words)
        if string_bytes:
            copies = self.variant.copies
            self.charge(Cause.COPY, copies * (string_bytes // 4) * self.profile.cpi)
            for thread in (sender, receiver):
                base = BUFFERS + (thread.task * 16 + thread.number) % 256 * 0x10000
                for _ in range(copies):
                    self.touch_data([(base, string_bytes)])

    def run_extra(self, extra: Extra, sender: Any, receiver: Any, words: int) -> None:
        """Execute the extra work of a technique that is off, for one message transfer."""
        self.charge(
            Cause.INSTRUCTIONS, (extra.instructions + extra.per_word * words) * self.profile.cpi
        )
        code, data = self.path_plans(extra)
        self.run_lines(self.itlb, self.icache, code)
        self.run_lines(self.dtlb, self.dcache, data)
        for role in extra.threads:
            thread = sender if role == "sender" else receiver
            if not thread.is_interrupt:
                self.run_lines(self.dtlb, self.dcache, self.tcb_plan(thread, extra.tcb))
        if extra.buffer:
            size = 8 + 4 * words  # a message descriptor and the words
            for thread in (sender, receiver):
                slot = (thread.task * 16 + thread.number) % 256
                self.touch_data([(DATA + MESSAGE_BUFFERS + slot * 256, size)])

    def user_access(self, space_id: int, page: int, frame: int, offset: int, write: bool,
                    fetch: bool = False) -> None:  # fmt: skip
        """Charge a user load, store (or instruction fetch) that the MMU translated."""
        tlb, cache = (self.itlb, self.icache) if fetch else (self.dtlb, self.dcache)
        if not tlb.lookup(self.tag(space_id), page):
            self.charge(Cause.TLB_MISS, self.profile.tlb_miss_cycles)
        self.miss_if(not cache.access(frame * self.profile.page_size + offset))
        self.charge(Cause.MEMORY, self.profile.memory_access_cycles)

    def page_table_update(self, space_id: int, page: int, kind: str) -> None:
        """Charge a page-table change and drop a stale TLB entry ("map", "unmap", "protect")."""
        path = "map_page" if kind == "map" else "unmap_page"
        self.run_path(self.variant.paths[path])
        if kind != "map" and (self.tag(space_id) != SHARED_TAG or space_id == self.loaded_large):
            self.dtlb.invalidate(self.tag(space_id), page)
            if self.itlb is not self.dtlb:
                self.itlb.invalidate(self.tag(space_id), page)

    def structures(self) -> dict[str, TLB | Cache]:
        """Return the machine's TLBs and caches by name (a unified one appears once)."""
        return dict(self.units)

    def change_log(self) -> ChangeLog:
        """Return an empty log for this machine's per-step TLB and cache changes."""
        return ChangeLog(list(self.units))

    def take_state_changes(self) -> tuple[Touched, tuple[tuple[int, int], ...]]:
        """Return what the TLBs and caches touched since the last call, and their counters.

        (touched, counters): touched is ((unit index, set index, contents), ...) for every set
        accessed, counters (hits, misses) per unit: enough to rebuild the hardware after any
        step (the executor keeps one per step in the `change_log`).
        """
        touched = []
        for u, unit in enumerate(self.units.values()):
            sets = unit.sets
            touched += [(u, index, tuple(sets[index])) for index in sorted(unit.dirty)]
            unit.dirty.clear()
        counters = tuple((unit.hits, unit.misses) for unit in self.units.values())
        return tuple(touched), counters

    def hardware_state(self) -> Units:
        """Return a copy of every unit's contents and counters (a checkpoint)."""
        return {name: {"sets": [tuple(s) for s in unit.sets], "hits": unit.hits,
                       "misses": unit.misses} for name, unit in self.units.items()}  # fmt: skip

    def idle(self, cycles: int) -> None:
        """Charge time that passes while every thread waits (skipped to the next timeout)."""
        self.charge(Cause.IDLE, cycles)


def technique_settings(kernel: KernelVariant, techniques: object) -> dict[str, bool]:
    """Return `kernel`'s technique settings with `techniques` ({name: bool}) applied."""
    return check_techniques(techniques, kernel.techniques, kernel.name, kernel.fixed)


def extra_work(kernel: KernelVariant, settings: dict[str, bool]) -> tuple[Extra, ...]:
    """Return the extra work per message of the techniques switched off in `kernel`.

    A technique that `kernel`'s paths describe whole adds nothing: its cost is in them already.
    """
    return tuple(
        EXTRA_WORK[name]
        for name, on in settings.items()
        if not on and name in EXTRA_WORK and name not in kernel.fixed
    )

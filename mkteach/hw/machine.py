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

from .cache import Cache
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
        self._costs: dict[str, int] = {}  # the current step's cycles by cause, in charge order

    # -- accounting -----------------------------------------------------------------------------

    def charge(self, cause: str, cycles: float) -> None:
        """Add `cycles` (rounded) to what `cause` cost in the current step."""
        if cycles:
            self._costs[cause] = self._costs.get(cause, 0) + round(cycles)

    def take_costs(self) -> tuple[tuple[str, int], ...]:
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
                self.charge("as_switch", p.segment_switch_cycles)
                self.charge("small_space", p.small_space_extra_cycles)
                return
        self.charge("as_switch", p.as_switch_cycles)
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
        self.charge("trap", p.trap_enter_cycles + p.trap_exit_cycles)
        self.touch_data(TRAP_SPANS)
        self.run_path(self.variant.paths[path], thread)

    def ipc_entry(self, thread: Any, kind: str) -> None:
        """Charge the kernel entries of IPC operation `kind`: one, or two for call and
        reply_and_wait when the kernel has no combined send-and-receive call."""
        self.kernel_entry(thread, "ipc")
        if kind in ("call", "reply_and_wait") and not self.techniques["combined_call"]:
            self.kernel_entry(thread, "ipc")

    def run_path(self, path: Path, thread: Any = None) -> None:
        """Execute `path` for `thread`: instructions, code fetches, data and TCB accesses."""
        self.charge("instructions", path.instructions * self.profile.cpi)
        self.fetch_code(CODE + path.code[0], path.code[1])
        self.touch_data((DATA + off, size) for off, size in path.data)
        if thread is not None and not thread.is_interrupt:
            self.touch_data(self.tcb_spans(thread, path.tcb))

    def tcb_spans(self, thread: Any, spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
        """Return absolute (address, size) spans of `spans` inside `thread`'s TCB."""
        align = self.profile.tcb_align
        base = tcb_address(thread.task, thread.number, align, self.profile.tcb_interleave)
        return [(base + (off if off >= 0 else align + off), size) for off, size in spans]

    def fetch_code(self, address: int, size: int) -> None:
        """Fetch kernel code bytes through the instruction TLB and cache."""
        self.kernel_lines(self.itlb, self.icache, self.icache.lines_of(address, size))

    def touch_data(self, spans: Iterable[tuple[int, int]]) -> None:
        """Read or write kernel data bytes through the data TLB and cache."""
        for address, size in spans:
            self.kernel_lines(self.dtlb, self.dcache, self.dcache.lines_of(address, size))

    def kernel_lines(self, tlb: TLB, cache: Cache, lines: Iterable[int]) -> None:
        """Access kernel memory line by line: translate each line through `tlb` (unless kernel
        space bypasses the TLB), then read it through `cache`, charging every miss."""
        p = self.profile
        translate = not p.kernel_unmapped
        for line in lines:  # the hottest loop of the full model: about 25 lines per IPC
            if translate and not tlb.lookup(KERNEL_TAG, line // p.page_size):
                self.charge("tlb_miss", p.tlb_miss_cycles)
            if not cache.access(line):
                self.charge("cache_miss", p.cache_miss_cycles)

    def miss_if(self, missed: bool) -> None:
        """Charge a cache miss when `missed`."""
        if missed:
            self.charge("cache_miss", self.profile.cache_miss_cycles)

    # -- what the kernel reports ------------------------------------------------------------------

    def transfer(self, sender: Any, receiver: Any, words: int, string_bytes: int) -> None:
        """Charge moving a message from sender to receiver: the receiver's TCB, string copies."""
        self.run_path(self.variant.paths["transfer"], receiver)
        for extra in self.extras:
            self.run_extra(extra, sender, receiver, words)
        if string_bytes:
            copies = self.variant.copies
            self.charge("copy", copies * (string_bytes // 4) * self.profile.cpi)
            for thread in (sender, receiver):
                base = BUFFERS + (thread.task * 16 + thread.number) % 256 * 0x10000
                for _ in range(copies):
                    self.touch_data([(base, string_bytes)])

    def run_extra(self, extra: Extra, sender: Any, receiver: Any, words: int) -> None:
        """Execute the extra work of a technique that is off, for one message transfer."""
        self.charge(
            "instructions", (extra.instructions + extra.per_word * words) * self.profile.cpi
        )
        self.fetch_code(CODE + extra.code[0], extra.code[1])
        self.touch_data((DATA + off, size) for off, size in extra.data)
        for role in extra.threads:
            thread = sender if role == "sender" else receiver
            if not thread.is_interrupt:
                self.touch_data(self.tcb_spans(thread, extra.tcb))
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
            self.charge("tlb_miss", self.profile.tlb_miss_cycles)
        self.miss_if(not cache.access(frame * self.profile.page_size + offset))
        self.charge("memory", self.profile.memory_access_cycles)

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
            for index, contents in unit.take_changes().items():
                touched.append((u, index, contents))
        counters = tuple((unit.hits, unit.misses) for unit in self.units.values())
        return tuple(touched), counters

    def hardware_state(self) -> Units:
        """Return a copy of every unit's contents and counters (a checkpoint)."""
        return {name: {"sets": [tuple(s) for s in unit.sets], "hits": unit.hits,
                       "misses": unit.misses} for name, unit in self.units.items()}  # fmt: skip

    def idle(self, cycles: int) -> None:
        """Charge time that passes while every thread waits (skipped to the next timeout)."""
        self.charge("idle", cycles)


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

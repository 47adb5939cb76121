"""Lab "small_spaces": the kernel's policy that places address spaces in small-space slots.

On the 486 and Pentium (paper §4.1, §5) a small address space is a segment inside every large
space: switching to or from it reloads segment registers (15 cycles on the Pentium) instead of
flushing the TLB. The small spaces live in one region of every large space, cut into slots; a
space fits in a slot only while everything it maps lies inside it. The model's machine knows
*that* a space is small; in this lab the student writes the policy that decides *which* spaces
are small, where each one goes, and when a space that grew must leave its slot (promotion to a
large space):

    def small_spaces(space, extent, slots, region):
        '''Return the slot (start, size) for `space`, or None to run it as a large space.'''

- space: the name of the space the kernel asks about (when it first runs, and whenever a page
  is mapped into it at or beyond its extent);
- extent: the pages the space spans now (its highest mapped page + 1; 0 when nothing is mapped);
- slots: {name: (start, size)} of every small space placed now (this one's too, if placed);
- region: the size of the small-space region in pages: slots lie in 0 <= start < region.
A slot is legal when size is a power of two of at least MIN_SLOT pages, start is a multiple of
size, start + size <= region, extent <= size (the segment covers every page the space maps)
and it overlaps no other space's slot. The kernel refuses an illegal slot (the space would
reach into another, or past its segment's limit) and runs the space large instead.
Semantics never change; only cycles do: the lab is judged on a workload's cycles.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from .core import REFUSED

MIN_SLOT = 256  # pages: 1 MB, the smallest small space of the paper's example split
REGION = 4096  # pages (16 MB) in the scenarios: room for a few small spaces, not for all
SIGNATURE = "small_spaces(space, extent, slots, region) -> (start, size) or None"


def small_spaces(space: str, extent: int, slots: dict, region: int) -> tuple[int, int] | None:
    """Return the smallest slot that holds `extent` at the lowest free start, keeping the
    space's own slot while it still fits; None (a large space) when no slot is free (reference)."""
    own = slots.get(space)
    if own is not None and extent <= own[1]:
        return own
    size = MIN_SLOT
    while size < extent:
        size *= 2
    others = [slot for name, slot in slots.items() if name != space]
    for start in range(0, region - size + 1, size):
        if all(start + size <= s or s + n <= start for s, n in others):
            return (start, size)
    return None


def illegal(space: str, extent: int, slots: dict, region: int, answer: Any) -> str:
    """Return why `answer` is not a legal slot for `space` ('' when it is, or is None)."""
    if answer is None:
        return ""
    if not (isinstance(answer, list | tuple) and len(answer) == 2
            and all(type(x) is int for x in answer)):  # fmt: skip
        return f"it returned {answer!r:.60}: a slot is (start, size) in pages, or None"
    start, size = answer
    if size < MIN_SLOT or size & (size - 1):
        return f"size {size} is not a power of two of at least {MIN_SLOT} pages"
    if start % size or start < 0:
        return f"start {start} is not a multiple of the slot's size {size} (segments are aligned)"
    if start + size > region:
        return f"slot ({start}, {size}) reaches past the region's {region} pages"
    if extent > size:
        return (
            f"{space} spans {extent} pages, more than its slot's {size}: its pages beyond "
            "the segment's limit would fault (it must grow to a larger slot or go large)"
        )
    for name, (s, n) in slots.items():
        if name != space and start < s + n and s < start + size:
            return (
                f"slot ({start}, {size}) overlaps {name}'s slot ({s}, {n}): {space} could "
                f"read and write {name}'s memory"
            )
    return ""


# -- the hook: the machine asks the policy ------------------------------------------------------


class Placement:
    """The slots of the small spaces of one System, kept by the policy's answers."""

    def __init__(self, installed: Any, machine: Any, fn: Callable[..., Any], region: int) -> None:
        self.installed, self.machine, self.fn, self.region = installed, machine, fn, region
        self.slots: dict[str, tuple[int, int]] = {}
        self.extent: dict[int, int] = {}  # space id -> pages spanned
        self.asked: set[int] = set()  # the spaces the policy has placed at least once
        self.make_small = machine.make_small  # the machine's own (before install hides it)

    def ask(self, space_id: int) -> None:
        """Ask the policy where space `space_id` goes now, and make it small or large."""
        name = self.installed.system.kernel.space_by_id[space_id].name
        extent = self.extent.get(space_id, 0)
        self.asked.add(space_id)
        args = (name, extent, dict(self.slots), self.region)
        answer = self.installed.ask("small_spaces", self.fn, args, lambda a: illegal(*args, a))
        expected = small_spaces(*args)
        if answer is REFUSED:
            answer = expected  # refused: the kernel's own policy decides
        elif (None if answer is None else tuple(answer)) != expected:
            self.installed.differs("small_spaces", args, answer, expected)
        self.place(name, space_id, None if answer is None else tuple(answer))

    def place(self, name: str, space_id: int, slot: tuple[int, int] | None) -> None:
        """Put the space in `slot` (small) or make it large, flushing its small translations."""
        was_small = space_id in self.machine.small
        if slot is None:
            self.slots.pop(name, None)
            self.machine.small.discard(space_id)
            if was_small:
                self.machine.flush_tlbs()  # its linear addresses change: purge its entries
            return
        self.slots[name] = slot
        self.make_small(space_id)


def install(installed: Any, machine: Any, fn: Callable[..., Any], region: int = REGION) -> None:
    """Make `machine` ask `fn` which spaces are small: at a space's first run and when a page
    is mapped at or beyond its extent (two indirections, on the machine instance)."""
    if not hasattr(machine, "small"):
        return  # a NullMachine: no segments, no costs, nothing to place
    placement = Placement(installed, machine, fn, region)
    installed.placement = placement
    for space in installed.system.kernel.spaces.values():  # installed on a built system
        if space.id != 0 and space.pages:
            placement.extent[space.id] = max(space.pages) + 1
    machine.small.clear()
    own_switch, own_update = machine.switch_space, machine.page_table_update

    def switch_space(space_id: int) -> None:
        if space_id != 0 and space_id not in placement.asked:
            placement.ask(space_id)
        own_switch(space_id)

    def page_table_update(space_id: int, page: int, kind: str) -> None:
        own_update(space_id, page, kind)
        if kind == "map" and space_id != 0 and page >= placement.extent.get(space_id, 0):
            placement.extent[space_id] = page + 1
            placement.ask(space_id)

    machine.switch_space = switch_space
    machine.make_small = lambda space_id: None  # create_space(small=True): the policy decides
    machine.page_table_update = page_table_update


# -- scenarios ----------------------------------------------------------------------------------


def client(t, server, rounds, addresses):  # type: ignore[no-untyped-def]
    """Call `server` `rounds` times, storing to each of `addresses` between calls."""
    for n in range(rounds):
        for address in addresses:
            yield t.store(address, n)
        yield t.call(server, words=(n,))


def server(t):  # type: ignore[no-untyped-def]
    """Answer every call with the word it got, plus one."""
    msg = yield t.wait()
    while True:
        msg = yield t.reply_and_wait(msg.sender, words=(msg.words[0] + 1,))


def workload(seed: int) -> dict[str, Any]:
    """Return a seeded workload: spaces with the pages they map first and later, and rounds."""
    rng = random.Random(seed)
    count = rng.randrange(4, 7)
    spaces = {}
    for i in range(count):
        kind = rng.random()
        if kind < 0.5:
            first = rng.randrange(1, 200)  # fits the smallest slot
        elif kind < 0.85:
            first = rng.randrange(300, 1500)  # needs a larger slot
        else:
            first = rng.randrange(5000, 9000)  # larger than the region: a large space
        later = first + rng.randrange(100, 900) if rng.random() < 0.4 else None
        spaces[f"S{i}"] = (first, later)
    return {"spaces": spaces, "rounds": rng.randrange(4, 8), "later_rounds": rng.randrange(3, 6)}


def build(seed: int, mechanisms: dict | None, system: Any) -> Any:
    """Return the System of scenario `seed` (Pentium), set up and run: pairs of spaces call
    each other; some spaces then grow and they call again."""
    w = workload(seed)
    s = system(machine="pentium", frames=64, seed=seed, mechanisms=mechanisms)
    if s.mechanisms is not None:  # the region's size varies from scenario to scenario
        s.mechanisms.placement.region = random.Random(seed).choice((2048, REGION, REGION, 8192))
    names = list(w["spaces"])
    for i, name in enumerate(names):
        s.create_space(name)
        s.map(s.sigma0, 8 + i, name, w["spaces"][name][0])
    servers = {}
    for i, name in enumerate(names):
        if i % 2:
            servers[name] = s.create_thread(name, server, name=f"server{i}")
    for i, name in enumerate(names):
        if i % 2 == 0 and i + 1 < len(names):
            page = w["spaces"][name][0]
            target = servers[names[i + 1]]
            s.create_thread(name, client, target, w["rounds"], [page * 4096], name=f"client{i}")
    s.run(max_steps=2_000)
    for i, name in enumerate(names):
        later = w["spaces"][name][1]
        if later is not None:
            s.map(s.sigma0, 32 + i, name, later)
    for i, name in enumerate(names):
        if i % 2 == 0 and i + 1 < len(names):
            addresses = [p * 4096 for p in w["spaces"][name] if p is not None]
            target = servers[names[i + 1]]
            s.create_thread(name, client, target, w["later_rounds"], addresses, name=f"again{i}")
    s.run(max_steps=2_000)
    return s

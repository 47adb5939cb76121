"""Memory-management scenarios (§3): user-level pagers built on map, grant and flush.

The memory managers here hold their part of σ0 at the same page numbers as the frames (σ0 maps
page v to frame v, and a manager receives σ0's pages v.. at its pages v..), so a manager knows
the frame behind each of its pages.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..programs import file_pager, memory_pager, reader
from ..system import System

if TYPE_CHECKING:
    from ..kernel.mapdb import AddressSpace

PAGE = 4096


def give_region(s: System, space: AddressSpace | str, first: int, order: int) -> None:
    """Map σ0's 2**order frames from `first` to `space`'s pages of the same numbers."""
    s.map(s.sigma0, first, space, first, order=order)


# -- stacked pagers (memory_pager, file_pager and reader are in mkteach.programs) ------------------


def stacked_pagers(seed: int = 0, machine: str = "i486", pages: int = 4) -> System:
    """Stacked pagers: an application's file pager gets its memory from a main-memory pager.

    App's faults go to Files (a file pager), whose own faults go to Memory (the main-memory
    pager, which picks frames in a seeded order), whose own faults go to σ0's pager: every page
    of App ends in a chain σ0 -> Memory -> Files -> App.
    """
    s = System(machine=machine, frames=64, seed=seed)
    memory, files, app = s.create_space("Memory"), s.create_space("Files"), s.create_space("App")
    free = list(range(16, 48))
    s.random.shuffle(free)
    p1 = s.create_thread(memory, memory_pager, free, name="memory", pager=s.sigma0_pager)
    p2 = s.create_thread(files, file_pager, 100, name="files", pager=p1)
    order = s.random.sample(range(8), pages)
    s.create_thread(app, reader, order, name="app", pager=p2)
    return s


# -- coexisting memory managers -------------------------------------------------------------------


def region_pager(t, first, count, policy, rng):
    """A memory manager for frames first..first+count-1: map a free one at each fault.

    policy "lowest" hands out the lowest free frame, "random" a random one (drawn from `rng`).
    """
    free = list(range(first, first + count))
    msg = yield t.wait()
    while True:
        own = free.pop(0 if policy == "lowest" else rng.randrange(len(free)))
        msg = yield t.reply_and_wait(msg.sender, map=[(own, "rw", 0)])


def writer(t, pages):
    """Write a word into each page of `pages` (the first touch faults to the pager)."""
    for page in pages:
        yield t.store(page * PAGE, t.name)


def coexisting_pagers(seed: int = 0, machine: str = "i486") -> System:
    """Two memory managers side by side, each over its own part of σ0 with its own policy.

    MM1 holds frames 16-31 and hands out the lowest free one; MM2 holds frames 32-47 and hands
    out a random one. Two clients of each touch a few pages chosen with the seed.
    """
    s = System(machine=machine, frames=64, seed=seed)
    managers = {}
    for name, first, policy in (("MM1", 16, "lowest"), ("MM2", 32, "random")):
        space = s.create_space(name)
        give_region(s, space, first, 4)
        managers[name] = s.create_thread(
            space, region_pager, first, 16, policy, s.random, name=name.lower()
        )
    for manager in ("MM1", "MM2"):
        for i in (1, 2):
            name = f"{manager}-client{i}"
            pages = s.random.sample(range(32), s.random.randint(2, 4))
            s.create_thread(s.create_space(name), writer, pages, name=name.lower(),
                            pager=managers[manager])  # fmt: skip
    return s


# -- a pager that reserves frames for predictable timing ------------------------------------------

VIDEO_BASE = 64  # where the video thread's buffer pages are
VIDEO_ORDER = 2  # 4 pages
PERIOD = 20_000  # cycles between two video frames


def media_pager(t, pool, rng):
    """Serve faults from `pool`; reserve frames on request; evict a random unreserved page.

    A "reserve" call gets 2**order of the pool's first pages, mapped in one fpage into the
    caller's window; they are never evicted. When the pool is used up, a fault evicts a random
    page given out earlier (a flush takes it back from its client) and reuses its frame.
    """
    free = list(pool)
    in_use = []
    msg = yield t.wait()
    while True:
        if msg.label == "reserve":
            order = msg.words[0]
            reserved, free = free[: 1 << order], free[1 << order :]
            msg = yield t.reply_and_wait(msg.sender, map=[(reserved[0], "rw", order)])
            continue
        if not free:
            victim = in_use.pop(rng.randrange(len(in_use)))
            yield t.flush(victim)  # the client that had it will fault again when it comes back
            free.append(victim)
        own = free.pop(0)
        in_use.append(own)
        msg = yield t.reply_and_wait(msg.sender, map=[(own, "rw", 0)])


def video(t, pager, reserve, periods):
    """Every PERIOD cycles, process a frame: read and write each of its buffer pages.

    With `reserve`, it first asks its pager to reserve the buffer (a map item into its window).
    """
    if reserve:
        yield t.call(pager, label="reserve", words=(VIDEO_ORDER,), window=(VIDEO_BASE, VIDEO_ORDER))
    for _ in range(periods):
        yield t.wait(timeout=PERIOD)  # sleep until the next period starts
        for page in range(VIDEO_BASE, VIDEO_BASE + (1 << VIDEO_ORDER)):
            value = yield t.load(page * PAGE)
            yield t.store(page * PAGE, (value or 0) + 1)


def batch(t, pages, rng, accesses):
    """A best-effort job: touch random pages of `pages`, `accesses` times, now and then resting."""
    for _ in range(accesses):
        yield t.load(rng.choice(pages) * PAGE)
        yield t.wait(timeout=rng.randrange(2_000, 6_000))


def multimedia_pager(
    seed: int = 0, machine: str = "i486", reserve: bool = True, periods: int = 5
) -> System:
    """A pager reserves frames for a video thread, so its periodic work never page-faults.

    The pager MediaMM holds 8 frames. The video thread reserves 4 of them for its buffer; a
    best-effort batch job pages through 8 pages with the other 4, and the pager evicts its pages
    to make room (seeded choices). With reserve=False the video buffer is demand-paged from the
    same pool and its pages can be evicted too: its periods then take unpredictable time.
    The video thread runs at the highest priority, above its pager, above the batch job.
    """
    s = System(machine=machine, frames=32, seed=seed)
    mm = s.create_space("MediaMM")
    give_region(s, mm, 8, 3)
    pager = s.create_thread(mm, media_pager, range(8, 16), s.random, name="mediamm",
                            priority=200)  # fmt: skip
    s.create_thread(s.create_space("Video"), video, pager, reserve, periods, name="video",
                    pager=pager, priority=250)  # fmt: skip
    s.create_thread(s.create_space("Batch"), batch, list(range(8)), s.random, 4 * periods,
                    name="batch", pager=pager)  # fmt: skip
    return s


def period_times(s: System, thread: str = "video") -> list[int]:
    """Return the cycles from the start of each period of `thread` to the end of its work.

    A period starts when the thread's sleep (a wait with a timeout) times out and ends at its
    next kernel entry that is a wait, or when it ends.
    """
    times, start = [], None
    for e in s.trace:
        if e.thread is None or e.thread.label != thread:
            continue
        if e.kind == "timeout":
            start = e.time + e.cycles
        elif start is not None and e.kind in ("wait", "thread_end"):
            times.append(e.time - start)
            start = None
    return times


# -- page colouring -------------------------------------------------------------------------------


def cache_colours(s: System) -> int:
    """Return the number of page colours of s's cache: cache size / (ways x page size), >= 1."""
    p = s.profile
    return max(1, p.cache_size // (p.cache_assoc * s.page_size))


def colouring_pager(t, pool, colours, coloured, rng):
    """Map a frame whose colour (frame % colours) is the faulting page's colour (page % colours).

    The frame is drawn at random (from `rng`) among the free frames of that colour; with
    coloured=False among all free frames, as a pager that ignores the cache would.
    """
    free = list(pool)
    msg = yield t.wait()
    while True:
        wanted = msg.fault_page % colours
        candidates = [f for f in free if f % colours == wanted] if coloured else free
        frame = candidates[rng.randrange(len(candidates))]
        free.remove(frame)
        msg = yield t.reply_and_wait(msg.sender, map=[(frame, "rw", 0)])


def scanner(t, pages, rounds):
    """Write each page once (faulting them in), then read them all `rounds` times."""
    for page in range(pages):
        yield t.store(page * PAGE, page)
    for _ in range(rounds):
        for page in range(pages):
            yield t.load(page * PAGE)


def page_colouring(
    seed: int = 0,
    machine: str = "i486",
    colours: int | None = None,
    coloured: bool = True,
    rounds: int = 3,
) -> System:
    """A page-colouring pager gives each page a frame of the page's colour (frame % colours).

    Consecutive pages then fall into different parts of a physically indexed cache. `colours`
    defaults to the colours of the machine's cache (16 on the R2000's 64 KB direct-mapped cache)
    or 4, a second-level cache the model does not simulate, where the cache has none.
    The pager Colourer holds frames 64-127; App writes `colours` pages (at most 16) and reads
    them `rounds` times.
    """
    s = System(machine=machine, frames=128, seed=seed)
    if colours is None:
        colours = cache_colours(s) if cache_colours(s) > 1 else 4
    pager_space = s.create_space("Colourer")
    give_region(s, pager_space, 64, 6)
    pager = s.create_thread(pager_space, colouring_pager, range(64, 128), colours, coloured,
                            s.random, name="colourer")  # fmt: skip
    s.create_thread(s.create_space("App"), scanner, min(colours, 16), rounds, name="app",
                    pager=pager)  # fmt: skip
    return s

"""Story tests for the hardware models: TLBs, caches, the machine that charges every cycle.

Each story runs the simulated hardware and checks what it does: which entry an LRU set evicts,
when an address-space switch flushes the TLB, what a kernel entry costs and why, where two
thread control blocks land in the cache. Costs are compared with the profile's parameters, never
with the paper's numbers typed in.
"""

from __future__ import annotations

import pytest

from mkteach import System
from mkteach.hw.cache import Cache
from mkteach.hw.kernels import tcb_address
from mkteach.hw.machine import Machine
from mkteach.hw.profiles import PROFILES, profile
from mkteach.hw.tlb import TLB
from mkteach.kernel.ids import ThreadId

CLIENT = ThreadId(2, 0, 0, "client")
SERVER = ThreadId(1, 0, 0, "server")
# every cause the machine charges (machine.py's module docstring and its charge() calls)
CAUSES = {"trap", "instructions", "tlb_miss", "cache_miss", "as_switch", "small_space", "memory",
          "copy", "idle"}  # fmt: skip


def costs_of(m: Machine, action) -> dict[str, int]:
    """Return the cycles by cause that `action` charges on `m`."""
    m.take_costs()
    action()
    return dict(m.take_costs())


# -- the TLB -------------------------------------------------------------------------------------


def test_tlb_set_beyond_its_ways_evicts_the_least_recently_used_entry():
    tlb = TLB(entries=8, assoc=2)  # 4 sets of 2 ways: pages 0, 4, 8 share set 0
    assert not tlb.lookup(0, 0)
    assert not tlb.lookup(0, 4)
    assert tlb.lookup(0, 0)  # page 0 is now the most recently used of set 0
    assert not tlb.lookup(0, 8)  # the set is full: page 4, least recently used, goes
    assert tlb.contents()[0] == [(0, 0), (0, 8)]
    assert tlb.lookup(0, 0)  # the re-used entry survived
    assert not tlb.lookup(0, 4)  # the evicted one misses again
    assert (tlb.hits, tlb.misses) == (2, 4)


def test_tlb_pages_of_other_sets_do_not_evict_each_other():
    tlb = TLB(entries=8, assoc=2)
    for page in range(8):  # two pages per set: the TLB is exactly full
        tlb.lookup(0, page)
    assert all(tlb.lookup(0, page) for page in range(8))


def test_tlb_flush_empties_it_and_invalidate_drops_exactly_one_entry():
    tlb = TLB(entries=8, assoc=2)
    for page in (1, 2, 3):
        tlb.lookup(0, page)
    assert tlb.invalidate(0, 2)
    assert not tlb.invalidate(0, 2)  # already gone
    assert not tlb.invalidate(0, 7)  # never there
    assert tlb.lookup(0, 1) and tlb.lookup(0, 3)
    assert not tlb.lookup(0, 2)
    assert tlb.flush() == 3
    assert tlb.contents() == [[], [], [], []]
    assert not tlb.lookup(0, 1)
    assert tlb.flushes == 1


def test_tlb_tags_keep_the_same_page_of_different_spaces_apart():
    tlb = TLB(entries=8, assoc=2)
    assert not tlb.lookup(1, 5)
    assert not tlb.lookup(2, 5)  # same page, other space: its own entry
    assert tlb.lookup(1, 5) and tlb.lookup(2, 5)
    assert tlb.invalidate(1, 5)
    assert tlb.lookup(2, 5)  # invalidating one space's entry leaves the other's


def test_tlb_geometry_must_divide_evenly():
    with pytest.raises(ValueError, match="multiple"):
        TLB(entries=10, assoc=4)


# -- the cache -----------------------------------------------------------------------------------


def test_cache_sets_follow_size_assoc_and_line():
    c = Cache(size=8192, assoc=2, line=32)  # the Pentium's data cache
    assert c.n_sets == 8192 // (2 * 32) == 128
    assert c.way_size == 4096
    assert c.set_index(0) == c.set_index(31) == 0
    assert c.set_index(32) == 1
    assert c.set_index(4095) == 127
    assert c.set_index(4096) == 0  # wraps after one way
    i486 = Cache(size=8192, assoc=4, line=16)
    assert i486.way_size == 2048 and i486.set_index(2048 + 48) == 3


def test_two_addresses_one_way_size_apart_share_a_set_and_evict_lru():
    c = Cache(size=8192, assoc=2, line=32)
    a, b, d = 0x1000, 0x1000 + c.way_size, 0x1000 + 2 * c.way_size
    assert c.set_index(a) == c.set_index(b) == c.set_index(d)
    assert c.set_index(a + 32) != c.set_index(a)
    assert not c.access(a) and not c.access(b)
    assert c.access(a)  # both fit: two ways
    assert not c.access(d)  # third line in the set: b (LRU) is evicted
    assert c.access(a + 8)  # same line as a: a hit
    assert c.access(d)
    assert not c.access(b)  # evicted above; now a, the LRU one, goes
    assert not c.access(a)
    c.flush()
    assert not c.access(a)


def test_lines_of_spans_every_line_a_byte_range_touches():
    c = Cache(size=8192, assoc=4, line=16)
    assert list(c.lines_of(0x100, 16)) == [0x100]
    assert list(c.lines_of(0x108, 16)) == [0x100, 0x110]  # straddles two lines
    assert list(c.lines_of(0x100, 64)) == [0x100, 0x110, 0x120, 0x130]
    assert list(c.lines_of(0x10F, 0)) == [0x100]  # an empty span still names its line


# -- the machine: address-space switches ---------------------------------------------------------


def warm_then_return(
    name: str, small: set[int] = frozenset(), via: int = 2
) -> tuple[Machine, dict]:
    """Touch page 5 of space 1, switch to `via` and back; return the charges of touching it anew."""
    m = Machine(profile(name))
    for space in small:
        m.make_small(space)
    m.switch_space(1)
    m.user_access(1, 5, 5, 0, False)
    assert "tlb_miss" not in costs_of(m, lambda: m.user_access(1, 5, 5, 0, False))  # warm
    m.switch_space(via)
    m.switch_space(1)
    return m, costs_of(m, lambda: m.user_access(1, 5, 5, 0, False))


def test_untagged_tlb_is_flushed_by_a_switch_between_large_spaces():
    m, again = warm_then_return("i486")
    assert m.dtlb.flushes == 2  # 1 -> 2 and 2 -> 1
    assert again["tlb_miss"] == m.profile.tlb_miss_cycles
    assert again["memory"] == m.profile.memory_access_cycles


def test_tagged_tlb_keeps_entries_across_switches():
    m, again = warm_then_return("r4000")
    assert m.profile.tlb_tagged
    assert m.dtlb.flushes == 0
    assert "tlb_miss" not in again


def test_switching_between_large_spaces_charges_the_root_load():
    m = Machine(profile("i486"))
    m.switch_space(1)
    got = costs_of(m, lambda: m.switch_space(2))
    assert got == {"as_switch": m.profile.as_switch_cycles}
    assert costs_of(m, lambda: m.switch_space(2)) == {}  # staying is free


@pytest.mark.parametrize("name", ["i486", "pentium", "ppc601"])
def test_a_switch_to_and_from_a_small_space_needs_no_flush(name):
    m, again = warm_then_return(name, small={2})
    assert m.dtlb.flushes == 0
    assert "tlb_miss" not in again  # the large space's entries survived the excursion


@pytest.mark.parametrize("name", ["i486", "pentium", "ppc601"])
def test_a_small_space_switch_charges_the_segment_reload(name):
    m = Machine(profile(name))
    p = m.profile
    m.make_small(2)
    m.make_small(3)
    m.switch_space(1)
    into = costs_of(m, lambda: m.switch_space(2))
    between = costs_of(m, lambda: m.switch_space(3))
    back = costs_of(m, lambda: m.switch_space(1))
    for got in (into, between, back):
        assert got["as_switch"] == p.segment_switch_cycles
        assert got.get("small_space", 0) == p.small_space_extra_cycles
    assert m.dtlb.flushes == 0


def test_the_486_pays_extra_for_small_spaces_and_the_pentium_does_not():
    assert profile("i486").small_space_extra_cycles > 0
    m = Machine(profile("i486"))
    m.make_small(2)
    m.switch_space(1)
    assert costs_of(m, lambda: m.switch_space(2))["small_space"] == 130
    p = Machine(profile("pentium"))
    p.make_small(2)
    p.switch_space(1)
    assert "small_space" not in costs_of(p, lambda: p.switch_space(2))


def test_leaving_a_small_space_for_another_large_space_flushes():
    m = Machine(profile("i486"))
    m.make_small(2)
    m.switch_space(1)
    m.switch_space(2)
    m.switch_space(3)  # space 3's page table must be loaded: the old entries are stale
    assert m.dtlb.flushes == 1


def test_small_spaces_need_segments():
    # The Alpha 21064 has neither segments nor tags: a space marked small is an ordinary one,
    # and switching to it flushes the TLB like any other switch.
    m, again = warm_then_return("alpha21064", small={2})
    assert m.dtlb.flushes == 2
    assert again["tlb_miss"] == m.profile.tlb_miss_cycles


def test_system_small_space_runs_an_ipc_ping_pong_without_flushes():
    flushes = {}
    switch = {}
    for small in (False, True):
        s = ping_pong_system("pentium", "l3", rounds=10, small_server=small)
        flushes[small] = s.machine.dtlb.flushes
        calls = [dict(e.costs) for e in s.trace if e.kind == "call"]
        switch[small] = calls[-1]["as_switch"]
    assert flushes[False] >= 20  # one flush per IPC between two large spaces
    assert flushes[True] <= 1  # at most the first switch, before anything is small
    assert switch == {False: PROFILES["pentium"].as_switch_cycles,
                      True: PROFILES["pentium"].segment_switch_cycles}  # fmt: skip


# -- the machine: kernel entries -----------------------------------------------------------------


@pytest.mark.parametrize("kernel", ["l3", "mach"])
@pytest.mark.parametrize("name", sorted(PROFILES))
def test_a_kernel_entry_charges_the_trap_and_the_paths_instructions(name, kernel):
    m = Machine(profile(name), kernel)
    p = m.profile
    m.switch_space(1)
    got = costs_of(m, lambda: m.kernel_entry(CLIENT, "null_call"))
    assert got["trap"] == p.trap_enter_cycles + p.trap_exit_cycles
    assert got["instructions"] == round(m.variant.paths["null_call"].instructions * p.cpi)


def test_a_cold_kernel_entry_misses_where_a_warm_one_does_not():
    m = Machine(profile("i486"))
    m.switch_space(1)
    cold = costs_of(m, lambda: m.kernel_entry(CLIENT, "null_call"))
    warm = costs_of(m, lambda: m.kernel_entry(CLIENT, "null_call"))
    assert cold["tlb_miss"] > 0 and cold["cache_miss"] > 0
    assert "tlb_miss" not in warm and "cache_miss" not in warm
    assert cold["trap"] == warm["trap"] and cold["instructions"] == warm["instructions"]
    # the misses are whole multiples of the profile's miss costs: counted, not tabled
    assert cold["tlb_miss"] % m.profile.tlb_miss_cycles == 0
    assert cold["cache_miss"] % m.profile.cache_miss_cycles == 0


def test_after_a_switch_between_large_spaces_the_kernel_entry_refills_the_tlb():
    m = Machine(profile("i486"))
    m.switch_space(1)
    m.kernel_entry(CLIENT, "null_call")
    m.switch_space(2)
    got = costs_of(m, lambda: m.kernel_entry(CLIENT, "null_call"))
    assert got["tlb_miss"] > 0  # the kernel's own pages went with the flush
    assert "cache_miss" not in got  # the physically indexed cache is not flushed


def test_kernel_unmapped_machines_take_no_tlb_misses_in_the_kernel():
    m = Machine(profile("r2000"))
    m.switch_space(1)
    cold = costs_of(m, lambda: m.kernel_entry(CLIENT, "null_call"))
    assert "tlb_miss" not in cold and cold["cache_miss"] > 0


def test_the_mach_path_touches_more_and_costs_more_than_the_l3_path():
    got = {}
    for kernel in ("l3", "mach"):
        m = Machine(profile("i486"), kernel)
        m.switch_space(1)
        got[kernel] = costs_of(m, lambda m=m: m.kernel_entry(CLIENT, "null_call"))
    assert got["mach"]["instructions"] > 10 * got["l3"]["instructions"]
    assert got["mach"]["cache_miss"] > got["l3"]["cache_miss"]
    assert got["mach"]["trap"] == got["l3"]["trap"]  # same hardware, same trap


def test_a_string_is_copied_once_by_l3_and_twice_by_mach():
    copy = {}
    for kernel in ("l3", "mach"):
        m = Machine(profile("i486"), kernel)
        m.switch_space(1)
        copy[kernel] = costs_of(m, lambda m=m: m.transfer(CLIENT, SERVER, 2, 400))["copy"]
    assert copy["l3"] == round(400 // 4 * PROFILES["i486"].cpi)
    assert copy["mach"] == 2 * copy["l3"]


# -- TCB placement -------------------------------------------------------------------------------


def test_4k_aligned_tcbs_share_cache_sets_in_the_pentiums_2_way_cache():
    cache = Machine(profile("pentium")).dcache
    assert cache.assoc == 2 and cache.way_size == 4096
    same = [cache.set_index(tcb_address(0, n, 4096)) for n in range(4)]
    assert len(set(same)) == 1  # every TCB header in the same set
    spread = [cache.set_index(tcb_address(0, n, 1024)) for n in range(4)]
    assert len(set(spread)) == 4  # four positions in a way
    assert cache.set_index(tcb_address(0, 4, 1024)) == spread[0]  # a fifth wraps round


def test_three_tcbs_in_one_2_way_set_thrash_and_spread_out_they_do_not():
    for align, expect_misses in ((4096, True), (1024, False)):
        cache = Machine(profile("pentium")).dcache
        heads = [tcb_address(0, n, align) for n in range(3)]
        for address in heads:  # warm
            cache.access(address)
        cache.misses = 0
        for _ in range(3):
            for address in heads:
                cache.access(address)
        assert (cache.misses > 0) == expect_misses, align


def ipc_round_trip_misses(
    align: int, server: ThreadId, assoc: int = 2, interleave: bool = False
) -> int:
    """Return steady-state cache-miss cycles of one IPC round trip between two small spaces."""
    m = Machine(profile("pentium", tcb_align=align, cache_assoc=assoc, tcb_interleave=interleave))
    m.make_small(1)
    m.make_small(2)

    def round_trip() -> None:
        m.switch_space(2)
        m.kernel_entry(CLIENT, "ipc")
        m.transfer(CLIENT, server, 2, 0)
        m.switch_space(1)
        m.kernel_entry(server, "ipc")
        m.transfer(server, CLIENT, 2, 0)

    for _ in range(3):
        round_trip()
    return costs_of(m, round_trip).get("cache_miss", 0)


def test_tcb_conflicts_come_from_placement_and_the_rest_of_the_ipc_path():
    # Two TCBs plus the IPC path's own data line need three ways of one set on the 2-way Pentium.
    other_position = ThreadId(1, 1, 0, "server")  # one slot on: 1 KB further at 1 KB alignment
    assert ipc_round_trip_misses(1024, other_position) == 0
    assert ipc_round_trip_misses(4096, other_position) > 0  # same sets again
    assert ipc_round_trip_misses(1024, SERVER) > 0  # 16 KB apart: same position at 1 KB too
    assert ipc_round_trip_misses(4096, other_position, assoc=4) == 0  # more ways tolerate it
    # The Pentium port's thread-id layout puts tasks side by side: thread 0 of tasks 1 and 2
    # are 1 KB apart, no longer 16 KB.
    assert ipc_round_trip_misses(1024, SERVER, interleave=True) == 0
    assert profile("pentium").tcb_interleave


# -- the executor charges what the machine says ----------------------------------------------------


def _server(t):
    msg = yield t.wait()
    while True:
        msg = yield t.reply_and_wait(msg.sender, words=(msg.words[0] + 1,))


def _client(t, dest, rounds, answers):
    for i in range(rounds):
        r = yield t.call(dest, words=(i, 0))
        answers.append(r.words[0])


def ping_pong_system(name: str, kernel: str, rounds: int = 12, small_server: bool = False):
    s = System(machine=name, frames=16, kernel=kernel)
    a = s.create_space("server", small=small_server)
    b = s.create_space("client")
    srv = s.create_thread(a, _server, name="server")
    answers: list[int] = []
    s.create_thread(b, _client, srv, rounds, answers, name="client")
    summary = s.run(max_steps=10 * rounds + 50)
    assert summary.reason == "done"
    assert answers == [i + 1 for i in range(rounds)]
    return s


def steady_ipc_cycles(s: System) -> float:
    calls = [e.cycles for e in s.trace if e.kind in ("call", "reply_and_wait")]
    steady = calls[len(calls) // 2 :]
    return sum(steady) / len(steady)


@pytest.mark.parametrize("kernel", ["l3", "mach"])
def test_every_event_costs_the_sum_of_its_causes(kernel):
    s = ping_pong_system("i486", kernel)
    seen = set()
    for e in s.trace:
        assert e.cycles == sum(c for _, c in e.costs), e
        assert all(c > 0 for _, c in e.costs), e
        seen |= {cause for cause, _ in e.costs}
    assert seen <= CAUSES
    assert {"trap", "instructions", "as_switch", "tlb_miss", "cache_miss"} <= seen
    assert s.cycles == sum(e.cycles for e in s.trace)


def test_user_loads_and_copies_are_charged_with_their_causes():
    s = System(machine="i486", frames=16)
    a = s.create_space("A")
    s.map(s.sigma0, 3, a, 0)

    def prog(t):
        yield t.load(8)
        yield t.load(8)

    s.create_thread(a, prog, name="loader")
    s.run()
    loads = [dict(e.costs) for e in s.trace if e.kind == "load"]
    assert loads[0]["memory"] == loads[1]["memory"] == s.profile.memory_access_cycles
    assert "tlb_miss" in loads[0] and "cache_miss" in loads[0]  # first touch of the page
    assert "tlb_miss" not in loads[1] and "cache_miss" not in loads[1]


@pytest.mark.parametrize("name", sorted(PROFILES))
def test_the_same_workload_costs_more_per_ipc_on_mach_than_on_l3(name):
    l3 = steady_ipc_cycles(ping_pong_system(name, "l3"))
    mach = steady_ipc_cycles(ping_pong_system(name, "mach"))
    assert mach > 2 * l3, (name, l3, mach)


def test_the_machine_parameters_reach_the_systems_charges():
    base = steady_ipc_cycles(ping_pong_system("i486", "l3"))
    s = System(machine="i486", frames=16, overrides={"trap_enter_cycles": 81})
    a, b = s.create_space("server"), s.create_space("client")
    srv = s.create_thread(a, _server, name="server")
    s.create_thread(b, _client, srv, 12, [], name="client")
    s.run(200)
    assert steady_ipc_cycles(s) == base + 10  # one trap per IPC

"""How L3 gets its speed: each construction technique switched off costs cycles, never meaning.

The story: a client calls a server twenty times on an i486 and on a Pentium. With every L3
technique on, a round trip costs what the lean paths cost; each technique switched off adds the
work it saves (a second kernel entry, a scheduler pass, a message buffer, a table walk, queue
updates), which the TLB and cache models charge. All of them off moves L3 towards the Mach
variant. The messages, results and state changes are the same in every case.
"""

import pytest

from mkteach import KernelError, System
from mkteach.hw import TECHNIQUES
from mkteach.scenarios import client_server

CHARGED_CAUSES = {"trap", "instructions", "tlb_miss", "cache_miss", "as_switch"}


def rpc_system(machine="i486", kernel="l3", techniques=None, calls=20, hardware=True):
    """Return (system, cycles of each round trip) for a client calling a server `calls` times."""
    s = System(machine=machine, kernel=kernel, techniques=techniques, hardware=hardware)
    a, b = s.create_space("A"), s.create_space("B")
    marks = []

    def server(t):
        msg = yield t.wait()
        while True:
            msg = yield t.reply_and_wait(msg.sender, words=(msg.words[0] + 1,))

    def client(t, dest):
        for i in range(calls):
            marks.append(s.cycles)
            reply = yield t.call(dest, words=(i,))
            assert reply.words == (i + 1,)
        marks.append(s.cycles)

    srv = s.create_thread(a, server, name="server")
    s.create_thread(b, client, srv, name="client")
    s.run()
    return s, [y - x for x, y in zip(marks, marks[1:], strict=False)]


def steady_rpc(**kwargs):
    """Return the mean cycles of the last ten round trips (caches and TLBs warm)."""
    _, trips = rpc_system(**kwargs)
    return sum(trips[-10:]) / 10


def meaning(s):
    """Return the trace without its costs and times: what happened, to whom, what changed."""
    return [(e.step, e.kind, e.thread, e.ids, e.text, e.info, e.deltas) for e in s.trace]


def test_every_required_technique_is_named_and_described():
    for name in ("combined_call", "direct_switch", "register_messages", "tcb_array",
                 "lazy_scheduling"):  # fmt: skip
        assert name in TECHNIQUES and len(TECHNIQUES[name]) > 20


@pytest.mark.parametrize("machine", ["i486", "pentium"])
@pytest.mark.parametrize("technique", sorted(TECHNIQUES))
def test_switching_a_technique_off_costs_cycles_on_every_round_trip(machine, technique):
    lean = steady_rpc(machine=machine)
    without = steady_rpc(machine=machine, techniques={technique: False})
    assert without > lean


@pytest.mark.parametrize("machine", ["i486", "pentium"])
def test_all_techniques_off_moves_l3_towards_mach(machine):
    lean = steady_rpc(machine=machine)
    none = steady_rpc(machine=machine, techniques=dict.fromkeys(TECHNIQUES, False))
    mach = steady_rpc(machine=machine, kernel="mach")
    each = [steady_rpc(machine=machine, techniques={t: False}) - lean for t in TECHNIQUES]
    assert lean < none < mach
    assert none - lean >= max(each)  # together they cost at least the dearest alone


def scenario_with(techniques, seed=3):
    """Return the client-server scenario built with `techniques` (it builds its own System)."""
    from mkteach import system as system_module

    original = system_module.System.__init__

    def init(self, *args, **kwargs):
        kwargs.setdefault("techniques", techniques)
        original(self, *args, **kwargs)

    system_module.System.__init__ = init
    try:
        return client_server(seed=seed)
    finally:
        system_module.System.__init__ = original


@pytest.mark.parametrize("technique", sorted(TECHNIQUES))
def test_techniques_change_costs_never_messages_results_or_state(technique):
    on, off = client_server(seed=3), scenario_with({technique: False})
    assert off.machine.techniques[technique] is False
    on_summary, off_summary = on.run(), off.run()
    assert meaning(on) == meaning(off)
    assert (on_summary.reason, on_summary.ended) == (off_summary.reason, off_summary.ended)
    assert off.cycles > on.cycles


def test_without_a_combined_call_a_call_is_two_kernel_entries():
    lean, _ = rpc_system(calls=3)
    split, _ = rpc_system(calls=3, techniques={"combined_call": False})
    trap = lean.profile.trap_enter_cycles + lean.profile.trap_exit_cycles

    def traps(s, kind):
        return [dict(e.costs)["trap"] for e in s.trace if e.kind == kind and e.costs]

    assert set(traps(lean, "call")) == {trap}
    assert set(traps(split, "call")) == {2 * trap}
    assert set(traps(split, "reply_and_wait")) == {2 * trap}
    assert set(traps(split, "wait")) == {trap}  # a plain receive is one entry either way


@pytest.mark.parametrize("technique", sorted(set(TECHNIQUES) - {"combined_call"}))
def test_the_extra_work_is_charged_by_the_hardware_models_as_instructions_and_misses(technique):
    lean, _ = rpc_system(calls=3)
    off, _ = rpc_system(calls=3, techniques={technique: False})
    for a, b in zip(lean.trace, off.trace, strict=True):
        assert set(dict(b.costs)) <= CHARGED_CAUSES
        assert dict(b.costs).get("instructions", 0) >= dict(a.costs).get("instructions", 0)


def test_a_technique_off_costs_nothing_with_the_hardware_models_off():
    s, trips = rpc_system(techniques=dict.fromkeys(TECHNIQUES, False), hardware=False)
    assert s.cycles == 0 and set(trips) == {0}


def test_mach_has_a_combined_call_and_may_lose_it_but_not_gain_the_others():
    lean = steady_rpc(kernel="mach")
    split = steady_rpc(kernel="mach", techniques={"combined_call": False})
    assert split > lean
    with pytest.raises(KernelError, match="describe that kernel whole"):
        System(kernel="mach", techniques={"direct_switch": True})


@pytest.mark.parametrize(
    ("techniques", "message"),
    [
        ({"zero_copy": False}, "unknown technique 'zero_copy': the techniques are combined_call"),
        ({"direct_switch": "off"}, "takes True or False"),
        (["direct_switch"], "must be a dict"),
    ],
)
def test_bad_technique_settings_are_refused_with_the_known_names(techniques, message):
    for hardware in (True, False):
        with pytest.raises(KernelError, match=message):
            System(techniques=techniques, hardware=hardware)

"""System(hardware=False): the same kernel with the hardware cost models switched off."""

from __future__ import annotations

import pytest
from test_api_contract import client, server

from mkteach import KernelError, System


def api_example(**options) -> System:
    """Return the client/server example of API.md, run to the end."""
    s = System(machine="i486", frames=64, seed=0, **options)
    a, b = s.create_space("A"), s.create_space("B")
    srv = s.create_thread(a, server, name="server")
    s.create_thread(b, client, srv, name="client", pager=None)
    summary = s.run(max_steps=10_000)
    assert summary.reason == "done", str(summary)
    return s


def test_without_hardware_the_api_example_runs_the_same_kernel_and_costs_no_cycles():
    s = api_example(hardware=False)
    assert s.cycles == 0 and s.now_us == 0
    assert all(e.cycles == 0 and e.costs == () for e in s.trace)
    assert s.machine.structures() == {} and s.hardware_at(s.steps - 1).units == {}
    full = api_example()
    assert full.cycles > 0
    assert [(e.step, e.kind, e.text, e.deltas) for e in s.trace] == [
        (e.step, e.kind, e.text, e.deltas) for e in full.trace
    ]


def test_without_hardware_only_time_waited_for_a_timeout_counts():
    s = System(frames=4, hardware=False)
    srv = s.create_thread(s.create_space("A"), server, name="server")
    seen = {}

    def sleeper(t):
        r = yield t.receive(srv, timeout=1_000)  # the server never sends to us
        seen["error"] = r.error

    s.create_thread(s.create_space("B"), sleeper, name="sleeper")
    s.run()
    assert seen == {"error": "timeout"}
    assert s.cycles == 1_000
    assert [c for e in s.trace for c in e.costs] == [("idle", 1_000)]


def test_hardware_takes_a_bool():
    with pytest.raises(KernelError, match="hardware must be True or False"):
        System(hardware="off")


def test_the_dashboard_says_there_is_no_hardware_to_show():
    from mkteach.views import dashboard

    board = dashboard(api_example(hardware=False))
    _ = board.hardware.widget
    board.stepper.go(0)
    assert "hardware models off" in board.hardware.figure().layout.title.text

"""The Chrome trace export (Perfetto) binds every message's flow to real slices.

For every scenario: slices on one track never overlap; a flow starts ("s") inside a slice of the
sender's track and ends ("f") inside or at the start of a slice of the receiver's track, and both
ends name the enclosing slice (bp "e") only where one exists.
"""

import pytest

from mkteach.kernel.trace import to_chrome
from mkteach.scenarios import SCENARIOS


def chrome(name, machine="i486"):
    """Return the Chrome document of scenario `name` after running it."""
    s = SCENARIOS[name].build(seed=0, machine=machine)
    s.run(max_steps=2_000)
    return to_chrome(s.trace, s.profile.clock_mhz)


def by_track(doc, phase):
    """Return {track id: [event, ...]} of the events of `phase`."""
    out = {}
    for e in doc["traceEvents"]:
        if e["ph"] == phase:
            out.setdefault(e["tid"], []).append(e)
    return out


def ns(us):
    """Return a time in microseconds as whole nanoseconds, as Perfetto reads it."""
    return round(us * 1000)


def holds(s, ts):
    """Return True when slice `s` holds `ts` (start inclusive; a zero-length slice at ts)."""
    start, end = ns(s["ts"]), ns(s["ts"]) + ns(s["dur"])
    return start <= ns(ts) < end or start == ns(ts)


@pytest.mark.parametrize("name", sorted(SCENARIOS))
@pytest.mark.parametrize("machine", ["i486", "r4000"])
def test_slices_on_a_track_never_overlap(name, machine):
    for lane in by_track(chrome(name, machine), "X").values():
        lane = sorted(lane, key=lambda s: (s["ts"], s["dur"]))
        for a, b in zip(lane, lane[1:], strict=False):
            assert ns(a["ts"]) + ns(a["dur"]) <= ns(b["ts"]) or a["dur"] == 0, (a, b)


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_every_flow_starts_in_the_senders_slice_and_ends_in_the_receivers(name):
    doc = chrome(name)
    slices = by_track(doc, "X")
    flows = [e for e in doc["traceEvents"] if e["ph"] in ("s", "f")]
    assert flows or name in ("figure1",)  # every scenario but the tiniest sends messages
    for flow in flows:
        assert flow["bp"] == "e"
        assert any(holds(s, flow["ts"]) for s in slices.get(flow["tid"], [])), flow
    starts = {f["id"]: f for f in flows if f["ph"] == "s"}
    ends = {f["id"]: f for f in flows if f["ph"] == "f"}
    assert starts.keys() == ends.keys()
    assert all(starts[i]["ts"] <= ends[i]["ts"] for i in starts)

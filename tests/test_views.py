"""The views without a browser: what each shows after a step, back, reset, and highlights.

The story: a grandfather (G) maps a page to a father (F), who maps it to a son (S); then G
flushes. Meanwhile a client calls a server. Every view is driven by one stepper.
"""

from __future__ import annotations

import plotly.graph_objects as go
import pytest

from mkteach import System
from mkteach.views import (
    CostView,
    Dashboard,
    HardwareView,
    IpcFlowView,
    MappingTreeView,
    Stepper,
    dashboard,
)


def server(t):
    msg = yield t.wait()
    while True:
        msg = yield t.reply_and_wait(msg.sender, words=(msg.words[0] + 1,), map=[(0, "r", 0)])


def client(t, srv):
    yield t.call(srv, words=(1,), window=(8, 0))


@pytest.fixture
def story():
    s = System(frames=8)
    g, f, son = s.create_space("G"), s.create_space("F"), s.create_space("S")
    s.map(s.sigma0, 2, g, 0)  # step 3
    s.map(g, 0, f, 1)  # step 4
    s.map(f, 1, son, 5)  # step 5
    s.flush(g, 0)  # step 6: removes F's and S's mappings
    srv = s.create_thread(g, server, name="server")
    s.create_thread(f, client, srv, name="client")
    s.run()
    return s


def labels(fig):
    """Return the live node labels of a tree figure and the ghost labels."""
    live = {t for trace in fig.data[3:] for t in trace.text}
    return live, set(fig.data[2].text)


def legend_of(fig, label):
    """Return the legend name of the trace that draws node `label`."""
    return next(t.name for t in fig.data if t.text and label in t.text)


def test_the_tree_highlights_new_mappings_and_draws_flushed_ones_as_ghosts(story):
    view = MappingTreeView(story, frame=2)
    live, ghosts = labels(view.figure(5))
    assert live == {"sigma0:2 rw", "G:0 rw", "F:1 rw", "S:5 rw"} and not ghosts
    fig = view.figure(5)
    assert legend_of(fig, "S:5 rw") == "mapped in this step"  # new in step 5
    assert legend_of(fig, "G:0 rw") == "mapping (space:page rights)"
    assert len({t.marker.color for t in fig.data[2:]}) == len(fig.data) - 2  # a colour each
    live, ghosts = labels(view.figure(6))
    assert live == {"sigma0:2 rw", "G:0 rw"}
    assert ghosts == {"F:1", "S:5"}  # flushed in step 6, drawn where they were


def test_a_space_view_shows_every_tree_the_space_is_in(story):
    view = MappingTreeView(story, space="F")
    live, _ = labels(view.figure(story.steps - 1))
    assert "F:8 r" in live  # the page the server mapped into the client's window


def test_the_ipc_view_draws_one_arrow_per_message_coloured_by_kind(story):
    view = IpcFlowView(story)
    fig = view.figure()
    by_name = {trace.name: trace for trace in fig.data}
    assert len([x for x in by_name["short"].x if x is not None]) == 2  # client -> server
    assert len([x for x in by_name["map"].x if x is not None]) == 2  # the reply with a map item
    assert "client -> server" in view.text()
    early = view.figure(8)
    assert not [x for x in early.data[1].x if x is not None]  # nothing sent by step 8


def test_the_hardware_view_shows_each_unit_and_the_sets_a_step_touched(story):
    view = HardwareView(story)
    fig = view.figure()
    assert [a.text.split(":")[0] for a in fig.layout.annotations] == ["tlb", "cache"]
    last = story.steps - 1
    touched = story.executor.hw_changes[last]["cache"]["sets"]
    assert list(fig.data[3].x) == sorted(touched)
    before = view.figure(-1)
    assert all(v == 0 for row in before.data[0].z for v in row)  # nothing cached before step 0


def test_the_cost_view_stacks_causes_and_compares_two_runs(story):
    mach = System(frames=8, kernel="mach")
    g, f = mach.create_space("G"), mach.create_space("F")
    srv = mach.create_thread(g, server, name="server")
    mach.create_thread(f, client, srv, name="client")
    mach.map(mach.sigma0, 2, g, 0)
    mach.run()
    view = CostView(story, mach, labels=("L3", "Mach"))
    fig = view.figure()
    assert len(fig.layout.annotations) == 2
    per_step = {t.name: sum(t.y) for t in fig.data[:11] if len(t.y)}
    assert per_step["trap"] > 0 and per_step["instructions"] > 0
    text = view.text()
    assert text.startswith("L3:") and "Mach:" in text


def test_the_stepper_moves_every_view_forward_back_and_to_reset(story):
    tree = MappingTreeView(story, frame=2)
    stepper = Stepper(story, [tree])
    _ = tree.widget
    assert stepper.current == story.steps - 1
    stepper.go(5)
    assert labels(tree.widget)[0] == {"sigma0:2 rw", "G:0 rw", "F:1 rw", "S:5 rw"}
    stepper.step()
    assert stepper.current == 6 and labels(tree.widget)[1] == {"F:1", "S:5"}
    stepper.back()
    stepper.back()
    assert stepper.current == 4 and labels(tree.widget)[0] == {"sigma0:2 rw", "G:0 rw", "F:1 rw"}
    stepper.reset()
    assert stepper.current == -1 and "Before the first step" in stepper.events.value
    assert labels(tree.widget)[0] == {"sigma0:2 rw"}


def test_stepping_past_the_end_runs_the_system(story):
    s = System(frames=4)
    a = s.create_space("A")

    def counter(t):
        for i in range(3):
            yield t.store(0, i)

    s.map(s.sigma0, 0, a, 0)
    s.create_thread(a, counter)
    stepper = Stepper(s)
    start = s.steps
    stepper.step()
    assert s.steps == start + 1 and stepper.current == start
    for _ in range(10):
        stepper.step()
    assert "Nothing more can happen" in stepper.events.value


def test_the_dashboard_lays_out_every_view_and_renders_statically(story):
    board = dashboard(story)
    assert isinstance(board, Dashboard)
    assert len(board.children) == 5  # the stepper and four views
    figures = board.figures(6)
    assert len(figures) == 4 and all(isinstance(f, go.Figure) for f in figures)
    board.stepper.go(3)
    assert board.tree.widget.layout.title.text.startswith("mapping trees after step 3")

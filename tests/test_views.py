"""The views without a browser: what each shows after a step, back, reset, and highlights.

The story: a grandfather (G) maps a page to a father (F), who maps it to a son (S); then G
flushes. Meanwhile a client calls a server. Every view is driven by one stepper.
"""

from __future__ import annotations

import inspect
import json

import plotly.graph_objects as go
import pytest

from mkteach import System
from mkteach.views import (
    CostView,
    HardwareView,
    IpcFlowView,
    MappingTreeView,
    Stepper,
    dashboard,
)
from mkteach.views.replay import WINDOW
from mkteach.views.tree import FLUSHED


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
    live = {t for trace in fig.data[2:FLUSHED] for t in trace.text}
    return live, set(fig.data[FLUSHED].text)


def legend_of(fig, label):
    """Return the legend name of the trace that draws node `label`."""
    return next(t.name for t in fig.data if t.text and label in t.text)


def test_the_tree_highlights_new_mappings_and_draws_flushed_ones_as_ghosts(story):
    view = MappingTreeView(story, frame=2)
    live, ghosts = labels(view.figure(5))
    assert live == {"sigma0:2 rw", "G:0 rw", "F:1 rw", "S:5 rw"} and not ghosts
    fig = view.figure(5)
    assert legend_of(fig, "S:5 rw") == "mapped in this step"  # new in step 5
    assert legend_of(fig, "G:0 rw") == "mappings"
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
    assert [a.text.split(" ")[0] for a in fig.layout.annotations] == ["tlb", "cache"]
    assert "4 ways" in fig.layout.annotations[0].text
    assert list(fig.layout.yaxis.tickvals) == [0, 1, 2, 3]  # ways 0..assoc-1, no way 4
    key = {t.name for t in fig.data if t.type == "scatter" and t.showlegend is not False}
    assert {"user", "kernel code", "TCB", "▼ set touched by this step"} <= key
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


def test_the_cost_comparison_shares_one_scale_and_lists_only_causes_that_occur(story):
    mach = System(frames=8, kernel="mach")
    g, f = mach.create_space("G"), mach.create_space("F")
    srv = mach.create_thread(g, server, name="server")
    mach.create_thread(f, client, srv, name="client")
    mach.run()
    fig = CostView(story, mach, labels=("L3", "Mach")).figure()
    assert fig.layout.yaxis.range == fig.layout.yaxis3.range  # bars: one scale for both runs
    assert fig.layout.yaxis2.range == fig.layout.yaxis4.range  # running totals too
    assert fig.layout.xaxis2.domain[0] > fig.layout.xaxis.domain[1]  # side by side
    legend = {t.name for t in fig.data if t.showlegend}
    occurring = {c.replace("_", " ") for e in story.trace + mach.trace for c, v in e.costs if v}
    assert legend == occurring | {"running total (right axis)"}


def test_empty_panels_collapse_to_their_title_line():
    s = System(frames=8)
    s.create_space("A")
    tree, ipc = MappingTreeView(s).figure(), IpcFlowView(s).figure()
    assert "nothing mapped" in tree.layout.title.text and tree.layout.height <= 80
    assert "no message yet" in ipc.layout.title.text and ipc.layout.height <= 80


def test_ipc_arrows_are_labelled_with_the_message_and_lanes_with_thread_and_space(story):
    fig = IpcFlowView(story).figure()
    labels = fig.data[-2].text
    assert "short: words=(1,)" in labels
    assert "client (F)" in fig.layout.yaxis.categoryarray


def test_the_tree_draws_no_edge_between_two_flushed_pages(story):
    fig = MappingTreeView(story, frame=2).figure(6)  # F:1 and S:5 flushed in step 6
    ghost_edges = list(zip(fig.data[1].x, fig.data[1].y, strict=True))
    ghosts = {(x, y) for x, y in zip(fig.data[FLUSHED].x, fig.data[FLUSHED].y, strict=True)}
    segments = [ghost_edges[i : i + 2] for i in range(0, len(ghost_edges), 3)]
    assert segments and all(not (a in ghosts and b in ghosts) or a[1] != b[1] for a, b in segments)
    parents = {(x, y) for t in fig.data[2:FLUSHED] for x, y in zip(t.x, t.y, strict=True)}
    assert all(a in parents or b in parents or a in ghosts for a, b in segments)


# -- the dashboard: a replay that steps in the page -------------------------------------------


def yield_line(function, text: str) -> int:
    """Return the line number of `text` in `function`'s source."""
    lines, first = inspect.getsourcelines(function)
    return first + next(i for i, line in enumerate(lines) if text in line)


def run_of(board, i=0):
    return board.data["runs"][i]


def threads_after(run, step):
    """Rebuild every thread's (name, space, state) after `step` from a replay, as the page does."""
    now = {t: st for t, st in run["t0"]}
    for k in range(step - run["lo"] + 1):
        for t, st in run["dt"][k]:
            now.pop(t) if st < 0 else now.__setitem__(t, st)
    return {(*run["threads"][t], run["states"][st]) for t, st in now.items()}


def test_the_program_pane_shows_the_line_that_made_each_kernel_entry(story):
    board = dashboard(story)
    run = run_of(board)
    line = yield_line(client, "yield t.call(")
    steps = [n for n, w in enumerate(run["where"]) if w and w[1] == line]
    assert steps, "the client's call is a kernel entry of some step"
    source = run["src"][run["where"][steps[0]][0]]
    assert source["function"] == "client"
    assert source["lines"][line - source["first"]].strip().startswith("yield t.call(srv")
    assert run["who"][steps[0]] == "client"
    assert run["where"][3] is None  # s.map(...) from outside any program


def test_the_replay_holds_every_threads_state_and_what_it_waits_for(story):
    run = run_of(dashboard(story))
    for step in range(story.steps):
        expected = {(n, sp, st) for sp, n, st in story.state_at(step).threads.values()}
        assert threads_after(run, step) == expected
    assert ("server", "G", "waiting for anyone") in threads_after(run, story.steps - 1)


def test_the_replay_rebuilds_the_tlb_and_cache_at_every_step(story):
    run = run_of(dashboard(story))
    units = [u["name"] for u in run["units"]]
    sets = [list(u["sets"]) for u in run["hw0"]]
    for step in range(story.steps):
        for i, (changed, _hits, _misses, _touched) in run["hw"][step].items():
            for index, entries in changed.items():
                sets[int(i)][int(index)] = entries
        state = story.hardware_at(step)
        for i, name in enumerate(units):
            as_sent = [[list(e) if isinstance(e, tuple) else e for e in c]
                       for c in state.units[name]["sets"]]  # fmt: skip
            assert sets[i] == as_sent, (step, name)


def test_messages_are_labelled_with_kind_and_contents_and_a_fault_with_its_page():
    s = System(frames=8)
    a = s.create_space("A")

    def toucher(t):
        yield t.store(3 * 4096, 1)

    s.create_thread(a, toucher, name="toucher", pager=s.sigma0_pager)
    s.run()
    run = run_of(dashboard(s))
    labels = [m[-1] for m in run["msgs"]]
    assert "page fault: write page 3" in labels
    assert any(label.startswith("map page") for label in labels)
    assert "toucher (A)" in run["lanes"]


def test_compare_puts_both_runs_in_every_view_at_the_same_step(story):
    mach = System(frames=8, kernel="mach")
    g, f = mach.create_space("G"), mach.create_space("F")
    srv = mach.create_thread(g, server, name="server")
    mach.create_thread(f, client, srv, name="client")
    mach.run()
    board = dashboard(story, compare=mach)
    first, second = board.data["runs"]
    assert first["label"] != second["label"] and "mach" in second["label"]
    for key in ("where", "scenes", "hw", "msgs", "cost", "dt"):
        assert first[key] and second[key], key
    assert board.data["last"] == max(story.steps, mach.steps) - 1


def test_a_long_run_sends_only_a_window_and_moves_it_when_the_stepper_leaves_it():
    s = System(frames=8)
    a, b = s.create_space("A"), s.create_space("B")

    def echo(t):
        msg = yield t.wait()
        while True:
            msg = yield t.reply_and_wait(msg.sender, words=(1,))

    def pinger(t, srv):
        while True:
            yield t.call(srv, words=(0,))

    srv = s.create_thread(b, echo, name="echo")
    s.create_thread(a, pinger, srv, name="pinger")
    s.run(max_steps=6_000)
    board = dashboard(s)
    data = board.data
    assert data["hi"] - data["lo"] + 1 <= WINDOW and data["hi"] == s.steps - 1
    size = len(json.dumps(data))
    assert size < 1_000 * WINDOW  # ≤ 2 MB for the window, whatever the run's length
    board.stepper.go(10)
    assert board.step == 10 and board.data["lo"] <= 10 <= board.data["hi"]
    board._message(board, {"want": 4_000}, None)  # the page asks for a step outside its window
    assert board.step == 4_000 and board.data["lo"] <= 4_000 <= board.data["hi"]
    board.step = 4_001  # a step made in the page
    assert board.stepper.current == 4_001
    board.stepper.reset()  # before step 0: a window that starts before it
    assert board.step == -1 and board.data["lo"] == -1


def test_the_page_can_run_the_system_one_more_step(story):
    s = System(frames=4)
    a = s.create_space("A")

    def counter(t):
        for i in range(3):
            yield t.store(0, i)

    s.map(s.sigma0, 0, a, 0)
    s.create_thread(a, counter)
    board = dashboard(s)
    before = s.steps
    board._message(board, {"run": 1}, None)
    assert s.steps == before + 1 and board.step == before and board.data["last"] == before


def test_the_dashboards_output_is_a_replay_that_needs_no_kernel(story):
    board = dashboard(story)
    data, metadata = board._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in data  # live: the widget
    html = data["text/html"]
    assert "<script>" in html and "mkteachPlayer(" in html and '"runs"' in html
    assert "import " not in html.split("// -- anywidget --")[0]  # nothing to fetch
    assert data["text/plain"].startswith("Dashboard of") and "VBox" not in data["text/plain"]
    assert metadata["mkteach"] == {"replay": True}


def test_the_dashboard_keeps_its_python_stepper_and_static_figures(story):
    board = dashboard(story)
    figures = board.figures(6)
    assert len(figures) == 4 and all(isinstance(f, go.Figure) for f in figures)
    board.stepper.go(3)
    assert board.step == 3
    assert board.tree.widget.layout.title.text.startswith("mapping trees after step 3")

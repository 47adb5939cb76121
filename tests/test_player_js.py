"""The dashboard's player, unit-tested in node on replays that views/replay.py writes.

The Python side builds real runs (an L3 and a Mach run compared on the Pentium, as in
tests/browser/views.ipynb), writes their replays and what the model says about them (the
clock, the thread states) to a JSON file, bundles the player as the page gets it, and runs
`node --test tests/player/` on them: the pure view-model functions must agree with the model.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from mkteach import System
from mkteach.scenarios import build as build_scenario
from mkteach.views import dashboard
from mkteach.views.bundle import standalone_js, widget_esm

HERE = Path(__file__).parent
NODE = shutil.which("node")


def pager(t, base):
    msg = yield t.wait()
    while True:
        if msg.is_page_fault:
            mine = base + msg.fault_page
            yield t.load(mine * 4096)
            msg = yield t.reply_and_wait(msg.sender, map=[(mine, "rw", 0)])
        else:
            msg = yield t.wait()


def server(t):
    msg = yield t.wait()
    while True:
        msg = yield t.reply_and_wait(msg.sender, words=(msg.words[0] + 1,))


def app(t, srv):
    yield t.store(3 * 4096, "hello")
    for i in range(3):
        yield t.call(srv, words=(i, "a long argument that a narrow program pane used to cut off"))


def build(kernel: str) -> System:
    """Return the views notebook's run on `kernel`, run to its end."""
    s = System(machine="pentium", frames=32, kernel=kernel)
    p1, p2, a, b = (s.create_space(n) for n in ("P1", "P2", "App", "Srv"))
    one = s.create_thread(p1, pager, 10, name="pager1", pager=s.sigma0_pager)
    two = s.create_thread(p2, pager, 5, name="pager2", pager=one)
    srv = s.create_thread(b, server, name="server")
    s.create_thread(a, app, srv, name="app", pager=two)
    s.run()
    return s


def expected(s: System) -> dict:
    """Return what the model says at the end of `s`: the clock and every thread's state."""
    threads = s.state_at(s.steps - 1).threads
    rows = sorted([name, space, state] for space, name, state in threads.values())
    return {"cycles": s.cycles, "threads": rows}


@pytest.mark.skipif(NODE is None, reason="node is not installed")
def test_the_players_view_model_passes_its_node_tests(tmp_path):
    l3, mach = build("l3"), build("mach")
    compare = dashboard(l3, compare=mach)
    alone = dashboard(build("l3"))
    pagers = build_scenario("coexisting-pagers")
    pagers.run()
    replays = {
        "compare": compare.data,
        "alone": alone.data,
        "pagers": dashboard(pagers).data,
        "expected": [expected(l3), expected(mach)],
    }
    (tmp_path / "replays.json").write_text(json.dumps(replays))
    (tmp_path / "widget.mjs").write_text(widget_esm())
    (tmp_path / "standalone.js").write_text(standalone_js())
    env = dict(os.environ, MKTEACH_PLAYER_DATA=str(tmp_path))
    done = subprocess.run([NODE, "--test", str(HERE / "player")], env=env, capture_output=True,
                          text=True, timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "# fail 0" in done.stdout and "# pass 0" not in done.stdout

"""Property: whatever threads do — valid or not — every step keeps every kernel invariant.

Hypothesis writes random scripts for four threads in four spaces (sends and calls with map and
grant items, receives with windows, loads, stores, flushes, bad arguments) and the executor runs
them. After every single step `check_invariants()` must hold, and at the end the state rebuilt
from the trace must equal the live state.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mkteach import KernelError, System

EXAMPLES = int(os.environ.get("MKTEACH_EXAMPLES", "60"))  # raise it for a deeper search
PAGES = st.integers(0, 7)
TIMEOUT = st.sampled_from([None, 0, 50, 500, 5000])
WINDOW = st.sampled_from([None, (0, 0), (4, 1), (0, 3), (3, 2)])
ITEM = st.tuples(PAGES, st.sampled_from(["r", "rw"]), st.integers(0, 1))
OP = st.one_of(
    st.tuples(
        st.just("send"), st.integers(0, 3), st.lists(ITEM, max_size=2), st.booleans(), TIMEOUT
    ),
    st.tuples(st.just("call"), st.integers(0, 3), st.lists(ITEM, max_size=2), WINDOW, TIMEOUT),
    st.tuples(st.just("wait"), WINDOW, TIMEOUT),
    st.tuples(st.just("wait"), WINDOW, st.just(2000)),
    st.tuples(st.just("wait"), WINDOW, st.just(None)),
    st.tuples(st.just("receive"), st.integers(0, 3), WINDOW, TIMEOUT),
    st.tuples(st.just("reply"), st.integers(0, 3), st.lists(ITEM, max_size=1), WINDOW),
    st.tuples(st.just("load"), PAGES),
    st.tuples(st.just("store"), PAGES, st.integers(0, 9)),
    st.tuples(st.just("flush"), PAGES, st.sampled_from(["w", "rw", "r"]), st.booleans()),
    st.tuples(st.just("bad"), st.sampled_from(["dest", "words", "yield"])),
)
SCRIPTS = st.lists(st.lists(OP, max_size=8), min_size=4, max_size=4)


def scripted(t, script, ids):
    """Run one script: each entry becomes one kernel entry; failures are part of the story."""
    for op in script:
        kind = op[0]
        try:
            if kind == "send":
                items = {"grant" if op[3] else "map": op[2]}
                yield t.send(ids[op[1]], words=(1,), timeout=op[4], **items)
            elif kind == "call":
                yield t.call(ids[op[1]], map=op[2], window=op[3], timeout=op[4])
            elif kind == "wait":
                yield t.wait(window=op[1], timeout=op[2])
            elif kind == "receive":
                yield t.receive(ids[op[1]], window=op[2], timeout=op[3])
            elif kind == "reply":
                yield t.reply_and_wait(ids[op[1]], map=op[2], window=op[3], timeout=0)
            elif kind == "load":
                yield t.load(op[1] * 4096)
            elif kind == "store":
                yield t.store(op[1] * 4096 + 4, op[2])
            elif kind == "flush":
                yield t.flush(op[1], rights=op[2], include_self=op[3])
            elif op[1] == "dest":
                yield t.send("nobody")
            elif op[1] == "words":
                yield t.send(ids[0], words=(1.5,))
            else:
                yield "not an operation"
        except KernelError:
            pass


def build(scripts):
    """Return a system with four spaces holding pages from sigma0, one scripted thread each.

    Threads 0 and 1 have sigma0's pager (their faults become IPC); threads 2 and 3 have none.
    """
    s = System(frames=16)
    ids = []
    for i, script in enumerate(scripts):
        space = s.create_space(f"S{i}")
        for page in range(0, 8, i + 1):
            s.map(s.sigma0, (page + 4 * i) % 16, space, page, rights="rw" if i % 2 else "r")
        pager = s.sigma0_pager if i < 2 else None
        ids.append(s.create_thread(space, scripted, script, ids, name=f"T{i}", pager=pager))
    return s


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(SCRIPTS)
def test_every_step_keeps_the_invariants_and_the_trace_replays(scripts):
    s = build(scripts)
    for _ in range(200):
        if not s.step():
            break
        s.check_invariants()
    summary = s.run(max_steps=0)
    assert summary.reason in ("done", "deadlock", "max_steps")
    replayed = s.state_at(s.steps - 1)
    live = sorted(
        (sp.name, p, n.frame, n.rights)
        for sp in s.kernel.spaces.values()
        if sp is not s.sigma0
        for p, n in sp.pages.items()
    )
    assert replayed.mappings() == live
    assert {k: v[2] for k, v in replayed.threads.items()} == {
        tid.to_json(): state for tid, state in s.threads().items()
    }

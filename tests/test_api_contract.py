"""The examples of shared/API.md, run as written: the public contract of `mkteach`."""

from __future__ import annotations

import networkx as nx
import pytest

from mkteach import KernelError, System
from mkteach.cli import lab_command
from mkteach.hw.profiles import PROFILES, profile


def server(t):
    msg = yield t.wait()
    while True:
        msg = yield t.reply_and_wait(msg.sender, words=(msg.words[0] + 1,))


def client(t, dest):
    r = yield t.call(dest, words=(41,))
    assert r.words == (42,)


def test_a_system_has_sigma0_owning_every_frame():
    s = System(machine="i486", frames=64, seed=0)
    assert s.page_size == 4096
    assert s.lookup(s.sigma0, 7).frame == 7
    assert s.lookup(s.sigma0, 64) is None  # beyond physical memory
    a = s.create_space("A")
    assert a.name == "A" and isinstance(a.id, int)
    assert s.lookup(a, 0) is None  # new spaces start empty


def test_the_client_server_example_runs_to_done():
    s = System(machine="i486", frames=64, seed=0)
    a, b = s.create_space("A"), s.create_space("B")
    srv = s.create_thread(a, server, name="server")
    s.create_thread(b, client, srv, name="client", pager=None)
    summary = s.run(max_steps=10_000)
    assert summary.reason == "done", str(summary)
    assert summary.failed == ()
    assert [b.thread for b in summary.blocked] == [srv]  # the idle server
    assert "server" in str(summary) and "client" in str(summary)
    assert s.cycles > 0 and s.now_us == s.cycles / 50
    assert all(e.time + e.cycles <= s.cycles for e in s.trace)


def test_memory_operations_and_the_mapping_tree():
    s = System(frames=16)
    a, b = s.create_space("A"), s.create_space("B")
    s.map(s.sigma0, 3, a, 0)
    s.map(a, 0, b, 5, rights="r")
    assert (s.lookup(b, 5).frame, s.lookup(b, 5).rights) == (3, "r")
    tree = s.mapping_tree(3)
    assert isinstance(tree, nx.DiGraph)
    assert list(tree.edges) == [(("sigma0", 3), ("A", 0)), (("A", 0), ("B", 5))]
    assert tree.nodes[("B", 5)]["rights"] == "r"
    s.flush(a, 0)
    assert s.lookup(b, 5) is None and s.lookup(a, 0) is not None
    s.check_invariants()
    with pytest.raises(KernelError):
        s.map(b, 5, a, 1)  # B no longer holds page 5


def test_every_profile_is_a_machine_a_system_runs_on():
    for name in PROFILES:
        s = System(machine=name, frames=4)
        assert s.profile.clock_mhz > 0
    with pytest.raises(KernelError, match="unknown machine"):
        System(machine="vax")
    assert profile("pentium", tlb_miss_cycles=18).tlb_miss_cycles == 18


def test_make_lab_starts_jupyterlab_on_the_start_notebook():
    command = lab_command([])
    assert command[1] == "lab"
    assert command[-1] == "notebooks/00-start.ipynb"

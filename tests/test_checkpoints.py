"""Stepping to any step of a long run starts from the executor's checkpoints, and lands on
exactly the state a replay from the first step gives.

The story: a pager keeps mapping pages to a client and flushing them for a few thousand steps,
so the run crosses several checkpoints with the mapping trees, thread states, memory, TLB and
cache all changing. Jumping around it, forwards and back, must agree with a replay from step 0.
"""

import random

import pytest

from mkteach import System
from mkteach.sim.replay import CHECKPOINT_INTERVAL, HardwareSnapshot, Snapshot


def churning_system(rounds=2500):
    """Return a run in which a pager maps, the client stores, and the pager flushes, repeatedly."""
    s = System(frames=32, seed=5)
    pager_space, client_space = s.create_space("Pager"), s.create_space("Client")
    s.map(s.sigma0, 8, pager_space, 8, order=3)

    def pager(t):
        msg = yield t.wait()
        while True:
            page = msg.fault_page
            msg = yield t.reply_and_wait(msg.sender, map=[(8 + page % 8, "rw", 0)])
            if page % 3 == 0:
                yield t.flush(8 + page % 8)

    def client(t):
        for i in range(rounds):
            yield t.store((16 + i % 8) * s.page_size + i % 64, i)

    pid = s.create_thread(pager_space, pager, name="pager")
    s.create_thread(client_space, client, name="client", pager=pid)
    s.run(max_steps=20_000)
    return s


@pytest.fixture(scope="module")
def long_run():
    s = churning_system()
    assert s.steps > 3 * CHECKPOINT_INTERVAL and len(s.executor.checkpoints) >= 3
    return s


def kernel_view(snap, frames):
    """Return everything a Snapshot shows, in order."""
    trees = [list(snap.mapping_tree(f).edges) for f in range(frames)]
    return snap.mappings(), dict(snap.threads), dict(snap.memory), trees


def test_state_at_any_step_matches_a_replay_from_the_start(long_run):
    s = long_run
    steps = random.Random(1).sample(range(-1, s.steps), 40) + [s.steps - 1, 0, -1]
    for step in steps:  # jumps forwards and back, across checkpoints
        replayed = Snapshot(s.frames).move_to(s.trace, step)
        assert kernel_view(s.state_at(step), s.frames) == kernel_view(replayed, s.frames), step


def test_hardware_at_any_step_matches_a_replay_from_the_start(long_run):
    s = long_run
    log = s.executor.hw_changes
    shapes = {n: u.n_sets for n, u in s.machine.structures().items()}
    saved, log.checkpoints = log.checkpoints, {}
    try:
        replays = {}
        walker = HardwareSnapshot(shapes)
        for step in range(-1, s.steps):
            walker.move_to(log, step)
            if step % 97 == 0 or step == s.steps - 1:
                replays[step] = {n: {**u, "sets": list(u["sets"])} for n, u in walker.units.items()}
    finally:
        log.checkpoints = saved
    for step in sorted(replays, key=lambda n: random.Random(n).random()):
        assert s.hardware_at(step).units == replays[step], step


def test_the_last_hardware_state_is_the_machines_own(long_run):
    s = long_run
    live = s.machine.hardware_state()
    assert s.hardware_at(s.steps - 1).units == live


def test_going_back_before_the_first_checkpoint_starts_from_the_beginning(long_run, monkeypatch):
    """No checkpoint precedes step 10, so from the last step the snapshot starts again from the
    empty state (a few steps forward) instead of undoing thousands of steps one by one."""
    s = long_run
    s.state_at(s.steps - 1)
    undone = []
    monkeypatch.setattr(Snapshot, "revert", lambda self, delta: undone.append(delta))
    early = s.state_at(10)
    assert undone == []
    monkeypatch.undo()
    replayed = Snapshot(s.frames).move_to(s.trace, 10)
    assert kernel_view(early, s.frames) == kernel_view(replayed, s.frames)

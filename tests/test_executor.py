"""Story tests for the executor: run summaries, program errors, scheduling, determinism, replay."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from mkteach import KernelError, System

PAGE = 4096
REPO = Path(__file__).resolve().parents[1]


def entered(s, kinds=("store", "load", "send", "wait", "receive", "call", "reply_and_wait")):
    """Return the threads' names in the order they entered the kernel with one of `kinds`."""
    return [e.thread.label for e in s.trace if e.kind in kinds and e.thread is not None]


# -- how runs end -------------------------------------------------------------------------------


def test_two_threads_receiving_from_each_other_deadlock():
    s = System(frames=16)
    ids = {}

    def ping(t):
        yield t.receive(ids["pong"])

    def pong(t):
        yield t.receive(ids["ping"])

    ids["ping"] = s.create_thread(s.create_space("Ping"), ping, name="ping")
    ids["pong"] = s.create_thread(s.create_space("Pong"), pong, name="pong")
    summary = s.run()

    assert summary.reason == "deadlock"
    assert summary.failed == ()
    waits = {b.thread: (b.waits_for, b.idle) for b in summary.blocked}
    assert set(waits) == {ids["ping"], ids["pong"]}
    assert "pong" in waits[ids["ping"]][0] and "ping" in waits[ids["pong"]][0]
    assert not any(idle for _, idle in waits.values())
    text = str(summary)
    assert "Deadlock" in text and "ping" in text and "pong" in text
    assert s.run().reason == "deadlock"  # asking again changes nothing and never hangs


def test_a_client_calling_a_server_that_never_answers_it_is_a_deadlock():
    s = System(frames=16)
    ids = {}

    def server(t):
        yield t.receive(t.id)  # waits for itself, never for the client

    def client(t):
        yield t.call(ids["server"], words=(1,))

    ids["server"] = s.create_thread(s.create_space("S"), server, name="server")
    ids["client"] = s.create_thread(s.create_space("C"), client, name="client")
    summary = s.run()

    assert summary.reason == "deadlock"
    waits = {b.thread: b.waits_for for b in summary.blocked}
    assert "calling server" in waits[ids["client"]]


def test_a_run_with_only_an_idle_server_left_is_done():
    s = System(frames=16)

    def server(t):
        msg = yield t.wait()
        while True:
            msg = yield t.reply_and_wait(msg.sender, words=msg.words)

    def client(t, dest):
        for n in range(3):
            r = yield t.call(dest, words=(n,))
            assert r.words == (n,)

    srv = s.create_thread(s.create_space("S"), server, name="server")
    cli = s.create_thread(s.create_space("C"), client, srv, name="client")
    summary = s.run()

    assert summary.reason == "done"
    assert summary.ended == (cli,)
    assert [(b.thread, b.idle) for b in summary.blocked] == [(srv, True)]
    assert "Done" in str(summary) and "server" in str(summary)
    assert summary.cycles == s.cycles


def test_the_step_budget_stops_a_busy_thread_and_counts_per_run():
    s = System(frames=16)
    a = s.create_space("A")
    s.map(s.sigma0, 1, a, 0)

    def spinner(t):
        n = 0
        while True:
            n += 1
            yield t.store(0, n)

    s.create_thread(a, spinner, name="spinner")
    before = s.steps
    first = s.run(max_steps=10)
    assert first.reason == "max_steps" and first.steps == 10
    assert s.steps == before + 10
    second = s.run(max_steps=5)
    assert second.reason == "max_steps" and second.steps == 5
    assert s.steps == before + 15
    assert "budget" in str(second)
    assert s.run(max_steps=0).steps == 0
    with pytest.raises(KernelError):
        s.run(max_steps=-1)


def test_a_run_that_ends_exactly_at_the_budget_is_done():
    s = System(frames=16)

    def once(t):
        yield t.wait(timeout=0)

    s.create_thread(s.create_space("A"), once, name="once")
    summary = s.run(max_steps=2)  # its wait, then its end
    assert summary.reason == "done" and summary.steps == 2


# -- program errors -----------------------------------------------------------------------------


def test_a_program_that_raises_ends_its_thread_and_is_listed_as_failed():
    s = System(frames=16)
    seen = {}

    def clumsy(t):
        yield t.wait(timeout=0)
        raise ValueError("boom")

    def waiter(t, dest):
        seen["waiter"] = yield t.receive(dest)

    cid = s.create_thread(s.create_space("A"), clumsy, name="clumsy")
    s.create_thread(s.create_space("B"), waiter, cid, name="waiter")
    summary = s.run()

    assert summary.reason == "done"
    ((tid, message),) = summary.failed
    assert tid == cid and "ValueError" in message and "boom" in message
    assert "boom" in str(summary)
    assert seen["waiter"].error == "no_partner"  # its partner is gone
    (end,) = [e for e in s.trace if e.kind == "thread_end" and e.thread == cid]
    assert end.get("failed") is True


def test_a_program_that_yields_something_else_ends_with_a_clear_message():
    s = System(frames=16)

    def confused(t):
        yield 42

    cid = s.create_thread(s.create_space("A"), confused, name="confused")
    summary = s.run()

    ((tid, message),) = summary.failed
    assert tid == cid
    assert "42" in message and "not a kernel operation" in message and "t.send" in message


def test_a_program_that_is_not_a_generator_is_rejected():
    s = System(frames=16)
    a = s.create_space("A")
    steps = s.steps

    def plain(t):
        return 1

    with pytest.raises(KernelError) as info:
        s.create_thread(a, plain, name="plain")
    assert "generator" in str(info.value)
    assert s.threads() == {}
    assert s.steps == steps  # a refused request leaves no step behind


def test_bad_arguments_raise_a_kernel_error_inside_the_program():
    s = System(frames=16)
    seen = {}
    ids = {}

    def careless(t):
        try:
            yield t.send("server", words=(1,))
        except KernelError as e:
            seen["dest"] = str(e)
        try:
            yield t.send(ids["server"], words=(1.5,))
        except KernelError as e:
            seen["words"] = str(e)
        try:
            yield t.receive(ids["server"], timeout=-1)
        except KernelError as e:
            seen["timeout"] = str(e)
        yield t.send(ids["server"], words=("x",))  # not caught: the thread fails

    def server(t):
        yield t.wait(timeout=100)

    ids["server"] = s.create_thread(s.create_space("S"), server, name="server")
    cid = s.create_thread(s.create_space("C"), careless, name="careless")
    summary = s.run()

    assert "thread id" in seen["dest"] and "'server'" in seen["dest"]
    assert "ints" in seen["words"] and "1.5" in seen["words"]
    assert "timeout" in seen["timeout"]
    ((tid, message),) = summary.failed
    assert tid == cid and "InvalidArgument" in message and "'x'" in message
    assert not [e for e in s.trace if e.kind == "ipc"]


def test_a_request_the_kernel_refuses_is_raised_in_the_program():
    s = System(frames=16)
    seen = {}

    def reckless(t):
        try:
            yield t.flush(0, include_self=True)  # σ0 may not flush its own pages
        except KernelError as e:
            seen["error"] = type(e).__name__

    s.create_thread(s.sigma0, reckless, name="reckless")
    summary = s.run()

    assert seen == {"error": "Sigma0Error"}
    assert summary.failed == ()


# -- scheduling ---------------------------------------------------------------------------------


def test_a_higher_priority_ready_thread_runs_first():
    s = System(frames=16)
    a = s.create_space("A")
    s.map(s.sigma0, 1, a, 0)

    def worker(t):
        for i in range(2):
            yield t.store(i, i)

    s.create_thread(a, worker, name="low", priority=10)
    s.create_thread(a, worker, name="high", priority=200)
    s.create_thread(a, worker, name="mid", priority=100)
    s.run()

    assert entered(s) == ["high", "high", "mid", "mid", "low", "low"]


def test_threads_of_one_priority_take_turns():
    s = System(frames=16)
    a = s.create_space("A")
    s.map(s.sigma0, 1, a, 0)

    def worker(t):
        for i in range(3):
            yield t.store(i, i)

    for name in ("x", "y", "z"):
        s.create_thread(a, worker, name=name)
    s.run()

    assert entered(s) == ["x", "y", "z"] * 3


def test_a_woken_high_priority_thread_runs_before_the_busy_low_one_continues():
    s = System(frames=16)
    a = s.create_space("A")
    s.map(s.sigma0, 1, a, 0)
    ids = {}

    def urgent(t):
        yield t.wait()
        yield t.store(8, 1)

    def busy(t):
        yield t.store(0, 1)
        yield t.send(ids["urgent"])
        yield t.store(0, 2)

    ids["urgent"] = s.create_thread(a, urgent, name="urgent", priority=200)
    s.create_thread(a, busy, name="busy", priority=10)
    s.run()

    assert entered(s) == ["urgent", "busy", "busy", "urgent", "busy"]


# -- determinism --------------------------------------------------------------------------------


def busy_world(s):
    """Build a scenario that uses most of the kernel: clans, faults, strings, interrupts."""
    c = s.create_space("Chief")
    m = s.create_space("Member", chief=c)
    srv_space = s.create_space("Server")
    pg = s.create_space("Pager")
    ids = {}

    def chief(t):
        while True:
            msg = yield t.wait()
            yield t.send(msg.intended, words=msg.words, strings=msg.strings, as_sender=msg.sender)

    def pager(t):
        msg = yield t.wait()
        while True:
            yield t.load(msg.fault_page * PAGE)
            msg = yield t.reply_and_wait(msg.sender, map=[(msg.fault_page, "rw", 0)])

    def server(t):
        msg = yield t.wait(window=(32, 2))
        while True:
            msg = yield t.reply_and_wait(msg.sender, words=(len(msg.strings),))

    def member(t):
        yield t.store(2 * PAGE, {"k": 1})
        r = yield t.call(ids["server"], strings=(b"abc", b"de"), words=(3,))
        yield t.store(2 * PAGE + 1, r.words)
        yield t.receive(s.interrupt_id(4))

    ids["chief"] = s.create_thread(c, chief, name="chief", priority=150)
    ids["pager"] = s.create_thread(pg, pager, name="pager", pager=s.sigma0_pager)
    ids["server"] = s.create_thread(srv_space, server, name="server")
    ids["member"] = s.create_thread(m, member, name="member", pager=ids["pager"])
    s.attach_interrupt(4, ids["member"])
    s.run(max_steps=60)
    s.raise_interrupt(4)
    s.raise_interrupt(4)
    s.run()
    return s


def test_the_same_scenario_twice_gives_the_same_trace():
    world = busy_world(System(frames=32, seed=3))
    summary = world.run()
    assert summary.reason == "done" and summary.failed == ()
    one = world.trace_json()
    two = busy_world(System(frames=32, seed=3)).trace_json()
    assert one == two
    assert '"redirected"' in one and '"page_fault"' in one and '"interrupt"' in one


SCRIPT = textwrap.dedent(
    """
    import sys
    sys.path.insert(0, {tests!r})
    from mkteach import System
    from test_executor import busy_world

    sys.stdout.write(busy_world(System(frames=32, seed=3)).trace_json())
    """
)


def test_the_trace_is_the_same_in_other_processes_whatever_the_hash_seed(tmp_path):
    script = tmp_path / "scenario.py"
    script.write_text(SCRIPT.format(tests=str(Path(__file__).parent)), encoding="utf-8")
    outputs = []
    for hash_seed in ("1", "4242"):
        env = dict(os.environ, PYTHONHASHSEED=hash_seed)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
        done = subprocess.run(
            [sys.executable, str(script)],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        outputs.append(done.stdout)
    assert outputs[0] == outputs[1]
    assert outputs[0] == busy_world(System(frames=32, seed=3)).trace_json()


# -- replay -------------------------------------------------------------------------------------


def live_state(s):
    """Return (mappings outside σ0, thread states, memory) of the live system now."""
    mappings = sorted(
        (name, page, node.frame, node.rights)
        for name, space in s.spaces.items()
        if name != "sigma0"
        for page, node in space.pages.items()
    )
    threads = {tid.to_json(): state for tid, state in s.threads().items()}
    return mappings, threads, written(s.kernel.memory)


def snapshot_state(snap):
    """Return the same triple as live_state for a replayed snapshot."""
    threads = {tid: state for tid, (_, _, state) in snap.threads.items()}
    return snap.mappings(), threads, written(snap.memory)


def written(memory):
    """Return the addresses that hold something other than 0 (never written reads 0)."""
    return {address: value for address, value in memory.items() if value != 0}


def test_state_at_rebuilds_every_step_and_steps_back_and_forth_exactly():
    s = System(frames=16)
    recorded = {}

    def record():
        recorded[s.steps - 1] = live_state(s)

    recorded[-1] = live_state(s)
    app = s.create_space("App")
    record()
    pg = s.create_space("Pager")
    record()
    other = s.create_space("Other")
    record()
    s.map(s.sigma0, 4, pg, 4, order=2)
    record()
    s.map(pg, 5, other, 0, rights="r")
    record()

    def pager(t):
        msg = yield t.wait()
        while True:
            msg = yield t.reply_and_wait(msg.sender, map=[(msg.fault_page, "rw", 0)])

    def program(t, granter):
        yield t.store(5 * PAGE, "five")
        yield t.store(6 * PAGE + 3, "six")
        r = yield t.wait(window=(8, 0))
        yield t.store(5 * PAGE + 1, r.words)
        yield t.load(8 * PAGE)  # the granted page is read-only: loads only

    def granter(t, dest):
        yield t.send(dest, words=(1,), grant=[(0, "r", 0)])

    pid = s.create_thread(pg, pager, name="pager")
    record()
    aid = s.create_thread(app, program, None, name="app", pager=pid)
    record()
    s.create_thread(other, granter, aid, name="granter")
    record()
    while s.step():
        record()
    s.flush(pg, 4, order=2)
    record()
    last = s.steps - 1
    assert sorted(recorded) == list(range(-1, last + 1))
    assert recorded[last][0] != recorded[last - 1][0]  # the flush emptied App and Other

    for step in range(-1, last + 1):  # forwards
        assert snapshot_state(s.state_at(step)) == recorded[step], step
    for step in range(last, -2, -1):  # and backwards
        assert snapshot_state(s.state_at(step)) == recorded[step], step
    for step in (last, 3, last - 2, -1, last):  # and jumping around
        assert snapshot_state(s.state_at(step)) == recorded[step], step

    middle = s.state_at(last - 1)  # before the flush: the grant moved Other's node to App
    assert middle.lookup("App", 8).frame == 5 and middle.lookup("Other", 0) is None
    assert sorted(middle.mapping_tree(5).edges) == [
        (("Pager", 5), ("App", 5)),
        (("Pager", 5), ("App", 8)),
        (("sigma0", 5), ("Pager", 5)),
    ]
    assert s.state_at(last).lookup("App", 8) is None
    with pytest.raises(KernelError):
        s.state_at(last + 1)


def test_a_second_run_counts_its_own_steps_and_cycles_and_says_what_the_clock_shows():
    from mkteach import System

    def worker(t, server):
        for i in range(3):
            yield t.call(server, words=(i,))

    def echo(t):
        msg = yield t.wait()
        while True:
            msg = yield t.reply_and_wait(msg.sender, words=msg.words)

    s = System(machine="486", kernel="l3")
    srv = s.create_thread(s.create_space("S"), echo, name="echo")
    s.create_thread(s.create_space("A"), worker, srv, name="w1")
    first = s.run()
    clock = s.cycles
    s.create_thread(s.create_space("B"), worker, srv, name="w2")
    second = s.run()
    assert str(first).startswith(f"Done after {first.steps} steps ({clock:,} cycles).")
    assert f"({s.cycles - clock:,} cycles)" in str(second)  # this run's cycles, not the clock's
    assert f"The clock: {s.cycles:,} cycles after {s.steps} steps in all." in str(second)


def test_a_failed_thread_is_named_once_in_the_summary():
    from mkteach import System

    def crash(t):
        yield t.store(0, 1)
        raise RuntimeError("boom")

    s = System(machine="486", kernel="l3")
    tid = s.create_thread(s.create_space("A"), crash, name="crash")
    summary = s.run()
    text = str(summary)
    assert tid in summary.ended and "Failed: " in text  # still counted as ended in the data
    assert text.count(str(tid)) == 1, text

"""Story tests for IPC: rendezvous, call/reply, timeouts, strings, map/grant items, unique ids.

Each test builds a small system with named threads, runs it, and checks what the programs saw
(the results of their `yield`s) and what the trace says happened, in which order.
"""

from __future__ import annotations

import pytest

from mkteach import KernelError, System
from mkteach.errors import StaleThreadId


def events(s, kind, **info):
    """Return the trace events of `kind` whose info matches every keyword given."""
    return [
        e
        for e in s.trace
        if e.kind == kind and all(e.get(key) == value for key, value in info.items())
    ]


def first_step(s, kind, thread):
    """Return the step of the first event of `kind` entered by `thread`."""
    return next(e.step for e in s.trace if e.kind == kind and e.thread == thread)


# -- rendezvous ---------------------------------------------------------------------------------


def test_rendezvous_sender_first_blocks_until_the_receiver_arrives():
    s = System(frames=16)
    a, b = s.create_space("A"), s.create_space("B")
    seen = {}
    ids = {}

    def alice(t):
        seen["alice"] = yield t.send(ids["bob"], words=(1, 2, 3), label="hello")

    def bob(t):
        seen["bob"] = yield t.receive(ids["alice"])

    # alice is created first, so she runs first and must wait in bob's queue of senders
    ids["alice"] = s.create_thread(a, alice, name="alice")
    ids["bob"] = s.create_thread(b, bob, name="bob")
    s.step()  # alice enters the kernel: bob is not receiving yet
    assert "sending to bob" in s.threads()[ids["alice"]]
    assert not events(s, "ipc")
    summary = s.run()

    assert summary.reason == "done"
    send_step = first_step(s, "send", ids["alice"])
    receive_step = first_step(s, "receive", ids["bob"])
    (ipc,) = events(s, "ipc")
    assert send_step < receive_step == ipc.step  # the transfer happens in bob's kernel entry
    assert ipc.get("sender") == ids["alice"] and ipc.get("receiver") == ids["bob"]
    assert ipc.get("msg_kind") == "short"
    assert seen["bob"].error is None
    assert seen["bob"].sender == ids["alice"]
    assert seen["bob"].words == (1, 2, 3)
    assert seen["bob"].label == "hello"
    assert seen["alice"].error is None


def test_rendezvous_receiver_first_waits_and_the_send_completes_at_once():
    s = System(frames=16)
    a, b = s.create_space("A"), s.create_space("B")
    seen = {}

    def bob(t):
        r = yield t.wait()
        seen["bob"] = r

    def alice(t, bob_id):
        r = yield t.send(bob_id, words=(7,))
        seen["alice"] = r

    bob_id = s.create_thread(b, bob, name="bob")
    alice_id = s.create_thread(a, alice, bob_id, name="alice")
    s.step()  # bob waits
    assert s.threads()[bob_id] == "waiting for anyone"
    summary = s.run()

    assert summary.reason == "done"
    wait_step = first_step(s, "wait", bob_id)
    send_step = first_step(s, "send", alice_id)
    (ipc,) = events(s, "ipc")
    assert wait_step < send_step == ipc.step  # the transfer happens in alice's kernel entry
    assert seen["bob"].sender == alice_id and seen["bob"].words == (7,)
    assert seen["alice"].error is None and seen["alice"].ok


def test_call_and_reply_the_api_example_verbatim():
    s = System(machine="i486", frames=64, seed=0)
    a = s.create_space("A")
    b = s.create_space("B")
    outcome = {}

    def server(t):  # a program: a generator function; t is the thread's handle
        msg = yield t.wait()  # receive from anyone
        while True:
            msg = yield t.reply_and_wait(msg.sender, words=(msg.words[0] + 1,))

    def client(t, dest):
        r = yield t.call(dest, words=(41,))  # send + receive from dest
        assert r.words == (42,)
        outcome["reply"] = r

    srv = s.create_thread(a, server, name="server")
    cli = s.create_thread(b, client, srv, name="client", pager=None)
    summary = s.run()

    assert summary.reason == "done"
    assert summary.failed == ()
    assert outcome["reply"].sender == srv
    assert [b.thread for b in summary.blocked] == [srv]
    assert summary.blocked[0].idle
    assert cli in summary.ended
    transfers = [(e.get("sender"), e.get("receiver"), e.get("words")) for e in events(s, "ipc")]
    assert transfers == [(cli, srv, (41,)), (srv, cli, (42,))]


def test_reply_and_wait_serves_several_clients_in_arrival_order():
    s = System(frames=16)
    srv_space = s.create_space("Server")
    answers = {}

    def server(t):
        msg = yield t.wait()
        while True:
            msg = yield t.reply_and_wait(msg.sender, words=(msg.words[0] * 10,))

    def client(t, dest, n):
        r = yield t.call(dest, words=(n,))
        answers[t.name] = (r.error, r.sender, r.words)

    srv = s.create_thread(srv_space, server, name="server")
    clients = {}
    for n, name in enumerate(["ann", "ben", "cat"], start=1):
        space = s.create_space(name.upper())
        clients[name] = s.create_thread(space, client, srv, n, name=name)
    summary = s.run()

    assert summary.reason == "done"
    assert answers == {
        "ann": (None, srv, (10,)),
        "ben": (None, srv, (20,)),
        "cat": (None, srv, (30,)),
    }
    served = [e.get("sender") for e in events(s, "ipc") if e.get("receiver") == srv]
    assert served == [clients["ann"], clients["ben"], clients["cat"]]
    replies = [e.get("receiver") for e in events(s, "ipc") if e.get("sender") == srv]
    assert replies == served


def test_receive_from_one_sender_lets_the_others_queue():
    s = System(frames=16)
    spaces = {n: s.create_space(n) for n in ("Picky", "Early", "Late")}
    got = []
    ids = {}

    def picky(t):
        r = yield t.receive(ids["late"])  # only late may come in now
        got.append((r.sender, r.words))
        r = yield t.wait()  # now anyone: early has been queued all along
        got.append((r.sender, r.words))

    def sender(t, n):
        yield t.send(ids["picky"], words=(n,))

    ids["picky"] = s.create_thread(spaces["Picky"], picky, name="picky")
    ids["early"] = s.create_thread(spaces["Early"], sender, 1, name="early")
    ids["late"] = s.create_thread(spaces["Late"], sender, 2, name="late")
    s.step()  # picky receives from late
    s.step()  # early sends: picky does not accept it, early queues
    assert "sending to picky" in s.threads()[ids["early"]]
    assert not events(s, "ipc")
    summary = s.run()

    assert summary.reason == "done"
    assert got == [(ids["late"], (2,)), (ids["early"], (1,))]
    order = [e.get("sender") for e in events(s, "ipc")]
    assert order == [ids["late"], ids["early"]]
    assert first_step(s, "send", ids["early"]) < first_step(s, "send", ids["late"])


# -- timeouts -----------------------------------------------------------------------------------


def test_polling_send_and_receive_fail_with_timeout_when_no_partner_is_ready():
    s = System(frames=16)
    a, b = s.create_space("A"), s.create_space("B")
    results = {}
    ids = {}

    def poller(t):
        results["send"] = yield t.send(ids["busy"], words=(1,), timeout=0)
        results["receive"] = yield t.receive(ids["busy"], timeout=0)
        results["wait"] = yield t.wait(timeout=0)

    def busy(t):  # receives only from someone else, and never sends
        yield t.receive(t.id, timeout=0)

    ids["poller"] = s.create_thread(a, poller, name="poller")
    ids["busy"] = s.create_thread(b, busy, name="busy")
    summary = s.run()

    assert summary.reason == "done"
    for op in ("send", "receive", "wait"):
        assert results[op].error == "timeout", op
        assert results[op].detail
    assert not events(s, "ipc")
    assert not events(s, "timeout")  # polls fail in their own kernel entry, no timer event


def test_a_finite_receive_timeout_fires_at_the_right_clock_even_when_idle():
    s = System(frames=16)
    a = s.create_space("A")
    s.map(s.sigma0, 3, a, 0)
    seen = {}

    def sleeper(t):
        for i in range(5):  # some work first, so the timeout starts at a nonzero clock
            yield t.store(i, i)
        seen["entry"] = s.cycles
        r = yield t.wait(timeout=10_000)
        seen["woke"] = (r.error, s.cycles)

    sid = s.create_thread(a, sleeper, name="sleeper")
    summary = s.run()

    assert summary.reason == "done"
    (wait_event,) = [e for e in s.trace if e.kind == "wait" and e.thread == sid]
    assert wait_event.time == seen["entry"] > 0  # the clock at the kernel entry
    deadline = wait_event.time + 10_000
    assert seen["woke"] == ("timeout", deadline)
    (timer,) = events(s, "timeout")
    assert timer.thread == sid
    assert timer.time + timer.cycles == deadline  # the idle time was skipped and counted
    assert dict(timer.costs).get("idle", 0) > 0
    assert s.cycles == sum(e.cycles for e in s.trace)
    assert s.now_us == s.cycles / 50  # i486 at 50 MHz


def test_a_timeout_counts_from_its_kernel_entry_while_others_keep_running():
    s = System(frames=16)
    a, b = s.create_space("A"), s.create_space("B")
    s.map(s.sigma0, 3, b, 0)
    seen = {}

    def sleeper(t):
        r = yield t.wait(timeout=300)
        seen["sleeper"] = r.error

    def worker(t):
        i = 0
        while s.cycles < 2_000:  # keeps the clock moving well past the sleeper's deadline
            i += 1
            yield t.store(i % 64, i)

    sid = s.create_thread(a, sleeper, name="sleeper")
    s.create_thread(b, worker, name="worker")
    s.run()

    (wait_event,) = [e for e in s.trace if e.kind == "wait" and e.thread == sid]
    deadline = wait_event.time + 300
    (timer,) = events(s, "timeout")
    assert seen["sleeper"] == "timeout"
    assert timer.time >= deadline  # not before its time...
    before = [e for e in s.trace if e.step == timer.step - 1]
    assert before[0].time < deadline  # ...and at the first step boundary after it
    assert not dict(timer.costs).get("idle")  # the worker kept the clock moving


def test_a_calls_timeout_covers_both_the_send_and_the_receive_phase():
    s = System(frames=16)
    srv_space, cli_space = s.create_space("Server"), s.create_space("Client")
    s.map(s.sigma0, 4, srv_space, 0)
    seen = {}

    def slow_server(t):
        i = 0
        while s.cycles < 400:  # busy for a while before it receives at all
            i += 1
            yield t.store(i % 64, i)
        msg = yield t.wait()
        seen["server_got"] = (msg.sender, msg.words)
        yield t.wait(timeout=5_000)  # never replies

    def client(t, dest):
        r = yield t.call(dest, words=(5,), timeout=1_000)
        seen["client"] = (r.error, s.cycles)

    srv = s.create_thread(srv_space, slow_server, name="server")
    cli = s.create_thread(cli_space, client, srv, name="client")
    s.run()

    call_event = next(e for e in s.trace if e.kind == "call" and e.thread == cli)
    (transfer,) = events(s, "ipc")
    assert transfer.time - call_event.time >= 250  # the send phase took part of the budget
    assert seen["server_got"] == (cli, (5,))
    timer = next(e for e in events(s, "timeout") if e.thread == cli)
    # one budget for both phases: it ran out 1000 cycles after the call, not after the transfer
    assert seen["client"] == ("timeout", call_event.time + 1_000)
    assert timer.time + timer.cycles == call_event.time + 1_000 < transfer.time + 1_000


def test_a_call_whose_send_phase_times_out_never_transfers():
    s = System(frames=16)
    a, b = s.create_space("A"), s.create_space("B")
    seen = {}

    def deaf(t):
        yield t.receive(t.id)  # waits for itself: never for the caller

    def caller(t, dest):
        r = yield t.call(dest, words=(1,), timeout=2_000)
        seen["caller"] = r.error

    deaf_id = s.create_thread(a, deaf, name="deaf")
    s.create_thread(b, caller, deaf_id, name="caller")
    summary = s.run()

    assert seen["caller"] == "timeout"
    assert not events(s, "ipc")
    assert summary.reason == "deadlock"  # deaf waits for a partner that can never send
    assert [b.thread for b in summary.blocked] == [deaf_id]


def test_reply_and_wait_reports_a_failed_reply_and_still_waits():
    s = System(frames=16)
    spaces = [s.create_space(n) for n in ("Server", "Hasty", "Patient")]
    seen = []
    ids = {}

    def server(t):
        msg = yield t.wait()  # from hasty, who sent and went away
        while True:
            msg = yield t.reply_and_wait(msg.sender, words=(0,))
            seen.append((msg.error, msg.reply_error, msg.sender))

    def hasty(t):
        yield t.send(ids["server"], words=(1,))  # a plain send: hasty never waits for a reply
        yield t.receive(ids["patient"], timeout=50_000)

    def patient(t):
        yield t.receive(ids["hasty"], timeout=10)  # let hasty go first
        r = yield t.call(ids["server"], words=(2,))
        seen.append(("patient", r.error, r.words))

    ids["server"] = s.create_thread(spaces[0], server, name="server")
    ids["hasty"] = s.create_thread(spaces[1], hasty, name="hasty")
    ids["patient"] = s.create_thread(spaces[2], patient, name="patient")
    s.run()

    # the reply to hasty failed (it was not receiving from the server), yet the server went on
    # waiting and received patient's call; that result carries the failed reply's error
    assert seen[0] == (None, "timeout", ids["patient"])
    assert ("patient", None, (0,)) in seen


def test_reply_and_wait_to_an_ended_thread_reports_no_partner():
    s = System(frames=16)
    a, b, c = (s.create_space(n) for n in "ABC")
    seen = []
    ids = {}

    def server(t):
        msg = yield t.wait()
        yield t.wait(timeout=0)  # meanwhile one_shot returns and ends
        msg = yield t.reply_and_wait(msg.sender, words=(0,), timeout=20_000)
        seen.append((msg.error, msg.reply_error))

    def one_shot(t):
        yield t.send(ids["server"], words=(1,))  # then returns: the thread ends

    ids["server"] = s.create_thread(a, server, name="server")
    ids["one_shot"] = s.create_thread(b, one_shot, name="one_shot")
    s.run()

    assert seen == [("timeout", "no_partner")]  # nobody came; the reply had no partner


# -- strings and map/grant items ----------------------------------------------------------------


def test_strings_are_copied_at_send_time():
    s = System(frames=16)
    a, b = s.create_space("Writer"), s.create_space("Reader")
    got = {}

    def writer(t, reader):
        buf = bytearray(b"hello, kernel")
        op = t.send(reader, strings=(buf, b"second"))
        buf[0:5] = b"XXXXX"  # changing the buffer after the message was made changes nothing
        r = yield op
        got["writer"] = r.error

    def reader(t):
        r = yield t.wait()
        got["reader"] = r.strings

    rid = s.create_thread(b, reader, name="reader")
    s.create_thread(a, writer, rid, name="writer")
    s.run()

    assert got["reader"] == (b"hello, kernel", b"second")
    assert all(type(x) is bytes for x in got["reader"])
    assert got["writer"] is None
    (ipc,) = events(s, "ipc")
    assert ipc.get("msg_kind") == "strings"
    step_costs = [c for e in s.trace if e.step == ipc.step for c in e.costs]
    assert dict(step_costs).get("copy", 0) > 0  # copying strings costs cycles


def test_grant_items_move_the_page_and_the_granter_loses_it():
    s = System(frames=16)
    middle, final = s.create_space("Middle"), s.create_space("Final")
    s.map(s.sigma0, 9, middle, 1)
    got = {}

    def granter(t, dest):
        got["granter"] = yield t.send(dest, grant=[(1, "rw", 0)])

    def receiver(t):
        got["receiver"] = yield t.wait(window=(5, 0))

    rid = s.create_thread(final, receiver, name="receiver")
    s.create_thread(middle, granter, rid, name="granter")
    s.run()

    assert got["receiver"].error is None and got["granter"].error is None
    assert s.lookup(middle, 1) is None
    assert s.lookup(final, 5).frame == 9
    assert list(s.mapping_tree(9).edges) == [(("sigma0", 9), ("Final", 5))]
    assert events(s, "ipc")[0].get("msg_kind") == "grant"
    s.check_invariants()


def test_items_without_a_receive_window_fail_on_both_sides():
    s = System(frames=16)
    owner, user = s.create_space("Owner"), s.create_space("User")
    s.map(s.sigma0, 5, owner, 0)
    got = {}

    def giver(t, taker):
        got["giver"] = yield t.send(taker, words=(1,), map=[(0, "rw", 0)])

    def taker(t):
        got["taker"] = yield t.wait()  # no window

    tid = s.create_thread(user, taker, name="taker")
    s.create_thread(owner, giver, tid, name="giver")
    s.run()

    assert got["taker"].error == "no_window"
    assert got["giver"].error == "no_window"
    assert "window" in got["taker"].detail
    assert got["taker"].sender is not None
    assert all(s.lookup(user, p) is None for p in range(16))
    assert s.lookup(owner, 0).frame == 5


def test_a_grant_to_a_receiver_without_window_leaves_the_page_with_the_granter():
    s = System(frames=16)
    owner, user = s.create_space("Owner"), s.create_space("User")
    s.map(s.sigma0, 5, owner, 0)
    got = {}

    def giver(t, taker):
        got["giver"] = yield t.call(taker, grant=[(0, "rw", 0)])

    def taker(t):
        got["taker"] = yield t.wait()

    tid = s.create_thread(user, taker, name="taker")
    gid = s.create_thread(owner, giver, tid, name="giver")
    summary = s.run()

    assert got["giver"].error == got["taker"].error == "no_window"
    assert s.lookup(owner, 0).frame == 5
    assert gid in summary.ended  # the failed call did not go on to wait for a reply


# -- unique ids ---------------------------------------------------------------------------------


def test_a_reused_thread_number_gets_a_new_version_and_the_stale_id_never_reaches_it():
    s = System(frames=16)
    w, c = s.create_space("Workers"), s.create_space("Clients")
    seen = {}

    def short_lived(t):
        yield t.wait(timeout=0)

    old = s.create_thread(w, short_lived, name="worker")
    s.run()
    assert s.threads()[old].startswith("ended")

    def successor(t):
        seen["successor"] = yield t.wait()

    def client(t, dest):
        seen["client"] = yield t.send(dest, words=(99,))

    new = s.create_thread(w, successor, name="worker")
    assert (new.task, new.number) == (old.task, old.number)
    assert new.version == old.version + 1
    assert new != old

    s.create_thread(c, client, old, name="client")
    s.run()

    assert seen["client"].error == "no_partner"
    assert "stale" in seen["client"].detail
    assert "successor" not in seen  # never delivered to the new thread...
    assert s.threads()[new] == "waiting for anyone"  # ...which still waits
    assert not events(s, "ipc")

    with pytest.raises(StaleThreadId) as info:
        s.thread(old)
    assert isinstance(info.value, KernelError)
    assert s.thread(new).name == "worker"


def test_ipc_to_an_ended_thread_fails_with_no_partner():
    s = System(frames=16)
    a, b = s.create_space("A"), s.create_space("B")
    seen = {}

    def quitter(t):
        return
        yield

    def caller(t, dest):
        seen["call"] = yield t.call(dest, words=(1,))
        seen["receive"] = yield t.receive(dest)

    qid = s.create_thread(a, quitter, name="quitter")
    s.run()
    s.create_thread(b, caller, qid, name="caller")
    s.run()

    assert seen["call"].error == "no_partner"
    assert seen["receive"].error == "no_partner"
    assert seen["call"].detail


def test_a_partner_that_ends_wakes_its_waiters_with_no_partner():
    s = System(frames=16)
    a, b = s.create_space("A"), s.create_space("B")
    seen = {}

    def server(t):
        yield t.wait()  # takes the request, then ends without replying

    def client(t, dest):
        seen["client"] = yield t.call(dest, words=(1,))

    srv = s.create_thread(a, server, name="server")
    s.create_thread(b, client, srv, name="client")
    summary = s.run()

    assert summary.reason == "done"
    assert seen["client"].error == "no_partner"
    assert "server" in seen["client"].detail


def test_a_sender_that_gave_up_is_no_longer_queued():
    s = System(frames=16)
    a, b = s.create_space("A"), s.create_space("B")
    seen = {}
    ids = {}

    def impatient(t):
        r = yield t.send(ids["busy"], words=(1,), timeout=500)
        seen["impatient"] = (r.error, s.cycles)

    def busy(t):
        yield t.receive(t.id, timeout=1_000)  # busy elsewhere for a while
        seen["busy"] = yield t.wait(timeout=0)  # the impatient sender is gone by now

    ids["busy"] = s.create_thread(b, busy, name="busy")
    ids["impatient"] = s.create_thread(a, impatient, name="impatient")
    s.run()

    send_event = next(e for e in s.trace if e.kind == "send")
    assert seen["impatient"] == ("timeout", send_event.time + 500)
    assert seen["busy"].error == "timeout" and seen["busy"].sender is None
    assert not events(s, "ipc")
    s.check_invariants()


def test_two_threads_with_one_name_stay_apart_in_the_trace_and_in_replay():
    s = System(frames=8)
    a, b = s.create_space("A"), s.create_space("B")

    def once(t):
        yield t.wait(timeout=0)

    first = s.create_thread(a, once, name="worker")
    s.run()
    second = s.create_thread(b, once, name="worker")  # the name is free again
    s.run()

    assert first != second
    after_first_ended = next(e.step for e in s.trace if e.kind == "thread_end")
    s.state_at(s.steps - 1)
    replayed = s.state_at(after_first_ended).threads
    assert len(replayed) == 1  # the first worker, ended
    assert len(s.state_at(s.steps - 1).threads) == 2

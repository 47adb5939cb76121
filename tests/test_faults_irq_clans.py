"""Story tests for page faults and pagers, memory values, interrupts, and clans with chiefs."""

from __future__ import annotations

import pytest

from mkteach import KernelError, System

PAGE = 4096


def events(s, kind, **info):
    """Return the trace events of `kind` whose info matches every keyword given."""
    return [
        e
        for e in s.trace
        if e.kind == kind and all(e.get(key) == value for key, value in info.items())
    ]


def stacked_pager(t, log):
    """Serve faults by mapping our own page of the same number, touching it first."""
    msg = yield t.wait()
    while True:
        log.append((t.name, msg.sender, msg.fault_page, msg.write))
        yield t.load(msg.fault_page * PAGE)  # our own page: faults to our pager when unmapped
        msg = yield t.reply_and_wait(msg.sender, map=[(msg.fault_page, "rw", 0)])


# -- page faults and pagers ---------------------------------------------------------------------


def test_a_first_touch_travels_through_two_stacked_pagers_to_sigma0():
    s = System(frames=16)
    p1, p2, app = s.create_space("P1"), s.create_space("P2"), s.create_space("App")
    log = []
    seen = {}

    def application(t):
        yield t.store(5 * PAGE + 8, 99)
        seen["load"] = yield t.load(5 * PAGE + 8)
        seen["fresh"] = yield t.load(5 * PAGE + 16)

    pager1 = s.create_thread(p1, stacked_pager, log, name="pager1", pager=s.sigma0_pager)
    pager2 = s.create_thread(p2, stacked_pager, log, name="pager2", pager=pager1)
    app_id = s.create_thread(app, application, name="app", pager=pager2)
    summary = s.run()

    assert summary.reason == "done"
    assert summary.failed == ()
    assert seen == {"load": 99, "fresh": 0}
    # the application's fault reached pager2, whose own fault reached pager1, whose own reached σ0
    assert log == [("pager2", app_id, 5, True), ("pager1", pager2, 5, False)]
    faults = [(e.thread, e.get("page"), e.get("write")) for e in events(s, "page_fault")]
    assert faults == [(app_id, 5, True), (pager2, 5, False), (pager1, 5, False)]
    fault_ipcs = [(e.get("sender"), e.get("receiver")) for e in events(s, "ipc")]
    fault_ipcs = fault_ipcs[:3]
    assert fault_ipcs == [(app_id, pager2), (pager2, pager1), (pager1, s.sigma0_pager)]
    assert all(e.get("msg_kind") == "page_fault" for e in events(s, "ipc")[:3])
    # frame 5's derivation tree is a chain: sigma0 -> P1 -> P2 -> App
    tree = s.mapping_tree(5)
    assert sorted(tree.edges) == sorted(
        [
            (("sigma0", 5), ("P1", 5)),
            (("P1", 5), ("P2", 5)),
            (("P2", 5), ("App", 5)),
        ]
    )
    assert s.lookup(app, 5).frame == 5
    s.check_invariants()


def test_a_store_in_one_space_is_seen_by_a_load_in_another_space():
    s = System(frames=16)
    x, y = s.create_space("X"), s.create_space("Y")
    s.map(s.sigma0, 9, x, 1)
    s.map(s.sigma0, 9, y, 4, rights="r")  # same frame, another page, read-only
    seen = {}
    ids = {}

    def writer(t):
        yield t.store(1 * PAGE + 12, "hello")
        yield t.send(ids["reader"])  # tell the reader it may look now

    def reader(t):
        seen["before"] = yield t.load(4 * PAGE + 12)
        yield t.receive(ids["writer"])
        seen["after"] = yield t.load(4 * PAGE + 12)
        seen["next_byte"] = yield t.load(4 * PAGE + 13)
        seen["never_written"] = yield t.load(4 * PAGE + 4000)

    ids["reader"] = s.create_thread(y, reader, name="reader")
    ids["writer"] = s.create_thread(x, writer, name="writer")
    summary = s.run()

    assert summary.reason == "done" and summary.failed == ()
    assert seen == {"before": 0, "after": "hello", "next_byte": 0, "never_written": 0}
    assert not events(s, "page_fault")


def test_a_store_to_a_read_only_page_faults_as_a_write():
    s = System(frames=16)
    pg, ro = s.create_space("Pager"), s.create_space("Reader")
    s.map(s.sigma0, 3, pg, 0)
    s.map(pg, 0, ro, 0, rights="r")
    log = []
    seen = {}

    def upgrading_pager(t):
        msg = yield t.wait()
        while True:
            log.append((msg.fault_page, msg.fault_address, msg.write, msg.words))
            msg = yield t.reply_and_wait(msg.sender, map=[(0, "rw", 0)])

    def program(t):
        seen["read"] = yield t.load(40)  # reading is allowed: no fault
        yield t.store(40, 7)  # writing is not: a write fault
        seen["reread"] = yield t.load(40)

    pid = s.create_thread(pg, upgrading_pager, name="pager")
    s.create_thread(ro, program, name="program", pager=pid)
    summary = s.run()

    assert summary.failed == ()
    assert log == [(0, 40, True, (40, 1))]
    assert seen == {"read": 0, "reread": 7}
    (fault,) = events(s, "page_fault")
    assert fault.get("write") is True
    assert s.lookup(ro, 0).rights == "rw"


def test_a_thread_without_a_pager_that_faults_ends_and_says_why():
    s = System(frames=16)
    lost = s.create_space("Lost")
    ids = {}

    def wanderer(t):
        yield t.load(3 * PAGE)

    def bystander(t):
        yield t.wait(timeout=0)

    ids["wanderer"] = s.create_thread(lost, wanderer, name="wanderer")
    ids["bystander"] = s.create_thread(s.create_space("Other"), bystander, name="bystander")
    summary = s.run()

    assert summary.reason == "done"
    ((tid, message),) = summary.failed
    assert tid == ids["wanderer"]
    assert "no pager" in message and "page 3" in message
    assert "no pager" in str(summary)
    (end,) = [e for e in events(s, "thread_end") if e.thread == ids["wanderer"]]
    assert end.get("failed") is True and "no pager" in end.text
    (fault,) = events(s, "page_fault")
    assert fault.step == end.step and fault.get("page") == 3 and fault.get("write") is False


def test_a_thread_whose_pager_ended_ends_at_its_next_fault():
    s = System(frames=16)
    gone, app = s.create_space("Gone"), s.create_space("App")

    def lazy_pager(t):
        return
        yield

    def program(t):
        yield t.store(0, 1)

    pid = s.create_thread(gone, lazy_pager, name="pager")
    aid = s.create_thread(app, program, name="app", pager=pid)
    summary = s.run()

    ((tid, message),) = summary.failed
    assert tid == aid and "pager" in message and "ended" in message


def test_an_answer_without_a_covering_map_makes_the_access_fault_again():
    s = System(frames=16)
    pg, app = s.create_space("Pager"), s.create_space("App")
    s.map(s.sigma0, 6, pg, 2)
    answers = []

    def forgetful_pager(t):
        msg = yield t.wait()
        answers.append("words only")
        yield t.send(msg.sender, words=(0,))  # a plain answer: no map
        msg = yield t.wait()
        answers.append("map")
        msg = yield t.reply_and_wait(msg.sender, map=[(2, "rw", 0)])

    def program(t):
        yield t.store(2 * PAGE, "x")

    pid = s.create_thread(pg, forgetful_pager, name="pager")
    aid = s.create_thread(app, program, name="app", pager=pid)
    summary = s.run()

    assert answers == ["words only", "map"]
    faults = [(e.thread, e.get("page")) for e in events(s, "page_fault")]
    assert faults == [(aid, 2), (aid, 2)]
    assert summary.failed == () and aid in summary.ended
    assert s.lookup(app, 2).frame == 6
    assert [e.get("frame") for e in events(s, "store")] == [6]


# -- interrupts ---------------------------------------------------------------------------------


def test_a_driver_receives_an_empty_message_from_its_interrupt():
    s = System(frames=16)
    dev = s.create_space("Device")
    got = []

    def driver(t, irq):
        while True:
            msg = yield t.receive(irq)
            got.append((msg.error, msg.sender, msg.words, msg.strings))

    drv = s.create_thread(dev, driver, s.interrupt_id(3), name="driver")
    s.attach_interrupt(3, drv)
    first = s.run()
    assert first.reason == "done"  # idle waiting for its own interrupt counts as done
    assert first.blocked[0].thread == drv and first.blocked[0].idle

    s.raise_interrupt(3)
    second = s.run()

    assert second.reason == "done"
    assert got == [(None, s.interrupt_id(3), (), ())]
    assert s.interrupt_id(3) == s.interrupt_id(3) and s.interrupt_id(3) != s.interrupt_id(4)
    (delivery,) = events(s, "interrupt")
    assert delivery.get("sender") == s.interrupt_id(3) and delivery.get("receiver") == drv


def test_raises_before_the_driver_receives_stay_pending_and_merge_into_one():
    s = System(frames=16)
    dev = s.create_space("Device")
    got = []

    def driver(t, irq):
        msg = yield t.receive(irq)
        got.append(msg.sender)
        msg = yield t.receive(irq, timeout=0)  # nothing more: the three raises were one
        got.append(msg.error)
        msg = yield t.receive(irq)  # a raise after the delivery is a new one
        got.append(msg.sender)

    irq = s.interrupt_id(5)
    drv = s.create_thread(dev, driver, irq, name="driver")
    s.attach_interrupt(5, drv)
    for _ in range(3):
        s.raise_interrupt(5)  # the driver has not run yet: pending, merged
    s.run()
    assert got == [irq, "timeout"]
    s.raise_interrupt(5)
    summary = s.run()

    assert got == [irq, "timeout", irq]
    assert len(events(s, "interrupt")) == 2
    raises = events(s, "irq_raise")
    assert len(raises) == 4
    assert ["merged" in e.text for e in raises] == [False, True, True, False]
    assert summary.reason == "done"


def test_raising_an_interrupt_nobody_is_attached_to_raises_kernel_error():
    s = System(frames=16)
    dev = s.create_space("Device")

    with pytest.raises(KernelError):
        s.raise_interrupt(9)

    def short_driver(t):
        yield t.receive(s.interrupt_id(9), timeout=0)

    drv = s.create_thread(dev, short_driver, name="driver")
    s.attach_interrupt(9, drv)
    s.run()  # the driver ends: the interrupt is detached
    steps = s.steps
    with pytest.raises(KernelError):
        s.raise_interrupt(9)
    assert s.steps == steps  # a refused request is no step


def test_a_driver_that_waits_for_anyone_also_gets_its_interrupt():
    s = System(frames=16)
    dev, other = s.create_space("Device"), s.create_space("Other")
    got = []
    ids = {}

    def driver(t):
        for _ in range(2):
            msg = yield t.wait()
            got.append(msg.sender)

    def client(t):
        yield t.send(ids["driver"], words=(1,))

    ids["driver"] = s.create_thread(dev, driver, name="driver")
    s.attach_interrupt(2, ids["driver"])
    s.raise_interrupt(2)  # pending before anyone runs: it is the oldest event
    s.create_thread(other, client, name="client")
    s.run()
    assert got[0] == s.interrupt_id(2)
    assert len(got) == 2 and got[1] != s.interrupt_id(2)


# -- clans and chiefs ---------------------------------------------------------------------------


def clan_world():
    """Chief space C with member spaces M1 and M2, and an outside space Out."""
    s = System(frames=16)
    c = s.create_space("C")
    m1 = s.create_space("M1", chief=c)
    m2 = s.create_space("M2", chief=c)
    out = s.create_space("Out")
    return s, c, m1, m2, out


def forwarding_chief(t, log):
    """A chief that logs every redirected message and forwards it on the sender's behalf."""
    while True:
        msg = yield t.wait()
        log.append(("chief got", msg.sender, msg.intended, msg.words))
        r = yield t.send(msg.intended, words=msg.words, as_sender=msg.sender)
        log.append(("forwarded", r.error))


def test_a_message_leaving_the_clan_goes_to_the_chief_who_forwards_it():
    s, c, m1, _, out = clan_world()
    log = []
    ids = {}

    def member(t):
        r = yield t.send(ids["outsider"], words=(11,))
        log.append(("member sent", r.error))

    def outsider(t):
        msg = yield t.wait()
        log.append(("outsider got", msg.sender, msg.words, msg.intended))

    ids["chief"] = s.create_thread(c, forwarding_chief, log, name="chief")
    ids["spare"] = s.create_thread(c, forwarding_chief, [], name="spare")  # younger: not chief
    ids["outsider"] = s.create_thread(out, outsider, name="outsider")
    ids["member"] = s.create_thread(m1, member, name="member")
    summary = s.run()

    assert summary.reason == "done"
    assert log == [
        ("chief got", ids["member"], ids["outsider"], (11,)),
        ("member sent", None),
        ("outsider got", ids["member"], (11,), None),
        ("forwarded", None),
    ]
    kinds = [(e.get("msg_kind"), e.get("receiver")) for e in events(s, "ipc")]
    assert kinds == [("redirected", ids["chief"]), ("short", ids["outsider"])]


def test_a_message_entering_a_clan_goes_to_the_receivers_chief():
    s, c, m1, _, out = clan_world()
    log = []
    ids = {}

    def outsider(t):
        yield t.send(ids["member"], words=(5,))

    def member(t):
        msg = yield t.wait()
        log.append(("member got", msg.sender, msg.intended))

    ids["chief"] = s.create_thread(c, forwarding_chief, log, name="chief")
    ids["member"] = s.create_thread(m1, member, name="member")
    ids["outsider"] = s.create_thread(out, outsider, name="outsider")
    s.run()

    assert log[0] == ("chief got", ids["outsider"], ids["member"], (5,))
    assert ("member got", ids["outsider"], None) in log


def test_ipc_inside_a_clan_and_between_chief_and_member_is_direct():
    s, c, m1, m2, _ = clan_world()
    got = []
    ids = {}

    def chief(t):
        yield t.send(ids["m1"], words=(1,))
        msg = yield t.wait()
        got.append(("chief", msg.sender, msg.intended))

    def first(t):
        msg = yield t.wait()
        got.append(("m1", msg.sender, msg.intended))
        yield t.send(ids["m2"], words=(2,))
        yield t.send(ids["chief"], words=(3,))

    def second(t):
        msg = yield t.wait()
        got.append(("m2", msg.sender, msg.intended))

    ids["chief"] = s.create_thread(c, chief, name="chief")
    ids["m1"] = s.create_thread(m1, first, name="m1")
    ids["m2"] = s.create_thread(m2, second, name="m2")
    summary = s.run()

    assert summary.reason == "done"
    assert got == [
        ("m1", ids["chief"], None),
        ("m2", ids["m1"], None),
        ("chief", ids["m1"], None),
    ]
    assert not events(s, "ipc", msg_kind="redirected")


def test_a_redirected_calls_caller_gets_the_reply_of_the_partner_it_named():
    s, c, m1, _, out = clan_world()
    log = []
    seen = {}
    ids = {}

    def server(t):
        msg = yield t.wait()
        while True:
            msg = yield t.reply_and_wait(msg.sender, words=(msg.words[0] * 2,))

    def member(t):
        r = yield t.call(ids["server"], words=(21,))
        seen["reply"] = (r.error, r.sender, r.words, r.intended)

    # a chief at a higher priority is back in its wait before the server replies
    ids["chief"] = s.create_thread(c, forwarding_chief, log, name="chief", priority=150)
    ids["server"] = s.create_thread(out, server, name="server")
    ids["member"] = s.create_thread(m1, member, name="member")
    summary = s.run()

    assert summary.reason == "done"
    assert seen["reply"] == (None, ids["server"], (42,), None)
    assert [entry for entry in log if entry[0] == "chief got"] == [
        ("chief got", ids["member"], ids["server"], (21,)),  # the call leaves the clan
        ("chief got", ids["server"], ids["member"], (42,)),  # the reply enters it
    ]
    redirected = [e.get("sender") for e in events(s, "ipc", msg_kind="redirected")]
    assert redirected == [ids["member"], ids["server"]]


def test_only_a_chief_may_send_as_another_thread():
    s, c, m1, _, out = clan_world()
    seen = {}
    ids = {}

    def impostor(t):  # Out has no clan
        seen["impostor"] = yield t.send(ids["victim"], words=(1,), as_sender=ids["member"])

    def overreaching_chief(t):  # a chief, but neither side is a member of its clan
        seen["chief"] = yield t.send(ids["victim"], words=(2,), as_sender=ids["victim"])

    def victim(t):
        seen["victim"] = yield t.wait(timeout=5_000)

    def member(t):
        yield t.wait(timeout=0)

    ids["chief"] = s.create_thread(c, overreaching_chief, name="chief")
    ids["member"] = s.create_thread(m1, member, name="member")
    ids["victim"] = s.create_thread(s.create_space("Victim"), victim, name="victim")
    ids["impostor"] = s.create_thread(out, impostor, name="impostor")
    s.run()

    assert seen["impostor"].error == "not_chief"
    assert seen["chief"].error == "not_chief"
    assert seen["impostor"].detail and seen["chief"].detail
    assert seen["victim"].error == "timeout"  # nothing was delivered
    assert not events(s, "ipc")


def test_a_clan_whose_chief_has_no_thread_cannot_send_out():
    s, c, m1, _, out = clan_world()
    seen = {}
    ids = {}

    def member(t):
        seen["member"] = yield t.send(ids["outsider"], words=(1,))

    def outsider(t):
        yield t.wait(timeout=1_000)

    ids["outsider"] = s.create_thread(out, outsider, name="outsider")
    ids["member"] = s.create_thread(m1, member, name="member")
    s.run()

    assert seen["member"].error == "no_partner"
    assert "chief" in seen["member"].detail


def test_fault_ipc_is_never_redirected_by_clans():
    s, c, m1, _, out = clan_world()
    s.map(s.sigma0, 3, out, 3)
    log = []
    seen = {}

    def pager(t):
        msg = yield t.wait()
        while True:
            log.append(("pager got", msg.sender, msg.fault_page))
            msg = yield t.reply_and_wait(msg.sender, map=[(3, "rw", 0)])

    def member(t):
        yield t.store(3 * PAGE, 1)
        seen["load"] = yield t.load(3 * PAGE)

    ids = {"chief": s.create_thread(c, forwarding_chief, log, name="chief")}
    ids["pager"] = s.create_thread(out, pager, name="pager")  # outside the member's clan
    ids["member"] = s.create_thread(m1, member, name="member", pager=ids["pager"])
    summary = s.run()

    assert log == [("pager got", ids["member"], 3)]  # the chief saw nothing
    assert not events(s, "ipc", msg_kind="redirected")
    assert seen == {"load": 1}
    assert summary.reason == "done" and summary.failed == ()
    assert s.lookup(m1, 3).frame == 3


def test_an_interrupt_arriving_in_the_wait_phase_keeps_the_failed_reply_error():
    s = System(frames=16)
    dev, other = s.create_space("Device"), s.create_space("Other")
    seen = {}

    def driver(t):
        msg = yield t.wait()  # a request from the client
        yield t.wait(timeout=1_000)  # too slow: the client's call times out meanwhile
        r = yield t.reply_and_wait(msg.sender, words=(1,))
        seen["driver"] = (r.error, r.sender, r.reply_error)

    def client(t, dest):
        r = yield t.call(dest, words=(1,), timeout=300)
        seen["client"] = r.error

    drv = s.create_thread(dev, driver, name="driver")
    s.attach_interrupt(1, drv)
    s.create_thread(other, client, drv, name="client")
    assert s.run().reason == "done"
    s.raise_interrupt(1)
    s.run()

    assert seen == {"client": "timeout", "driver": (None, s.interrupt_id(1), "no_partner")}


def test_the_chief_is_the_oldest_living_thread_of_the_chief_space():
    s, c, m1, _, out = clan_world()
    got = []
    ids = {}

    def founder(t):
        return
        yield

    def successor(t):
        msg = yield t.wait()
        got.append((t.name, msg.sender, msg.intended))

    def member(t):
        yield t.send(ids["outsider"], words=(1,))

    def outsider(t):
        yield t.wait(timeout=5_000)

    ids["founder"] = s.create_thread(c, founder, name="founder")
    ids["successor"] = s.create_thread(c, successor, name="successor")
    ids["outsider"] = s.create_thread(out, outsider, name="outsider")
    s.run(max_steps=1)  # the founder ends
    ids["member"] = s.create_thread(m1, member, name="member")
    s.run()

    assert got == [("successor", ids["member"], ids["outsider"])]


def test_a_fault_waiting_in_the_pagers_queue_fails_when_the_pager_ends():
    s = System(frames=16)
    pager_space, user = s.create_space("Pager"), s.create_space("User")

    def lazy_pager(t):
        yield t.send(t.id, words=(0,), timeout=0)  # busy with something else, then gone

    def reader(t):
        yield t.load(3 * s.page_size)

    pid = s.create_thread(pager_space, lazy_pager, name="pager")
    rid = s.create_thread(user, reader, name="reader", pager=pid, priority=200)
    summary = s.run()
    (failed,) = summary.failed
    assert failed.thread == rid and "its pager" in failed.message and "ended" in failed.message
    assert any(e.kind == "thread_end" and e.get("failed") for e in s.trace)


def test_a_fault_the_pager_received_fails_when_the_pager_ends_before_answering():
    s = System(frames=16)
    pager_space, user = s.create_space("Pager"), s.create_space("User")

    def quitting_pager(t):
        yield t.wait()  # takes the fault message, then returns without an answer

    def reader(t):
        yield t.load(3 * s.page_size)

    pid = s.create_thread(pager_space, quitting_pager, name="pager")
    rid = s.create_thread(user, reader, name="reader", pager=pid)
    summary = s.run()
    assert [f.thread for f in summary.failed] == [rid]
    assert "page fault could not be served" in summary.failed[0].message

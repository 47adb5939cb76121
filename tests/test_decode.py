"""The kernel trusts no operation: its entry decodes and checks every field, whoever built it.

A program may skip its thread handle and yield an operation it built itself, e.g.
`ops.Call(dest, msg, "soon", None)`. Before, such an operation reached the kernel unchecked:
`run()` raised a TypeError and the ready queues were left broken. Now each bad field is refused in
the kernel's entry (seL4's decode, then invoke): the error is raised in the program at its
`yield`, a program that does not catch it fails with that KernelError as its reason, the run
finishes, every other thread goes on, and every invariant holds.
"""

from __future__ import annotations

import pytest

from mkteach import KernelError, System, errors
from mkteach.kernel import ops
from mkteach.kernel.ids import ThreadId, interrupt_id
from mkteach.kernel.messages import Item, Message

PAGE = 4096


class Opaque:
    """An object that is no plain data, whose repr raises (a repr must never be needed)."""

    def __repr__(self) -> str:
        raise RuntimeError("repr called")


def nested(depth: int) -> list:
    """Return a list nested `depth` deep."""
    value: list = []
    for _ in range(depth):
        value = [value]
    return value


OK_MSG = Message((1,))


def message(**fields) -> Message:
    """Return a Message with `fields` replacing those of a good short message."""
    base = {"words": (1,), "strings": (), "items": (), "label": None, "fault": None}
    base.update(fields)
    return Message(**base)


def item(**fields) -> Item:
    """Return an Item with `fields` replacing those of a good map item of page 0."""
    base = {"page": 0, "rights": "rw", "order": 0, "grant": False, "send_base": 0}
    base.update(fields)
    return Item(**base)


BAD_THREAD_IDS = ["server", 7, None, 1.5, ThreadId("a", 0, 0), ThreadId(1, 0.5, 0)]
BAD_TIMEOUTS = ["soon", -1, 1.5, True]
BAD_WINDOWS = [(8,), "x", (8, 0, 0), (1.5, 0), (9, 1), (8, -1), (8, "0"), (-8, 0), 8]
BAD_MESSAGES = [
    None,
    (1, 2),
    message(words=("x",)),
    message(words=(1.5,)),
    message(words=(True,)),
    message(words=[1]),
    message(words=1),
    message(words=tuple(range(65))),
    message(strings=("text",)),
    message(strings=b"abc"),
    message(strings=5),
    message(items=5),
    message(items=(5,)),
    message(items=((0, "rw", 0),)),
    message(items=(item(page=1.5),)),
    message(items=(item(page=-1),)),
    message(items=(item(page=1 << 20),)),
    message(items=(item(page=1, order=1),)),
    message(items=(item(order=-1),)),
    message(items=(item(order="0"),)),
    message(items=(item(rights="x"),)),
    message(items=(item(rights=None),)),
    message(items=(item(grant="yes"),)),
    message(items=(item(send_base=-1),)),
    message(items=(item(send_base=True),)),
    message(fault=(0, 0, False)),  # only the kernel sends page faults
    message(label=Opaque()),
    message(label=nested(100)),
]


def bad_operations(dest: ThreadId) -> list[tuple[str, object]]:
    """Return (what, operation) for every bad field of every kind of operation."""
    cases: list[tuple[str, object]] = []
    for bad in BAD_THREAD_IDS:
        cases.append(("send dest", ops.Send(bad, OK_MSG, None)))
        cases.append(("call dest", ops.Call(bad, OK_MSG, None, None)))
        cases.append(("reply dest", ops.ReplyAndWait(bad, OK_MSG, 0, None)))
        cases.append(("receive src", ops.Receive(bad, 0, None)))
        if bad is not None:  # None is no as_sender at all
            cases.append(("as_sender", ops.Send(dest, OK_MSG, None, bad)))
    cases.append(("send to an interrupt", ops.Send(interrupt_id(3), OK_MSG, None)))
    for bad in BAD_TIMEOUTS:
        cases.append(("send timeout", ops.Send(dest, OK_MSG, bad)))
        cases.append(("call timeout", ops.Call(dest, OK_MSG, bad, None)))
        cases.append(("reply timeout", ops.ReplyAndWait(dest, OK_MSG, bad, None)))
        cases.append(("receive timeout", ops.Receive(dest, bad, None)))
        cases.append(("wait timeout", ops.Wait(bad, None)))
    for bad in BAD_WINDOWS:
        cases.append(("call window", ops.Call(dest, OK_MSG, 0, bad)))
        cases.append(("reply window", ops.ReplyAndWait(dest, OK_MSG, 0, bad)))
        cases.append(("receive window", ops.Receive(dest, 0, bad)))
        cases.append(("wait window", ops.Wait(0, bad)))
    for bad in BAD_MESSAGES:
        cases.append(("send message", ops.Send(dest, bad, 0)))
        cases.append(("call message", ops.Call(dest, bad, 0, None)))
        cases.append(("reply message", ops.ReplyAndWait(dest, bad, 0, None)))
    for bad in [-1, 1 << 32, "0", 1.5, True, None]:
        cases.append(("load address", ops.Load(bad)))
        cases.append(("store address", ops.Store(bad, 1)))
    for bad in [Opaque(), (x for x in ()), bytearray(b"x"), [1, Opaque()], {Opaque(): 1},
                nested(100)]:  # fmt: skip
        cases.append(("stored value", ops.Store(0, bad)))
    for page, rights, order, include_self in [
        (-1, "rw", 0, False), ("0", "rw", 0, False), (1, "rw", 1, False), (0, "r", 0, False),
        (0, "x", 0, False), (0, 5, 0, False), (0, "rw", 21, False), (0, "rw", "0", False),
        (0, "rw", 0, "no"), (0, "rw", 0, 1), (0, "rw", 0, None),
    ]:  # fmt: skip
        cases.append(("flush", ops.Unmap(page, rights, order, include_self)))

    class MyCall(ops.Call):
        """A subclass is no operation of the kernel's: its fields could be properties."""

    cases.append(("subclass", MyCall(dest, OK_MSG, None, None)))
    return cases


CASES = bad_operations(ThreadId(1, 0, 0))


@pytest.mark.parametrize("index", range(len(CASES)), ids=[what for what, _ in CASES])
def test_a_bad_raw_operation_fails_its_thread_and_nothing_else(index):
    s = System(frames=16)
    server_space, client_space = s.create_space("S"), s.create_space("C")
    s.map(s.sigma0, 3, client_space, 0)
    got = {}

    def server(t):
        msg = yield t.wait(timeout=5_000)
        got["server"] = msg.error

    def forger(t, server_id):
        what, op = bad_operations(server_id)[index]
        got["what"] = what
        yield t.store(8, "before")  # a good operation first: the thread runs normally
        yield op  # built by hand, skipping the handle: the kernel must check it
        got["after"] = True  # never reached: the error is raised at the yield

    sid = s.create_thread(server_space, server, name="server")
    cid = s.create_thread(client_space, forger, sid, name="forger")
    mappings = {(name, page): s.lookup(name, page) for name in ("S", "C") for page in range(4)}

    summary = s.run()  # nothing escapes

    assert summary.reason == "done", str(summary)
    ((tid, reason),) = summary.failed
    assert tid == cid and reason.startswith("raised ")
    assert any(f"raised {name}: " in reason for name in errors.__all__)  # a KernelError
    assert "after" not in got
    s.check_invariants()  # the ready queues and the mapping database are intact
    assert got["server"] == "timeout"  # the server went on, and got nothing
    after = {(name, page): s.lookup(name, page) for name in ("S", "C") for page in range(4)}
    assert after == mappings
    assert [e.text for e in s.trace if e.kind == "error"][0].startswith("forger: ")
    assert not [e for e in s.trace if e.kind == "ipc"]


def test_the_issues_example_a_call_with_timeout_soon_is_refused_in_the_kernel():
    s = System(frames=16)
    seen = {}

    def server(t):
        msg = yield t.wait()
        yield t.reply_and_wait(msg.sender, words=(3,))

    def client(t, dest):
        try:
            yield ops.Call(dest, Message((1,)), "soon", None)
        except KernelError as e:
            seen["error"] = (type(e).__name__, str(e))
        r = yield t.call(dest, words=(2,))  # the thread is alive and well
        seen["next"] = r.error

    sid = s.create_thread(s.create_space("S"), server, name="server")
    s.create_thread(s.create_space("C"), client, sid, name="client")
    summary = s.run()

    assert summary.failed == ()
    assert seen["error"][0] == "InvalidArgument" and "'soon'" in seen["error"][1]
    assert seen["next"] is None  # the server was waiting: the call went through
    s.check_invariants()


def test_a_refused_operation_is_a_kernel_entry_that_costs_a_null_call():
    s = System(frames=16)

    def forger(t):
        try:
            yield ops.Load("zero")
        except KernelError:
            pass

    s.create_thread(s.create_space("A"), forger, name="forger")
    s.run()

    (error,) = [e for e in s.trace if e.kind == "error"]
    assert "load refused" in error.text and "address" in error.text
    assert error.cycles > 0 and dict(error.costs)["trap"] > 0


def test_changing_an_operation_after_yielding_it_changes_nothing():
    """The kernel goes on with operations of its own: a program that mutates the frozen operation
    it yielded (it can, with object.__setattr__) or the list it stored, changes nothing."""
    s = System(frames=16)
    a = s.create_space("A")
    s.map(s.sigma0, 4, a, 0)
    seen = {}

    def sly(t):
        value = [1, 2]
        op = t.store(16, value)
        yield op
        value.append(3)
        object.__setattr__(op, "value", "changed")
        seen["loaded"] = yield t.load(16)

    s.create_thread(a, sly, name="sly")
    s.run()

    assert seen["loaded"] == [1, 2]
    assert s.state_at(s.steps - 1).memory[4 * PAGE + 16] == [1, 2]

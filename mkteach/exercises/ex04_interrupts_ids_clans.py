"""Exercise 4 (interrupts, unique ids, clans): interrupt merging and acknowledgement, a stale
thread id, and a chief with bugs to find and fix.

Every instance is seeded (`seed_of(STUDENT)`); every check returns `Feedback` and never raises at
the student. This module builds the systems (`irq_system`, `stale_system`, the chiefs) and says
what wrong answers reveal; it has no function that returns a graded answer: the exercise's hidden
tests read those from the model's run, as a student may (issue 20).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mkteach.grading.feedback import Feedback, finish
from mkteach.grading.instances import instance
from mkteach.grading.instances import int_seed as _int_seed
from mkteach.grading.programs import (
    check_program,
    thread_named,
    waits_for_anyone,
)
from mkteach.kernel.ids import ThreadId
from mkteach.scenarios import clans
from mkteach.scenarios.basics import REFUSED
from mkteach.system import System

PAGE = 4096


# -- interrupts ------------------------------------------------------------------------------------

IRQ = 5
REGISTERS = 15  # the device's register page (frame 15)


def irq_instance(seed: int | str) -> dict[str, Any]:
    """Return the seeded interrupt timeline: raises before the driver first runs, raises while it
    handles the first interrupt, raises one at a time later, and whether it has a consumer."""
    rng = instance(seed, "irq")
    before, busy = rng.sample([2, 3, 4], 2)
    return {
        "before": before,
        "busy": busy,
        "later": rng.randint(1, 3),
        "consumer": rng.random() < 0.5,
    }


def irq_driver(t, irq, consumer):
    """A driver: receive the interrupt, read the device's status, tell the device it is done,
    and (if it has one) pass a word to its consumer."""
    while True:
        yield t.receive(irq)
        yield t.load(REGISTERS * PAGE)  # status register
        yield t.store(REGISTERS * PAGE + 8, 0)  # "done"
        if consumer is not None:
            yield t.send(consumer, words=(1,))


def irq_consumer(t):
    """Take whatever the driver sends, for ever."""
    while True:
        yield t.wait()


def irq_system(seed: int | str) -> System:
    """Return the driver's system after the seeded timeline has run.

    1. the device raises `before` times before the driver has run at all;
    2. the system steps until the first interrupt is delivered; the device raises `busy` more
       times while the driver handles it (before its next IPC); the system runs to the end;
    3. `later` times: the device raises once, and the system runs to the end.
    """
    shape = irq_instance(seed)
    s = System(machine="i486", frames=16)
    space = s.create_space("Driver")
    s.map(s.sigma0, REGISTERS, space, REGISTERS)
    consumer = None
    if shape["consumer"]:
        consumer = s.create_thread(s.create_space("App"), irq_consumer, name="app")
    driver = s.create_thread(space, irq_driver, s.interrupt_id(IRQ), consumer, name="driver")
    s.attach_interrupt(IRQ, driver)
    for _ in range(shape["before"]):
        s.raise_interrupt(IRQ)
    for _ in range(200):
        if any(e.kind == "interrupt" for e in s.step()):
            break
    for _ in range(shape["busy"]):
        s.raise_interrupt(IRQ)
    s.run()
    for _ in range(shape["later"]):
        s.raise_interrupt(IRQ)
        s.run()
    return s


def irq_beliefs(seed: int | str) -> list[tuple[int, str]]:
    """Return (count, message) for the counts that wrong beliefs about interrupts predict."""
    b = irq_instance(seed)
    before, busy, later = b["before"], b["busy"], b["later"]
    return [
        (
            before + busy + later,
            "every raise is not a message of its own: raises of an interrupt that is still "
            "pending merge into one, as on a real interrupt line",
        ),
        (
            1 + later,
            "the raises while the driver was busy were not lost: the interrupt stays pending and "
            "is delivered at the driver's next receive",
        ),
        (
            1 + busy + later,
            "the raises while the driver was busy merge too: into one pending interrupt, "
            "delivered once at its next receive",
        ),
        (
            before + 1 + later,
            "the raises before the driver first ran merge into one: it gets one message for them",
        ),
    ]


ACK_CHOICES = {
    "delivery": "the delivery itself: the kernel acknowledges as it sends the message",
    "load": "the driver's load of the status register",
    "store": "the driver's store to the device's 'done' register",
    "receive": "the driver's next receive",
    "send": "the driver's send to its consumer",
}


def ack_explain(acknowledging: str) -> dict[str, str]:
    """Return, per wrong choice, the misconception it shows, given the model's answer
    `acknowledging` (the kind of operation that acknowledged: the grader reads it from the run)."""
    explain = {
        "delivery": "the kernel delivers the message but acknowledges the interrupt only at the "
        "driver's next IPC, so the device cannot interrupt the driver while it handles the last "
        "one",
        "load": "a load is a memory access at user level, not IPC: the kernel acknowledges at the "
        "driver's next IPC",
        "store": "writing the device's register is a memory access at user level, not IPC: the "
        "kernel acknowledges at the driver's next IPC",
        "receive": "this driver's next IPC after the interrupt is its send to the consumer: any "
        "IPC acknowledges, not only a receive",
        "send": "this driver has no consumer: its next IPC is its receive",
    }
    explain.pop(acknowledging, None)
    return explain


# -- unique ids ------------------------------------------------------------------------------------

STALE_CHOICES = {
    "delivered": "the server now in that thread slot receives it",
    "no_partner": "the send fails at once with no_partner",
    "timeout": "the send waits for a receiver and fails with timeout",
}


def stale_instance(seed: int | str) -> dict[str, Any]:
    """Return how often the service's thread 0 is replaced (`reuses`) and which version of its
    id the late client holds (`held`, from 0 to reuses)."""
    rng = instance(seed, "stale")
    reuses = rng.randint(1, 3)
    held = reuses if rng.random() < 0.34 else rng.randrange(reuses)
    return {"reuses": reuses, "held": held}


def one_request(t):
    """Serve one request and end."""
    yield t.wait()


def last_server(t):
    """Wait for one request, or time out."""
    yield t.wait(timeout=5_000)


def asker(t, dest):
    """Send one message to `dest` (timeout 1,000 cycles)."""
    yield t.send(dest, words=(1,), timeout=1_000)


def stale_system(seed: int | str) -> tuple[System, list[ThreadId]]:
    """Return (the system after the run, the ids of the service's threads in order).

    Thread 0 of task Service serves one request and ends, `reuses` times; each time a new thread
    takes the slot. The last one waits (with a timeout). Then a late client sends to the id it
    holds: the `held`-th of those threads.
    """
    shape = stale_instance(seed)
    s = System(machine="i486", frames=16)
    service = s.create_space("Service")
    ids = []
    for version in range(shape["reuses"]):
        ids.append(s.create_thread(service, one_request, name="server"))
        s.create_thread(s.create_space(f"Early{version}"), asker, ids[-1], name=f"early{version}")
        s.run()
    ids.append(s.create_thread(service, last_server, name="server"))
    s.create_thread(s.create_space("Late"), asker, ids[shape["held"]], name="late")
    s.run()
    return s, ids


def stale_explain(result: str) -> dict[str, str]:
    """Return, per wrong choice, the misconception it shows, given the model's answer `result`
    (a key of STALE_CHOICES: the grader reads it from the run)."""
    if result == "delivered":
        return {
            "no_partner": "the late client holds the current server's id: it reaches that "
            "server. Only an id whose version is older than the slot's thread's is stale",
            "timeout": "the current server waits for anyone, so it takes the message at once",
        }
    return {
        "delivered": "the late client's id names an older thread of that slot: a stale id "
        "never reaches the new thread (the kernel compares the version too)",
        "timeout": "the kernel does not keep a message for a stale id until it times out: it "
        "refuses it at once, with no_partner",
    }


def version_beliefs(seed: int | str) -> list[tuple[int, str]]:
    """Return (version, message) for the versions wrong beliefs about ids give."""
    shape = stale_instance(seed)
    return [
        (
            shape["held"],
            "that is the version in the id the late client holds: every new thread in the slot "
            "gets the next version",
        ),
        (
            shape["reuses"] + 1,
            "versions count from 0: the first thread in a slot has version 0",
        ),
        (0, "the version changes each time the thread number is reused"),
    ]


# -- clans and chiefs: find the bug ----------------------------------------------------------------

CHIEF_BUGS = {
    "as_sender": "it forwards without as_sender, so the server sees the chief as the sender",
    "replies": "it lets through only messages *to* the allowed server, so the server's replies "
    "into the clan are refused",
    "priority": "it runs at its clan's priority, so a reply with timeout 0 can find it busy",
    "timeout": "it refuses with timeout 0, so a refused caller never gets the answer",
    "secret": "it must forward the call to the secret server too: a chief may not drop messages",
}


def chief_v1(t, allowed):
    """A chief: forward messages to or from the allowed threads; refuse the others."""
    while True:
        msg = yield t.wait()
        if msg.intended in allowed or msg.sender in allowed:
            yield t.send(msg.intended, words=msg.words, label=msg.label)
        else:
            yield t.send(msg.sender, words=(REFUSED,), as_sender=msg.intended, timeout=0)


def chief_v2(t, allowed):
    """A chief: forward messages to the allowed threads; refuse the others."""
    while True:
        msg = yield t.wait()
        if msg.intended in allowed:
            yield t.send(msg.intended, words=msg.words, label=msg.label, as_sender=msg.sender)
        else:
            yield t.send(msg.sender, words=(REFUSED,), as_sender=msg.intended, timeout=0)


def chief_v3(t, allowed):
    """A chief: forward messages to the allowed threads; refuse the others."""
    while True:
        msg = yield t.wait()
        if msg.intended in allowed:
            yield t.send(msg.intended, words=msg.words, label=msg.label)
        else:
            yield t.send(msg.sender, words=(REFUSED,), as_sender=msg.intended, timeout=0)


_CHIEF_VARIANTS = [(chief_v1, 100), (chief_v2, 100), (chief_v3, 150)]  # which bugs each has is
# the answer of Q3a: it lives in the exercise's hidden test, never in this package


def chief_program(seed: int | str) -> tuple[Callable[..., Any], int]:
    """Return this seed's buggy chief program and the priority it runs at."""
    rng = instance(seed, "chief")
    return _CHIEF_VARIANTS[rng.randrange(len(_CHIEF_VARIANTS))]


def chief_source(seed: int | str) -> str:
    """Return the source of this seed's buggy chief, named buggy_chief."""
    import inspect

    program = chief_program(seed)[0]
    return inspect.getsource(program).replace(f"def {program.__name__}(", "def buggy_chief(", 1)


CHIEF_EXPLAIN = {
    "as_sender": "this chief forwards with as_sender=msg.sender, so the server answers the caller",
    "replies": "this chief lets through messages from the allowed server too (msg.sender in "
    "allowed)",
    "priority": "this chief runs above its clan's priority (150 against 100)",
    "timeout": "timeout 0 is right for the refusal: the refused caller is waiting for the reply "
    "of the server it called, and a send to a thread that does not wait must not block the chief",
    "secret": "a chief may inspect, change, forward or drop what leaves its clan: that is the "
    "point of supervision",
}


def check_chief(
    program: Callable[..., Any],
    priority: object,
    seed: int | str = 0,
    *,
    points: float = 1.0,
    max_steps: int = 600,
    seconds: float = 5.0,
    machine: str = "i486",
    title: str = "chief",
) -> Feedback:
    """Return feedback on a chief program `program(t, allowed)` run at `priority` in chapter 4's
    clans scenario (Alice calls the printer, which is allowed, and the secret server, which is
    not, then tells Bob both answers).

    Credit: Alice got the printer's answer (twice her number) and Bob got her message (0.4);
    the secret server received nothing and Alice's call to it was refused (0.3); the chief is
    still waiting for the next message at the end (0.3).
    """
    if not isinstance(priority, int) or isinstance(priority, bool):
        return finish(0, points, [f"set the chief's priority to a number, not {priority!r}"], title)
    return check_program(
        lambda: clans(_int_seed(seed), machine, chief_priority=priority, chief_program=program),
        lambda s, summary: _score_chief(s, summary, max_steps),
        "chief",
        points,
        max_steps,
        seconds,
        title,
    )


def _score_chief(s: System, summary: Any, max_steps: int) -> tuple[float, list[str]]:
    """Return (credit from 0 to 1, messages) for a finished clans run; see check_chief."""
    alice, chief = thread_named(s, "alice"), thread_named(s, "chief")
    printer, secret = thread_named(s, "printer"), thread_named(s, "secret")
    ipcs = [e for e in s.trace if e.kind == "ipc"]
    got = {(e.get("sender"), e.get("receiver")): e.get("words") for e in ipcs}
    number = next((e.get("words")[0] for e in ipcs if e.get("sender") == alice.id), None)
    messages: list[str] = []
    credit = 0.0
    to_bob = got.get((alice.id, thread_named(s, "bob").id))
    printed = to_bob[0] if to_bob else None
    if number is not None and printed == 2 * number:
        credit += 0.4
    else:
        messages.append(_chief_problem(s, summary, max_steps))
    to_secret = [e for e in ipcs if e.get("receiver") == secret.id]
    refused = to_bob is not None and len(to_bob) > 1 and to_bob[1] == REFUSED
    if to_secret:
        messages.append(
            "your chief let a call through to the secret server: refuse it (answer REFUSED in "
            "the secret server's name, as_sender=msg.intended)"
        )
    elif refused:
        credit += 0.3
    if chief is not None and chief.alive and waits_for_anyone(chief):
        credit += 0.3
    elif chief is not None and not chief.alive:
        messages.append(f"your chief failed: {chief.state.reason}")
    else:
        messages.append(f"at the end your chief is {chief.state.describe()}, not waiting")
    from_chief = [
        e for e in ipcs if e.get("receiver") == printer.id and e.get("sender") == chief.id
    ]
    if from_chief:
        messages.append(
            "the printer got the call from the chief, not from Alice, and answers the chief: "
            "forward with as_sender=msg.sender"
        )
    refused_printer = [
        e for e in ipcs if e.get("receiver") == printer.id and e.get("words") == (REFUSED,)
    ]
    if refused_printer:
        messages.append(
            "your chief refused the printer's reply to Alice: a reply *from* an allowed server "
            "must pass into the clan too (msg.sender in allowed)"
        )
    if credit >= 1:
        messages.append(
            f"right: Alice got {printed} from the printer and REFUSED from the secret server"
        )
    return credit, list(dict.fromkeys(m for m in messages if m))


def _chief_problem(s: System, summary: Any, max_steps: int) -> str:
    """Return why Alice did not get her answers."""
    lost = [
        e for e in s.trace if e.kind == "reply_failed" and str(e.thread) in ("printer", "secret")
    ]
    if lost:
        return (
            f"the {lost[0].thread}'s reply (timeout 0) found your chief busy and was lost, so "
            "Alice waits for ever: run the chief above its clan's priority (the members run at "
            "100), so it is back in its wait before the server replies"
        )
    if summary is not None and summary.reason == "max_steps":
        return (
            f"the run did not finish within {max_steps} steps: messages are bouncing between the "
            "chief and a server"
        )
    alice = thread_named(s, "alice")
    if alice is not None and alice.alive:
        return f"Alice did not get the printer's answer: she is still {alice.state.describe()}"
    return "Alice did not get the printer's answer (twice her number)"

"""Instances and checks for exercises 1, 4, 5 and 6 (rationale; interrupts, ids and clans;
flexibility; switching costs).

Every instance is seeded (`seed_of(STUDENT)`), every model answer is computed here from a fresh
`System` when a test cell asks for it, and every check returns `Feedback` and never raises at the
student. The checks of programs (`check_chief`, `check_colouring_pager`) run the student's program
in a fresh scenario under a step budget and a wall-clock limit, like `check_pager`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from ..kernel.ids import ThreadId
from ..paper import workloads
from ..paper.workloads import _client, _echo_server
from ..scenarios import clans
from ..scenarios.basics import REFUSED
from ..scenarios.memory import file_pager, memory_pager, reader
from ..system import System
from .answers import _close, _number, _unanswered, check_cost
from .costs import ipc_costs, ipc_facts
from .feedback import Feedback, check_failed, finish
from .instances import SIGMA0, instance, seed_of
from .programs import (
    _app,
    _app_plan,
    _check_program,
    _kernel_sane,
    _pager_problem,
    _pages_from_pager,
    _returned,
    _thread,
    _waits_for_anyone,
)
from .trees import Key, _same, _score, model_tree, read_answer, structural_problems

PAGE = 4096


def _int_seed(seed: int | str) -> int:
    """Return an int seed for a System (a student id becomes its seed)."""
    return seed if isinstance(seed, int) and not isinstance(seed, bool) else seed_of(seed)


# == exercise 1: the rationale =====================================================================

# -- a kernel call, L3 and Mach-style --------------------------------------------------------------


def kernel_call_machine(seed: int | str) -> dict[str, Any]:
    """Return seeded i486 parameter overrides for the kernel-call question."""
    rng = instance(seed, "kernel-call")
    return {
        "trap_enter_cycles": rng.randint(60, 80),
        "trap_exit_cycles": rng.randint(30, 40),
        "cpi": rng.choice([1.0, 1.5, 2.0]),
        "tlb_miss_cycles": rng.randint(6, 14),
        "cache_miss_cycles": rng.randint(2, 6),
    }


def kernel_call_costs(
    kernel: str = "l3", overrides: dict[str, Any] | None = None, cold: bool = False
) -> dict[str, int]:
    """Return {cause: cycles} of one null kernel call on the i486: warm, or cold (empty TLB and
    cache), on the `kernel` construction ("l3" or "mach")."""
    warm, cold_costs = workloads.kernel_call("i486", {"i486": dict(overrides or {})}, kernel)
    return cold_costs if cold else warm


def kernel_call_facts(overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Return what a student needs to compute the L3 kernel call by hand: the machine's trap,
    CPI and miss costs, each kernel's null-call instructions, and the misses of a cold L3 call."""
    from ..hw.kernels import L3, MACH

    s = System(machine="i486", frames=1, overrides=overrides)
    p = s.profile
    cold = kernel_call_costs("l3", overrides, cold=True)
    return {
        "trap_enter_cycles": p.trap_enter_cycles,
        "trap_exit_cycles": p.trap_exit_cycles,
        "cpi": p.cpi,
        "tlb_miss_cycles": p.tlb_miss_cycles,
        "cache_miss_cycles": p.cache_miss_cycles,
        "l3_instructions": L3.paths["null_call"].instructions,
        "mach_instructions": MACH.paths["null_call"].instructions,
        "l3_cold_tlb_misses": cold.get("tlb_miss", 0) // p.tlb_miss_cycles,
        "l3_cold_cache_misses": cold.get("cache_miss", 0) // p.cache_miss_cycles,
    }


def kernel_call_speedup(overrides: dict[str, Any] | None = None, cold: bool = False) -> float:
    """Return Mach-style / L3 cycles of one null kernel call (warm unless `cold`)."""
    mach = sum(kernel_call_costs("mach", overrides, cold).values())
    return mach / sum(kernel_call_costs("l3", overrides, cold).values())


def instruction_ratio() -> float:
    """Return Mach-style / L3 null-call instructions (a ratio that leaves out the trap)."""
    from ..hw.kernels import L3, MACH

    return MACH.paths["null_call"].instructions / L3.paths["null_call"].instructions


def rpc_run_ratio(overrides: dict[str, Any] | None = None, calls: int = 5) -> float:
    """Return Mach-style / L3 cycles of a whole short client-server run (cold caches included),
    the ratio chapter 1 prints for five calls."""
    cycles = {}
    for kernel in ("l3", "mach"):
        s = System(machine="i486", frames=16, kernel=kernel, overrides=overrides)
        server = s.create_thread(s.create_space("Server"), _echo_server, name="server")
        s.create_thread(s.create_space("Client"), _client, server, calls, name="client")
        s.run()
        cycles[kernel] = s.cycles
    return cycles["mach"] / cycles["l3"]


UNCHANGED = "that is the unchanged 486's number: use your machine's parameters, printed above"


def kernel_call_beliefs(overrides: dict[str, Any], cold: bool = False) -> list[tuple[float, str]]:
    """Return (cycles, message) of the L3 null call as wrong beliefs compute it (warm or cold)."""
    f = kernel_call_facts(overrides)
    trap = f["trap_enter_cycles"] + f["trap_exit_cycles"]
    path = f["l3_instructions"] * f["cpi"]
    misses = (
        f["l3_cold_tlb_misses"] * f["tlb_miss_cycles"]
        + f["l3_cold_cache_misses"] * f["cache_miss_cycles"]
        if cold
        else 0
    )
    beliefs = [
        (sum(kernel_call_costs("l3", {}, cold).values()), UNCHANGED),
        (
            f["trap_enter_cycles"] + path + misses,
            "leaving the kernel costs too: add trap_exit_cycles (iret) to trap_enter_cycles",
        ),
        (
            trap + f["l3_instructions"] + misses,
            "each kernel instruction takes cpi cycles: instructions x cpi",
        ),
    ]
    if cold:
        swapped = (
            f["l3_cold_tlb_misses"] * f["cache_miss_cycles"]
            + f["l3_cold_cache_misses"] * f["tlb_miss_cycles"]
        )
        beliefs.append(
            (
                trap + path + swapped,
                "you swapped the miss costs: a TLB miss costs tlb_miss_cycles, a cache miss "
                "cache_miss_cycles",
            )
        )
    else:
        beliefs.append(
            (
                107,
                "107 cycles is the paper's hardware floor of the unchanged 486, and only the "
                "floor: a kernel call adds its own instructions",
            )
        )
    return beliefs


def speedup_beliefs(overrides: dict[str, Any]) -> list[tuple[Callable[[], float], str]]:
    """Return (function, message) pairs for the speed-ups that wrong comparisons give."""
    return [
        (
            instruction_ratio,
            "you compared only the kernels' instructions: both calls also pay the same trap, which "
            "no kernel avoids, so the ratio of whole calls is far smaller",
        ),
        (
            lambda: kernel_call_speedup(overrides, cold=True),
            "that is the ratio of cold calls: the question (and the paper's 6 to 10 times) is "
            "about warm kernel calls",
        ),
        (
            lambda: rpc_run_ratio(overrides),
            "that is the ratio of a whole client-server run (IPC, cold caches included), not of "
            "one warm kernel call",
        ),
        (
            lambda: 1 / kernel_call_speedup(overrides),
            "upside down: the Mach-style call's cycles divided by the L3 call's",
        ),
    ]


# -- isolation: a server with a wild pointer -------------------------------------------------------

COUNTER_FRAME = 3  # the file server's counter lives in its page 0, frame 3
WILD = 666


def isolation_instance(seed: int | str) -> dict[str, Any]:
    """Return the seeded shape of the isolation system: the editor's jobs, the job on which the
    print server writes through a wild pointer, the mail reader's reads, and whether the print
    server has a pager."""
    rng = instance(seed, "isolation")
    jobs = rng.randint(3, 5)
    return {
        "jobs": jobs,
        "bug_job": rng.randint(1, jobs - 1),
        "mails": rng.randint(2, 4),
        "pager": rng.random() < 0.5,
    }


def file_server(t):
    """Count requests in the server's own page 0 and answer each with the new count."""
    msg = yield t.wait()
    while True:
        count = yield t.load(0)  # requests served so far, in the server's own page 0
        yield t.store(0, count + 1)
        msg = yield t.reply_and_wait(msg.sender, words=(count + 1,))


def print_server(t, bug_job):
    """Print jobs; on job `bug_job` write 666 through a wild pointer: to address 0."""
    msg = yield t.wait()
    while True:
        if msg.words[0] == bug_job:  # the bug: a wild pointer
            yield t.store(0, 666)
        msg = yield t.reply_and_wait(msg.sender, words=(msg.words[0],))


def editor(t, fs, ps, jobs):
    """Print each job, then save it; carry on whatever the print server answers."""
    for job in range(1, jobs + 1):
        yield t.call(ps, words=(job,))
        yield t.call(fs, words=(job,))


def mailer(t, fs, mails):
    """Read mail: one call to the file server per read."""
    for _ in range(mails):
        yield t.call(fs, words=(0,))


def isolation_system(seed: int | str) -> System:
    """Return chapter 1's system of servers for this seed, ready to run.

    FileServer keeps its counter in its page 0 (frame 3); PrintServer writes 666 to its own
    address 0 on the seeded job; with `pager` it has σ0's pager, else no pager at all.
    """
    shape = isolation_instance(seed)
    s = System(machine="i486", frames=16)
    files, printer = s.create_space("FileServer"), s.create_space("PrintServer")
    s.map(s.sigma0, COUNTER_FRAME, files, 0)
    pager = s.sigma0_pager if shape["pager"] else None
    fs = s.create_thread(files, file_server, name="fs")
    ps = s.create_thread(printer, print_server, shape["bug_job"], name="ps", pager=pager)
    s.create_thread(s.create_space("Editor"), editor, fs, ps, shape["jobs"], name="editor")
    s.create_thread(s.create_space("Mailer"), mailer, fs, shape["mails"], name="mailer")
    return s


ISOLATION_OUTCOMES = {
    "all": "the whole system stops: nothing can run after a server writes to a wild address",
    "fs_corrupt": "the file server's counter is overwritten with 666, but every thread runs on",
    "ps_only": "only the print server's thread ends; the editor gets an IPC error and carries on",
    "ps_paged": "the write faults, the print server's pager maps it a page of its own, and "
    "every thread carries on",
}

ISOLATION_EXPLAIN = {
    "all": "a server's bug is a user program's bug: the kernel ends at most that one thread, and "
    "everyone else runs on",
    "fs_corrupt": "address 0 in the print server's space is not address 0 in the file server's: "
    "each space maps its own pages, and the file server's page is not mapped to the print server",
    "ps_only": "this print server has a pager: its fault becomes a message to the pager, which "
    "maps it a page, and the write is retried",
    "ps_paged": "this print server has no pager: a page fault with no pager ends the faulting "
    "thread",
}


def isolation_outcome(seed: int | str) -> dict[str, Any]:
    """Run the isolation system; return what happened (a key of ISOLATION_OUTCOMES), the file
    server's final count, and the counts a wrong belief predicts."""
    s = isolation_system(seed)
    s.run()
    failed = {str(t.id) for t in s.kernel.threads.values() if not t.alive and t.state.failed}
    counter = s.kernel.memory.get(COUNTER_FRAME * PAGE, 0)
    wild = next(e.step for e in s.trace if e.kind == "page_fault" and str(e.thread) == "ps")
    replies = [e for e in s.trace if e.kind == "ipc" and str(e.get("sender")) == "fs"]
    before = max((e.get("words")[0] for e in replies if e.step < wild), default=0)
    if not failed:
        outcome = "ps_paged"
    elif failed == {"ps"}:
        outcome = "ps_only"
    else:  # pragma: no cover - the model isolates; this would be a kernel bug
        outcome = "all"
    return {
        "outcome": outcome,
        "served": counter,
        "replies": len(replies),
        "at_wild_write": before,
        "corrupted": WILD + (counter - before),
        "failed": sorted(failed),
    }


def isolation_count_beliefs(seed: int | str) -> list[tuple[int, str]]:
    """Return (count, message) for the file server's final count as wrong beliefs predict it."""
    run = isolation_outcome(seed)
    return [
        (
            run["corrupted"],
            "the wild write did not reach the file server's counter: it wrote to address 0 of the "
            "print server's own space, and the file server's page is not mapped there",
        ),
        (
            run["at_wild_write"],
            "the file server did not stop counting at the wild write: a bug in the print server "
            "cannot stop another server",
        ),
    ]


# == exercise 4: interrupts, unique ids, clans =====================================================

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


def irq_deliveries(seed: int | str) -> int:
    """Return how many interrupt messages the driver received in the seeded timeline."""
    return sum(e.kind == "interrupt" for e in irq_system(seed).trace)


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


def acknowledging_op(seed: int | str) -> str:
    """Return the kind of the driver's operation that acknowledged the first interrupt."""
    s = irq_system(seed)
    return next(e.kind for e in s.trace if "acknowledges" in e.text)


def ack_explain(seed: int | str) -> dict[str, str]:
    """Return, per wrong choice, the misconception it shows for this seed's driver."""
    consumer = irq_instance(seed)["consumer"]
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
    del explain["send" if consumer else "receive"]
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


def stale_outcome(seed: int | str) -> dict[str, Any]:
    """Return what became of the late client's send (a key of STALE_CHOICES) and the version of
    the thread in the slot at the end."""
    s, ids = stale_system(seed)
    sent = next(e for e in s.trace if e.kind == "send" and str(e.thread) == "late")
    after = [e for e in s.trace if e.step >= sent.step]
    if any(e.kind == "ipc" and e.get("sender") == sent.thread for e in after):
        result = "delivered"
    elif any(e.kind == "timeout" and e.thread == sent.thread for e in after):
        result = "timeout"
    else:
        result = "no_partner"
    return {"result": result, "current_version": ids[-1].version}


def stale_explain(seed: int | str) -> dict[str, str]:
    """Return, per wrong choice, the misconception it shows for this seed."""
    shape = stale_instance(seed)
    held, now = shape["held"], shape["reuses"]
    if held == now:
        return {
            "no_partner": f"the late client holds the current server's id (version {now}): it "
            "reaches that server. Only an id whose version is older than the slot's is stale",
            "timeout": "the current server waits for anyone, so it takes the message at once",
        }
    return {
        "delivered": f"the late client's id has version {held}, the thread in the slot has "
        f"version {now}: a stale id never reaches the new thread (the kernel compares the "
        "version too)",
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


_CHIEF_VARIANTS = [
    ({"as_sender", "priority"}, chief_v1, 100),
    ({"replies", "priority"}, chief_v2, 100),
    ({"as_sender", "replies"}, chief_v3, 150),
]


def chief_instance(seed: int | str) -> dict[str, Any]:
    """Return this seed's buggy chief: its bugs (keys of CHIEF_BUGS), program and priority."""
    rng = instance(seed, "chief")
    bugs, program, priority = _CHIEF_VARIANTS[rng.randrange(len(_CHIEF_VARIANTS))]
    return {"bugs": set(bugs), "program": program, "priority": priority}


def chief_program(seed: int | str) -> tuple[Callable[..., Any], int]:
    """Return this seed's buggy chief program and the priority it runs at."""
    chief = chief_instance(seed)
    return chief["program"], chief["priority"]


def chief_source(seed: int | str) -> str:
    """Return the source of this seed's buggy chief, named buggy_chief."""
    import inspect

    program = chief_instance(seed)["program"]
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
    return _check_program(
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
    alice, chief = _thread(s, "alice"), _thread(s, "chief")
    printer, secret = _thread(s, "printer"), _thread(s, "secret")
    ipcs = [e for e in s.trace if e.kind == "ipc"]
    got = {(e.get("sender"), e.get("receiver")): e.get("words") for e in ipcs}
    number = next((e.get("words")[0] for e in ipcs if e.get("sender") == alice.id), None)
    messages: list[str] = []
    credit = 0.0
    to_bob = got.get((alice.id, _thread(s, "bob").id))
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
    if chief is not None and chief.alive and _waits_for_anyone(chief):
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
    alice = _thread(s, "alice")
    if alice is not None and alice.alive:
        return f"Alice did not get the printer's answer: she is still {alice.state.describe()}"
    return "Alice did not get the printer's answer (twice her number)"


# == exercise 5: flexibility =======================================================================

# -- the mapping tree of a stacked-pager run -------------------------------------------------------

FILE_BASE = 100  # the file pager keeps block p at its own page FILE_BASE + p


def stacked_instance(seed: int | str) -> dict[str, Any]:
    """Return the seeded stacked-pager run: App's pages in the order it reads them, the free
    pages of the main-memory pager in the order it hands them out, and which of App's reads has
    its memory flushed by the memory pager afterwards (`flush_read`, an index into `reads`)."""
    rng = instance(seed, "stacked")
    reads = rng.sample(range(8), rng.randint(3, 4))
    free = rng.sample(range(16, 48), 8)
    return {"reads": reads, "free": free, "flush_read": rng.randrange(len(reads))}


def stacked_system(seed: int | str) -> System:
    """Return chapter 5's stacked pagers for this seed, after the run and the final flush.

    App's faults go to Files (file_pager, base FILE_BASE), Files' faults to Memory (memory_pager,
    free pages in the seeded order), Memory's to σ0's pager. After the run, Memory flushes the
    page it handed out for App's `flush_read`-th read.
    """
    shape = stacked_instance(seed)
    s = System(machine="i486", frames=64)
    memory, files, app = s.create_space("Memory"), s.create_space("Files"), s.create_space("App")
    p1 = s.create_thread(memory, memory_pager, list(shape["free"]), name="memory",
                         pager=s.sigma0_pager)  # fmt: skip
    p2 = s.create_thread(files, file_pager, FILE_BASE, name="files", pager=p1)
    s.create_thread(app, reader, list(shape["reads"]), name="app", pager=p2)
    s.run()
    s.flush(memory, shape["free"][shape["flush_read"]])
    return s


STACKED_MISCONCEPTIONS = {
    "skip_files": "App's page derives from the file pager's page, not straight from the memory "
    "pager's: each pager maps from its own space, one level at a time",
    "skip_memory": "the file pager's page derives from the memory pager's page, not straight "
    "from σ0: the memory pager is the file pager's pager",
    "files_same_page": f"the file pager keeps block p at its own page {FILE_BASE} + p, so App's "
    f"page p derives from Files:{FILE_BASE}+p, not Files:p",
    "page_order": "the memory pager hands out its free pages in the order the faults arrive (the "
    "order App reads its pages), not in the order of the page numbers",
    "flush_direct_only": "flush removes everything derived from the flushed page, directly or "
    "indirectly: App's page went too, with the file pager's",
    "flush_self": "the memory pager keeps its own page when it flushes: only what derives from it "
    "is removed",
    "no_flush": "the memory pager's flush removed the file pager's page and App's page derived "
    "from it",
}


def stacked_belief(seed: int | str, belief: str | None = None) -> dict[Key, Key]:
    """Return the tree {(space, page): parent} of the stacked run under a wrong `belief` (a key
    of STACKED_MISCONCEPTIONS), or under the right rules when None."""
    shape = stacked_instance(seed)
    reads, free = shape["reads"], shape["free"]
    order = sorted(reads) if belief == "page_order" else reads
    tree: dict[Key, Key] = {}
    for page, own in zip(order, free, strict=False):
        memory, block = ("Memory", own), ("Files", page if belief == "files_same_page" else
                                                     FILE_BASE + page)  # fmt: skip
        tree[memory] = (SIGMA0, own)
        if belief == "skip_memory":
            del tree[memory]
            tree[block] = (SIGMA0, own)
        else:
            tree[block] = memory
        if belief == "skip_files":
            del tree[block]
            tree[("App", page)] = memory
        else:
            tree[("App", page)] = block
    flushed = ("Memory", free[shape["flush_read"]])
    if belief == "no_flush":
        return tree
    victims = _below(tree, flushed)
    if belief == "flush_direct_only":
        victims = [k for k in victims if tree[k] == flushed]
    if belief == "flush_self":
        victims.append(flushed)
    if belief == "skip_memory":
        victims = _below(tree, (SIGMA0, flushed[1]))
    return {k: p for k, p in tree.items() if k not in victims}


def _below(tree: dict[Key, Key], key: Key) -> list[Key]:
    """Return every key derived from `key` in {(space, page): parent}."""
    out, stack = [], [k for k, p in tree.items() if p == key]
    while stack:
        k = stack.pop()
        out.append(k)
        stack += [c for c, p in tree.items() if p == k]
    return out


def check_stacked_tree(
    predicted: object, seed: int | str, *, points: float = 1.0, title: str = "mapping tree"
) -> Feedback:
    """Return feedback on a predicted tree {(space, page): parent} of the seeded stacked-pager
    run (after its flush), with partial credit per mapping and the misconception named."""
    try:
        return _check_stacked(predicted, seed, points, title)
    except Exception as e:  # a check never raises at the student
        return check_failed(e, points, title)


def _check_stacked(predicted: object, seed: int | str, points: float, title: str) -> Feedback:
    """Score a stacked tree; see check_stacked_tree."""
    model = {k: (parent, "rw") for k, (parent, _) in model_tree(stacked_system(seed)).items()}
    student, errors = read_answer(predicted)
    if errors and not student:
        return finish(0, points, errors, title)
    if not student:
        return finish(0, points, ["no answer yet: fill in the tree"], title)
    score, possible, notes = _score(student, model, False)
    messages = errors + structural_problems(student)
    if score < possible:
        messages += _stacked_misconceptions(student, model, seed)
    messages += notes
    if score >= possible and not messages:
        messages.append(f"all {len(model)} mappings right")
    return finish(points * score / possible, points, messages, title)


def _stacked_misconceptions(
    student: dict[Key, tuple[Any, str | None]], model: dict[Key, tuple[Key, str]], seed: int | str
) -> list[str]:
    """Return the messages of the beliefs the student's tree follows where the model differs."""
    right = {k: (p, "rw") for k, p in stacked_belief(seed).items()}
    if right != model:
        return []  # the belief builder disagrees with the kernel: do not guess
    found = []
    for name, message in STACKED_MISCONCEPTIONS.items():
        wrong = {k: (p, "rw") for k, p in stacked_belief(seed, name).items()}
        keys = set(wrong) | set(model) | set(student)
        differ = [k for k in keys if not _same(wrong.get(k), model.get(k), False)]
        if not differ:
            continue
        agree_wrong = sum(_same(student.get(k), wrong.get(k), False) for k in differ)
        agree_model = sum(_same(student.get(k), model.get(k), False) for k in differ)
        overall = sum(_same(student.get(k), wrong.get(k), False) for k in keys) / len(keys)
        if agree_wrong > agree_model and 2 * agree_wrong >= len(differ):
            found.append((overall, name, message))
    best = max((score for score, _, _ in found), default=0.0)
    return [message for score, _, message in sorted(found) if score == best]


# -- a colouring pager -----------------------------------------------------------------------------

PER_COLOUR = 3  # frames of each colour in the pager's pool


def colour_instance(seed: int | str, pages: int = 5, colours: int | None = None) -> dict:
    """Return the seeded colouring workload: the number of colours, the pager's pool (its own
    pages, numbered like the frames behind them: σ0's page f is frame f) and App's pages (at
    least two of one colour, at most PER_COLOUR of any)."""
    rng = instance(seed, f"colour{pages}")
    colours = colours or rng.choice([4, 8])
    pool = []
    for colour in range(colours):
        candidates = [f for f in range(64, 128) if f % colours == colour]
        pool += rng.sample(candidates, PER_COLOUR)
    for _ in range(100):
        rng.shuffle(pool)
        touched = rng.sample(range(32), min(pages, colours * PER_COLOUR))
        count = Counter(p % colours for p in touched)
        naive = all(f % colours == p % colours for f, p in zip(pool, touched, strict=False))
        if max(count.values()) > 1 and max(count.values()) <= PER_COLOUR and not naive:
            break
    return {"colours": colours, "pool": pool, "pages": touched}


def colour_scenario(
    program: Callable[..., Any], seed: int | str = 0, *, pages: int = 5, machine: str = "i486"
) -> System:
    """Return a System where `program(t, pool, colours)` pages an application, ready to run.

    The pager's space holds σ0's frames of `pool` at pages of the same numbers (page f is frame
    f). The application stores a value on each of its pages (reading some first) and reads them
    all back at the end.
    """
    shape = colour_instance(seed, pages)
    s = System(machine=machine, frames=128)
    pager_space, app = s.create_space("pager"), s.create_space("app")
    for frame in shape["pool"]:
        s.map(s.sigma0, frame, pager_space, frame)
    plan = _app_plan(instance(seed, f"colour-plan{pages}"), shape["pages"], s.page_size)
    pager = s.create_thread(pager_space, program, list(shape["pool"]), shape["colours"],
                            name="colourer")  # fmt: skip
    s.create_thread(app, _app, plan, name="app", pager=pager)
    return s


def check_colouring_pager(
    program: Callable[..., Any],
    seed: int | str = 0,
    *,
    pages: int = 5,
    points: float = 1.0,
    max_steps: int = 2_000,
    seconds: float = 5.0,
    machine: str = "i486",
    title: str = "colouring pager",
) -> Feedback:
    """Return feedback on a colouring pager `program(t, pool, colours)` run in colour_scenario.

    Credit: every page the application got has the page's colour, frame % colours == page %
    colours, and comes from the pager (0.4); each page got a frame of its own (0.2); the
    application's faults were all served and it read back what it wrote (0.2); the pager is
    still waiting for the next fault at the end and the kernel's invariants hold (0.2).
    """
    colours = colour_instance(seed, pages)["colours"]
    return _check_program(
        lambda: colour_scenario(program, seed, pages=pages, machine=machine),
        lambda s, summary: _score_colouring(s, summary, colours, max_steps),
        "pager",
        points,
        max_steps,
        seconds,
        title,
    )


def _score_colouring(
    s: System, summary: Any, colours: int, max_steps: int
) -> tuple[float, list[str]]:
    """Return (credit from 0 to 1, messages) for a finished colouring run."""
    messages = []
    credit = 0.0
    app, pager = _thread(s, "app"), _thread(s, "colourer")
    if _returned(app):
        credit += 0.2
    elif app is not None and not app.alive:
        messages.append(f"the application failed: {app.state.reason}")
    elif summary is not None and summary.reason == "max_steps":
        messages.append(
            f"the run did not finish within {max_steps} steps: does each answer map a page "
            "with 'rw' rights?"
        )
    else:
        messages.append(f"the application is still {app.state.describe()}")
    given = sorted(s.kernel.spaces["app"].pages.items())
    wrong = [(p, n.frame) for p, n in given if n.frame % colours != p % colours]
    own_ok, own_messages = _pages_from_pager(s)
    if given and not wrong and not any("does not come" in m for m in own_messages):
        credit += 0.4
    if wrong:
        page, frame = wrong[0]
        others = f" (and {len(wrong) - 1} more page(s))" if len(wrong) > 1 else ""
        messages.append(
            f"page {page} (colour {page % colours}) got frame {frame} (colour "
            f"{frame % colours}){others}: give each page a frame of its own colour, "
            "frame % colours == page % colours"
        )
    if len(given) > 1 and len({n.frame % colours for _, n in given}) == 1 and wrong:
        messages.append(
            "all the frames you gave have one colour: take the colour of the faulting page "
            "(msg.fault_page % colours), not of the fault address"
        )
    if given and not any("all map frame" in m for m in own_messages):
        credit += 0.2
    messages += own_messages if given else []
    sane, sane_messages = _kernel_sane(s)
    if pager is not None and pager.alive and _waits_for_anyone(pager) and sane:
        credit += 0.2
    elif not sane:
        messages += sane_messages
    else:
        messages.append(_pager_problem(pager))
    if credit >= 1:
        messages.append(f"right: {len(given)} pages, each with a frame of its colour")
    return credit, list(dict.fromkeys(m for m in messages if m))


COLOUR_WHY = {
    "virtual": "the 486's cache is indexed with virtual addresses, which a pager does not choose",
    "flush": "the 486 flushes its cache at every address-space switch, so colours are lost",
    "offset": "the 486's cache index lies inside the page offset (a way of 2 KB is less than a "
    "page), so the frame a page gets cannot change where its lines go",
    "kernel": "the kernel remaps pages behind the pager's back on the 486",
}


COLOUR_EXPLAIN = {
    "virtual": "the model's caches are physically indexed, and on the 486 the index bits lie "
    "inside the page offset, where virtual and physical addresses agree anyway",
    "flush": "the 486 flushes its TLB at an address-space switch, not its cache",
    "kernel": "the kernel maps exactly what the pager's map items say and never remaps behind "
    "its back",
}


# == exercise 6: switching costs ===================================================================


def switch_machine(seed: int | str) -> dict[str, Any]:
    """Return seeded Pentium parameter overrides for the switching-cost questions."""
    rng = instance(seed, "switch")
    return {
        "trap_enter_cycles": rng.randint(60, 80),
        "cpi": rng.choice([1.0, 1.5, 2.0]),
        "tlb_miss_cycles": rng.randint(6, 14),
        "as_switch_cycles": rng.randint(2, 10),
        "segment_switch_cycles": rng.randint(10, 24),
    }


def switch_facts(machine: str = "pentium", overrides: dict[str, Any] | None = None) -> dict:
    """Return ipc_facts plus what a small-space switch costs and the TLB's size."""
    p = System(machine=machine, frames=1, overrides=overrides).profile
    return {
        **ipc_facts(machine, overrides),
        "segment_switch_cycles": p.segment_switch_cycles,
        "small_space_extra_cycles": p.small_space_extra_cycles,
        "tlb_entries": p.tlb_entries,
    }


def small_ipc_costs(
    machine: str = "pentium", overrides: dict[str, Any] | None = None, small: bool = True
) -> dict[str, int]:
    """Return {cause: cycles} of one steady-state call whose server runs in a small space (or a
    large one when `small` is False), measured as ipc_costs measures it."""
    s = System(machine=machine, frames=8, overrides=overrides)
    a, b = s.create_space("server", small=small), s.create_space("client")
    server = s.create_thread(a, _echo_server, name="server")
    s.create_thread(b, _client, server, 10, name="client")
    s.run(max_steps=200)
    calls = [e for e in s.trace if e.kind == "call"]
    return dict(calls[-1].costs)


def working_set(seed: int | str) -> int:
    """Return the seeded number of pages the client touches between two calls."""
    return instance(seed, "working-set").randint(4, 14)


def _pass_client(t, server, rounds, pages):
    """Load one word of each page, then call the server (None: no call); `rounds` times."""
    for i in range(rounds):
        for page in range(pages):
            yield t.load(page * PAGE)
        if server is not None:
            yield t.call(server, words=(i, 0))


def _last_pass_tlb(machine: str, overrides: Any, pages: int, small: bool, alone: bool) -> int:
    """Return the TLB-miss cycles of the client's last pass over its pages."""
    s = System(machine=machine, frames=128, overrides=overrides)
    server_space = s.create_space("server", small=small)
    client_space = s.create_space("client")
    for page in range(pages):
        s.map(s.sigma0, 16 + page, client_space, page)
    server = s.create_thread(server_space, _echo_server, name="server")
    s.create_thread(client_space, _pass_client, None if alone else server, 3, pages,
                    name="client")  # fmt: skip
    s.run()
    loads = [e for e in s.trace if e.kind == "load"][-pages:]
    return sum(dict(e.costs).get("tlb_miss", 0) for e in loads)


def client_pass_extra(
    machine: str = "pentium",
    overrides: dict[str, Any] | None = None,
    pages: int = 8,
    small: bool = False,
) -> int:
    """Return the extra TLB-miss cycles the client's pass over `pages` pages pays because it
    called a server (two address-space switches) since its last pass: its last pass with the
    calls minus the same pass when the client runs alone (chapter 6's measurement)."""
    with_ipc = _last_pass_tlb(machine, overrides, pages, small, alone=False)
    return with_ipc - _last_pass_tlb(machine, overrides, pages, small, alone=True)


SMALL_WHY = {
    "tagged": "the kernel tags the TLB entries of small spaces with an address-space id",
    "fewer": "a small space has fewer pages, so the refill after the flush is shorter",
    "segments": "the small space lives at its own linear addresses inside every large space: "
    "switching reloads segment registers, and the page table and the TLB stay",
    "cache": "the TLB is refilled from the cache, so the misses cost nothing",
}


SMALL_EXPLAIN = {
    "tagged": "the Pentium's TLB has no tags at all: small spaces avoid the flush by keeping the "
    "page table",
    "fewer": "with a small server the client's refill is not shorter, it is gone: nothing was "
    "flushed",
    "cache": "a TLB miss costs tlb_miss_cycles whatever the cache holds; here there are no misses "
    "because nothing was flushed",
}


def large_ipc_beliefs(overrides: dict[str, Any], machine: str = "pentium") -> list:
    """Return (cycles, message) of an IPC between large spaces as wrong beliefs compute it."""
    f = switch_facts(machine, overrides)
    trap = f["trap_enter_cycles"] + f["trap_exit_cycles"]
    path = trap + f["instructions"] * f["cpi"]
    refill = f["tlb_pages"] * f["tlb_miss_cycles"]
    full = (
        "that counts the refill bound of a full TLB: an IPC refills only the kernel pages its "
        "path touches (tlb_pages), not every entry"
    )
    return [
        (
            large_ipc_total({}, machine),
            "that is the unchanged machine's cost: use your machine's parameters, printed above",
        ),
        (path + f["as_switch_cycles"] + f["tlb_entries"] * f["tlb_miss_cycles"], full),
        (
            trap + f["instructions"] + f["as_switch_cycles"] + refill,
            "each kernel instruction takes cpi cycles: instructions x cpi",
        ),
        (
            path + f["segment_switch_cycles"] + refill,
            "between large spaces the switch loads the page-table root (as_switch_cycles); the "
            "segment switch is for small spaces",
        ),
    ]


def small_ipc_beliefs(overrides: dict[str, Any], machine: str = "pentium") -> list:
    """Return (cycles, message) of an IPC to a small space as wrong beliefs compute it."""
    f = switch_facts(machine, overrides)
    path = f["trap_enter_cycles"] + f["trap_exit_cycles"] + f["instructions"] * f["cpi"]
    small = f["segment_switch_cycles"] + f["small_space_extra_cycles"]
    refill = f["tlb_pages"] * f["tlb_miss_cycles"]
    return [
        (
            path + small + refill,
            "a switch to a small space reloads segment registers and flushes nothing: there is no"
            " TLB refill",
        ),
        (
            path + f["as_switch_cycles"],
            "a switch to a small space costs the segment switch (segment_switch_cycles), not the "
            "page-table root load",
        ),
        (
            path + small + f["as_switch_cycles"],
            "a switch to a small space loads no page-table root: only the segment registers",
        ),
        (
            path + f["as_switch_cycles"] + refill,
            "that is the IPC between large spaces (Q1a): with a small server, the switch and the "
            "refill change",
        ),
        (
            path + f["segment_switch_cycles"] + 130,
            "130 cycles is the 486's extra cost of small spaces: use small_space_extra_cycles, "
            "printed above",
        ),
    ]


def pass_beliefs(overrides: dict[str, Any], pages: int, machine: str = "pentium") -> list:
    """Return (cycles, message) for the client's extra refill as wrong beliefs compute it."""
    f = switch_facts(machine, overrides)
    m = f["tlb_miss_cycles"]
    return [
        (
            0,
            "the Pentium's TLB is untagged: the switch to a large space flushes it, and the "
            "client's pages miss again in its next pass",
        ),
        (
            (pages + f["tlb_pages"]) * m,
            "the kernel's own pages are refilled inside the IPC and charged to it (Q1a), not to "
            "the client's pass",
        ),
        (
            2 * pages * m,
            "the TLB is flushed at both switches of a call, but the client refills its pages "
            "once, in its next pass",
        ),
        (
            f["tlb_entries"] * m,
            "that is the refill bound of a full TLB: the client refills only the pages it "
            "touches, min(n, s) x m",
        ),
    ]


def small_pass_beliefs(overrides: dict[str, Any], pages: int, machine: str = "pentium") -> list:
    """Return (cycles, message) for the client's refill with a small server, wrongly computed."""
    f = switch_facts(machine, overrides)
    return [
        (
            pages * f["tlb_miss_cycles"],
            "switching to and from a small space flushes nothing: the client's TLB entries "
            "survive the call",
        ),
        (
            f["segment_switch_cycles"],
            "the segment switch is part of the IPC (Q1b), not a TLB miss of the client's pass",
        ),
    ]


def check_cost_beliefs(
    answer: object,
    model: Callable[[], Any] | Any,
    beliefs: Iterable[tuple[Callable[[], Any] | Any, str]] = (),
    tolerance: float = 0.02,
    *,
    points: float = 1.0,
    unit: str = "cycles",
    clock_mhz: float | None = None,
    credit: float = 0.25,
    title: str = "",
) -> Feedback:
    """Return check_cost's feedback, but first name a wrong belief: when `answer` matches a
    belief's value (a number or a function computing it now) and not the model's, the feedback
    gives `credit` of the points and the belief's message."""
    try:
        value = _number(answer)
        target = model() if callable(model) else model
        total = float(sum(target.values())) if isinstance(target, Mapping) else float(target)
        if value is not None and not _unanswered(answer) and not _close(value, total, tolerance):
            for belief, message in beliefs:
                expected = _number(belief() if callable(belief) else belief)
                if expected is None or _close(expected, total, tolerance):
                    continue
                if _close(value, expected, tolerance):
                    return finish(points * credit, points, [message], title)
        return check_cost(
            answer, target, tolerance, points=points, unit=unit, clock_mhz=clock_mhz, title=title
        )
    except Exception as e:  # a check never raises at the student
        return check_failed(e, points, title)


def large_ipc_total(overrides: dict[str, Any] | None = None, machine: str = "pentium") -> int:
    """Return the cycles of one steady-state call between two large spaces."""
    return sum(ipc_costs(machine, overrides).values())

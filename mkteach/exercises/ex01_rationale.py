"""Exercise 1 (the rationale): a kernel call by hand, warm and cold, the Mach-style/L3 speed-up,
and a server with a wild pointer: what isolation keeps running.

Every instance is seeded (`seed_of(STUDENT)`). This module builds the machines and systems and
says what wrong answers reveal; it has no function that returns a graded answer: the exercise's
hidden tests compute those from the model (`kernel_call_costs`, the isolation system's run), as a
student may (issue 20).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mkteach.grading.answers import paper_beliefs
from mkteach.grading.instances import instance
from mkteach.paper import workloads
from mkteach.programs import client, echo_server
from mkteach.system import System

PAGE = 4096


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
        server = s.create_thread(s.create_space("Server"), echo_server, name="server")
        s.create_thread(s.create_space("Client"), client, server, calls, name="client")
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
        floor = paper_beliefs("kernel_user_switch.hw_floor.i486")[0][0]
        beliefs.append(
            (
                floor,
                f"{floor:g} cycles is the paper's hardware floor of the unchanged 486, and only "
                "the floor: a kernel call adds its own instructions",
            )
        )
        beliefs += paper_beliefs("kernel_user_switch.l3.i486")
    return beliefs


def speedup_beliefs(
    overrides: dict[str, Any], speedup: float
) -> list[tuple[Callable[[], float], str]]:
    """Return (function, message) pairs for the speed-ups that wrong comparisons give, given the
    model's warm speed-up `speedup` (the grader computes it; no function here returns it)."""

    def cold_ratio() -> float:
        mach = sum(kernel_call_costs("mach", overrides, cold=True).values())
        return mach / sum(kernel_call_costs("l3", overrides, cold=True).values())

    return [
        (
            instruction_ratio,
            "you compared only the kernels' instructions: both calls also pay the same trap, which "
            "no kernel avoids, so the ratio of whole calls is far smaller",
        ),
        (
            cold_ratio,
            "that is the ratio of cold calls: the question (and the paper's 6 to 10 times) is "
            "about warm kernel calls",
        ),
        (
            lambda: rpc_run_ratio(overrides),
            "that is the ratio of a whole client-server run (IPC, cold caches included), not of "
            "one warm kernel call",
        ),
        (
            lambda: 1 / speedup,
            "upside down: the Mach-style call's cycles divided by the L3 call's",
        ),
        *paper_beliefs("kernel_user_switch.speedup.i486"),
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


def isolation_count_beliefs(seed: int | str, served: int) -> list[tuple[int, str]]:
    """Return (count, message) for the file server's final count as wrong beliefs predict it,
    given the model's count `served` (the grader reads it from the run; no function here
    returns it)."""
    s = isolation_system(seed)
    s.run()
    wild = next(e.step for e in s.trace if e.kind == "page_fault" and str(e.thread) == "ps")
    replies = [e for e in s.trace if e.kind == "ipc" and str(e.get("sender")) == "fs"]
    before = max((e.get("words")[0] for e in replies if e.step < wild), default=0)
    return [
        (
            WILD + (served - before),
            "the wild write did not reach the file server's counter: it wrote to address 0 of the "
            "print server's own space, and the file server's page is not mapped there",
        ),
        (
            before,
            "the file server did not stop counting at the wild write: a bug in the print server "
            "cannot stop another server",
        ),
    ]

"""How L3 gets its speed: the construction techniques, each a switch on the kernel's paths.

Liedtke's L3 is fast because of how it is built, not because of what it offers (PAPER.md §0,
after "Improving IPC by kernel design", SOSP 1993 [recalled]). Each technique below is on in
`kernel="l3"`. Switching one off (`System(..., techniques={"direct_switch": False})`) makes the
kernel run extra work on the path where the technique saved it: a second kernel entry, a trip
through the scheduler's queues, a message copied through memory, a table walk. The extra work is
described like every kernel path — instructions, code bytes fetched, kernel data and TCB bytes
touched — and the machine charges it through its TLB and cache models, so what a technique saves
is what that work costs on that machine, never a number typed in. Techniques change costs only:
every message, result and state change is the same with them on or off.

Sources: every size below is [assumed], a description of a plausible conventional way to build
that piece, chosen from the technique's own description and never tuned to a claimed result;
which work a technique removes is [recalled] from the 1993 paper as PAPER.md §0 summarises it.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import InvalidArgument

TECHNIQUES: dict[str, str] = {
    "combined_call": "call and reply_and_wait are one kernel entry each (off: a send entry, then "
    "a receive entry: four entries per RPC instead of two)",
    "direct_switch": "the kernel switches from the sender straight to the receiver (off: it "
    "queues the receiver and lets the scheduler pick it)",
    "register_messages": "short messages travel in registers (off: the words are copied through "
    "a message buffer in memory on both sides)",
    "tcb_array": "a thread id is the index of its TCB in a virtual array (off: the kernel walks a "
    "thread table to find the TCB)",
    "lazy_scheduling": "ready queues are updated only when the scheduler needs them (off: every "
    "IPC that blocks a thread and wakes another updates them at once)",
}

# Kernel data of the extra work, offsets from the kernel's DATA area (see kernels.py): the ready
# queues' heads, and a thread table, which sits on a page of its own, far from the hot data.
RUN_QUEUES = 0x0200
THREAD_TABLE = 0x8000
QUEUE_LINKS = ((32, 16),)  # a TCB's ready-queue links (next, prev, priority, timeslice)
MESSAGE_BUFFERS = 0x0300_0000  # offset from DATA of the per-thread message buffers


@dataclass(frozen=True)
class Extra:
    """Extra kernel work when a technique is off: instructions, code, data and TCB bytes.

    `tcb` spans are touched in each of `threads` ("sender", "receiver"); `per_word` instructions
    and `buffer` bytes per message word are added for a message copied through memory.
    """

    instructions: int
    code: tuple[int, int]
    data: tuple[tuple[int, int], ...] = ()
    tcb: tuple[tuple[int, int], ...] = ()
    threads: tuple[str, ...] = ()
    per_word: int = 0
    buffer: bool = False


# What each technique, switched off, adds to one message transfer (the work it saves).
# combined_call is not here: it adds a whole kernel entry (the entry path itself) instead.
EXTRA_WORK: dict[str, Extra] = {
    # [assumed] the scheduler: pick the highest-priority ready thread from the queue heads and
    # read the chosen thread's links; about 40 instructions of a short scheduler.
    "direct_switch": Extra(40, (0x480, 128), ((RUN_QUEUES, 32),), QUEUE_LINKS, ("receiver",)),
    # [assumed] copy the words out of the sender's buffer into the receiver's: a 12-instruction
    # setup, 3 instructions per word (load, store, count), both buffers touched.
    "register_messages": Extra(12, (0x500, 64), per_word=3, buffer=True),
    # [assumed] hash the thread id into a table of TCB pointers and follow the pointer: about
    # 20 instructions and one table entry on a page of its own (a TLB entry more).
    "tcb_array": Extra(20, (0x540, 64), ((THREAD_TABLE, 8),)),
    # [assumed] take the blocking sender out of its ready queue and put the woken receiver in:
    # two queue updates of about 15 instructions, the queue head and both threads' links.
    "lazy_scheduling": Extra(
        30, (0x580, 96), ((RUN_QUEUES, 16),), QUEUE_LINKS, ("sender", "receiver")
    ),  # fmt: skip
}


def check_techniques(
    settings: object, defaults: dict[str, bool], kernel: str, fixed: frozenset[str]
) -> dict[str, bool]:
    """Return the technique settings of a kernel: `defaults` with `settings` applied.

    Raise InvalidArgument naming the known techniques for an unknown name, a value that is not
    True or False, or a change to a technique that `kernel`'s paths describe whole (`fixed`).
    """
    if settings is None:
        return dict(defaults)
    if not isinstance(settings, dict):
        raise InvalidArgument(
            f'techniques must be a dict such as {{"direct_switch": False}}, not {settings!r}'
        )
    chosen = dict(defaults)
    for name, on in settings.items():
        if name not in TECHNIQUES:
            raise InvalidArgument(
                f"unknown technique {name!r}: the techniques are {', '.join(TECHNIQUES)}"
            )
        if not isinstance(on, bool):
            raise InvalidArgument(f"technique {name!r} takes True or False, not {on!r}")
        if name in fixed and on != defaults[name]:
            raise InvalidArgument(
                f"the {kernel} kernel's paths include the work {name!r} saves (they describe "
                f"that kernel whole), so it cannot be switched {'on' if on else 'off'} there; "
                f'use kernel="l3" with techniques={{{name!r}: False}} to see what it costs'
            )
        chosen[name] = on
    return chosen

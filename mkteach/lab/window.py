"""Lab "temporary_mapping": copy a long message once, through a temporarily mapped window.

A string message ("long IPC") lives in the sender's space and must land in the receiver's
buffer, in another space. Copying it into a kernel buffer and out again costs two copies; L3
copies it once (PAPER.md §0 [recalled]): the kernel, running in the sender's space, maps the
receiver's buffer pages into a small *communication window* of its own and copies straight
from the sender's buffer into the window. The window is reused for every page and every
message, so a window page's old translation may still sit in the TLB: it must be flushed
before the page is used for another frame, or the copy writes into the old frame.

    def temporary_mapping(length, src, dst, frames, window):
        '''Return the plan that copies `length` bytes from `src` to `dst` through the window.'''

- length: the message's bytes; src: the sender's buffer address (readable directly);
- dst: the receiver's buffer address (in the receiver's space, not mapped here);
- frames: {page: frame} of the receiver's buffer pages; window: (first page, pages);
it returns a list of steps, done in order:
  ("flush", wpage)              drop the window page's translation from the TLB;
  ("map", wpage, frame)         point window page `wpage` at `frame` (the page table, not the TLB);
  ("copy", from, to, n)         copy n bytes from sender address `from` to window address `to`.
A copy translates each window page through the TLB first (a stale entry wins), else through
the page table (and fills the TLB). Every message byte must land at its place in the
receiver's frames, and nothing else may be written. Pages are PAGE = 4096 bytes.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from ..hw.costs import Cause
from ..hw.kernels import BUFFERS
from .core import REFUSED

PAGE = 4096
SIGNATURE = "temporary_mapping(length, src, dst, frames, window) -> list of steps"
WINDOW = (0xFF000, 2)  # the kernel's communication window: 2 pages high in every space
COPY_SETUP = 10  # instructions to start a copy [assumed]


def temporary_mapping(length: int, src: int, dst: int, frames: dict, window: tuple) -> list:
    """Return a plan that maps each receiver page in turn into the next window page (flushing
    its old translation first) and copies that page's part of the message (the reference)."""
    first, pages = window
    plan: list[tuple] = []
    done = 0
    while done < length:
        page, offset = divmod(dst + done, PAGE)
        n = min(PAGE - offset, length - done)
        wpage = first + (page - dst // PAGE) % pages
        plan += [("flush", wpage), ("map", wpage, frames[page])]
        plan.append(("copy", src + done, wpage * PAGE + offset, n))
        done += n
    return plan


class Window:
    """The communication window of one System: its page table and what the TLB holds of it."""

    def __init__(self, window: tuple[int, int] = WINDOW) -> None:
        self.window = window
        self.tlb: dict[int, int] = {}  # window page -> frame: survives from message to message
        self.written: list = []  # the pieces the last message that landed was copied in

    def execute(self, length: int, src: int, dst: int, frames: dict, plan: Any,
                counts: dict | None = None) -> str:  # fmt: skip
        """Carry out `plan` on a copy of the window's TLB; return what went wrong ('' if the
        message landed exactly), keeping the TLB's new contents only when it did."""
        tlb, table = dict(self.tlb), {}
        written: list = []  # (frame, offset, message index, bytes) per piece copied
        counts = {} if counts is None else counts
        problem = run_plan(self.window, length, src, plan, tlb, table, written, counts)
        if problem:
            return problem
        problem = landed(length, dst, frames, written)
        if not problem:
            self.tlb, self.written = tlb, written
        return problem


def run_plan(window: tuple[int, int], length: int, src: int, plan: Any, tlb: dict, table: dict,
             written: list, counts: dict) -> str:  # fmt: skip
    """Execute the plan's steps; return the first illegal step's problem, or ''."""
    first, pages = window
    if not isinstance(plan, list | tuple):
        return f"it returned {plan!r:.60}, not a list of steps"
    for number, step in enumerate(plan):
        problem = malformed(number, step)
        if problem:
            return problem
        counts[step[0]] = counts.get(step[0], 0) + (step[3] if step[0] == "copy" else 1)
        counts["copies"] = counts.get("copies", 0) + (step[0] == "copy")
        if step[0] != "copy":
            if not first <= step[1] < first + pages:
                return f"step {number} {step!r}: page {step[1]} is not a window page"
            if step[0] == "flush":
                tlb.pop(step[1], None)
            else:
                table[step[1]] = step[2]
            continue
        problem = copy(step, number, window, length, src, tlb, table, written, counts)
        if problem:
            return problem
    return ""


ARITY = {"flush": 2, "map": 3, "copy": 4}


def malformed(number: int, step: Any) -> str:
    """Return why plan step `number` is not a well-formed step, or ''."""
    if not isinstance(step, list | tuple) or not step or step[0] not in ARITY:
        return f"step {number} {step!r:.60} is not a ('flush', ...), ('map', ...) or ('copy', ...)"
    if len(step) != ARITY[step[0]] or any(type(x) is not int for x in step[1:]):
        return f"step {number} {step!r:.60} has the wrong arguments (ints, {ARITY[step[0]]} in all)"
    return ""


def copy(step: tuple, number: int, window: tuple[int, int], length: int, src: int, tlb: dict,
         table: dict, written: list, counts: dict) -> str:  # fmt: skip
    """Copy one step's bytes through the window; return the problem, or ''."""
    _, frm, to, n = step
    first, pages = window
    if n < 0 or frm < src or frm + n > src + length:
        return (
            f"step {number} {step!r} reads outside the message (bytes {src:#x}..{src + length:#x})"
        )
    i = 0
    while i < n:
        wpage, offset = divmod(to + i, PAGE)
        chunk = min(n - i, PAGE - offset)
        if not first <= wpage < first + pages:
            return f"step {number} {step!r} writes to {to + i:#x}, outside the window"
        frame = tlb.get(wpage)
        if frame is None:
            if wpage not in table:
                return f"step {number} {step!r} writes through window page {wpage:#x}, never mapped"
            frame = tlb[wpage] = table[wpage]
            counts["tlb_fill"] = counts.get("tlb_fill", 0) + 1
        written.append((frame, offset, frm + i - src, chunk))
        i += chunk
    return ""


def segments(chunks: list) -> list:
    """Return (frame, offset, message index, bytes) chunks sorted and merged where they run on."""
    out: list[list[int]] = []
    for frame, offset, index, n in sorted(chunks):
        last = out[-1] if out else None
        if last and last[0] == frame and last[1] + last[3] == offset and last[2] + last[3] == index:
            last[3] += n
        elif n:
            out.append([frame, offset, index, n])
    return out


def landed(length: int, dst: int, frames: dict, written: list) -> str:
    """Return where the written bytes differ from the message at the receiver's buffer, or ''."""
    want = []
    done = 0
    while done < length:
        page, offset = divmod(dst + done, PAGE)
        n = min(PAGE - offset, length - done)
        want.append((frames[page], offset, done, n))
        done += n
    if segments(written) == segments(want):
        return ""
    return byte_difference(want, written)


def byte_difference(want: list, written: list) -> str:
    """Return the first byte the written chunks put in the wrong place or never wrote ('' if
    none: chunks written twice that end right)."""
    wanted = {(f, o + k): i + k for f, o, i, n in want for k in range(n)}
    got = {(f, o + k): i + k for f, o, i, n in written for k in range(n)}
    home = {index: place for place, index in wanted.items()}
    for place, index in sorted(got.items()):
        if wanted.get(place) != index:
            frame, offset = place
            meant = home.get(index)
            where = f"belongs in frame {meant[0]} at offset {meant[1]:#x}" if meant else ""
            stale = " (a stale TLB entry of the window?)" if meant and meant[0] != frame else ""
            return (
                f"message byte {index} was written to frame {frame} at offset {offset:#x}; "
                f"it {where}{stale}"
            )
    missing = sorted(set(wanted.values()) - set(got.values()))
    if missing:
        return (
            f"{len(missing)} byte(s) of the message never arrived, the first is byte {missing[0]}"
        )
    return ""


# -- the hook: the machine copies strings by the mechanism's plan ---------------------------------

BUFFER_PAGE = 0x400  # receiver buffers sit here in every space [assumed]; frames are the kernel's


def request(sender: Any, receiver: Any, length: int, window: tuple[int, int] = WINDOW) -> tuple:
    """Return the mechanism's arguments for a message of `length` bytes between two threads:
    buffers at offsets that differ by thread, the receiver's pages on frames of its own."""
    src = 0x200 * PAGE + (sender.task * 97 + sender.number * 13) % PAGE
    dst = (BUFFER_PAGE + receiver.number * 8) * PAGE + (receiver.task * 211) % PAGE
    first = dst // PAGE
    count = (dst + length - 1) // PAGE - first + 1
    base = 0x40000 + (receiver.task * 16 + receiver.number) * 0x400  # above any user frame
    frames = {first + i: base + (i * 7) % 0x400 for i in range(count)}
    return (length, src, dst, frames, window)


def install(installed: Any, machine: Any, fn: Callable[..., Any]) -> None:
    """Make `machine` copy every string message by fn's plan and charge that plan."""
    if not hasattr(machine, "run_path"):
        return  # a NullMachine charges nothing
    window = Window()
    installed.window = window
    own_transfer = machine.transfer

    def transfer(sender: Any, receiver: Any, words: int, string_bytes: int) -> None:
        own_transfer(sender, receiver, words, 0)
        if string_bytes:
            args = request(sender, receiver, string_bytes, window.window)
            copy_message(installed, machine, window, fn, args, sender)

    machine.transfer = transfer


def copy_message(installed: Any, machine: Any, window: Window, fn: Callable[..., Any],
                 args: tuple, sender: Any) -> None:  # fmt: skip
    """Ask fn for the plan of one message, check it on the window, and charge it."""
    counts: dict[str, int] = {}
    answer = installed.ask(
        "temporary_mapping", fn, args, lambda plan: window.execute(*args[:4], plan, counts)
    )
    if answer is REFUSED:  # the kernel copies by its own plan
        counts = {}
        window.execute(*args[:4], temporary_mapping(*args), counts)
    charge(machine, counts)
    source = BUFFERS + (sender.task * 16 + sender.number) % 256 * 0x10000  # as the machine's
    for frame, offset, index, n in window.written:
        machine.touch_data([(source + index, n), (frame * PAGE + offset, n)])


def charge(machine: Any, counts: dict[str, int]) -> None:
    """Charge a plan's work: each map and flush is a page-table path, each copied word an
    instruction, each copy a setup, each window translation a TLB miss (the bytes' cache lines
    are touched by the caller, piece by piece)."""
    paths = machine.variant.paths
    for _ in range(counts.get("map", 0)):
        machine.run_path(paths["map_page"])
    for _ in range(counts.get("flush", 0)):
        machine.run_path(paths["unmap_page"])
    p = machine.profile
    copied = counts.get("copy", 0)
    machine.charge(Cause.COPY, (copied // 4 + COPY_SETUP * counts.get("copies", 0)) * p.cpi)
    machine.charge(Cause.TLB_MISS, counts.get("tlb_fill", 0) * p.tlb_miss_cycles)


# -- scenarios ----------------------------------------------------------------------------------


def sender_program(t, server, lengths):  # type: ignore[no-untyped-def]
    """Call `server` with a string of each length; check the reply's length."""
    for n in lengths:
        r = yield t.call(server, strings=(bytes(n),))
        assert len(r.strings[0]) == n // 2


def echo(t):  # type: ignore[no-untyped-def]
    """Answer each string with a string half as long."""
    msg = yield t.wait()
    while True:
        half = len(msg.strings[0]) // 2
        msg = yield t.reply_and_wait(msg.sender, strings=(bytes(half),))


def build(seed: int, mechanisms: dict | None, system: Any) -> Any:
    """Return the System of scenario `seed`, run: clients send strings of seeded lengths (some
    within a page, some across two or three pages) to a server that answers with strings."""
    rng = random.Random(seed)
    s = system(machine="i486", frames=32, seed=seed, mechanisms=mechanisms)
    pages = rng.choice((1, 2, 2, 4))  # the window's size varies from scenario to scenario
    if s.mechanisms is not None:
        s.mechanisms.window.window = (WINDOW[0], pages)
    srv = s.create_thread(s.create_space("server"), echo, name="server")
    for i in range(rng.randrange(2, 4)):
        lengths = [rng.choice((rng.randrange(8, 600), rng.randrange(2000, 9000)))
                   for _ in range(rng.randrange(2, 5))]  # fmt: skip
        s.create_thread(
            s.create_space(f"client{i}"), sender_program, srv, lengths, name=f"client{i}"
        )
    s.run(max_steps=1_000)
    return s

"""Interrupts as messages: hardware is a set of pseudo-threads whose ids name the interrupt.

A driver attaches to an interrupt and receives from its id. A raise stays pending until the
driver receives; raises while pending merge into one; the kernel acknowledges the interrupt at
the driver's next IPC. The driver never runs in the kernel.
"""

from __future__ import annotations

from ..errors import InterruptError
from .ids import ThreadId, interrupt_id
from .messages import Message, Result
from .state import IrqLine, KernelState
from .threads import Ready, Receiving, Thread
from .values import show_brief

MAX_IRQ = 255
INTERRUPT = Message()  # what an interrupt sends its driver: an empty message


def irq_line(k: KernelState, irq: object) -> IrqLine:
    """Return interrupt line `irq` (created on first use); raise for a bad number."""
    if type(irq) is not int or not 0 <= irq <= MAX_IRQ:
        raise InterruptError(f"irq must be an int from 0 to {MAX_IRQ}, not {show_brief(irq)}")
    return k.irqs.setdefault(irq, IrqLine(irq))


def attach(k: KernelState, irq: object, driver: Thread) -> None:
    """Make `driver` the driver of interrupt `irq` (it then receives from its id)."""
    line = irq_line(k, irq)
    if line.driver is not None and line.driver != driver.id:
        raise InterruptError(f"irq {irq} is attached to {line.driver} already")
    k.note("attach", f"irq{irq} attached to {driver.name}", driver.id)
    line.driver = driver.id


def detach(k: KernelState, driver: ThreadId) -> None:
    """Detach every interrupt `driver` is attached to, dropping what is pending (it ended)."""
    for line in k.irqs.values():
        if line.driver == driver:
            line.driver, line.pending, line.in_service = None, False, False


def raise_interrupt(k: KernelState, irq: object) -> None:
    """Mark interrupt `irq` pending (raises while pending merge into one)."""
    if type(irq) is not int:  # a flag is no interrupt number: True is not irq 1
        raise InterruptError(f"irq must be an int from 0 to {MAX_IRQ}, not {show_brief(irq)}")
    line = k.irqs.get(irq)
    if line is None or line.driver is None:
        raise InterruptError(
            f"no thread is attached to irq {irq!r}: call attach_interrupt({irq!r}, driver) first"
        )
    merged = " (merged with the pending one)" if line.pending else ""
    k.note("irq_raise", f"irq{irq} raised{merged}", None, (interrupt_id(irq),))
    if not line.pending:
        line.pending, line.pending_since = True, k.next_seq()


def acknowledge(k: KernelState, driver: Thread) -> str:
    """Acknowledge the interrupts `driver` was delivered; return a note for the trace."""
    acked = []
    for line in k.irqs.values():
        if line.driver == driver.id and line.in_service:
            line.in_service = False
            acked.append(f"irq{line.irq}")
    return f" (acknowledges {', '.join(acked)})" if acked else ""


def pending_for(k: KernelState, driver: Thread, src: ThreadId | None) -> IrqLine | None:
    """Return the oldest pending interrupt `driver` may receive from `src` now, or None."""
    best = None
    for line in k.irqs.values():
        if line.driver == driver.id and line.pending and not line.in_service:
            if src in (None, interrupt_id(line.irq)):
                if best is None or line.pending_since < best.pending_since:
                    best = line
    return best


def deliver(k: KernelState, line: IrqLine, driver: Thread) -> None:
    """Deliver pending interrupt `line` to its receiving `driver` as an empty message."""
    line.pending, line.in_service = False, True
    irq = interrupt_id(line.irq)
    k.note("interrupt", f"{irq} -> {driver.name}", irq, (driver.id,),
           msg_kind="interrupt", sender=irq, receiver=driver.id, message=INTERRUPT)  # fmt: skip
    state = driver.state
    k.set_state(driver, Ready(Result(sender=irq, reply_error=state.reply_error)))


def deliverable(k: KernelState) -> tuple[IrqLine, Thread] | None:
    """Return the oldest pending interrupt whose driver is receiving it, or None."""
    ready = []
    for line in k.irqs.values():
        driver = k.live_or_none(line.driver)
        if line.pending and not line.in_service and driver is not None:
            state = driver.state
            if isinstance(state, Receiving) and state.fault is None:
                if state.src in (None, interrupt_id(line.irq)):
                    ready.append((line.pending_since, line, driver))
    if not ready:
        return None
    _, line, driver = min(ready, key=lambda r: r[0])
    return line, driver


def is_own_interrupt(k: KernelState, thread: Thread, src: ThreadId) -> bool:
    """Return True when `src` is an interrupt that `thread` is the driver of."""
    line = k.irqs.get(src.number) if src.is_interrupt else None
    return line is not None and line.driver == thread.id

"""`Kernel`: the kernel's state with its entry points, as `System` and the executor call them.

Each method hands over to the module of its concept — `spaces` (map, grant, flush), `lifecycle`
(threads), `interrupts`, `ipc` (timeouts), `entry` (a kernel entry: decode, then invoke) — so
this file only names the doors. The state itself is `KernelState` (`state.py`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import entry, interrupts, ipc, lifecycle, spaces
from .mapdb import AddressSpace, Lookup
from .ops import Operation
from .state import IrqLine, KernelState
from .threads import Thread

__all__ = ["IrqLine", "Kernel"]


class Kernel(KernelState):
    """All kernel state and the operations on it; cycles are charged through `machine`."""

    # -- spaces and memory ----------------------------------------------------------------------

    def space(self, which: object) -> AddressSpace:
        """Return this kernel's space for a space object or name; raise UnknownSpace otherwise."""
        return spaces.space(self, which)

    def create_space(self, name: object, chief: object = None) -> AddressSpace:
        """Create an empty address space, in `chief`'s clan if given; return it."""
        return spaces.create_space(self, name, chief)

    def map(self, src: object, src_page: int, dst: object, dst_page: int, rights: str, order: int,
            grant: bool = False) -> None:  # fmt: skip
        """Map (or grant) src's fpage onto dst's; check everything first, then act."""
        spaces.map_fpage(self, src, src_page, dst, dst_page, rights, order, grant)

    def flush(self, space: object, page: int, rights: str, order: int, include_self: bool) -> None:
        """Revoke `rights` from everything derived from space's fpage; check first, then act."""
        spaces.flush(self, space, page, rights, order, include_self)

    def lookup(self, space: object, page: object) -> Lookup | None:
        """Return the frame and rights `space` maps `page` to, or None when unmapped."""
        return spaces.lookup(self, space, page)

    # -- threads --------------------------------------------------------------------------------

    def create_thread(self, space: object, program: Callable[..., Any], handle_factory: Callable,
                      args: tuple, name: object, pager: object,
                      priority: object) -> Thread:  # fmt: skip
        """Create a ready thread running `program(handle, *args)`; return its record."""
        return lifecycle.create_thread(self, space, program, handle_factory, args, name, pager,
                                       priority)  # fmt: skip

    def thread(self, tid: object, what: str = "thread") -> Thread:
        """Return the living thread with id `tid`; raise UnknownThread or StaleThreadId."""
        return lifecycle.thread(self, tid, what)

    def end_thread(self, thread: Thread, reason: str, failed: bool = False) -> None:
        """End `thread`: wake everyone waiting on it with 'no_partner', detach its interrupts."""
        lifecycle.end_thread(self, thread, reason, failed)

    # -- kernel entries and hardware events -----------------------------------------------------

    def enter(self, thread: Thread, op: Operation) -> None:
        """Perform one kernel entry of `thread` for operation `op` at time `self.now`."""
        entry.enter(self, thread, op)

    def next_deadline(self) -> tuple[int, Thread] | None:
        """Return (deadline, thread) of the earliest pending timeout, or None."""
        return ipc.next_deadline(self)

    def fire_timeout(self, thread: Thread) -> None:
        """End the blocked IPC of `thread` whose deadline has come, with error 'timeout'."""
        ipc.fire_timeout(self, thread)

    # -- interrupts -----------------------------------------------------------------------------

    def irq_line(self, irq: object) -> IrqLine:
        """Return interrupt line `irq` (created on first use); raise for a bad number."""
        return interrupts.irq_line(self, irq)

    def attach_interrupt(self, irq: object, tid: object) -> None:
        """Make thread `tid` the driver of interrupt `irq` (it then receives from its id)."""
        interrupts.attach(self, irq, self.thread(tid, "driver"))

    def raise_interrupt(self, irq: object) -> None:
        """Mark interrupt `irq` pending (raises while pending merge into one)."""
        interrupts.raise_interrupt(self, irq)

    def deliverable_interrupt(self) -> tuple[IrqLine, Thread] | None:
        """Return the oldest pending interrupt whose driver is receiving it, or None."""
        return interrupts.deliverable(self)

    def deliver_interrupt(self, line: IrqLine, driver: Thread) -> None:
        """Deliver pending interrupt `line` to its receiving `driver` as an empty message."""
        interrupts.deliver(self, line, driver)

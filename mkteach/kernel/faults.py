"""Memory access through the MMU, and page faults turned into IPC to user-level pagers.

A load or store whose page is mapped (with the rights it needs) reads or writes memory. One that
is not becomes a page fault: the kernel sends a fault message (address, read/write) to the
faulting thread's pager on its behalf, receives the answer into a window that is the faulting
page, and retries the access. A thread with no pager, or whose pager ends before or while its
fault waits, ends and is listed as failed.
"""

from __future__ import annotations

from . import deltas as d
from .fpage import PAGE_SIZE
from .ipc import accepts, after_send, block_sending, transfer
from .lifecycle import end_thread
from .messages import Message
from .ops import Load, Store
from .state import KernelState
from .threads import Ready, Sending, Thread
from .values import SCALARS, copy_value, show


def access(k: KernelState, thread: Thread, op: Load | Store) -> None:
    """Perform a load or store through the MMU, or turn a missing mapping into a page fault."""
    address = op.address
    page, offset = divmod(address, PAGE_SIZE)
    write = isinstance(op, Store)
    node = thread.space.pages.get(page)
    if node is None or (write and node.rights != "rw"):
        page_fault(k, thread, op, page, write)
        return
    k.machine.user_access(thread.space.id, page, node.frame, offset, write)
    physical = node.frame * PAGE_SIZE + offset
    if write:
        old = k.memory.get(physical, 0)
        k.note("store", f"{thread.name} stores {show(op.value)} at {address:#x}", thread.id,
               address=address, frame=node.frame)  # fmt: skip
        k.record(d.MemoryWritten(physical, old, op.value))
        k.memory[physical] = op.value
        k.set_state(thread, Ready(None))
    else:
        value = k.memory.get(physical, 0)
        k.note("load", f"{thread.name} loads {show(value)} from {address:#x}", thread.id,
               address=address, frame=node.frame)  # fmt: skip
        k.set_state(thread, Ready(value if type(value) in SCALARS else copy_value(value)))


def page_fault(k: KernelState, thread: Thread, op: Load | Store, page: int, write: bool) -> None:
    """Send a page-fault IPC to the thread's pager, or end the thread when it has none."""
    k.machine.kernel_entry(thread.id, "page_fault")
    kind = "write" if write else "read"
    where = f"{kind} fault at {op.address:#x} (page {page}) in {thread.space.name}"
    pager = k.live_or_none(thread.pager)
    k.note("page_fault", f"{thread.name}: {where}", thread.id, page=page, address=op.address,
           write=write)  # fmt: skip
    if pager is None:
        why = "it has no pager" if thread.pager is None else f"its pager {thread.pager} ended"
        end_thread(k, thread, f"{where} and {why}", failed=True)
        return
    send_fault(k, thread, pager, op, page, write)


def send_fault(k: KernelState, thread: Thread, pager: Thread, op: Load | Store, page: int,
               write: bool) -> None:  # fmt: skip
    """Send the page-fault message of `thread` to `pager` (never redirected by clans)."""
    msg = Message((op.address, int(write)), (), (), "page_fault", (page, op.address, write))
    window = (page, 0)
    if accepts(pager, thread.id):
        transfer(k, thread, pager, msg, thread.id, None)
        after_send(k, thread, None, pager.id, None, window, op)
        return
    block_sending(k, thread, pager, Sending(pager.id, msg, None, k.next_seq(), thread.id, None,
                                            pager.id, window, op))  # fmt: skip

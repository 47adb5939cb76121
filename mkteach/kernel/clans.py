"""Clans and chiefs: supervised IPC.

A task's creator is its chief, and the tasks a chief created form its clan. IPC inside a clan,
and between a chief and its clan's members, is direct; a message leaving a clan goes to the
sender's chief, one entering a clan from outside to the receiver's chief, which may inspect it
and forward it on the sender's behalf (`as_sender`), or drop it. Fault IPC is never redirected.
"""

from __future__ import annotations

from .ids import ThreadId
from .mapdb import AddressSpace
from .state import KernelState
from .threads import Receiving, Thread


class IpcFailure(Exception):
    """Internal: an IPC that cannot proceed, with its error code and an explanation."""

    def __init__(self, error: str, detail: str) -> None:
        super().__init__(detail)
        self.error, self.detail = error, detail


def members(k: KernelState, chief: AddressSpace) -> list[AddressSpace]:
    """Return the spaces in `chief`'s clan (those whose chief it is)."""
    return [s for s in k.spaces.values() if s.chief is chief]


def clan_hop(sender: AddressSpace, dest: AddressSpace) -> AddressSpace | None:
    """Return the space whose chief must receive a message from `sender` to `dest`, or None.

    Direct (None): same clan, or between a chief and a member of its clan. A message entering a
    clan from outside goes to that clan's chief; one leaving the sender's clan to its chief.
    """
    if dest is sender or dest is sender.chief:
        return None
    p: AddressSpace | None = dest
    while p is not None:
        if p.chief is sender.chief or p.chief is sender:
            return None if p is dest else p
        p = p.chief
    return sender.chief


def chief_thread(k: KernelState, space: AddressSpace) -> Thread | None:
    """Return the oldest living thread of `space` (its chief thread), or None."""
    return next((t for t in k.threads.values() if t.alive and t.space is space), None)


def check_as_sender(k: KernelState, thread: Thread, as_sender: ThreadId, target: Thread) -> None:
    """Raise IpcFailure unless `thread` is a chief standing between as_sender and target."""
    clan = members(k, thread.space)
    if not clan:
        raise IpcFailure(
            "not_chief",
            f"only a chief may send as another thread (as_sender=), and {thread.space.name}"
            " has no clan",
        )
    claimed = k.space_by_id.get(as_sender.task)
    if claimed not in clan and target.space not in clan:
        raise IpcFailure(
            "not_chief",
            f"{thread.space.name} may send as_sender only for a member of its clan "
            f"({', '.join(m.name for m in clan)}): neither {as_sender} nor "
            f"{target.id} is one",
        )


def redirect(
    k: KernelState, thread: Thread, target: Thread, dest: ThreadId, visible: ThreadId
) -> Thread | None:
    """Return the chief thread that must receive `thread`'s message to `target`, or None.

    None means direct delivery; the pager's answer to a page fault is always direct. Raise
    IpcFailure when the message must go to a chief with no living thread.
    """
    hop = clan_hop(thread.space, target.space)
    waiting = target.state
    if isinstance(waiting, Receiving) and waiting.fault is not None and waiting.src == visible:
        hop = None  # the pager's answer to a page fault: fault IPC is never redirected
    if hop is None:
        return None
    chief = chief_thread(k, hop)
    if chief is None:
        raise IpcFailure(
            "no_partner",
            f"the message to {dest} crosses a clan boundary and must go to the chief "
            f"{hop.name}, which has no living thread",
        )
    return chief

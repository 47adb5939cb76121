"""IPC: synchronous, unbuffered message transfer between threads.

A send meets a receiver that waits for it (rendezvous) or blocks in the receiver's queue of
senders; a receive takes the oldest matching sender or pending interrupt, or blocks. A call is a
send followed by a receive from the same partner; reply_and_wait replies with timeout 0 and then
waits for anyone. Messages that cross a clan boundary go to a chief (`clans.py`). Map and grant
items land in the receiver's window as in L4 X.2 (`fpage.place_item`). Failures come back to
the program as a `Result` with `.error` set, never as an exception.
"""

from __future__ import annotations

from ..errors import KernelError, UnknownThread
from . import interrupts
from .clans import IpcFailure, check_as_sender, redirect
from .fpage import place_item
from .ids import ThreadId
from .lifecycle import end_thread, thread, unqueue
from .mapdb import AddressSpace
from .messages import Item, Message, Result, failure
from .ops import Operation, Window
from .state import IrqLine, KernelState
from .threads import Ready, Receiving, Sending, Thread
from .values import SCALARS, copy_value

Landed = tuple[tuple[int, int, str], ...]  # (destination page, order, rights) per item


def route(k: KernelState, sender: Thread, dest: ThreadId,
          as_sender: ThreadId | None) -> tuple[Thread, ThreadId | None]:  # fmt: skip
    """Return (the thread that receives, the intended destination if a chief receives it)."""
    if dest.is_interrupt:
        raise IpcFailure("no_partner", f"{dest} is an interrupt: drivers receive from it")
    try:
        target = thread(k, dest)
    except UnknownThread as e:
        raise IpcFailure("no_partner", str(e)) from None
    if as_sender is not None:
        check_as_sender(k, sender, as_sender, target)
    chief = redirect(k, sender, target, dest, as_sender or sender.id)
    return (target, None) if chief is None else (chief, dest)


# -- send and receive ------------------------------------------------------------------------------


def send_phase(k: KernelState, sender: Thread, dest: ThreadId, msg: Message,
               deadline: int | None, *, call: bool = False, window: Window = None,
               as_sender: ThreadId | None = None, reply: bool = False) -> str | None:  # fmt: skip
    """Send `msg` now, or block `sender`; return the send's error (None if sent or blocked).

    With `reply=True` (the reply of reply_and_wait) the send never blocks and leaves the
    thread's state to the caller.
    """
    try:
        target, intended = route(k, sender, dest, as_sender)
    except IpcFailure as f:
        if not reply:
            k.set_state(sender, Ready(failure(f.error, f.detail)))
        return f.error
    visible = as_sender or sender.id
    if accepts(target, visible):
        error = transfer(k, sender, target, msg, visible, intended)
        if not reply:
            after_send(k, sender, error, dest if call else None, deadline, window, None)
        return error
    if reply or (deadline is not None and deadline <= k.now):
        if not reply:
            detail = f"{target.name} was not waiting for a message from {visible}"
            k.set_state(sender, Ready(failure("timeout", detail)))
        return "timeout"
    block_sending(k, sender, target, Sending(target.id, msg, deadline, k.next_seq(), visible,
                                             intended, dest if call else None, window))  # fmt: skip
    return None


def block_sending(k: KernelState, sender: Thread, target: Thread, state: Sending) -> None:
    """Queue `sender` at `target` in the sending `state`."""
    target.senders.append(sender)
    k.set_state(sender, state)


def after_send(k: KernelState, sender: Thread, error: str | None, call_partner: ThreadId | None,
               deadline: int | None, window: Window, fault: Operation | None) -> None:  # fmt: skip
    """Finish a completed send: a call (or fault) goes on to receive, a send returns."""
    if call_partner is not None and error not in ("no_window", "invalid_item"):
        receive_phase(k, sender, call_partner, deadline, window, is_reply=True, fault=fault)
    else:
        k.set_state(sender, Ready(Result(error=error)))


def accepts(target: Thread, visible: ThreadId) -> bool:
    """Return True when `target` is receiving and would take a message from `visible`."""
    state = target.state
    return isinstance(state, Receiving) and state.src in (None, visible)


def receive_phase(k: KernelState, receiver: Thread, src: ThreadId | None, deadline: int | None,
                  window: Window, *, reply_error: str | None = None, is_reply: bool = False,
                  fault: Operation | None = None) -> None:  # fmt: skip
    """Take the oldest matching sender or interrupt now, or block `receiver` receiving."""
    waiting = Receiving(src, deadline, window, fault, reply_error, is_reply)
    try:
        check_source(k, receiver, src)
    except IpcFailure as f:
        if fault is not None:
            end_thread(k, receiver, f"page fault could not be served: {f.detail}", True)
        else:
            k.set_state(receiver, Ready(failure(f.error, f.detail, waiting)))
        return
    k.set_state(receiver, waiting)
    found = pick(k, receiver, src)
    if isinstance(found, Thread):
        take_from_queue(k, found, receiver)
    elif found is not None:
        interrupts.deliver(k, found, receiver)
    elif deadline is not None and deadline <= k.now:
        detail = f"no message was waiting for {receiver.name}"
        k.set_state(receiver, Ready(failure("timeout", detail, waiting)))


def check_source(k: KernelState, receiver: Thread, src: ThreadId | None) -> None:
    """Raise IpcFailure when `receiver` cannot receive from `src` (ended, stale, not attached)."""
    if src is None:
        return
    if src.is_interrupt:
        if not interrupts.is_own_interrupt(k, receiver, src):
            raise IpcFailure(
                "no_partner",
                f"{src} is not attached to {receiver.name}: call "
                f"attach_interrupt({src.number}, driver) first",
            )
        return
    try:
        thread(k, src)
    except UnknownThread as e:
        raise IpcFailure("no_partner", str(e)) from None


def pick(k: KernelState, receiver: Thread, src: ThreadId | None) -> Thread | IrqLine | None:
    """Return the oldest sender or pending interrupt `receiver` may receive from, or None."""
    sender = next(
        (s for s in receiver.senders
         if isinstance(s.state, Sending) and src in (None, s.state.visible)),
        None,
    )  # fmt: skip
    line = interrupts.pending_for(k, receiver, src)
    if line is not None and (sender is None or line.pending_since < sender.state.since):
        return line
    return sender


def take_from_queue(k: KernelState, sender: Thread, receiver: Thread) -> None:
    """Transfer the message of a blocked `sender` to `receiver`, then let the sender go on."""
    state = sender.state
    assert isinstance(state, Sending), "take_from_queue: sender is not sending"
    receiver.senders.remove(sender)
    error = transfer(k, sender, receiver, state.msg, state.visible, state.intended)
    after_send(k, sender, error, state.call_partner, state.deadline, state.window, state.fault)


# -- the transfer itself ---------------------------------------------------------------------------


def transfer(k: KernelState, sender: Thread, receiver: Thread, msg: Message, visible: ThreadId,
             intended: ThreadId | None) -> str | None:  # fmt: skip
    """Copy `msg` from `sender` into the receiving `receiver`; return the error or None."""
    state = receiver.state
    assert isinstance(state, Receiving), "transfer: receiver is not receiving"
    k.note("ipc", (describe_transfer, visible, receiver.name, msg, intended), sender.id,
           (receiver.id, visible), message=msg, intended=intended,
           details=(transfer_info, visible, receiver.id, msg, intended))  # fmt: skip
    k.machine.transfer(sender.id, receiver.id, len(msg.words), msg.string_bytes)
    received: Landed = ()
    error, detail = None, ""
    if msg.items and state.window is None:
        error = "no_window"
        detail = (
            f"{receiver.name} has no receive window for the {len(msg.items)} map/grant "
            "item(s): it must receive with window=(page, order)"
        )
    elif msg.items:
        received, error, detail = land_items(k, sender.space, msg.items, receiver.space,
                                             state.window)  # fmt: skip
    if error == "invalid_item":
        k.note("item_refused", f"{visible}'s item refused: {detail}", sender.id, (receiver.id,),
               error=error)  # fmt: skip
    if state.fault is not None:
        k.set_state(receiver, Ready(retry=state.fault))
        return error
    fault = msg.fault or (None, None, None)
    delivered = error != "no_window"
    label = msg.label  # the receiver's own copy: changing it changes no other
    if type(label) not in SCALARS:
        label = copy_value(label, "label")
    k.set_state(receiver, Ready(Result(
        error=error, sender=visible, words=msg.words if delivered else (),
        strings=msg.strings if delivered else (), label=label, intended=intended,
        reply_error=state.reply_error, received=received, fault_page=fault[0],
        fault_address=fault[1], write=fault[2], detail=detail,
    )))  # fmt: skip
    return error


def describe_transfer(visible: ThreadId, receiver: str, msg: Message,
                      intended: ThreadId | None) -> str:  # fmt: skip
    """Return the trace's text of a transfer of `msg` from `visible` to the thread `receiver`."""
    via = f" (redirected to chief; meant for {intended})" if intended else ""
    return f"{visible} -> {receiver}: {msg.describe()}{via}"


def transfer_info(visible: ThreadId, receiver: ThreadId, msg: Message,
                  intended: ThreadId | None) -> tuple[tuple[str, object], ...]:  # fmt: skip
    """Return the (key, value) pairs of the trace event of a transfer of `msg` from `visible`
    to `receiver`: msg_kind, sender, receiver, words and label."""
    kind = "redirected" if intended else msg.kind
    return (("msg_kind", kind), ("sender", visible), ("receiver", receiver),
            ("words", msg.words), ("label", msg.label))  # fmt: skip


def land_items(k: KernelState, src: AddressSpace, items: tuple[Item, ...], dst: AddressSpace,
               window: tuple[int, int]) -> tuple[Landed, str | None, str]:  # fmt: skip
    """Map/grant `items` into dst's `window` in order; return (landed, error, detail).

    Each item is placed by its send base as in L4 X.2 (`fpage.place_item`): a size mismatch is
    no error, and an item landing on pages an earlier one filled replaces them. An item the
    mapping database refuses stops the transfer there with "invalid_item".
    """
    landed: list[tuple[int, int, str]] = []
    for item in items:
        src_page, dst_page, order = place_item(item.page, item.order, item.send_base, *window)
        try:
            sources = k.mapdb.check_transfer(src, src_page, dst, dst_page, item.rights, order,
                                             item.grant)  # fmt: skip
        except KernelError as e:
            return tuple(landed), "invalid_item", str(e)
        k.mapdb.transfer(sources, dst, dst_page, item.rights, item.grant)
        landed.append((dst_page, order, item.rights))
    return tuple(landed), None, ""


# -- timeouts (a hardware event: the clock reached a deadline) ------------------------------------


def next_deadline(k: KernelState) -> tuple[int, Thread] | None:
    """Return (deadline, thread) of the earliest pending timeout, or None."""
    best = None
    for waiter in k.threads.values():
        deadline = getattr(waiter.state, "deadline", None)
        if deadline is not None and (best is None or deadline < best[0]):
            best = (deadline, waiter)
    return best


def fire_timeout(k: KernelState, waiter: Thread) -> None:
    """End the blocked IPC of `waiter` whose deadline has come, with error 'timeout'."""
    state = waiter.state
    k.note("timeout", f"{waiter.name}: timeout while {state.describe()}", waiter.id)
    unqueue(k, waiter)
    detail = f"{state.describe()}; the timeout expired at cycle {k.now}"
    k.set_state(waiter, Ready(failure("timeout", detail, state)))

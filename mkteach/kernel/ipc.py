"""IPC: synchronous, unbuffered message transfer between threads (a mixin of `Kernel`).

A send meets a receiver that waits for it (rendezvous) or blocks in the receiver's queue of
senders; a receive takes the oldest matching sender or pending interrupt, or blocks. A call is a
send followed by a receive from the same partner; reply_and_wait replies with timeout 0 and then
waits for anyone. Messages leaving or entering a clan go to the chief (`clan_hop`). Page faults
are IPC too: the kernel sends a fault message to the pager on the faulting thread's behalf.
Failures come back to the program as a `Result` with `.error` set, never as an exception.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .errors import KernelError, UnknownThread
from .ids import ThreadId, interrupt_id
from .mapdb import AddressSpace
from .messages import Item, Message, Result
from .ops import Call, Load, Operation, Receive, ReplyAndWait, Send, Store, Unmap, Wait, Window
from .threads import Ready, Receiving, Sending, Thread

if TYPE_CHECKING:
    from .kernel import IrqLine, Kernel

    _Base = Kernel
else:
    _Base = object


class IpcFailure(Exception):
    """Internal: an IPC that cannot proceed, with its error code and an explanation."""

    def __init__(self, error: str, detail: str) -> None:
        super().__init__(detail)
        self.error, self.detail = error, detail


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


class IpcMixin(_Base):
    """The IPC half of the kernel: entry dispatch, routing, rendezvous, transfer, timeouts."""

    now: int = 0

    def enter(self, thread: Thread, op: Operation) -> None:
        """Perform one kernel entry of `thread` for operation `op` at time `self.now`."""
        self.machine.switch_space(thread.space.id)
        if isinstance(op, Load | Store):
            self.access(thread, op)
            return
        if isinstance(op, Unmap):
            self.unmap(thread, op)
            return
        self.machine.kernel_entry(thread.id, "ipc")
        acked = self.ack_interrupts(thread)
        deadline = None if op.timeout is None else self.now + op.timeout
        self.journal.note(op.kind, self.describe_op(thread, op) + acked, thread.id)
        if isinstance(op, Send):
            self.send_phase(thread, op.dest, op.msg, deadline, as_sender=op.as_sender)
        elif isinstance(op, Call):
            self.send_phase(thread, op.dest, op.msg, deadline, call=True, window=op.window)
        elif isinstance(op, Receive):
            self.receive_phase(thread, op.src, deadline, op.window)
        elif isinstance(op, Wait):
            self.receive_phase(thread, None, deadline, op.window)
        elif isinstance(op, ReplyAndWait):
            error = self.send_phase(thread, op.dest, op.msg, self.now, reply=True)
            if error is not None:
                self.journal.note("reply_failed", f"{thread.name}'s reply to {op.dest} failed: "
                                  f"{error}", thread.id, error=error)  # fmt: skip
            self.receive_phase(thread, None, deadline, op.window, reply_error=error)

    def describe_op(self, thread: Thread, op: Operation) -> str:
        """Return a one-line description of an IPC operation for the trace."""
        window = f" window={op.window}" if getattr(op, "window", None) else ""
        timeout = "" if op.timeout is None else f" timeout={op.timeout}"
        if isinstance(op, Send | Call | ReplyAndWait):
            verb = {"send": "sends to", "call": "calls", "reply_and_wait": "replies to"}[op.kind]
            return f"{thread.name} {verb} {op.dest}: {op.msg.describe()}{timeout}{window}"
        if isinstance(op, Receive):
            return f"{thread.name} receives from {op.src}{timeout}{window}"
        return f"{thread.name} waits for anyone{timeout}{window}"

    # -- routing ----------------------------------------------------------------------------------

    def route(
        self, thread: Thread, dest: ThreadId, as_sender: ThreadId | None
    ) -> tuple[Thread, ThreadId | None]:
        """Return (the thread that receives, the intended destination if redirected)."""
        if dest.is_interrupt:
            raise IpcFailure("no_partner", f"{dest} is an interrupt: drivers receive from it")
        try:
            target = self.thread(dest)
        except UnknownThread as e:
            raise IpcFailure("no_partner", str(e)) from None
        if as_sender is not None:
            self.check_as_sender(thread, as_sender, target)
        hop = clan_hop(thread.space, target.space)
        waiting = target.state
        if isinstance(waiting, Receiving) and waiting.fault is not None:
            if waiting.src == (as_sender or thread.id):
                hop = None  # the pager's answer to a page fault: fault IPC is never redirected
        if hop is None:
            return target, None
        chief = self.chief_thread(hop)
        if chief is None:
            raise IpcFailure(
                "no_partner",
                f"the message to {dest} crosses a clan boundary and must go to the chief "
                f"{hop.name}, which has no living thread",
            )
        return chief, dest

    def chief_thread(self, space: AddressSpace) -> Thread | None:
        """Return the oldest living thread of `space` (its chief thread), or None."""
        return next((t for t in self.threads.values() if t.alive and t.space is space), None)

    def check_as_sender(self, thread: Thread, as_sender: ThreadId, target: Thread) -> None:
        """Raise IpcFailure unless `thread` is a chief standing between as_sender and target."""
        members = self.members(thread.space)
        if not members:
            raise IpcFailure(
                "not_chief",
                f"only a chief may send as another thread (as_sender=), and {thread.space.name}"
                " has no clan",
            )
        claimed = self.space_by_id.get(as_sender.task)
        if claimed not in members and target.space not in members:
            raise IpcFailure(
                "not_chief",
                f"{thread.space.name} may send as_sender only for a member of its clan "
                f"({', '.join(m.name for m in members)}): neither {as_sender} nor "
                f"{target.id} is one",
            )

    # -- send and receive ----------------------------------------------------------------------

    def send_phase(
        self,
        thread: Thread,
        dest: ThreadId,
        msg: Message,
        deadline: int | None,
        *,
        call: bool = False,
        window: Window = None,
        as_sender: ThreadId | None = None,
        reply: bool = False,
    ) -> str | None:
        """Send `msg` now, or block `thread`; return the send's error (None if sent or blocked).

        With `reply=True` (the reply of reply_and_wait) the send never blocks and leaves the
        thread's state to the caller.
        """
        try:
            target, intended = self.route(thread, dest, as_sender)
        except IpcFailure as f:
            if not reply:
                self.set_state(thread, Ready(self.failure(f.error, f.detail)))
            return f.error
        visible = as_sender or thread.id
        if self.accepts(target, visible):
            error = self.transfer(thread, target, msg, visible, intended)
            if not reply:
                self.after_send(thread, error, dest if call else None, deadline, window, None)
            return error
        if reply or (deadline is not None and deadline <= self.now):
            if not reply:
                detail = f"{target.name} was not waiting for a message from {visible}"
                self.set_state(thread, Ready(self.failure("timeout", detail)))
            return "timeout"
        state = Sending(target.id, msg, deadline, self.next_seq(), visible, intended,
                        dest if call else None, window)  # fmt: skip
        target.senders.append(thread)
        self.set_state(thread, state)
        return None

    def send_fault(
        self, thread: Thread, pager: Thread, op: Operation, page: int, write: bool
    ) -> None:
        """Send the page-fault message of `thread` to `pager` (never redirected by clans)."""
        address = op.address  # type: ignore[union-attr]
        msg = Message((address, int(write)), (), (), "page_fault", (page, address, write))
        window = (page, 0)
        if self.accepts(pager, thread.id):
            self.transfer(thread, pager, msg, thread.id, None)
            self.after_send(thread, None, pager.id, None, window, op)
            return
        state = Sending(pager.id, msg, None, self.next_seq(), thread.id, None, pager.id,
                        window, op)  # fmt: skip
        pager.senders.append(thread)
        self.set_state(thread, state)

    def after_send(
        self,
        thread: Thread,
        error: str | None,
        call_partner: ThreadId | None,
        deadline: int | None,
        window: Window,
        fault: Operation | None,
    ) -> None:
        """Finish a completed send: a call (or fault) goes on to receive, a send returns."""
        if call_partner is not None and error not in ("no_window", "invalid_item"):
            self.receive_phase(thread, call_partner, deadline, window, is_reply=True, fault=fault)
        else:
            self.set_state(thread, Ready(Result(error=error)))

    def accepts(self, target: Thread, visible: ThreadId) -> bool:
        """Return True when `target` is receiving and would take a message from `visible`."""
        state = target.state
        return isinstance(state, Receiving) and state.src in (None, visible)

    def receive_phase(
        self,
        thread: Thread,
        src: ThreadId | None,
        deadline: int | None,
        window: Window,
        *,
        reply_error: str | None = None,
        is_reply: bool = False,
        fault: Operation | None = None,
    ) -> None:
        """Take the oldest matching sender or interrupt now, or block `thread` receiving."""
        waiting = Receiving(src, deadline, window, fault, reply_error, is_reply)
        try:
            self.check_source(thread, src)
        except IpcFailure as f:
            if fault is not None:
                self.end_thread(thread, f"page fault could not be served: {f.detail}", True)
            else:
                self.set_state(thread, Ready(self.failure(f.error, f.detail, waiting)))
            return
        self.set_state(thread, waiting)
        found = self.pick(thread, src)
        if isinstance(found, Thread):
            self.take_from_queue(found, thread)
        elif found is not None:
            self.deliver_interrupt(found, thread)
        elif deadline is not None and deadline <= self.now:
            detail = f"no message was waiting for {thread.name}"
            self.set_state(thread, Ready(self.failure("timeout", detail, waiting)))

    def check_source(self, thread: Thread, src: ThreadId | None) -> None:
        """Raise IpcFailure when `thread` cannot receive from `src` (ended, stale, not attached)."""
        if src is None:
            return
        if src.is_interrupt:
            line = self.irqs.get(src.number)
            if line is None or line.driver != thread.id:
                raise IpcFailure(
                    "no_partner",
                    f"{src} is not attached to {thread.name}: call "
                    f"attach_interrupt({src.number}, driver) first",
                )
            return
        try:
            self.thread(src)
        except UnknownThread as e:
            raise IpcFailure("no_partner", str(e)) from None

    def pick(self, thread: Thread, src: ThreadId | None) -> Thread | IrqLine | None:
        """Return the oldest sender or pending interrupt `thread` may receive from, or None."""
        best: tuple[int, Thread | IrqLine] | None = None
        for sender in thread.senders:
            state = sender.state
            if isinstance(state, Sending) and src in (None, state.visible):
                best = (state.since, sender)
                break
        for line in self.irqs.values():
            if line.driver == thread.id and line.pending and not line.in_service:
                if src in (None, interrupt_id(line.irq)) and (
                    best is None or line.pending_since < best[0]
                ):
                    best = (line.pending_since, line)
        return None if best is None else best[1]

    def take_from_queue(self, sender: Thread, receiver: Thread) -> None:
        """Transfer the message of a blocked `sender` to `receiver`, then let the sender go on."""
        state = sender.state
        assert isinstance(state, Sending), "take_from_queue: sender is not sending"
        receiver.senders.remove(sender)
        error = self.transfer(sender, receiver, state.msg, state.visible, state.intended)
        self.after_send(sender, error, state.call_partner, state.deadline, state.window,
                        state.fault)  # fmt: skip

    # -- the transfer itself ----------------------------------------------------------------------

    def transfer(
        self,
        sender: Thread,
        receiver: Thread,
        msg: Message,
        visible: ThreadId,
        intended: ThreadId | None,
    ) -> str | None:
        """Copy `msg` from `sender` into the receiving `receiver`; return the error or None."""
        state = receiver.state
        assert isinstance(state, Receiving), "transfer: receiver is not receiving"
        via = f" (redirected to chief; meant for {intended})" if intended else ""
        self.journal.note(
            "ipc",
            f"{visible} -> {receiver.name}: {msg.describe()}{via}",
            sender.id,
            (receiver.id, visible),
            msg_kind="redirected" if intended else msg.kind,
            sender=visible,
            receiver=receiver.id,
            words=msg.words,
            label=msg.label,
        )
        self.machine.transfer(sender.id, receiver.id, len(msg.words), msg.string_bytes)
        received: tuple[tuple[int, int, str], ...] = ()
        error, detail = None, ""
        if msg.items and state.window is None:
            error = "no_window"
            detail = (
                f"{receiver.name} has no receive window for the {len(msg.items)} map/grant "
                "item(s): it must receive with window=(page, order)"
            )
        elif msg.items:
            received, error, detail = self.land_items(
                sender.space, msg.items, receiver.space, state.window, state.fault is not None
            )
        if error == "invalid_item":
            self.journal.note("item_refused", f"{visible}'s item refused: {detail}", sender.id,
                              (receiver.id,), error=error)  # fmt: skip
        if state.fault is not None:
            self.set_state(receiver, Ready(retry=state.fault))
            return error
        fault = msg.fault or (None, None, None)
        result = Result(
            error=error,
            sender=visible,
            words=msg.words if error != "no_window" else (),
            strings=msg.strings if error != "no_window" else (),
            label=msg.label,
            intended=intended,
            reply_error=state.reply_error,
            received=received,
            fault_page=fault[0],
            fault_address=fault[1],
            write=fault[2],
            detail=detail,
        )
        self.set_state(receiver, Ready(result))
        return error

    def land_items(
        self,
        src: AddressSpace,
        items: tuple[Item, ...],
        dst: AddressSpace,
        window: tuple[int, int],
        narrow_silently: bool,
    ) -> tuple[tuple[tuple[int, int, str], ...], str | None, str]:
        """Map/grant `items` into dst's `window` in order; return (landed, error, detail).

        Each item lands at the next free part of the window, aligned to its size. When it does
        not fit, it is cut to the largest aligned fpage that does (error "cut"); the part of
        the sender's fpage used is the one at the same offset (L4's rule: the smaller decides).
        A page-fault reply's window is the faulting page, and narrowing there is no error.
        """
        base, order = window
        cursor, end = base, base + (1 << order)
        landed: list[tuple[int, int, str]] = []
        error: str | None = None
        for item in items:
            dst_page, size_order = self.place(item, cursor, end)
            if size_order is None:
                return tuple(landed), "cut", f"no room left in the window for {item.describe()}"
            if size_order < item.order and not narrow_silently:
                error = "cut"
            offset = (dst_page % item.size) & ~((1 << size_order) - 1)
            try:
                sources = self.mapdb.check_transfer(
                    src, item.page + offset, dst, dst_page, item.rights, size_order, item.grant
                )
            except KernelError as e:
                return tuple(landed), "invalid_item", str(e)
            self.mapdb.transfer(sources, dst, dst_page, item.rights, item.grant)
            landed.append((dst_page, size_order, item.rights))
            cursor = dst_page + (1 << size_order)
        detail = "an item was larger than the window and was cut to fit" if error else ""
        return tuple(landed), error, detail

    @staticmethod
    def place(item: Item, cursor: int, end: int) -> tuple[int, int | None]:
        """Return (destination page, order) for `item` at `cursor` in a window ending at `end`."""
        aligned = -(-cursor // item.size) * item.size
        if aligned + item.size <= end:
            return aligned, item.order
        for order in range(item.order, -1, -1):
            if cursor % (1 << order) == 0 and cursor + (1 << order) <= end:
                return cursor, order
        return cursor, None

    @staticmethod
    def failure(error: str, detail: str, state: object = None) -> Result:
        """Return a failed IPC result, keeping a pending reply error of reply_and_wait."""
        return Result(error=error, detail=detail, reply_error=getattr(state, "reply_error", None))

    # -- interrupts and timeouts (hardware events) ---------------------------------------------

    def ack_interrupts(self, thread: Thread) -> str:
        """Acknowledge the interrupts `thread` was delivered; return a note for the trace."""
        acked = []
        for line in self.irqs.values():
            if line.driver == thread.id and line.in_service:
                line.in_service = False
                acked.append(f"irq{line.irq}")
        return f" (acknowledges {', '.join(acked)})" if acked else ""

    def deliver_interrupt(self, line: IrqLine, driver: Thread) -> None:
        """Deliver pending interrupt `line` to its receiving `driver` as an empty message."""
        line.pending, line.in_service = False, True
        irq = interrupt_id(line.irq)
        self.journal.note("interrupt", f"{irq} -> {driver.name}", irq, (driver.id,),
                          msg_kind="interrupt", sender=irq, receiver=driver.id)  # fmt: skip
        state = driver.state
        self.set_state(driver, Ready(Result(sender=irq, reply_error=state.reply_error)))

    def deliverable_interrupt(self) -> tuple[IrqLine, Thread] | None:
        """Return the oldest pending interrupt whose driver is receiving it, or None."""
        ready = []
        for line in self.irqs.values():
            driver = self.live_or_none(line.driver)
            if line.pending and not line.in_service and driver is not None:
                state = driver.state
                if isinstance(state, Receiving) and state.fault is None:
                    if state.src in (None, interrupt_id(line.irq)):
                        ready.append((line.pending_since, line, driver))
        if not ready:
            return None
        _, line, driver = min(ready, key=lambda r: r[0])
        return line, driver

    def next_deadline(self) -> tuple[int, Thread] | None:
        """Return (deadline, thread) of the earliest pending timeout, or None."""
        best = None
        for thread in self.live.values():
            deadline = getattr(thread.state, "deadline", None)
            if deadline is not None and (best is None or deadline < best[0]):
                best = (deadline, thread)
        return best

    def fire_timeout(self, thread: Thread) -> None:
        """End the blocked IPC of `thread` whose deadline has come, with error 'timeout'."""
        state = thread.state
        self.journal.note("timeout", f"{thread.name}: timeout while {state.describe()}", thread.id)
        self.unqueue(thread)
        detail = f"{state.describe()}; the timeout expired at cycle {self.now}"
        self.set_state(thread, Ready(self.failure("timeout", detail, state)))

"""The kernel entry: decode the operation a thread yielded, then invoke the concept it names.

As in seL4, the entry is split in two. Decoding (`decode`) trusts nothing: whoever built the
operation (the thread handle, or a program that built `ops.Call(...)` itself), each field is
checked here, and the kernel goes on with a fresh operation of its own, so a program that
changes what it yielded afterwards changes nothing. A bad operation raises `InvalidArgument`
before anything changes (the executor raises it in the program, at its `yield`). Invoking hands
the decoded operation to the module of its concept — memory access and faults, flush, or IPC
(send, receive, call, reply_and_wait).
"""

from __future__ import annotations

from typing import Any

from ..errors import InvalidArgument
from . import interrupts, ipc, spaces
from .faults import access
from .fpage import check_include_self, check_order, check_page, check_rights
from .ids import ThreadId
from .messages import check_message, check_window
from .ops import Call, Load, Operation, Receive, ReplyAndWait, Send, Store, Unmap, Wait
from .state import KernelState
from .threads import Ready, Thread
from .values import copy_value, show_brief

ADDRESS_LIMIT = 1 << 32


def enter(k: KernelState, thread: Thread, op: Any) -> None:
    """Perform one kernel entry of `thread` for operation `op` at time `k.now`: decode it, then
    invoke it; a bad operation costs a null kernel entry and raises InvalidArgument."""
    k.machine.switch_space(thread.space.id)
    try:
        op = decode(op)
    except InvalidArgument:
        k.machine.kernel_entry(thread.id, "null_call")
        raise
    if isinstance(op, Load | Store):
        access(k, thread, op)
    elif isinstance(op, Unmap):
        unmap(k, thread, op)
    else:
        invoke_ipc(k, thread, op)


def unmap(k: KernelState, thread: Thread, op: Unmap) -> None:
    """Flush from the calling thread's own space (the system-call form of flush)."""
    k.machine.kernel_entry(thread.id, "flush")
    spaces.flush(k, thread.space, op.page, op.rights, op.order, op.include_self)
    k.set_state(thread, Ready(None))


def invoke_ipc(k: KernelState, thread: Thread, op: Operation) -> None:
    """Perform an IPC operation: acknowledge delivered interrupts, then send and/or receive."""
    k.machine.ipc_entry(thread.id, op.kind)
    acked = interrupts.acknowledge(k, thread)
    deadline = None if op.timeout is None else k.now + op.timeout
    k.note(op.kind, (describe, thread.name, op, acked), thread.id)  # worded when read
    if isinstance(op, Send):
        ipc.send_phase(k, thread, op.dest, op.msg, deadline, as_sender=op.as_sender)
    elif isinstance(op, Call):
        ipc.send_phase(k, thread, op.dest, op.msg, deadline, call=True, window=op.window)
    elif isinstance(op, Receive):
        ipc.receive_phase(k, thread, op.src, deadline, op.window)
    elif isinstance(op, Wait):
        ipc.receive_phase(k, thread, None, deadline, op.window)
    elif isinstance(op, ReplyAndWait):
        error = ipc.send_phase(k, thread, op.dest, op.msg, k.now, reply=True)
        if error is not None:
            k.note("reply_failed", f"{thread.name}'s reply to {op.dest} failed: {error}",
                   thread.id, error=error)  # fmt: skip
        ipc.receive_phase(k, thread, None, deadline, op.window, reply_error=error)


def describe(name: str, op: Operation, acked: str = "") -> str:
    """Return a one-line description of IPC operation `op` of the thread called `name` for the
    trace, ending with what it `acked` (the interrupts it acknowledged, in words)."""
    window = f" window={op.window}" if getattr(op, "window", None) else ""
    timeout = "" if op.timeout is None else f" timeout={op.timeout}"
    if isinstance(op, Send | Call | ReplyAndWait):
        verb = {"send": "sends to", "call": "calls", "reply_and_wait": "replies to"}[op.kind]
        return f"{name} {verb} {op.dest}: {op.msg.describe()}{timeout}{window}{acked}"
    if isinstance(op, Receive):
        return f"{name} receives from {op.src}{timeout}{window}{acked}"
    return f"{name} waits for anyone{timeout}{window}{acked}"


# -- decode: every field of an operation checked, whoever built it --------------------------------


def decode(op: object) -> Operation:
    """Return `op` checked field by field, as an operation of the kernel's own; raise
    InvalidArgument naming the field and the fix. Changes nothing."""
    kind = type(op)
    if kind is Send:
        sender = None if op.as_sender is None else check_thread_id(op.as_sender, "as_sender")
        return Send(check_thread_id(op.dest, "dest"), check_message(op.msg),
                    check_timeout(op.timeout), sender)  # fmt: skip
    if kind is Call or kind is ReplyAndWait:
        return kind(check_thread_id(op.dest, "dest"), check_message(op.msg),
                    check_timeout(op.timeout), check_window(op.window))  # fmt: skip
    if kind is Receive:
        src = check_thread_id(op.src, "src", irq_ok=True)
        return Receive(src, check_timeout(op.timeout), check_window(op.window))
    if kind is Wait:
        return Wait(check_timeout(op.timeout), check_window(op.window))
    if kind is Load:
        return Load(check_address(op.address))
    if kind is Store:
        return Store(check_address(op.address), copy_value(op.value, "stored value"))
    if kind is Unmap:
        return check_unmap(op)
    raise InvalidArgument(
        f"{show_brief(op)} is not a kernel operation of the thread handle (a subclass is not "
        "one either): yield what t.send(...), t.load(...), t.flush(...) ... return"
    )


def check_thread_id(value: object, what: str, irq_ok: bool = False) -> ThreadId:
    """Return `value` if it is a thread id (or, when allowed, an interrupt id); raise otherwise."""
    if (
        type(value) is not ThreadId
        or type(value.task) is not int
        or type(value.number) is not int
        or type(value.version) is not int
    ):
        raise InvalidArgument(
            f"{what} must be a thread id (the value create_thread returned, or msg.sender), "
            f"not {show_brief(value)}"
        )
    if value.is_interrupt and not irq_ok:
        raise InvalidArgument(f"{what} {value} is an interrupt: interrupts only send")
    return value


def check_timeout(value: object) -> int | None:
    """Return a valid timeout in cycles (None = never, 0 = poll); raise otherwise."""
    if value is None or (type(value) is int and value >= 0):
        return value  # type: ignore[return-value]
    raise InvalidArgument(
        "timeout must be None (never), 0 (poll) or a positive number of cycles, "
        f"not {show_brief(value)}"
    )


def check_address(value: object) -> int:
    """Return a valid virtual address (0 <= address < 2**32); raise otherwise."""
    if type(value) is not int or not 0 <= value < ADDRESS_LIMIT:
        raise InvalidArgument(
            "address must be an int from 0 to 2**32 - 1 (page * 4096 + offset), "
            f"not {show_brief(value)}"
        )
    return value


def check_unmap(op: Unmap) -> Unmap:
    """Return flush operation `op` when its page, rights, order and include_self are valid
    (which rights a flush may revoke, the mapping database checks as for `System.flush`)."""
    order = check_order(op.order)
    if type(op.rights) is not str:
        check_rights(op.rights, "flush rights")
    check_include_self(op.include_self)
    return Unmap(check_page(op.page, order), op.rights, order, op.include_self)

"""The kernel entry: decode the operation a thread yielded, then invoke the concept it names.

As in seL4, the entry is split in two: decoding reads the operation (already validated by the
thread handle) and charges the entry on the machine; invoking hands it to the module of its
concept — memory access and faults, flush, or IPC (send, receive, call, reply_and_wait).
"""

from __future__ import annotations

from . import interrupts, ipc, spaces
from .faults import access
from .ops import Call, Load, Operation, Receive, ReplyAndWait, Send, Store, Unmap, Wait
from .state import KernelState
from .threads import Ready, Thread


def enter(k: KernelState, thread: Thread, op: Operation) -> None:
    """Perform one kernel entry of `thread` for operation `op` at time `k.now`."""
    k.machine.switch_space(thread.space.id)
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
    k.note(op.kind, describe(thread, op) + acked, thread.id)
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


def describe(thread: Thread, op: Operation) -> str:
    """Return a one-line description of an IPC operation for the trace."""
    window = f" window={op.window}" if getattr(op, "window", None) else ""
    timeout = "" if op.timeout is None else f" timeout={op.timeout}"
    if isinstance(op, Send | Call | ReplyAndWait):
        verb = {"send": "sends to", "call": "calls", "reply_and_wait": "replies to"}[op.kind]
        return f"{thread.name} {verb} {op.dest}: {op.msg.describe()}{timeout}{window}"
    if isinstance(op, Receive):
        return f"{thread.name} receives from {op.src}{timeout}{window}"
    return f"{thread.name} waits for anyone{timeout}{window}"

"""Thread lifecycle: create a thread, find a living one by id, end it and wake its partners.

Thread ids are unique in space and time (`ids.py`): a new thread may take the number of an ended
one, but with the next version, so a stale id never reaches it. Ending a thread wakes every
thread waiting on it with "no_partner"; a thread waiting for a page fault to be served by it
cannot go on, and ends too (listed as failed).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from ..errors import InvalidArgument, StaleThreadId, UnknownThread
from . import deltas as d
from .ids import ThreadId
from .interrupts import detach
from .messages import failure
from .spaces import space
from .state import KernelState
from .threads import Dead, Ready, Receiving, Sending, Thread


def create_thread(k: KernelState, where: object, program: Callable[..., Any],
                  handle_factory: Callable, args: tuple, name: object, pager: object,
                  priority: object) -> Thread:  # fmt: skip
    """Create a ready thread running `program(handle, *args)`; return its record."""
    s = space(k, where)
    if not inspect.isgeneratorfunction(program):
        raise InvalidArgument(
            f"{getattr(program, '__name__', program)!r} is not a generator function: a "
            "program must yield kernel operations, e.g. `msg = yield t.wait()`"
        )
    if not isinstance(priority, int) or isinstance(priority, bool) or not 0 <= priority <= 255:
        raise InvalidArgument(f"priority must be an int from 0 to 255, not {priority!r}")
    pager_id = None if pager is None else thread(k, pager, "pager").id
    number = free_number(k, s.id)
    label = thread_name(k, name, s.name, number)
    tid = ThreadId(s.id, number, k.newest_version(s.id, number) + 1, label)
    handle = handle_factory(tid, s.name)
    try:
        generator = program(handle, *args)
    except TypeError as e:
        raise InvalidArgument(f"cannot start {program.__name__}: {e}") from None
    new = Thread(tid, s, label, generator, pager_id, priority, Ready())
    k.note("create_thread", f"{label} created in {s.name}", tid)
    k.threads[tid] = new
    k.record(d.ThreadState(tid.to_json(), s.name, label, None, new.state.fields()))
    k.scheduler.make_ready(new)
    return new


def free_number(k: KernelState, task: int) -> int:
    """Return the lowest thread number not used by a living thread of task `task`."""
    used = {t.id.number for t in k.threads.values() if t.alive and t.id.task == task}
    number = 0
    while number in used:
        number += 1
    return number


def thread_name(k: KernelState, name: object, space_name: str, number: int) -> str:
    """Return a valid, unique-among-living thread name (default 'SPACE.N')."""
    if name is None:
        name = space_name if number == 0 else f"{space_name}.{number}"
    if not isinstance(name, str) or not name:
        raise InvalidArgument(f"a thread name must be a non-empty string, not {name!r}")
    if any(t.alive and t.name == name for t in k.threads.values()):
        raise InvalidArgument(f"a living thread is named {name!r} already: pick another name")
    return name


def thread(k: KernelState, tid: object, what: str = "thread") -> Thread:
    """Return the living thread with id `tid`; raise UnknownThread or StaleThreadId."""
    if not isinstance(tid, ThreadId) or tid.is_interrupt:
        raise UnknownThread(
            f"{what} must be a thread id (as returned by create_thread), not {tid!r}"
        )
    found = k.live_or_none(tid)
    if found is not None:
        return found
    current = k.holder(tid.task, tid.number)
    if current is not None:
        raise StaleThreadId(
            f"{tid} is a stale id: that thread ended and its number now belongs to "
            f"{current.id} (version {current.id.version}); a stale id never reaches the new "
            "thread. Use the id the new thread's create_thread returned."
        )
    newest = k.newest_version(tid.task, tid.number)
    if tid in k.threads and newest > tid.version:
        raise StaleThreadId(
            f"{tid} is a stale id: that thread ended and its number was reused by a newer "
            f"thread (version {newest}), which has ended too; a stale id never reaches it"
        )
    if tid in k.threads:
        raise UnknownThread(f"{tid} has {k.threads[tid].state.describe()}")
    raise UnknownThread(f"no thread has the id {tid!r} in this system")


def end_thread(k: KernelState, victim: Thread, reason: str, failed: bool = False) -> None:
    """End `victim`: wake everyone waiting on it with 'no_partner', detach its interrupts."""
    if not victim.alive:
        return
    k.note("thread_end", f"{victim.name} {reason}", victim.id, failed=failed)
    unqueue(k, victim)
    k.set_state(victim, Dead(reason, failed))
    detach(k, victim.id)
    for waiter in list(victim.senders):
        fail_partner(k, waiter, victim)
    victim.senders.clear()
    for waiter in list(k.threads.values()):
        state = waiter.state
        if isinstance(state, Receiving) and state.src == victim.id:
            fail_partner(k, waiter, victim)


def unqueue(k: KernelState, sender: Thread) -> None:
    """Take a sending thread out of its target's queue of senders."""
    if isinstance(sender.state, Sending):
        target = k.holder(sender.state.target.task, sender.state.target.number)
        if target is not None and sender in target.senders:
            target.senders.remove(sender)


def fail_partner(k: KernelState, waiter: Thread, gone: Thread) -> None:
    """Wake `waiter` with 'no_partner' because `gone` ended; a faulting waiter ends, failed."""
    state = waiter.state
    if getattr(state, "fault", None) is not None:
        why = f"page fault could not be served: its pager {gone.id} ended"
        end_thread(k, waiter, why, failed=True)
        return
    unqueue(k, waiter)
    detail = f"{gone.id} ended while {waiter.name} was {state.describe()}"
    k.set_state(waiter, Ready(failure("no_partner", detail, state)))

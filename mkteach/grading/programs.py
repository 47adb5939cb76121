"""Checks of programs a student writes: a pager, a server. Each runs in a fresh, seeded System.

    check_pager(my_pager, seed=seed_of(STUDENT))     # serve an application's page faults
    check_server(my_server, seed=seed_of(STUDENT))   # answer clients that map a page, safely

The student's program runs under a step budget and a wall-clock limit (a program that loops
without yielding is stopped), and the feedback is built from what the model did: the trace, the
run's summary, the mapping trees and the kernel's invariants.
"""

from __future__ import annotations

import signal
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from ..errors import KernelError
from ..system import System
from .feedback import Feedback, check_failed, finish
from .instances import instance

POOL_BASE = 256  # the pager's own pages (in its space) start here
APP_PAGES = range(1, 32)  # where the application touches memory


class TimeLimitExceeded(BaseException):
    """Raised inside a student's program that ran past the wall-clock limit (not an Exception,
    so neither the executor nor the student's own `except Exception` swallows it)."""


@contextmanager
def time_limit(seconds: float | None) -> Iterator[None]:
    """Raise TimeLimitExceeded in the block after `seconds` of wall-clock time (main thread on
    POSIX; elsewhere only the step budget limits a run)."""
    usable = (
        seconds is not None
        and hasattr(signal, "setitimer")
        and threading.current_thread() is threading.main_thread()
    )
    if not usable:
        yield
        return

    def stop(signum: int, frame: Any) -> None:
        raise TimeLimitExceeded()

    old = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def _run(s: System, max_steps: int, seconds: float | None) -> tuple[Any, str | None]:
    """Return (summary or None, problem) after running `s` within the limits."""
    started = time.monotonic()
    try:
        with time_limit(seconds):
            return s.run(max_steps=max_steps), None
    except TimeLimitExceeded:
        took = time.monotonic() - started
        return None, (
            f"stopped after {took:.1f} s of real time: a program that loops without yielding "
            "never gives the kernel a turn (every pass of a loop should yield an operation)"
        )


# -- the pager ------------------------------------------------------------------------------


def pager_scenario(
    program: Callable[..., Any],
    seed: int | str = 0,
    *,
    pages: int = 4,
    spare: int = 2,
    machine: str = "i486",
    frames: int = 64,
) -> System:
    """Return a System where `program(t, own_pages)` pages an application, ready to run.

    The pager space holds `pages + spare` pages of its own (`own_pages`, from POOL_BASE), mapped
    from σ0. The application touches `pages` seeded pages: it reads some before writing them,
    writes a value to each, and finally reads every value back (and fails if one changed).
    """
    rng = instance(seed, "pager")
    s = System(machine=machine, frames=frames)
    pager_space, app = s.create_space("pager"), s.create_space("app")
    own = [POOL_BASE + i for i in range(pages + spare)]
    for frame, page in zip(sorted(rng.sample(range(8, frames), len(own))), own, strict=True):
        s.map(s.sigma0, frame, pager_space, page)
    touched = rng.sample(list(APP_PAGES), pages)
    plan = app_plan(rng, touched, s.page_size)
    pager = s.create_thread(pager_space, program, own, name="pager")
    s.create_thread(app, app_program, plan, name="app", pager=pager)
    return s


def app_plan(rng: Any, touched: list[int], page_size: int) -> list[tuple[str, int, int]]:
    """Return the application's accesses: (kind, address, value stored or expected)."""
    plan, final = [], []
    offset = rng.randrange(0, page_size, 4)  # one offset: pages sharing a frame clash
    for page in touched:
        address = page * page_size + offset
        value = rng.randrange(1, 1000)
        if rng.random() < 0.5:
            plan.append(("load", address, 0))  # never written: reads 0
        plan.append(("store", address, value))
        final.append(("load", address, value))
    return plan + final


def app_program(t, plan):  # type: ignore[no-untyped-def]
    """Perform the planned accesses; fail when a load does not read what was stored there."""
    for kind, address, value in plan:
        if kind == "store":
            yield t.store(address, value)
        else:
            got = yield t.load(address)
            if got != value:
                raise AssertionError(
                    f"loaded {got} from {address:#x} but expected {value}: the page's memory "
                    "changed under the application"
                )


def check_pager(
    program: Callable[..., Any],
    seed: int | str = 0,
    *,
    pages: int = 4,
    points: float = 1.0,
    max_steps: int = 2_000,
    seconds: float = 5.0,
    machine: str = "i486",
    title: str = "pager",
) -> Feedback:
    """Return feedback on a pager program `program(t, own_pages)`, run in `pager_scenario`.

    Credit: the application's faults were all served and it ended (0.4); every page it got
    derives from the pager's own pages, one frame per page (0.2); the pager is still waiting for
    the next fault at the end (0.2); the kernel's invariants hold and no fault repeated (0.2).
    """
    return check_program(
        lambda: pager_scenario(program, seed, pages=pages, machine=machine),
        lambda s, summary: _score_pager(s, summary, max_steps),
        "pager",
        points,
        max_steps,
        seconds,
        title,
    )


def check_program(
    build: Callable[[], System],
    score: Callable[[System, Any], tuple[float, list[str]]],
    what: str,
    points: float,
    max_steps: int,
    seconds: float,
    title: str,
) -> Feedback:
    """Return the feedback of a program check: build its System, run it within the limits and
    score it; a program that cannot start or loops without yielding earns nothing."""
    try:
        try:
            s = build()
        except KernelError as e:
            return finish(0, points, [f"your {what} could not start: {e}"], title)
        summary, problem = _run(s, max_steps, seconds)
        if problem:
            return finish(0, points, [problem], title)
        credit, messages = score(s, summary)
        return finish(points * credit, points, [m for m in messages if m], title)
    except Exception as e:  # a check never raises at the student
        return check_failed(e, points, title)


def _score_pager(s: System, summary: Any, max_steps: int) -> tuple[float, list[str]]:
    """Return (credit from 0 to 1, messages) for a finished pager run; see check_pager."""
    messages = []
    credit = 0.0
    app, pager = thread_named(s, "app"), thread_named(s, "pager")
    if returned(app):
        credit += 0.4
    else:
        messages.append(_app_problem(s, app, summary, max_steps))
    own_ok, own_messages = pages_from_pager(s)
    credit += 0.2 * own_ok
    messages += own_messages
    if pager is not None and pager.alive and waits_for_anyone(pager):
        credit += 0.2
    else:
        messages.append(pager_problem(pager))
    invariant_ok, invariant_messages = kernel_sane(s)
    credit += 0.2 * invariant_ok
    messages += invariant_messages
    if not any(s.lookup("app", page) for page in APP_PAGES):
        # a pager that serves nothing (that only waits, or fails) earns nothing for waiting
        # well or leaving the kernel consistent
        return 0.0, messages
    if credit >= 1:
        faults = sum(1 for e in s.trace if e.kind == "page_fault")
        messages.append(f"right: {faults} faults served from your own pages")
    return credit, messages


def thread_named(s: System, name: str) -> Any:
    """Return the kernel record of the thread called `name` (living or ended), or None."""
    for thread in s.kernel.threads.values():
        if thread.name == name:
            return thread
    return None


def returned(thread: Any) -> bool:
    """Return True when a thread's program ended by returning (not by failing or being ended)."""
    return thread is not None and not thread.alive and thread.state.reason == "returned"


def waits_for_anyone(thread: Any) -> bool:
    """Return True when a thread is in an open wait (ready for the next request or fault)."""
    return thread.state.describe().startswith("waiting for anyone")


def _app_problem(s: System, app: Any, summary: Any, max_steps: int) -> str:
    """Return why the application did not finish properly."""
    if app is None:
        return "the application never started"
    if app.alive:
        if summary is not None and summary.reason == "max_steps":
            faults = Counter(e.get("page") for e in s.trace if e.kind == "page_fault")
            page, n = faults.most_common(1)[0] if faults else (None, 0)
            if n > 2:
                return (
                    f"the application faulted {n} times at page {page}: the answer's map must "
                    "cover the access (a write needs 'rw') and the faulting page"
                )
            return f"the run did not finish within {max_steps} steps"
        return f"the application is still {app.state.describe()}"
    return f"the application failed: {app.state.reason}"


def pages_from_pager(s: System) -> tuple[bool, list[str]]:
    """Return (ok, messages): each app page derives from the pager's pages, one frame each."""
    app = s.kernel.spaces["app"]
    if not app.pages:
        return False, ["the application got no pages"]
    frames: dict[int, list[int]] = {}
    messages = []
    for page, node in sorted(app.pages.items()):
        frames.setdefault(node.frame, []).append(page)
        if node.parent is None or node.parent.space.name != "pager":
            messages.append(f"the application's page {page} does not come from your pager")
    for frame, shared in sorted(frames.items()):
        if len(shared) > 1:
            messages.append(
                f"the application's pages {shared} all map frame {frame}: give each faulting "
                "page its own page of your pool"
            )
    return not messages, messages


def pager_problem(pager: Any) -> str:
    """Return why the pager is not waiting for the next fault."""
    if pager is None:
        return "the pager never started"
    if not pager.alive:
        if pager.state.failed:
            return f"your pager failed: {pager.state.reason}"
        return "your pager returned: a pager serves faults for ever (loop, and wait again)"
    return f"at the end your pager is {pager.state.describe()}, not waiting for the next fault"


def kernel_sane(s: System) -> tuple[bool, list[str]]:
    """Return (ok, messages): the kernel's invariants hold and no fault was taken three times."""
    try:
        s.check_invariants()
    except AssertionError as e:
        return False, [f"the kernel's invariants broke: {e}"]
    faults = Counter((e.thread, e.get("page")) for e in s.trace if e.kind == "page_fault")
    repeated = sorted(page for (_, page), n in faults.items() if n > 2)
    if repeated:
        return False, [f"faults at page(s) {repeated} were answered without a usable mapping"]
    return True, []


# -- the server -----------------------------------------------------------------------------

BUFFER_PAGE = 1  # where each client keeps the page it maps to the server


def server_scenario(
    program: Callable[..., Any], seed: int | str = 0, *, clients: int = 3, machine: str = "i486"
) -> System:
    """Return a System where `program(t)` serves clients, ready to run.

    Each good client stores a seeded value at offset 0 of its page BUFFER_PAGE and calls the
    server with that page as a map item; it expects the reply words (value + 1,). One rude client,
    sent before at least one good client, maps its page with a plain send and then never waits
    for the reply (it waits for another thread that never sends).
    """
    rng = instance(seed, "server")
    s = System(machine=machine, frames=64)
    server = s.create_thread(s.create_space("server"), program, name="server")
    silent = s.create_thread(s.create_space("silent"), _silent, name="silent")
    rude_at = rng.randrange(clients)
    frames = rng.sample(range(8, 64), clients + 1)
    for i in range(clients + 1):
        rude = i == rude_at
        name = "rude" if rude else f"client{i - (i > rude_at)}"
        space = s.create_space(name)
        s.map(s.sigma0, frames[i], space, BUFFER_PAGE)
        value = rng.randrange(1, 1000)
        if rude:
            s.create_thread(space, _rude, server, silent, value, name=name)
        else:
            s.create_thread(space, _client, server, value, name=name)
    return s


def _silent(t):  # type: ignore[no-untyped-def]
    """Wait for ever and never send."""
    yield t.wait()


def _client(t, server, value):  # type: ignore[no-untyped-def]
    """Store `value` in the buffer page, call the server with it, check the reply."""
    yield t.store(BUFFER_PAGE * 4096, value)
    r = yield t.call(server, words=(0,), map=[(BUFFER_PAGE, "rw", 0)])
    if r.error:
        raise AssertionError(f"the call failed: {r.error}")
    if r.words[:1] != (value + 1,):
        raise AssertionError(f"got {r.words}, expected ({value + 1},)")


def _rude(t, server, silent, value):  # type: ignore[no-untyped-def]
    """Send a request with a plain send, then wait for someone else for ever."""
    yield t.store(BUFFER_PAGE * 4096, value)
    yield t.send(server, words=(0,), map=[(BUFFER_PAGE, "rw", 0)])
    yield t.receive(silent)


def check_server(
    program: Callable[..., Any],
    seed: int | str = 0,
    *,
    clients: int = 3,
    points: float = 1.0,
    max_steps: int = 2_000,
    seconds: float = 5.0,
    machine: str = "i486",
    title: str = "server",
) -> Feedback:
    """Return feedback on a server program `program(t)`, run in `server_scenario`.

    Credit: the share of good clients that got the right answer (0.6); the server still waits
    for the next request at the end (0.2); no map item found the server without a receive
    window (0.2).
    """
    return check_program(
        lambda: server_scenario(program, seed, clients=clients, machine=machine),
        lambda s, summary: _score_server(s, clients),
        "server",
        points,
        max_steps,
        seconds,
        title,
    )


def _score_server(s: System, clients: int) -> tuple[float, list[str]]:
    """Return (credit from 0 to 1, messages) for a finished server run; see check_server."""
    messages = []
    good = [thread_named(s, f"client{i}") for i in range(clients)]
    served = [c for c in good if returned(c)]
    credit = 0.6 * len(served) / clients
    if not served:
        credit = -0.4  # a server that serves no client earns nothing for staying up
    if len(served) < clients:
        messages.append(f"{len(served)} of {clients} clients got the right answer")
    failures = [c.state.reason for c in good if not c.alive and not returned(c)]
    windowless = any("no_window" in f for f in failures)
    if not windowless:
        credit += 0.2
    else:
        messages.append(
            "a client's map item found no receive window: give wait and reply_and_wait a "
            "window=(page, order) where the mapped page may land"
        )
    messages += [f"a client failed: {f}" for f in failures if "no_window" not in f][:2]
    server = thread_named(s, "server")
    if server.alive and waits_for_anyone(server):
        credit += 0.2
    else:
        messages.append(_server_problem(server))
    if credit >= 1:
        messages.append(f"right: {clients} clients served, and the rude one did not stop you")
    return max(0.0, credit), messages


def _server_problem(server: Any) -> str:
    """Return why the server is not waiting for the next request."""
    state = server.state.describe()
    if not server.alive:
        return f"your server ended ({state}): a server loops for ever"
    if "sending to rude" in state:
        return (
            "your server is stuck replying to a client that never waits for the reply: reply "
            "with reply_and_wait (its reply has timeout 0) instead of send, so one bad client "
            "cannot stop the server"
        )
    return f"at the end your server is {state}, not waiting for the next request"

"""User programs shared by scenarios, exercises, checks and benchmarks: one place to read them.

Each is a generator function `program(t, ...)`: every `yield` is one kernel entry (API.md,
"Threads and programs"). They use only the thread handle, so the same program runs in a
scenario, in an exercise's instance and under the grader.

    s.create_thread(space, echo_server, name="server")
    s.create_thread(other, client, server_id, 5, name="client")
"""

from __future__ import annotations

PAGE = 4096


# -- clients and servers --------------------------------------------------------------------


def echo_server(t):  # type: ignore[no-untyped-def]
    """Answer every message with its first word plus one."""
    msg = yield t.wait()
    while True:
        msg = yield t.reply_and_wait(msg.sender, words=(msg.words[0] + 1,))


def client(t, server, rounds):  # type: ignore[no-untyped-def]
    """Call `server` `rounds` times with an 8-byte message (two words)."""
    for i in range(rounds):
        yield t.call(server, words=(i, 0))


# -- pagers and what they serve ---------------------------------------------------------------


def memory_pager(t, free):
    """The main-memory pager: back each fault with a free page of its own (in `free` order).

    It touches that page first, so its own pager (σ0's) maps a frame there, and then maps it.
    """
    msg = yield t.wait()
    while True:
        own = free.pop(0)
        yield t.load(own * PAGE)  # our own page: a fault to σ0's pager maps its frame
        msg = yield t.reply_and_wait(msg.sender, map=[(own, "rw", 0)])


def file_pager(t, base):
    """A file pager: page p of a client shows block p of a file, kept at own page base + p.

    At a block's first use it writes the block's contents (its own page faults to its pager).
    """
    loaded = set()
    msg = yield t.wait()
    while True:
        own = base + msg.fault_page
        if own not in loaded:
            yield t.store(own * PAGE, f"block {msg.fault_page}")
            loaded.add(own)
        msg = yield t.reply_and_wait(msg.sender, map=[(own, "rw", 0)])


def reader(t, pages):
    """Read the first word of each page in `pages`."""
    for page in pages:
        yield t.load(page * PAGE)

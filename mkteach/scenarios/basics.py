"""Basic scenarios: a client-server pair, the paper's Figure 1, and a clan with its chief."""

from __future__ import annotations

from ..system import System

PAGE = 4096


# -- client-server --------------------------------------------------------------------------------


def adder(t):
    """Serve requests for ever: answer each number with that number plus one."""
    msg = yield t.wait()
    while True:
        msg = yield t.reply_and_wait(msg.sender, words=(msg.words[0] + 1,))


def asker(t, server, number):
    """Call the server once with `number`."""
    yield t.call(server, words=(number,))


def client_server(seed: int = 0, machine: str = "i486", clients: int = 3) -> System:
    """Clients call a server that answers each number plus one (call and reply_and_wait).

    Each client sits in its own address space and sends a number chosen with the seed.
    """
    s = System(machine=machine, frames=16, seed=seed)
    server = s.create_thread(s.create_space("Server"), adder, name="server")
    for i in range(clients):
        number = s.random.randrange(1000)
        s.create_thread(s.create_space(f"Client{i}"), asker, server, number, name=f"client{i}")
    return s


# -- the paper's Figure 1 -------------------------------------------------------------------------

STAGING = 64  # F receives a file system's page at STAGING + A's faulting page, before granting it
FILE = 16  # A sees the combined file at its pages FILE, FILE + 1, ...
F1_BASE, F2_BASE = 32, 48  # f1 and f2 keep block b of their files at their pages base + b


def standard_pager(t, frames):
    """The standard pager (in σ0): give each faulting page the next free frame, from the top down.

    σ0's page n is frame n; mapping it hands that frame to the faulting space, at the page that
    faulted. Taking frames from the top of memory keeps page and frame numbers apart in Figure 1.
    """
    free = frames - 1
    msg = yield t.wait()
    while True:
        if msg.is_page_fault and free >= 0:
            frame, free = free, free - 1
            msg = yield t.reply_and_wait(msg.sender, map=[(frame, "rw", 0)])
        else:
            msg = yield t.wait()


def file_system(t, label, base):
    """A file system that is a pager: answer a request for block b with a map of its page base + b.

    The first time, it writes the block's contents into that page of its own: the store faults
    to its own pager, the standard pager, which maps a free frame there.
    """
    written = set()
    msg = yield t.wait()
    while True:
        own = base + msg.words[0]
        if own not in written:
            yield t.store(own * PAGE, f"{label} block {msg.words[0]}")
            written.add(own)
        msg = yield t.reply_and_wait(msg.sender, map=[(own, "rw", 0)])


def combining_pager(t, f1, f2, split, grant=True):
    """F: one file system made of two, and A's pager. Get each faulting page and grant it to A.

    A fault at page FILE + i is block i of f1 when i < split, else block i - split of f2. F asks
    that file system for the block (it maps its page into F's window at STAGING + the faulting
    page), then grants the page to A in its answer to the fault: the page leaves F, which keeps
    nothing of it. With grant=False F maps it instead, and keeps a mapping of every page it
    handed out.
    """
    msg = yield t.wait()
    while True:
        page = msg.fault_page
        index = page - FILE
        fs, block = (f1, index) if index < split else (f2, index - split)
        yield t.call(fs, words=(block,), window=(STAGING + page, 0))
        item = [(STAGING + page, "rw", 0)]
        if grant:
            msg = yield t.reply_and_wait(msg.sender, grant=item)
        else:
            msg = yield t.reply_and_wait(msg.sender, map=item)


def reading_user(t, pages):
    """A: read the first word of each of `pages` (each first touch faults to its pager, F)."""
    for page in pages:
        yield t.load(page * PAGE)


def figure1(seed: int = 0, machine: str = "i486", split: int = 8, grant: bool = True) -> System:
    """The paper's Figure 1: pager F combines file systems f1 and f2 and grants their pages to A.

    f1 and f2 are pagers (file systems) on top of the standard pager, a thread in σ0 that hands
    out free frames. A reads one page of each file system (its pages FILE + i, i chosen with the
    seed); its faults go to F. For a block of f1, f1 maps its page F1_BASE + i to F (at STAGING +
    A's page) and F grants it to A: A's mapping then derives from f1's, in the place F's had,
    and F holds nothing of that frame. The other page comes from f2 the same way. Pages and
    frames are numbered apart, so each number in the story names one thing. grant=False is the
    counterfactual: F maps instead of granting.
    """
    s = System(machine=machine, frames=16, seed=seed)
    from_f1 = FILE + s.random.randrange(split)
    from_f2 = FILE + split + s.random.randrange(split)
    standard = s.create_thread(s.sigma0, standard_pager, s.frames, name="standard pager")
    f1, f2 = s.create_space("f1"), s.create_space("f2")
    f, a = s.create_space("F"), s.create_space("A")
    t1 = s.create_thread(f1, file_system, "f1", F1_BASE, name="f1", pager=standard)
    t2 = s.create_thread(f2, file_system, "f2", F2_BASE, name="f2", pager=standard)
    pager = s.create_thread(f, combining_pager, t1, t2, split, grant, name="F")
    s.create_thread(a, reading_user, [from_f1, from_f2], name="A", pager=pager)
    return s


# -- clans and chiefs -----------------------------------------------------------------------------

REFUSED = -1


def gatekeeper(t, allowed):
    """A chief: pass calls to or from the `allowed` threads; refuse every other one.

    A passing call is forwarded with the chief's own `call`: send and receive in one kernel
    entry, so the server's reply (sent with timeout 0) finds the chief already waiting. The
    answer goes back to the caller in the server's name (as_sender). A refused call is answered
    by the chief in the name of the destination with the word REFUSED. Both answers use timeout
    0: only a caller waiting for that reply takes it, and the chief never blocks on one.
    """
    while True:
        msg = yield t.wait()
        if msg.intended in allowed or msg.sender in allowed:
            reply = yield t.call(msg.intended, words=msg.words, label=msg.label)
            words = reply.words
        else:
            words = (REFUSED,)
        yield t.send(msg.sender, words=words, as_sender=msg.intended, timeout=0)


def forwarding_chief(t, allowed):
    """A chief that forwards in two kernel entries: a send in the caller's name, then a wait.

    Between the two the server may already reply, with timeout 0, to the caller; the reply
    enters the clan and is redirected to this chief, which is not waiting yet: the reply is
    lost and the caller waits for ever. Refused calls are answered as in `gatekeeper`.
    """
    while True:
        msg = yield t.wait()
        if msg.intended in allowed or msg.sender in allowed:
            yield t.send(msg.intended, words=msg.words, label=msg.label, as_sender=msg.sender)
        else:
            yield t.send(msg.sender, words=(REFUSED,), as_sender=msg.intended, timeout=0)


def doubler(t):
    """Serve requests for ever: answer each number doubled."""
    msg = yield t.wait()
    while True:
        msg = yield t.reply_and_wait(msg.sender, words=(2 * msg.words[0],))


def member(t, peers, number):
    """A clan member: call the printer and the secret server; tell a clan mate the answers."""
    printed = yield t.call(peers["printer"], words=(number,))
    secret = yield t.call(peers["secret"], words=(number,))
    yield t.send(peers["mate"], words=(printed.words[0], secret.words[0]))


def mate(t):
    """A clan member that receives one message from inside its clan."""
    yield t.wait()


def clans(
    seed: int = 0, machine: str = "i486", chief_priority: int = 100, chief_program=None
) -> System:
    """A chief supervises its clan: it forwards calls to an allowed server and refuses others.

    Space Chief is the chief of Alice and Bob. Alice's calls leave the clan, so the kernel
    delivers them to the chief. The chief (`gatekeeper`) forwards the call to the printer with
    an atomic call and hands the answer back in the printer's name; it refuses the call to the
    secret server. Alice's message to Bob stays inside the clan: direct. `chief_program(t,
    allowed)` replaces the gatekeeper (allowed: a list with the printer's id): with
    `forwarding_chief`, which sends and then waits in two kernel entries, the printer's reply
    arrives while the chief is not waiting and is lost. The chief runs at `chief_priority`
    (the members' 100 unless changed).
    """
    s = System(machine=machine, frames=16, seed=seed)
    chief_space = s.create_space("Chief")
    alice_space = s.create_space("Alice", chief=chief_space)
    bob_space = s.create_space("Bob", chief=chief_space)
    peers = {}
    peers["printer"] = s.create_thread(s.create_space("Printer"), doubler, name="printer")
    peers["secret"] = s.create_thread(s.create_space("Secret"), doubler, name="secret")
    s.create_thread(chief_space, chief_program or gatekeeper, [peers["printer"]], name="chief",
                    priority=chief_priority)  # fmt: skip
    peers["mate"] = s.create_thread(bob_space, mate, name="bob")
    s.create_thread(alice_space, member, peers, s.random.randrange(1, 100), name="alice")
    return s

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


def granting_pager(t, page, user):
    """Touch `page` (σ0's pager maps its frame), write to it, then grant it to `user`."""
    yield t.store(page * PAGE, "data from F")
    yield t.send(user, grant=[(page, "rw", 0)])


def receiving_user(t, page):
    """Receive a granted page into `page` and read what F wrote there."""
    yield t.wait(window=(page, 0))
    yield t.load(page * PAGE)


def figure1(seed: int = 0, machine: str = "i486") -> System:
    """The paper's Figure 1: σ0's pager maps frame f1 to pager F, and F grants it to user A.

    F touches page f1 (chosen with the seed), so σ0's pager maps frame f1 there; F then grants
    the page to A in an IPC: A's mapping takes F's place in the tree, right below σ0.
    """
    s = System(machine=machine, frames=16, seed=seed)
    f1 = s.random.randrange(1, s.frames)
    f, a = s.create_space("F"), s.create_space("A")
    user = s.create_thread(a, receiving_user, 2, name="A")
    s.create_thread(f, granting_pager, f1, user, name="F", pager=s.sigma0_pager)
    return s


# -- clans and chiefs -----------------------------------------------------------------------------

REFUSED = -1


def gatekeeper(t, allowed):
    """A chief: let messages to or from the `allowed` threads pass; refuse every other one.

    A passing message is forwarded in its sender's name (as_sender). A refused one is answered
    by the chief in the name of the destination with the word REFUSED (timeout 0: only a caller
    waiting for that reply takes it), so a refused caller does not wait for ever.
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
    seed: int = 0, machine: str = "i486", chief_priority: int = 150, chief_program=None
) -> System:
    """A chief supervises its clan: it forwards calls to an allowed server and refuses others.

    Space Chief is the chief of Alice and Bob. Alice's calls leave the clan, so the kernel
    delivers them to the chief, which forwards the call to the printer (as_sender=Alice) and
    refuses the call to the secret server. The printer's reply, with timeout 0, enters the clan
    through the chief too, so the chief runs at a higher priority and is back in its wait before
    the printer replies (the L4 subtlety; with chief_priority=100, the members' priority, the
    reply finds the chief busy and is lost). Alice's message to Bob stays inside the clan: direct.
    `chief_program(t, allowed)` replaces the gatekeeper (allowed: a list with the printer's id).
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

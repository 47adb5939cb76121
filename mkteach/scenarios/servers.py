"""Servers at user level (§3): a device driver, a remote-communication server, a Unix server."""

from __future__ import annotations

from ..system import System
from .memory import give_region

PAGE = 4096


def sleep(t, cycles):
    """Let `cycles` pass: receive from oneself (nobody sends that) with a timeout, as L4's sleep."""
    yield t.receive(t.id, timeout=cycles)


# -- a user-level device driver -------------------------------------------------------------------

DEVICE_IRQ = 5
DATA, STATUS = 0, 8  # byte offsets of the device's data and status registers in its page


def hardware(t, s, irq, values, gaps):
    """The device itself (a thread standing in for hardware): put each value in the data
    register after its gap, then raise the interrupt."""
    for value, gap in zip(values, gaps, strict=True):
        yield t.wait(timeout=gap)
        yield t.store(DATA, value)  # the device's page is this space's page 0
        s.raise_interrupt(irq)


def driver(t, irq, registers, consumer, count):
    """A user-level driver: receive the interrupt, read the device's data register, tell the
    device it is done (status register), pass the value on. Its next IPC acknowledges the
    interrupt in the kernel."""
    for _ in range(count):
        yield t.receive(irq)  # an empty message whose sender is the interrupt
        value = yield t.load(registers * PAGE + DATA)  # the device page: σ0's pager maps it
        yield t.store(registers * PAGE + STATUS, 1)
        yield t.send(consumer, words=(value,))


def consumer(t, count):
    """Receive `count` values from the driver."""
    for _ in range(count):
        yield t.wait()


def device_driver(seed: int = 0, machine: str = "i486", count: int = 4) -> System:
    """A user-level device driver: it drives a memory-mapped device page and gets its interrupts
    as IPC.

    The device's registers are frame 15, a page of σ0 like any other: the driver touches that
    physical page and σ0's pager maps it. The device (a thread standing in for the hardware)
    writes `count` values (chosen with the seed) at seeded intervals and raises irq 5 after
    each; the driver, attached to irq 5, reads each value and sends it to a consumer.
    """
    s = System(machine=machine, frames=16, seed=seed)
    registers = s.frames - 1
    hw_space = s.create_space("Hardware")
    s.map(s.sigma0, registers, hw_space, 0)
    app = s.create_thread(s.create_space("App"), consumer, count, name="app")
    drv = s.create_thread(s.create_space("Driver"), driver, s.interrupt_id(DEVICE_IRQ),
                          registers, app, count, name="driver", pager=s.sigma0_pager)  # fmt: skip
    s.attach_interrupt(DEVICE_IRQ, drv)
    values = [s.random.randrange(256) for _ in range(count)]
    gaps = [s.random.randrange(4_000, 9_000) for _ in range(count)]
    s.create_thread(hw_space, hardware, s, DEVICE_IRQ, values, gaps, name="device")
    return s


# -- remote communication -------------------------------------------------------------------------


def packet(dst: str, src: str, port: int, kind: str, words) -> bytes:
    """Return a network packet: 'dst|src|port|kind|w1,w2,...' as bytes."""
    return f"{dst}|{src}|{port}|{kind}|{','.join(map(str, words))}".encode()


def unpack(data: bytes) -> tuple[str, str, int, str, tuple[int, ...]]:
    """Return (dst, src, port, kind, words) of a packet."""
    dst, src, port, kind, words = data.decode().split("|")
    return dst, src, int(port), kind, tuple(int(w) for w in words.split(",") if w)


def net_server(t, node, wire, services):
    """A communication server: translate local IPC to packets on the wire and back.

    A local call with words (node, port, *args) becomes a request packet; the reply packet
    becomes the call's reply. A request packet from the wire becomes a local call to the
    service registered at its port (`services`), whose reply goes back as a packet.
    Node names travel as numbers in local IPC: node "A" is 65 (its character code).
    """
    while True:
        msg = yield t.wait()
        if msg.sender == wire:
            _, src, port, _, args = unpack(msg.strings[0])
            answer = yield t.call(services[port], words=args)
            yield t.send(wire, strings=(packet(src, node, port, "reply", answer.words),))
        else:
            dst, port, *args = msg.words
            yield t.send(wire, strings=(packet(chr(dst), node, port, "request", args),))
            reply = yield t.receive(wire)
            *_, words = unpack(reply.strings[0])
            yield t.send(msg.sender, words=words)


def wire(t, nets, rng):
    """The network (a thread standing in for it): carry each packet to the node it names,
    after a random latency."""
    while True:
        msg = yield t.wait()
        dst = unpack(msg.strings[0])[0]
        yield from sleep(t, rng.randrange(2_000, 5_000))
        yield t.send(nets[dst], strings=msg.strings)


def remote_client(t, net, calls):
    """Call a service on node B through the local communication server: (port, number) each."""
    for port, number in calls:
        yield t.call(net, words=(ord("B"), port, number))


def squarer(t):
    """A service: answer each number squared."""
    msg = yield t.wait()
    while True:
        msg = yield t.reply_and_wait(msg.sender, words=(msg.words[0] ** 2,))


def remote_ipc(seed: int = 0, machine: str = "i486", calls: int = 2) -> System:
    """A remote-communication server turns a local call into packets on a network and back.

    Node A's client calls its communication server NetA with (node B, port 7, number); NetA
    sends a request packet over the wire (a thread standing in for the network, with a seeded
    latency); NetB turns it into a local call to the squarer on node B and sends the answer
    back; NetA replies to the client. The client sees an ordinary call.
    """
    s = System(machine=machine, frames=16, seed=seed)
    names = {"A": s.create_space("NodeA"), "B": s.create_space("NodeB")}
    nets = {}
    line = s.create_space("Wire")
    square = s.create_thread(s.create_space("NodeB.squarer"), squarer, name="squarer")
    wire_id = s.create_thread(line, wire, nets, s.random, name="wire")
    for node, space in names.items():
        services = {7: square} if node == "B" else {}
        nets[node] = s.create_thread(space, net_server, node, wire_id, services,
                                     name=f"net{node}")  # fmt: skip
    work = [(7, s.random.randrange(2, 50)) for _ in range(calls)]
    s.create_thread(s.create_space("NodeA.client"), remote_client, nets["A"], work, name="client")
    return s


# -- a Unix server --------------------------------------------------------------------------------

BUFFER_PAGE = 200  # each process's I/O buffer: a page it shares with the Unix server


def unix(t, pool, pids, console):
    """A Unix server: the pager of its processes, and their system calls as IPC.

    Page faults get a page of the server's memory; the fault at BUFFER_PAGE gets the process's
    I/O buffer, a page the server keeps and writes into (shared memory). System calls are calls
    with a label: getpid, write (strings go to `console`), read (the data is put in the shared
    buffer), exit (the server flushes every page it gave the process and takes them back).
    """
    free = list(pool)
    given = {}  # pid -> the server's pages mapped to that process
    buffers = {}  # pid -> the server's page that is that process's I/O buffer
    msg = yield t.wait()
    while True:
        pid = pids[msg.sender]
        mine = given.setdefault(pid, [])
        words = ()
        if msg.is_page_fault:
            if msg.fault_page == BUFFER_PAGE:
                own = buffers.setdefault(pid, free.pop(0))
            else:
                own = free.pop(0)
            if own not in mine:
                mine.append(own)
            msg = yield t.reply_and_wait(msg.sender, map=[(own, "rw", 0)])
            continue
        if msg.label == "getpid":
            words = (pid,)
        elif msg.label == "write":
            console.append((pid, msg.strings[0]))
            words = (len(msg.strings[0]),)
        elif msg.label == "read":
            own = buffers.setdefault(pid, free.pop(0))
            yield t.store(own * PAGE, f"motd for {pid}")  # into the shared buffer
            words = (1,)
        elif msg.label == "exit":
            for own in mine:
                yield t.flush(own)  # take the page back from the process
            free.extend(mine)
            buffers.pop(pid, None)
            given.pop(pid)
        msg = yield t.reply_and_wait(msg.sender, words=words)


def unix_process(t, server, heap):
    """A Unix process: getpid, use `heap` pages (faults to the server), write, read, exit."""
    pid = (yield t.call(server, label="getpid")).words[0]
    for page in heap:
        yield t.store(page * PAGE, pid)
    yield t.call(server, label="write", strings=(f"hello from {pid}\n".encode(),))
    yield t.call(server, label="read")
    yield t.load(BUFFER_PAGE * PAGE)  # the buffer the server wrote: shared memory
    yield t.call(server, label="exit")


def unix_server(seed: int = 0, machine: str = "i486", processes: int = 2) -> System:
    """A Unix server is its processes' pager and serves their system calls as IPC.

    The server holds frames 32-63 of σ0. Each process (pid chosen with the seed) calls getpid,
    touches a few heap pages (page faults: the server maps its own pages), writes a line, reads
    into its I/O buffer (a page shared with the server), and exits (the server flushes its pages).
    """
    s = System(machine=machine, frames=64, seed=seed)
    server_space = s.create_space("Unix")
    give_region(s, server_space, 32, 5)
    pids = {}
    server = s.create_thread(server_space, unix, range(32, 64), pids, [], name="unix")
    first = s.random.randrange(100, 900)
    for i in range(processes):
        heap = s.random.sample(range(8), 2)
        tid = s.create_thread(s.create_space(f"Process{i}"), unix_process, server, heap,
                              name=f"proc{i}", pager=server)  # fmt: skip
        pids[tid] = first + i
    return s

"""The ready-made scenarios: each builds, runs to done, keeps the invariants, is deterministic,
and shows the one fact it exists to show."""

from __future__ import annotations

import networkx as nx
import pytest

from mkteach import System
from mkteach.scenarios import (
    SCENARIOS,
    Scenario,
    build,
    clans,
    figure1,
    multimedia_pager,
    page_colouring,
)
from mkteach.scenarios.basics import F1_BASE, FILE, REFUSED, STAGING, forwarding_chief
from mkteach.scenarios.memory import VIDEO_BASE, cache_colours, period_times

NAMES = [
    "client-server",
    "stacked-pagers",
    "figure1",
    "coexisting-pagers",
    "multimedia-pager",
    "device-driver",
    "page-colouring",
    "remote-ipc",
    "unix-server",
    "clans",
]
MACHINES = ["i486", "pentium", "r2000", "r4000", "alpha21064", "ppc601"]


def ran(name: str, seed: int = 0, machine: str = "i486") -> System:
    """Return scenario `name` built and run, after checking it ended well."""
    s = SCENARIOS[name].build(seed=seed, machine=machine)
    summary = s.run()
    assert summary.reason == "done", str(summary)
    assert summary.failed == (), str(summary)
    s.check_invariants()
    return s


def ipcs(s: System, sender: str | None = None, receiver: str | None = None) -> list:
    """Return the message transfers, optionally only those from or to threads of those names."""
    return [
        e
        for e in s.trace
        if e.kind == "ipc"
        and (sender is None or str(e.get("sender")) == sender)
        and (receiver is None or str(e.get("receiver")) == receiver)
    ]


def of(s: System, kind: str, thread: str) -> list:
    """Return the events of `kind` entered by the thread called `thread`."""
    return [
        e for e in s.trace if e.kind == kind and e.thread is not None and str(e.thread) == thread
    ]


def mapped(s: System, space: str, pages: range = range(256)) -> list[int]:
    """Return the pages of `space` (among `pages`) that are mapped."""
    return [p for p in pages if s.lookup(space, p) is not None]


# -- every scenario --------------------------------------------------------------------------------


def test_the_registry_has_every_named_scenario_with_a_one_sentence_description():
    assert set(NAMES) <= set(SCENARIOS)
    for name, scenario in SCENARIOS.items():
        assert isinstance(scenario, Scenario) and scenario.name == name
        text = scenario.description
        assert text.endswith(".") and text.count(". ") == 0 and "\n" not in text, text
        assert len(text) < 140, text


@pytest.mark.parametrize("name", NAMES)
def test_a_scenario_builds_unrun_and_runs_to_done(name):
    s = SCENARIOS[name].build()
    assert isinstance(s, System)
    assert not any(e.kind in ("ipc", "wait", "call", "load", "store") for e in s.trace)
    summary = s.run()
    assert summary.reason == "done", str(summary)
    assert summary.failed == ()
    s.check_invariants()


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("machine", MACHINES)
def test_a_scenario_runs_on_every_machine(name, machine):
    ran(name, seed=1, machine=machine)


@pytest.mark.parametrize("name", NAMES)
def test_a_scenario_is_deterministic_and_uses_its_seed(name):
    first = ran(name, seed=3).trace_json()
    assert ran(name, seed=3).trace_json() == first
    others = {ran(name, seed=seed).trace_json() for seed in (0, 1, 2)}
    assert len(others | {first}) > 1, "the seed changes nothing"


def test_build_by_name_and_unknown_names():
    assert build("figure1", seed=2, machine="pentium").profile.name == "pentium"
    with pytest.raises(KeyError, match="client-server"):
        build("no-such-scenario")


# -- the fact each scenario shows --------------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 1])
def test_client_server_every_client_gets_its_number_plus_one(seed):
    s = ran("client-server", seed)
    for i in range(3):
        (request,) = ipcs(s, sender=f"client{i}", receiver="server")
        (reply,) = ipcs(s, sender="server", receiver=f"client{i}")
        assert reply.get("words") == (request.get("words")[0] + 1,)


def figure1_page(s: System) -> tuple[int, int]:
    """Return (A's page from f1, its frame) after a figure1 run: the page A read first."""
    (first, *_) = of(s, "load", "A")
    page = first.get("address") // s.page_size
    return page, s.lookup("A", page).frame


def test_figure1_has_the_papers_four_pagers_and_users_as_spaces_with_threads():
    s = SCENARIOS["figure1"].build()
    spaces = {s.kernel.threads[t].space.name: t for t in s.kernel.threads}
    assert {"f1", "f2", "F", "A"} <= set(spaces)  # each of them runs a thread
    pagers = {name: s.thread(tid).pager for name, tid in spaces.items()}
    assert pagers["A"] == spaces["F"]  # A's faults go to F
    standard = spaces["sigma0"]  # the standard pager: a thread in sigma0 that hands out frames
    assert pagers["f1"] == pagers["f2"] == standard


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_figure1_f1_maps_to_f_and_f_grants_to_a_so_a_derives_from_f1(seed):
    s = ran("figure1", seed)
    page, frame = figure1_page(s)
    (request,) = ipcs(s, sender="F", receiver="f1")  # A's fault made F ask f1 for the block
    (mapped_to_f,) = ipcs(s, sender="f1", receiver="F")
    assert mapped_to_f.get("msg_kind") == "map" and mapped_to_f.step > request.step
    granted = [e for e in ipcs(s, sender="F", receiver="A") if e.step > mapped_to_f.step]
    assert granted[0].get("msg_kind") == "grant"
    # the tree: the standard pager (sigma0) -> f1 -> A; F took part and kept nothing
    f1_page = F1_BASE + page - FILE
    assert sorted(s.mapping_tree(frame).edges) == sorted(
        [(("sigma0", frame), ("f1", f1_page)), (("f1", f1_page), ("A", page))]
    )
    assert all(node[0] != "F" for node in s.mapping_tree(frame).nodes)
    assert [p for p in range(128) if s.lookup("F", p) is not None] == []
    load = of(s, "load", "A")[0]
    assert f"'f1 block {page - FILE}'" in load.text  # A reads what f1 wrote


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_figure1_numbers_name_one_thing_each(seed):
    # A's page, f1's page, F's staging page and the frame are four different numbers (issue 21)
    s = ran("figure1", seed)
    page, frame = figure1_page(s)
    f1_page = F1_BASE + page - FILE
    assert len({page, f1_page, STAGING + page, frame}) == 4
    assert s.lookup("f1", f1_page).frame == frame and s.lookup("sigma0", frame).frame == frame


def test_figure1_mid_run_the_tree_runs_through_f_before_the_grant():
    s = SCENARIOS["figure1"].build(seed=0)
    s.run()
    _, frame = figure1_page(s)
    (mapped_to_f,) = ipcs(s, sender="f1", receiver="F")
    tree = s.state_at(mapped_to_f.step).mapping_tree(frame)
    assert [space for space, _ in nx_order(tree)] == ["sigma0", "f1", "F"]


def nx_order(tree) -> list:
    """Return the nodes of a mapping tree, parents before children."""
    return list(nx.topological_sort(tree))


@pytest.mark.parametrize(
    "flusher, loses",
    [("sigma0", {"f1", "A"}), ("f1", {"A"}), ("F", set())],
)
def test_figure1_the_three_flushes_of_the_paper(flusher, loses):
    s = ran("figure1", seed=1)
    page, frame = figure1_page(s)
    where = {"sigma0": frame, "f1": F1_BASE + page - FILE, "F": page + 64, "A": page}
    before = {space: s.lookup(space, p) for space, p in where.items()}
    s.flush(flusher, where[flusher])
    after = {space: s.lookup(space, p) for space, p in where.items()}
    lost = {space for space in where if before[space] is not None and after[space] is None}
    assert lost == loses
    assert before["F"] is None  # F held the page only transiently: nothing to flush


def test_figure1_had_f_mapped_instead_f_would_keep_every_page_it_handed_out():
    s = figure1(seed=0, grant=False)
    assert s.run().reason == "done"
    page, frame = figure1_page(s)
    f1_page = F1_BASE + page - FILE
    assert sorted(s.mapping_tree(frame).edges) == sorted(
        [(("sigma0", frame), ("f1", f1_page)), (("f1", f1_page), ("F", 64 + page)),
         (("F", 64 + page), ("A", page))]
    )  # fmt: skip
    assert len([p for p in range(128) if s.lookup("F", p) is not None]) == 2


@pytest.mark.parametrize("seed", [0, 1])
def test_clans_the_chief_forwards_allowed_calls_and_refuses_the_rest(seed):
    s = ran("clans", seed)
    redirected = [e for e in s.trace if e.get("msg_kind") == "redirected"]
    assert [(str(e.get("sender")), str(e.get("receiver"))) for e in redirected] == [
        ("alice", "chief"),  # the call to the printer leaves the clan
        ("alice", "chief"),  # the call to the secret server leaves the clan
    ]
    (asked,) = ipcs(s, sender="chief", receiver="printer")  # the chief's own, atomic call
    (answered,) = ipcs(s, sender="printer", receiver="chief")  # the reply finds it waiting
    number = asked.get("words")[0]
    assert answered.get("words") == (2 * number,)
    assert ipcs(s, receiver="secret") == []  # never reached
    (told,) = ipcs(s, sender="alice", receiver="bob")  # inside the clan: direct
    assert told.get("words") == (2 * number, REFUSED)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_clans_a_chief_that_sends_then_waits_loses_the_zero_timeout_reply(seed):
    s = clans(seed=seed, chief_program=forwarding_chief)  # chief and members at one priority
    summary = s.run()
    assert summary.reason == "deadlock"
    (stuck,) = [b for b in summary.blocked if not b.idle]
    assert str(stuck.thread) == "alice" and "printer" in stuck.waits_for
    failed = [e for e in s.trace if e.kind == "reply_failed"]
    assert [str(e.thread) for e in failed] == ["printer"]  # its reply (timeout 0) found no chief
    assert [str(e.get("receiver")) for e in s.trace if e.get("msg_kind") == "redirected"] == [
        "chief"
    ]  # only Alice's call reached the chief; the reply never did


@pytest.mark.parametrize("priority", [50, 100, 150])
def test_clans_the_atomic_chief_works_at_any_priority(priority):
    s = clans(seed=0, chief_priority=priority)
    assert s.run().reason == "done"
    (told,) = ipcs(s, sender="alice", receiver="bob")
    assert told.get("words")[1] == REFUSED


@pytest.mark.parametrize("seed", [0, 1])
def test_stacked_pagers_make_chains_sigma0_memory_files_app(seed):
    s = ran("stacked-pagers", seed)
    loads = of(s, "load", "app")
    assert len(loads) == 4
    for e in loads:
        page = e.get("address") // s.page_size
        assert f"'block {page}'" in e.text
        frame = s.lookup("App", page).frame
        tree = s.mapping_tree(frame)
        assert sorted(tree.edges) == sorted(
            [
                (("sigma0", frame), ("Memory", frame)),
                (("Memory", frame), ("Files", 100 + page)),
                (("Files", 100 + page), ("App", page)),
            ]
        )


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_coexisting_pagers_each_hand_out_only_their_own_part_of_sigma0(seed):
    s = ran("coexisting-pagers", seed)
    for manager, first in (("MM1", 16), ("MM2", 32)):
        frames = []
        for i in (1, 2):
            client = f"{manager}-client{i}"
            pages = mapped(s, client)
            assert pages, "the client touched no page"
            for page in pages:
                frame = s.lookup(client, page).frame
                frames.append(frame)
                assert list(s.mapping_tree(frame).edges)[0] == (
                    ("sigma0", frame),
                    (manager, frame),
                )
        assert all(first <= f < first + 16 for f in frames)
    lowest = [
        s.lookup(f"MM1-client{i}", p).frame for i in (1, 2) for p in mapped(s, f"MM1-client{i}")
    ]
    assert sorted(lowest) == list(range(16, 16 + len(lowest)))  # MM1 hands out the lowest first


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_multimedia_pager_reserved_frames_make_every_period_equal(seed):
    s = ran("multimedia-pager", seed)
    assert of(s, "page_fault", "video") == []
    times = period_times(s)
    assert len(times) == 5 and len(set(times)) == 1
    assert [s.lookup("Video", VIDEO_BASE + i).frame for i in range(4)] == [8, 9, 10, 11]
    batch_frames = {e.get("frame") for e in of(s, "load", "batch")}
    assert batch_frames and batch_frames.isdisjoint({8, 9, 10, 11})
    assert [e for e in s.trace if e.kind == "flush"], "the batch job was never evicted"


def test_multimedia_pager_without_reservation_the_video_faults_and_jitters():
    s = multimedia_pager(seed=0, reserve=False)
    assert s.run().reason == "done"
    s.check_invariants()
    assert len(of(s, "page_fault", "video")) > 4  # more than the first touches
    times = period_times(s)
    assert max(times[1:]) > min(times)


@pytest.mark.parametrize("machine", MACHINES)
@pytest.mark.parametrize("seed", [0, 1])
def test_page_colouring_hands_out_only_frames_of_the_pages_colour(machine, seed):
    s = ran("page-colouring", seed, machine)
    colours = cache_colours(s) if cache_colours(s) > 1 else 4
    pages = mapped(s, "App")
    assert pages == list(range(min(colours, 16)))
    for page in pages:
        frame = s.lookup("App", page).frame
        assert frame % colours == page % colours
        assert 64 <= frame < 128


def test_page_colouring_saves_cache_misses_on_the_r2000():
    def misses(coloured: bool, seed: int) -> int:
        s = page_colouring(seed=seed, machine="r2000", coloured=coloured)
        s.run()
        return sum(dict(e.costs).get("cache_miss", 0) for e in of(s, "load", "app"))

    for seed in (0, 1, 2):
        assert misses(True, seed) < misses(False, seed)


@pytest.mark.parametrize("seed", [0, 1])
def test_device_driver_gets_each_interrupt_as_a_message_and_reads_the_device_page(seed):
    s = ran("device-driver", seed)
    written = [e.text.split()[2] for e in of(s, "store", "device")]
    interrupts = [e for e in s.trace if e.kind == "interrupt"]
    assert len(interrupts) == 4 == len(written)
    for e in interrupts:
        assert (str(e.get("sender")), str(e.get("receiver"))) == ("irq5", "driver")
    received = [str(e.get("words")[0]) for e in ipcs(s, sender="driver", receiver="app")]
    assert received == written
    assert sum("acknowledges irq5" in e.text for e in of(s, "send", "driver")) == 4
    assert s.lookup("Driver", 15).frame == 15  # the device's registers: a page of σ0


@pytest.mark.parametrize("seed", [0, 1])
def test_remote_ipc_the_client_gets_the_remote_answer_through_the_wire(seed):
    s = ran("remote-ipc", seed)
    asked = [e.get("words")[2] for e in ipcs(s, sender="client", receiver="netA")]
    answers = [e.get("words") for e in ipcs(s, sender="netA", receiver="client")]
    assert len(asked) == 2 and answers == [(n * n,) for n in asked]
    assert len(ipcs(s, receiver="wire")) == 4  # a request and a reply packet per call
    assert all(e.get("msg_kind") == "strings" for e in ipcs(s, receiver="wire"))
    assert not ipcs(s, sender="client", receiver="squarer")  # no direct IPC across nodes


@pytest.mark.parametrize("seed", [0, 1])
def test_unix_server_answers_system_calls_and_pages_its_processes(seed):
    s = ran("unix-server", seed)
    pids = []
    for proc in ("proc0", "proc1"):
        replies = ipcs(s, sender="unix", receiver=proc)
        getpid = replies[0].get("words")
        assert len(getpid) == 1
        pid = getpid[0]
        pids.append(pid)
        faults = of(s, "page_fault", proc)
        assert len(faults) == 3  # two heap pages and the I/O buffer, all served by the server
        assert (len(f"hello from {pid}\n"),) in [e.get("words") for e in replies]  # write
        (buffer,) = of(s, "load", proc)
        assert f"'motd for {pid}'" in buffer.text  # written by the server, read through sharing
        assert mapped(s, f"Process{proc[-1]}") == []  # exit: the server took every page back
    assert len(set(pids)) == 2

"""The paper's workloads are measured once per process and handed back as copies.

The stories: a chapter asks for the claims table and then for the same workload itself, and
the model runs the workload once; what comes back is exactly what a fresh measurement gives; a
student who scribbles on the result they got does not change the next caller's; a change of
machine, overrides or arguments is measured anew.
"""

from __future__ import annotations

import pytest

from mkteach.errors import InvalidArgument
from mkteach.hw.profiles import PROFILES
from mkteach.paper import workloads as w
from mkteach.paper.memo import frozen, remembered

R2000 = {"r2000": {"cache_miss_cycles": 30}}


def counting(calls: list):
    """Return a workload that counts its measurements and returns a fresh nested result."""

    @remembered
    def workload(name, overrides, kernel, pages=(1,)):
        calls.append((name, kernel, pages))
        return {"cycles": {"trap": 107 + len(calls)}, "pages": list(pages)}

    return workload


def test_asked_twice_a_workload_is_measured_once():
    calls: list = []
    workload = counting(calls)
    first = workload("i486", {}, "l3")
    assert workload("i486", {}, "l3") == first
    assert len(calls) == 1


def test_the_alias_of_a_machine_shares_its_results():
    calls: list = []
    workload = counting(calls)
    workload("i486", {}, "l3")
    workload("486", {}, "l3")
    assert len(calls) == 1


def test_overrides_of_another_machine_or_to_the_default_share_its_results():
    calls: list = []
    workload = counting(calls)
    workload("i486", {}, "l3")
    workload("i486", R2000, "l3")
    workload("i486", {"i486": {"tlb_miss_cycles": PROFILES["i486"].tlb_miss_cycles}}, "l3")
    assert len(calls) == 1


def test_a_whole_number_where_the_default_is_a_fraction_is_measured_anew():
    calls: list = []
    workload = counting(calls)
    assert PROFILES["pentium"].cpi == 1.0
    workload("pentium", {}, "l3")
    workload("pentium", {"pentium": {"cpi": 1}}, "l3")  # equal, but cycles come out as ints
    assert len(calls) == 2


@pytest.mark.parametrize(
    "changed",
    [
        ("pentium", {}, "l3"),
        ("i486", {"i486": {"tlb_miss_cycles": 12}}, "l3"),
        ("i486", {}, "mach"),
        ("i486", {}, "l3", [1, 2]),
    ],
)
def test_another_machine_overrides_or_arguments_are_measured_anew(changed):
    calls: list = []
    workload = counting(calls)
    workload("i486", {}, "l3")
    workload(*changed)
    assert len(calls) == 2


def test_a_caller_that_changes_its_result_changes_nothing_for_the_next():
    calls: list = []
    workload = counting(calls)
    got = workload("i486", {}, "l3")
    got["cycles"]["trap"] = 0
    got["pages"].append(99)
    assert workload("i486", {}, "l3") == {"cycles": {"trap": 108}, "pages": [1]}


def test_a_bad_machine_still_says_what_is_wrong():
    with pytest.raises(InvalidArgument, match="vax"):
        w.kernel_call("vax", {}, "l3")
    with pytest.raises(InvalidArgument, match="tlb_mis_cycles"):
        w.kernel_call("i486", {"i486": {"tlb_mis_cycles": 1}}, "l3")


def test_lists_sets_and_dicts_are_frozen_into_keys():
    assert frozen([{1: 2}, {3}]) == frozen([{1: 2}, {3}])
    assert frozen([1, 2]) != frozen((1, 2)) and frozen(1) != frozen(1.0)


def test_unkeyable_arguments_are_measured_every_time():
    calls: list = []
    workload = counting(calls)
    unhashable = type("Unhashable", (), {"__hash__": None})()
    workload("i486", {}, "l3", pages=[unhashable])
    workload("i486", {}, "l3", pages=[unhashable])
    assert len(calls) == 2


WORKLOADS = [
    (w.kernel_call, ("i486", {}, "mach")),
    (w.tlb_refill_after_switch, ("pentium", {})),
    (w.conventional_switch, ("i486", {}, 8)),
    (w.small_space_switches, ("pentium", {}, [1, 2, 1], {2})),
    (w.ipc_footprint, ("i486", {}, "l3")),
    (w.tcb_conflict_free, ("pentium", {}, None)),
    (w.ping_pong, ("i486", {}, "l3")),
    (w.mcpi, ("r2000", R2000, "l3", 2)),
]


@pytest.mark.parametrize(("workload", "args"), WORKLOADS, ids=lambda x: getattr(x, "__name__", ""))
def test_every_workload_remembers_exactly_what_a_fresh_measurement_gives(workload, args):
    workload.forget()
    fresh = workload.__wrapped__(*args)
    assert workload(*args) == fresh  # measured
    got = workload(*args)
    assert got == fresh  # remembered
    for part in got if isinstance(got, tuple) else [got]:
        if isinstance(part, dict):
            part.clear()  # a caller scribbles on what it got
    assert workload(*args) == fresh


def test_the_three_c_split_is_measured_once_and_each_caller_gets_its_own_copy(monkeypatch):
    from mkteach.paper import misses

    runs = []
    measure = misses._run
    monkeypatch.setattr(misses, "_run", lambda *args: runs.append(args) or measure(*args))
    misses._split_of.forget()
    first = misses.miss_split("r3000", "mach", 8)
    first["by_cache"].clear()  # a caller scribbles on what it got
    again = misses.miss_split("r3000", "mach", 8.0)  # the same server, the same split
    assert again["by_cache"] and len(runs) == 3  # three cache models, measured once
    assert again == misses._split_of.__wrapped__("r3000", {}, "mach", 8.0)
    misses.miss_split("r3000", "mach", 8, cache_size=16384)  # another machine: measured anew
    assert len(runs) == 9

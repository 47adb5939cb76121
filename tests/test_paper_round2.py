"""The paper right, round 2 (issue 21): memory effects by the three Cs, honest bases, the
PowerPC's tagged spaces, and chapter prose that says what the paper says and where.

The three-C split runs one reference stream through an infinite cache (compulsory misses), a
fully associative LRU cache of the real size (capacity) and the real cache (conflict), in steady
state. A kernel alone cannot make capacity misses in a 64 KB cache; a server working set that
outgrows it does, and only there does §4.2's claim hold.
"""

from __future__ import annotations

import html
from pathlib import Path

import nbformat
import pytest

from mkteach import KernelError, paper
from mkteach.hw.cache import fully_associative, infinite
from mkteach.hw.machine import Machine
from mkteach.hw.profiles import PROFILES, profile
from mkteach.paper.claims import mcpi_claim
from mkteach.paper.misses import mcpi_gap

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
KINDS = ("compulsory", "capacity", "conflict")


def text_of(name: str) -> str:
    """Return every cell source and every printed output of chapter `name`."""
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    parts = []
    for c in nb.cells:
        parts.append(c.source)
        for o in c.get("outputs", []):
            parts.append(o.get("text", "") or o.get("data", {}).get("text/plain", ""))
    return "\n".join(parts)


# -- 1. memory effects by the three Cs ------------------------------------------------------------


def test_the_infinite_and_fully_associative_caches_classify_misses():
    lru = fully_associative(64, 16)
    assert lru.n_sets == 1 and lru.assoc == 4
    for address in (0, 64, 128, 192, 256, 0):  # five lines through four ways: 0 was evicted
        lru.access(address)
    assert lru.misses == 6
    endless = infinite(16)
    for address in (0, 64, 128, 192, 256, 0):
        endless.access(address)
    assert endless.misses == 5  # only first touches miss


def test_the_split_adds_up_and_the_kernel_alone_makes_no_capacity_misses():
    got = paper.miss_split(machine="r2000", kernel="mach", server_kb=0)
    assert got["misses"] == sum(got[k] for k in KINDS)
    assert got["compulsory"] == 0  # steady state: every line was seen in the warm-up
    assert got["capacity"] == 0  # Mach's few KB of kernel lines fit a 64 KB cache
    assert got["misses"] > 0 and got["conflict"] == got["misses"]  # they collide in place
    for name, split in got["by_cache"].items():
        assert split["misses"] == sum(split[k] for k in KINDS), name
    assert got["mcpi"] == pytest.approx(
        got["misses"] * PROFILES["r2000"].cache_miss_cycles / got["instructions"]
    )


def test_the_split_moves_with_the_server_working_set():
    small = paper.miss_split(machine="r3000", kernel="mach", server_kb=64)
    large = paper.miss_split(machine="r3000", kernel="mach", server_kb=160)
    assert small["capacity"] == 0  # everything still fits the 64 KB caches
    assert large["capacity"] > large["misses"] / 2  # it no longer does
    assert large["misses"] == sum(large[k] for k in KINDS)
    assert large["mcpi"] > small["mcpi"]


def test_a_fully_associative_real_cache_has_no_conflict_misses():
    got = paper.miss_split(
        machine="r3000", kernel="mach", server_kb=16, cache_assoc=65536 // 4
    )  # the real cache is the fully associative one: nothing is left to placement
    assert got["conflict"] == 0 and got["misses"] == got["capacity"] + got["compulsory"]


def test_the_mcpi_claim_holds_only_where_capacity_misses_make_the_gap():
    alone = mcpi_claim(0)
    assert not alone.holds and "conflict" in alone.note  # inside 0-0.25, the wrong mechanism
    holding = [kb for kb in range(110, 122) if mcpi_claim(kb).holds]
    assert holding, "somewhere past the edge of the cache the claim must hold"
    for kb in holding:
        gap = mcpi_gap("r3000", kb)
        assert gap["capacity_share"] >= 0.5 and 0 < gap["gap"] <= 0.25 * 1.1
        assert gap["gap"] == pytest.approx(sum(gap[k] for k in KINDS))


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"server_kb": -1}, "server_kb"),
        ({"server_kb": "big"}, "server_kb"),
        ({"server_kb": True}, "server_kb"),
        ({"kernel": "nt"}, "unknown kernel"),
        ({"machine": "vax"}, "unknown machine"),
    ],
)
def test_bad_miss_split_arguments_are_refused_clearly(kwargs, words):
    with pytest.raises(KernelError, match=words):
        paper.miss_split(**kwargs)


# -- 4. honest bases (the claims table itself is tested in test_paper_claims.py) ------------------


def test_chapter_10_recounts_the_claims_from_the_model():
    rows = paper.claims()
    held = sum(c.holds for c in rows)
    text = text_of("10-conclusions.ipynb")
    assert f"{held} of {len(rows)} claims hold" in text
    for basis in ("given", "derived", "simulated"):
        n = sum(c.basis == basis for c in rows)
        assert f"{basis}: {n} claims" in text


# -- 6. the PowerPC's segment registers tag whole spaces ------------------------------------------


def test_the_ppc601_keeps_its_tlb_across_a_switch_between_large_spaces():
    m = Machine(profile("ppc601"))
    m.switch_space(1)
    for page in range(8):
        m.user_access(1, page, page, 0, False)
    m.take_costs()
    m.switch_space(2)
    assert dict(m.take_costs()) == {"as_switch": 29}  # reload the segment registers, 3.5 GB
    m.switch_space(1)
    m.take_costs()
    for page in range(8):
        m.user_access(1, page, page, 0, False)
    assert "tlb_miss" not in dict(m.take_costs()) and m.dtlb.flushes == 0


def test_the_pentium_tcb_interleave_is_labelled_as_the_models_layout():
    source = (Path(__file__).resolve().parents[1] / "mkteach/hw/profiles.py").read_text()
    line = next(x for x in source.splitlines() if "tcb_interleave=True" in x)
    assert "[paper]" not in line and "model" in line


# -- 2. clans outside the minimal set ---------------------------------------------------------


def test_chapter_4_puts_clans_outside_the_minimal_set_with_the_papers_cost():
    text = " ".join(text_of("04-interrupts-ids-clans.ipynb").split())
    assert "Supervision is not one of the paper's minimal concepts" in text
    assert "2 cycles per IPC (§2.2)" in text and "X.2" in text
    assert "optional mechanism of the L3 line" in text and "PAPER.md" not in text


def test_the_two_entry_chief_succeeds_above_its_members_priority_a_race_priority_hides():
    from mkteach.scenarios import clans
    from mkteach.scenarios.basics import forwarding_chief

    reasons = {
        p: clans(seed=0, chief_program=forwarding_chief, chief_priority=p).run().reason
        for p in (100, 150, 200)
    }
    assert reasons == {100: "deadlock", 150: "done", 200: "done"}
    text = text_of("04-interrupts-ids-clans.ipynb")
    assert "forwarding_chief at priority 150: done" in text
    assert "forwarding_chief at priority 200: done" in text


def test_the_gatekeeper_hides_the_true_sender_from_the_server():
    from mkteach.scenarios import clans
    from mkteach.scenarios.basics import forwarding_chief

    def sender_seen_by_printer(program, priority):
        s = clans(seed=0, chief_program=program, chief_priority=priority)
        s.run()
        ipcs = [e for e in s.trace if e.kind == "ipc" and str(e.get("receiver")) == "printer"]
        return str(ipcs[0].get("sender"))

    assert sender_seen_by_printer(None, 100) == "chief"  # the gatekeeper calls in its own name
    assert sender_seen_by_printer(forwarding_chief, 150) == "alice"
    assert "the printer's request came from chief" in text_of("04-interrupts-ids-clans.ipynb")


# -- 3. chapter 5's reasons -----------------------------------------------------------------------


def test_chapter_5_states_the_papers_argument_and_colouring_reaches_the_r2000s_first_level():
    from mkteach.scenarios import page_colouring

    def misses(coloured):
        s = page_colouring(seed=0, machine="r2000", coloured=coloured)
        s.run()
        cycles = sum(
            dict(e.costs).get("cache_miss", 0)
            for e in s.trace
            if e.kind == "load" and str(e.thread) == "app"
        )
        return cycles // s.profile.cache_miss_cycles

    assert misses(True) < misses(False) / 4  # a pager reaches a first-level cache
    text = text_of("05-flexibility.ipynb")
    assert "its external 64 KB cache is its **first-level** cache" in text
    assert "possible in theory (§3)" in text
    assert "TLB misses in App's reads" not in text  # the demo where frames cannot matter is gone
    assert "beyond any pager's reach" not in text


# -- 5. Mach, one story ---------------------------------------------------------------------------


def test_one_miss_cost_cannot_satisfy_both_l3s_kernel_call_and_machs_rpc():
    from mkteach.paper.claims import claim

    dear = {"i486": {"cache_miss_cycles": 10}}
    assert claim("kernel_user_switch.l3.i486").holds and not claim("rpc.mach.i486_us").holds
    assert (
        claim("rpc.mach.i486_us", dear).holds
        and not claim("kernel_user_switch.l3.i486", dear).holds
    )
    for name in ("01-rationale", "06-switching-costs", "09-related-systems", "10-conclusions"):
        text = text_of(f"{name}.ipynb")
        for phrase in ("much leaner", "far leaner", "leaner than real Mach", "lean, [assumed]"):
            assert phrase not in text, (name, phrase)
    six = text_of("06-switching-costs.ipynb")
    assert "10 cycles per miss: Mach RPC" in six and "does not hold" in six


# -- 6. smaller errors ----------------------------------------------------------------------------


def test_the_chapters_cite_the_papers_sections_not_the_course_notes():
    for path in sorted(NOTEBOOKS.glob("[0-9][0-9]-*.ipynb")):
        text = text_of(path.name)
        assert "PAPER.md" not in text and "study notes" not in text, path.name
    six = text_of("06-switching-costs.ipynb")
    assert "one cycle short" not in six and "*or* ≈270 first-level" in six
    nine = text_of("09-related-systems.ipynb")
    assert "156 for trap and flush (§4.1.3)" in nine and "(§6), and full IPC" not in nine


# -- 7. Figure 1's numbers ---------------------------------------------------------------------


def revealed_of(name: str) -> str:
    """Return the model's answers of chapter `name`'s predictions, as their saved HTML holds them
    (behind a closed disclosure until the reader predicts)."""
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    return "\n".join(
        html.unescape("".join(o.get("data", {}).get("text/html", "")))
        for c in nb.cells
        for o in c.get("outputs", [])
        if "predict" in o.get("metadata", {}).get("mkteach", {})
    )


def test_chapter_2_names_figure_1s_numbers_and_its_flushes_still_follow_the_paper():
    text = text_of("02-address-spaces.ipynb")
    assert "A's page 22 holds frame 15" in text
    assert "f1 keeps block 6 at its page 38; F received it at its page 86" in text
    text = revealed_of("02-address-spaces.ipynb")  # the flushes answer a prediction
    assert "flush by sigma0: lost by ['f1', 'A']" in text
    assert "flush by f1    : lost by ['A']" in text and "flush by F     : lost by nobody" in text

"""The Mach RPC claim's note says which assumption is short; these checks keep its words true."""

import pytest

from mkteach.hw.kernels import MACH
from mkteach.hw.profiles import PROFILES
from mkteach.paper import workloads as w

RECALLED_RPC_US = {"i486": 230, "r2000": 190, "alpha21064": 104}  # PAPER.md, Table 2 [recalled]


def test_the_486_needs_about_twice_the_assumed_instructions_per_ipc():
    p = PROFILES["i486"]
    model = w.ping_pong("i486", {}, "mach")
    short_cycles_per_ipc = (RECALLED_RPC_US["i486"] - model["rpc_us"]) * p.clock_mhz / 2
    assumed = MACH.paths["ipc"].instructions + MACH.paths["transfer"].instructions
    assert assumed == 1500 and p.cpi == 1.5
    assert 1.8 <= (assumed + short_cycles_per_ipc / p.cpi) / assumed <= 2.4


@pytest.mark.parametrize(("machine", "ratio"), [("r2000", 1.5), ("alpha21064", 0.4)])
def test_the_same_path_misses_the_other_recalled_figures_as_the_note_says(machine, ratio):
    model = w.ping_pong(machine, {}, "mach")["rpc_us"]
    assert model / RECALLED_RPC_US[machine] == pytest.approx(ratio, abs=0.06)

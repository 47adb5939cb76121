"""Every scenario's trace, on every machine, hardware on and off, L3 and Mach, is byte-identical
to the recorded golden digest: restructuring and speeding up the model must not change what it
does. A change meant to change traces rewrites `tests/golden/traces.json` (`python tests/golden.py
--write`) and says why in its commit."""

import json

import pytest
from golden import GOLDEN, dump, key, runs

KNOWN = json.loads(GOLDEN.read_text())


def test_the_golden_file_covers_every_run():
    assert sorted(KNOWN) == sorted(key(*run) for run in runs())


@pytest.mark.parametrize("run", list(runs()), ids=lambda run: key(*run))
def test_trace_is_byte_identical_to_the_golden_one(run):
    import hashlib

    digest = hashlib.sha256(dump(*run).encode()).hexdigest()
    assert digest == KNOWN[key(*run)], f"{key(*run)}: run `python tests/golden.py` to diff"

"""Golden traces: every scenario on every machine, hardware on and off, L3 and Mach, as JSON.

`python tests/golden.py --write` records the SHA-256 of each run's JSON trace and summary in
`tests/golden/traces.json` (and the traces themselves in `build/golden/` for diffing);
`tests/test_golden.py` checks that today's code reproduces every one byte for byte.
A change that is meant to change a trace updates the file and says so in its commit.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Iterator
from pathlib import Path

HERE = Path(__file__).resolve().parent
GOLDEN = HERE / "golden" / "traces.json"
DUMPS = HERE.parent / "build" / "golden"
SEEDS = (0, 1)
VARIANTS = (("l3", True), ("mach", True), ("l3", False))


def runs() -> Iterator[tuple[str, str, int, str, bool]]:
    """Yield (scenario, machine, seed, kernel, hardware) for every golden run."""
    from mkteach.hw.profiles import PROFILES
    from mkteach.scenarios import SCENARIOS

    for name in SCENARIOS:
        for machine in PROFILES:
            for seed in SEEDS:
                for kernel, hardware in VARIANTS:
                    if (kernel, hardware) != ("l3", True) and seed != 0:
                        continue
                    yield name, machine, seed, kernel, hardware


def key(name: str, machine: str, seed: int, kernel: str, hardware: bool) -> str:
    """Return the golden file's key of one run."""
    return f"{name}/{machine}/seed{seed}/{kernel}{'' if hardware else '-nohw'}"


def dump(name: str, machine: str, seed: int, kernel: str, hardware: bool) -> str:
    """Return the run's JSON trace followed by its summary, as the golden file hashes it."""
    from mkteach import system as system_module
    from mkteach.kernel.trace import to_json
    from mkteach.scenarios import SCENARIOS

    original = system_module.System.__init__

    def init(self, *args, **kwargs):  # the scenarios build their System with the defaults
        kwargs.setdefault("kernel", kernel)
        kwargs.setdefault("hardware", hardware)
        original(self, *args, **kwargs)

    system_module.System.__init__ = init
    try:
        s = SCENARIOS[name].build(seed=seed, machine=machine)
    finally:
        system_module.System.__init__ = original
    summary = s.run(max_steps=5_000)
    return to_json(s.trace) + "\n" + str(summary) + f"\ncycles={s.cycles}\n"


def digests() -> dict[str, str]:
    """Return {run key: SHA-256 of its dump} for every golden run, writing dumps to build/."""
    DUMPS.mkdir(parents=True, exist_ok=True)
    out = {}
    for run in runs():
        text = dump(*run)
        k = key(*run)
        (DUMPS / (k.replace("/", "_") + ".json")).write_text(text)
        out[k] = hashlib.sha256(text.encode()).hexdigest()
    return out


if __name__ == "__main__":
    sys.path.insert(0, str(HERE.parent))
    found = digests()
    if "--write" in sys.argv:
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_text(json.dumps(found, indent=1, sort_keys=True) + "\n")
        print(f"wrote {len(found)} digests to {GOLDEN}")
    else:
        known = json.loads(GOLDEN.read_text())
        changed = sorted(k for k in known if found.get(k) != known[k])
        print("\n".join(changed) or f"all {len(known)} golden traces reproduced")
        sys.exit(1 if changed else 0)

"""Machine profiles: frozen records of the hardware parameters the cost model uses.

Values marked [paper] are from Liedtke 1995's text; [recalled] from secondary sources (approximate);
[assumed] are placeholders chosen for the model and documented as such. The detailed TLB and cache
models of a later stage read the same fields.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

from ..kernel.errors import InvalidArgument


@dataclass(frozen=True)
class Profile:
    """One processor's parameters (cycles unless named otherwise)."""

    name: str
    clock_mhz: float
    trap_enter_cycles: int
    trap_exit_cycles: int
    tlb_entries: int
    tlb_miss_cycles: int
    tlb_tagged: bool
    cache_size: int
    cache_assoc: int
    cache_line: int
    cache_miss_cycles: int
    segment_switch_cycles: int | None
    page_size: int = 4096
    ipc_path_cycles: int = 40  # [assumed] kernel instructions of a short IPC path
    map_page_cycles: int = 20  # [assumed] per page entered in a page table + mapping database
    unmap_page_cycles: int = 10  # [assumed] per page removed or reduced
    copy_cycles_per_byte: float = 0.25  # [assumed] string copy (4 bytes per cycle)
    memory_access_cycles: int = 1  # [assumed] a user load/store that hits
    fault_path_cycles: int = 30  # [assumed] kernel work to turn a fault into IPC
    as_switch_cycles: int = 5  # [paper] loading the page-table root costs 1-10 cycles


PROFILES: dict[str, Profile] = {
    p.name: p
    for p in (
        # [paper] 71 + 36 cycles trap; [recalled] 8 KB 4-way 16-byte lines, 32-entry TLB.
        Profile("i486", 50, 71, 36, 32, 9, False, 8192, 4, 16, 10, 39),
        # [paper] TLB miss >= 9 cycles, 32 + 64 entries; [recalled] 8 KB 2-way, 32-byte lines.
        Profile("pentium", 100, 69, 29, 96, 9, False, 8192, 2, 32, 10, 15),
        # [recalled] MIPS R2000 at 16.7 MHz: < 20 cycles to enter and leave; software TLB, tagged.
        Profile("r2000", 16.7, 10, 8, 64, 12, True, 65536, 1, 4, 6, None),
        # [recalled] MIPS R4000: tagged TLB (ASIDs), 48 entry pairs.
        Profile("r4000", 100, 12, 8, 96, 20, True, 8192, 1, 16, 12, None),
        # [recalled] Alpha 21064 at 133 MHz: untagged for the paper's purposes, 32-entry DTLB.
        Profile("alpha21064", 133, 30, 20, 32, 25, False, 8192, 1, 32, 12, None),
        # [paper] PowerPC segment switch 29 cycles (3.5 GB) or 12 (1 GB); [recalled] 601 caches.
        Profile("ppc601", 66, 30, 20, 256, 20, False, 32768, 8, 64, 10, 29),
    )
}

ALIASES = {"486": "i486", "mips": "r4000", "alpha": "alpha21064", "powerpc": "ppc601"}


def profile(name: str, **overrides: object) -> Profile:
    """Return the named machine's profile, with `overrides` replacing fields; raise if unknown."""
    if not isinstance(name, str):
        raise InvalidArgument(f"machine must be a profile name such as 'i486', not {name!r}")
    key = ALIASES.get(name.lower(), name.lower())
    if key not in PROFILES:
        known = ", ".join(sorted(PROFILES))
        raise InvalidArgument(f"unknown machine {name!r}: choose one of {known}")
    names = {f.name for f in fields(Profile)}
    unknown = sorted(set(overrides) - names)
    if unknown:
        raise InvalidArgument(f"unknown machine parameter(s) {unknown}: known are {sorted(names)}")
    return replace(PROFILES[key], **overrides)  # type: ignore[arg-type]

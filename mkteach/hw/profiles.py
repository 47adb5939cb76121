"""Machine profiles: frozen records of the hardware parameters the cost model uses.

Sources, per value: [paper] Liedtke 1995's text; [derived] computed from the paper's text
(the derivation is given); [recalled] from secondary sources, approximate; [assumed] a value the
model needs that no source here gives, chosen and labelled so. The claims table shows which
claims depend on which kind.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

from ..errors import InvalidArgument


@dataclass(frozen=True)
class Profile:
    """One processor's parameters (cycles unless named otherwise)."""

    name: str
    clock_mhz: float
    trap_enter_cycles: int
    trap_exit_cycles: int
    tlb_entries: int  # data (or unified) TLB entries
    tlb_assoc: int
    tlb_miss_cycles: int
    tlb_tagged: bool
    cache_size: int  # bytes of the (data or unified) first-level cache
    cache_assoc: int
    cache_line: int
    cache_miss_cycles: int
    segment_switch_cycles: int | None  # switch between small spaces; None: no segments
    itlb_entries: int = 0  # 0: one unified TLB
    split_cache: bool = False  # True: separate instruction cache of the same geometry
    cpi: float = 1.0  # cycles per kernel instruction when nothing misses
    as_switch_cycles: int = 5  # load the page-table root (or the ASID)
    small_space_extra_cycles: int = 0  # extra cost of each switch involving a small space
    tcb_align: int = 1024  # bytes between thread control blocks (TCB + kernel stack)
    tcb_interleave: bool = False  # thread ids place tasks' TCBs side by side (see kernels.py)
    kernel_unmapped: bool = False  # kernel addresses bypass the TLB (MIPS kseg0)
    memory_access_cycles: int = 1  # a user load/store that hits
    page_size: int = 4096


PROFILES: dict[str, Profile] = {
    p.name: p
    for p in (
        Profile(
            name="i486",
            clock_mhz=50,  # [paper] 486 at 50 MHz
            trap_enter_cycles=71,  # [paper] int
            trap_exit_cycles=36,  # [paper] iret
            tlb_entries=32,  # [recalled]
            tlb_assoc=4,  # [recalled]
            tlb_miss_cycles=9,  # [paper] m = 9 cycles per miss in the refill bound
            tlb_tagged=False,  # [paper] untagged: flushed on every address-space switch
            cache_size=8192,  # [recalled] 8 KB unified
            cache_assoc=4,  # [recalled]
            cache_line=16,  # [recalled]
            cache_miss_cycles=3,  # [derived] 57 - 3 TLB misses * 9 = 30 cycles for 10 misses
            segment_switch_cycles=39,  # [paper] switch with small spaces
            cpi=1.5,  # [assumed] simple integer kernel code takes 1-3 cycles per instruction
            as_switch_cycles=5,  # [assumed] MOV CR3; the paper gives 1-10 cycles
            small_space_extra_cycles=130,  # [paper] small spaces cost about 130 extra cycles
            tcb_align=4096,  # [paper] L3 on the 486 aligned TCBs to 4 KB
        ),
        Profile(
            name="pentium",
            clock_mhz=100,  # [assumed] a 100 MHz Pentium
            trap_enter_cycles=69,  # [assumed] close to the 486's
            trap_exit_cycles=29,  # [assumed]
            tlb_entries=64,  # [paper] 64 data entries (+ 32 instruction entries)
            tlb_assoc=4,  # [recalled]
            tlb_miss_cycles=9,  # [paper] >= 9 cycles per miss
            tlb_tagged=False,  # [paper]
            cache_size=8192,  # [recalled] 8 KB data (+ 8 KB instruction)
            cache_assoc=2,  # [paper] 2-way
            cache_line=32,  # [recalled]
            cache_miss_cycles=10,  # [assumed]
            segment_switch_cycles=15,  # [paper] switch with small spaces
            itlb_entries=32,  # [paper]
            split_cache=True,  # [recalled]
            cpi=1.0,  # [assumed] dual issue makes about one cycle per instruction
            as_switch_cycles=5,  # [assumed]
            tcb_align=1024,  # [paper] the Pentium port moved TCBs to 1 KB alignment
            tcb_interleave=True,  # [assumed] the model's layout for "changed thread ids"
        ),
        # The R2000 of the paper's Table 2 and Exokernel comparisons (16.7 MHz). Chen and Bershad
        # measured a DECstation 5000/200, an R3000 at 25 MHz, not this machine: the MCPI claim
        # runs on this profile as the nearest MIPS one, with its direct-mapped 64 KB cache.
        Profile(
            name="r2000",
            clock_mhz=16.7,  # [paper]
            trap_enter_cycles=10,  # [paper] < 20 cycles to enter and leave the kernel
            trap_exit_cycles=8,
            tlb_entries=64,  # [recalled] fully associative, software refilled
            tlb_assoc=64,
            tlb_miss_cycles=12,  # [recalled]
            tlb_tagged=True,  # [paper] ASID-tagged
            cache_size=65536,  # [recalled] external direct-mapped cache
            cache_assoc=1,
            cache_line=4,
            cache_miss_cycles=6,  # [assumed]
            segment_switch_cycles=None,
            split_cache=True,
            cpi=1.3,  # [assumed]
            kernel_unmapped=True,  # [recalled] kseg0 bypasses the TLB
        ),
        # The machine Chen and Bershad measured Mach and Ultrix on: a DECstation 5000/200, an
        # R3000 at 25 MHz with split, direct-mapped, physically indexed first-level caches.
        Profile(
            name="r3000",
            clock_mhz=25,  # [recalled] DECstation 5000/200
            trap_enter_cycles=10,  # [assumed] as the R2000: < 20 cycles to enter and leave
            trap_exit_cycles=8,  # [assumed]
            tlb_entries=64,  # [recalled] fully associative, software refilled, ASID-tagged
            tlb_assoc=64,
            tlb_miss_cycles=12,  # [recalled]
            tlb_tagged=True,  # [paper] MIPS TLBs are tagged
            cache_size=65536,  # [recalled] 64 KB instruction + 64 KB data, direct-mapped
            cache_assoc=1,
            cache_line=4,  # [recalled] one-word lines, as the DECstation 3100's R2000 caches
            cache_miss_cycles=9,  # [assumed] the R2000 profile's 360 ns memory at 25 MHz
            segment_switch_cycles=None,
            split_cache=True,  # [recalled]
            cpi=1.3,  # [assumed]
            kernel_unmapped=True,  # [recalled] kseg0 bypasses the TLB
        ),
        Profile(
            name="r4000",
            clock_mhz=100,  # [recalled]
            trap_enter_cycles=12,  # [assumed]
            trap_exit_cycles=8,  # [assumed]
            tlb_entries=96,  # [recalled] 48 entry pairs
            tlb_assoc=96,
            tlb_miss_cycles=20,  # [recalled] software refill
            tlb_tagged=True,  # [paper] tagged TLB: no flush on a switch
            cache_size=8192,  # [recalled] 8 KB direct-mapped, 16-byte lines
            cache_assoc=1,
            cache_line=16,
            cache_miss_cycles=12,  # [assumed]
            segment_switch_cycles=None,
            split_cache=True,
            cpi=1.3,  # [assumed]
            kernel_unmapped=True,  # [recalled] kseg0 bypasses the TLB
        ),
        Profile(
            name="alpha21064",
            clock_mhz=133,  # [paper]
            trap_enter_cycles=30,  # [assumed] PALcode entry
            trap_exit_cycles=20,  # [assumed]
            tlb_entries=32,  # [recalled] data TLB
            tlb_assoc=32,
            tlb_miss_cycles=25,  # [assumed] PALcode refill
            tlb_tagged=False,  # [paper] treated as untagged
            cache_size=8192,  # [recalled] 8 KB direct-mapped, 32-byte lines
            cache_assoc=1,
            cache_line=32,
            cache_miss_cycles=12,  # [assumed]
            segment_switch_cycles=None,
            itlb_entries=12,  # [recalled]
            split_cache=True,
            cpi=1.3,  # [assumed]
        ),
        Profile(
            name="ppc601",
            clock_mhz=66,  # [recalled]
            trap_enter_cycles=30,  # [assumed]
            trap_exit_cycles=20,  # [assumed]
            tlb_entries=256,  # [recalled] unified, 2-way
            tlb_assoc=2,
            tlb_miss_cycles=20,  # [assumed] hashed page-table walk
            # [paper] the segment registers' virtual segment ids tag whole spaces: a switch
            # between large spaces reloads them and needs no TLB flush
            tlb_tagged=True,
            cache_size=32768,  # [recalled] 32 KB unified 8-way, 64-byte lines
            cache_assoc=8,
            cache_line=64,
            cache_miss_cycles=10,  # [assumed]
            segment_switch_cycles=29,  # [paper] 29 cycles for 3.5 GB (12 for 1 GB)
            cpi=1.0,  # [assumed]
            as_switch_cycles=29,  # [paper] reloading the segment registers of 3.5 GB
        ),
    )
}

ALIASES = {
    "decstation5000": "r3000",
    "486": "i486",
    "mips": "r4000",
    "alpha": "alpha21064",
    "powerpc": "ppc601",
}


def profile(name: str, /, **overrides: object) -> Profile:
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
    base = PROFILES[key]
    for field, value in overrides.items():
        _check_value(base, field, value)
    return replace(base, **overrides)  # type: ignore[arg-type]


def _check_value(base: Profile, field: str, value: object) -> None:
    """Raise InvalidArgument unless `value` suits parameter `field` (same kind, not negative)."""
    default = getattr(base, field)
    if field == "name":
        raise InvalidArgument("the machine's name cannot be overridden")
    if isinstance(default, bool) or field in ("tlb_tagged", "split_cache", "kernel_unmapped"):
        ok = isinstance(value, bool)
    elif field == "segment_switch_cycles":
        ok = value is None or (
            isinstance(value, int) and not isinstance(value, bool) and value >= 0
        )
    elif isinstance(default, float) or field in ("cpi", "clock_mhz"):
        ok = isinstance(value, int | float) and not isinstance(value, bool) and value > 0
    else:
        ok = isinstance(value, int) and not isinstance(value, bool) and value >= 0
    if not ok:
        raise InvalidArgument(
            f"{base.name}.{field} = {value!r} is not a valid value: it must be like the "
            f"default {default!r} ({type(default).__name__}, not negative)"
        )

"""Kernel construction variants: what each kernel path executes and which memory it touches.

A path is a description of kernel code, not a cost: how many instructions it executes, which
kernel code bytes it fetches, which kernel data and which thread control blocks (TCBs) it reads
or writes. The machine runs a path through its TLB and cache models, so a path's cost is
instructions x cycles-per-instruction plus the misses the simulated hardware actually produces.

Two variants run the same kernel model:
- "l3": lean, as the paper describes L3: short paths, a small kernel working set (< 1 KB for IPC),
  TCB and kernel stack together, thread ids that encode the TCB's address.
- "mach": a conventional kernel of the time: many more instructions, a larger, scattered working
  set (port tables, message buffers), and messages copied twice through a kernel buffer.
Every number in these tables is [assumed]: a description of a kernel's construction, chosen to
match the paper's words (L3: "at least 15 cycles" of kernel overhead, a short-IPC working set
under 1 KB; Mach: "about 500 instructions" more per kernel call) and never tuned to a result.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import InvalidArgument
from .techniques import TECHNIQUES

KERNEL_BASE = 0xF000_0000  # physical = virtual; far above the user frames a course uses
DESCRIPTORS = KERNEL_BASE  # IDT and GDT: the trap hardware reads a gate and a descriptor
CODE = KERNEL_BASE + 0x0001_0000
DATA = KERNEL_BASE + 0x0010_0000
TCBS = KERNEL_BASE + 0x0100_0000
BUFFERS = KERNEL_BASE + 0x0400_0000  # where user string buffers are, for the copy's cache traffic
TCB_SLOTS = 4096
THREADS_PER_TASK = 16
TASKS = TCB_SLOTS // THREADS_PER_TASK
TRAP_REFS = ((0x30 * 8, 8), (0x800 + 8, 8))  # the IDT gate of the kernel-call vector, a GDT entry

Span = tuple[int, int]  # (offset, bytes); a negative TCB offset counts from the TCB's end


@dataclass(frozen=True)
class Path:
    """One kernel path: instructions, code bytes fetched, data and TCB bytes touched."""

    instructions: int
    code: Span
    data: tuple[Span, ...] = ()
    tcb: tuple[Span, ...] = ()


@dataclass(frozen=True)
class KernelVariant:
    """A way to construct the kernel: its paths and how often a message is copied."""

    name: str
    description: str
    paths: dict[str, Path]
    copies: int  # how many times string bytes are copied (1: directly, 2: via a kernel buffer)
    techniques: dict[str, bool] = field(default_factory=dict)  # defaults, see techniques.py
    fixed: frozenset[str] = frozenset()  # techniques its paths describe whole (not switchable)


HOT_TCB = ((0, 32), (-32, 32))  # TCB header (state, queues) and the top of the kernel stack

L3 = KernelVariant(
    "l3",
    "lean L3-style paths: few instructions, a kernel working set under 1 KB",
    {
        "null_call": Path(10, (0x000, 64), (), HOT_TCB),
        "ipc": Path(50, (0x100, 192), ((0x00, 16),), HOT_TCB),
        "transfer": Path(8, (0x1C0, 32), (), HOT_TCB),
        "page_fault": Path(30, (0x200, 128), ((0x00, 16),), HOT_TCB),
        "interrupt": Path(25, (0x280, 96), ((0x10, 16),), HOT_TCB),
        "exit": Path(20, (0x300, 64), ((0x00, 16),), HOT_TCB),
        "flush": Path(20, (0x340, 96), (), HOT_TCB),
        "map_page": Path(20, (0x3A0, 96), ((0x100, 32),)),
        "unmap_page": Path(12, (0x400, 64), ((0x100, 32),)),
    },
    copies=1,
    techniques=dict.fromkeys(TECHNIQUES, True),
)

MACH_TCB = ((0, 128), (-256, 256))
MACH = KernelVariant(
    "mach",
    "Mach-style paths: many more instructions, a large scattered kernel working set",
    {
        "null_call": Path(500, (0x0000, 2048), ((0x0000, 256), (0x1000, 128)), MACH_TCB),
        "ipc": Path(1200, (0x1000, 5120), ((0x2000, 512), (0x3000, 512), (0x4000, 256)), MACH_TCB),
        "transfer": Path(300, (0x2400, 1024), ((0x5000, 256),), MACH_TCB),
        "page_fault": Path(900, (0x2800, 3072), ((0x6000, 512), (0x7000, 256)), MACH_TCB),
        "interrupt": Path(400, (0x3400, 1536), ((0x8000, 256),), MACH_TCB),
        "exit": Path(300, (0x3A00, 1024), ((0x0000, 256),), MACH_TCB),
        "flush": Path(300, (0x3E00, 1024), ((0x9000, 256),), MACH_TCB),
        "map_page": Path(150, (0x4200, 512), ((0xA000, 128),)),
        "unmap_page": Path(100, (0x4400, 512), ((0xA000, 128),)),
    },
    copies=2,
    # [recalled] Mach 3.0's mach_msg trap sends and receives in one kernel entry, so a call is
    # one entry; its paths above already include a scheduler pass, message buffers and port
    # lookups, so those four techniques are off in it and cannot be switched.
    techniques={name: name == "combined_call" for name in TECHNIQUES},
    fixed=frozenset(set(TECHNIQUES) - {"combined_call"}),
)

VARIANTS = {v.name: v for v in (L3, MACH)}


def variant(name: str) -> KernelVariant:
    """Return the kernel variant called `name` ("l3" or "mach"); raise if unknown."""
    if name not in VARIANTS:
        raise InvalidArgument(f"unknown kernel {name!r}: choose one of {', '.join(VARIANTS)}")
    return VARIANTS[name]


def tcb_address(task: int, number: int, align: int, interleave: bool = False) -> int:
    """Return the physical address of thread (task, number)'s TCB at `align`-byte spacing.

    As in L3, the thread id encodes where its TCB is: no table lookup on the IPC path. The
    task-major layout puts a task's threads side by side, so thread 0 of every task sits
    THREADS_PER_TASK slots from the next task's; `interleave` (the Pentium port's changed
    thread-id layout) puts the tasks' threads side by side instead.
    """
    if interleave:
        slot = (number * TASKS + task) % TCB_SLOTS
    else:
        slot = (task * THREADS_PER_TASK + number) % TCB_SLOTS
    return TCBS + slot * align

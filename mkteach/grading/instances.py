"""Seeded instances: every student gets different but reproducible numbers.

    seed = seed_of(STUDENT)                 # a student id string -> an int, the same everywhere
    rng = instance(seed, "q1")              # a random.Random for one question
    ops = memory_ops(seed)                  # a sequence of map / grant / flush for that student
    s = apply_ops(ops)                      # a System after the sequence

Seeds come from SHA-256, never from Python's `hash()` (which changes from process to process).
"""

from __future__ import annotations

import hashlib
import random
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from ..errors import KernelError
from ..system import System

SIGMA0 = "sigma0"


def normal_identity(student: str) -> str:
    """Return a student id as ids are compared: Unicode NFC, case folded, spaces collapsed and
    trimmed (so "JDoe " and "jdoe" are the same student)."""
    text = unicodedata.normalize("NFC", student)
    return " ".join(text.split()).casefold()


def seed_of(student: object, question: str = "") -> int:
    """Return a 63-bit seed from a student id (compared as `normal_identity` makes it) and a
    question name: the same in every process."""
    if isinstance(student, str):
        student = normal_identity(student)
    text = f"{student}\x1f{question}".encode()
    return int.from_bytes(hashlib.sha256(text).digest()[:8], "big") >> 1


def instance(seed: int | str, question: str = "") -> random.Random:
    """Return a random.Random for one question of one student (`seed` an int or a student id)."""
    base = seed if isinstance(seed, int) and not isinstance(seed, bool) else seed_of(seed)
    return random.Random(seed_of(base, question))


@dataclass(frozen=True)
class MemOp:
    """One memory operation of a sequence: map, grant or flush, with the API's arguments."""

    kind: str
    space: str
    page: int
    dst: str | None = None
    dst_page: int | None = None
    rights: str = "rw"
    order: int = 0
    include_self: bool = False

    def apply(self, s: System) -> None:
        """Perform this operation on `s` (raises KernelError when the kernel refuses it)."""
        if self.kind == "flush":
            s.flush(self.space, self.page, self.rights, self.order, self.include_self)
        else:
            verb = s.grant if self.kind == "grant" else s.map
            verb(self.space, self.page, self.dst, self.dst_page, self.rights, self.order)

    def __str__(self) -> str:
        src = "s.sigma0" if self.space == SIGMA0 else repr(self.space)
        extra = "" if self.rights == "rw" else f", rights={self.rights!r}"
        extra += f", order={self.order}" if self.order else ""
        if self.kind == "flush":
            extra += ", include_self=True" if self.include_self else ""
            return f"s.flush({src}, {self.page}{extra})"
        return f"s.{self.kind}({src}, {self.page}, {self.dst!r}, {self.dst_page}{extra})"


def as_op(value: object) -> MemOp:
    """Return a MemOp from a MemOp or a tuple like ("map", "sigma0", 5, "A", 0, "r")."""
    if isinstance(value, MemOp):
        return value
    if not isinstance(value, tuple | list) or not value or value[0] not in KINDS:
        raise ValueError(
            f"an operation is ('map'|'grant', src, page, dst, dst_page[, rights[, order]]) or "
            f"('flush', space, page[, rights[, order[, include_self]]]), not {value!r}"
        )
    kind, *args = value
    names = _space_names(args)
    if kind == "flush":
        rest = dict(zip(("rights", "order", "include_self"), args[2:], strict=False))
        return MemOp("flush", names[0], int(args[1]), **rest)
    rest = dict(zip(("rights", "order"), args[4:], strict=False))
    return MemOp(kind, names[0], int(args[1]), names[2], int(args[3]), **rest)


KINDS = ("map", "grant", "flush")


def _space_names(args: Sequence[Any]) -> list[Any]:
    """Return `args` with address-space objects replaced by their names."""
    return [getattr(a, "name", a) for a in args]


def apply_ops(
    ops: Iterable[object], system: System | None = None, frames: int = 16, machine: str = "i486"
) -> System:
    """Return `system` (or a fresh one) after performing every operation of `ops` in order.

    Spaces named in the operations are created on first use.
    """
    s = system or System(machine=machine, frames=frames)
    for op in map(as_op, ops):
        for name in (op.space, op.dst):
            if name is not None and name not in s.spaces:
                s.create_space(name)
        op.apply(s)
    return s


def memory_ops(
    seed: int | str,
    question: str = "tree",
    spaces: Sequence[str] = ("A", "B", "C", "D"),
    frames: int = 16,
    end_with_flush: bool = True,
) -> list[MemOp]:
    """Return a valid, seeded sequence of maps, grants and a final flush with indirect mappings.

    The sequence maps two σ0 frames into spaces, derives mappings from mappings, grants one
    mapping that has something derived from it, maps once more and, when `end_with_flush`,
    flushes a page that has something derived from it. Every operation is one the kernel accepts.
    """
    rng = instance(seed, question)
    plan = ["sigma0", "sigma0", "derive", "derive", "derive", "grant", "derive"]
    s = System(frames=frames)
    for name in spaces:
        s.create_space(name)
    ops = [_pick(rng, s, step, spaces, frames) for step in plan]
    if end_with_flush:
        ops.append(_pick_flush(rng, s))
    return ops


def _pick(rng: random.Random, s: System, step: str, spaces: Sequence[str], frames: int) -> MemOp:
    """Return (and perform on `s`) a random valid operation of kind `step`."""
    for _ in range(200):
        dst, dst_page = rng.choice(list(spaces)), rng.randrange(8)
        if step == "sigma0":
            op = MemOp("map", SIGMA0, rng.randrange(1, frames), dst, dst_page)
        else:
            held = _held(s, spaces)
            if not held:
                continue
            src, page, rights = rng.choice(held)
            granted = "r" if rights == "r" or rng.random() < 0.25 else "rw"
            kind = "grant" if step == "grant" else "map"
            op = MemOp(kind, src, page, dst, dst_page, granted)
            if step == "grant" and not _has_children(s, src, page):
                continue
        if _accepted(s, op, replace_ok=step != "sigma0"):
            return op
    raise RuntimeError(f"memory_ops: no valid {step} operation found")  # pragma: no cover


def _pick_flush(rng: random.Random, s: System) -> MemOp:
    """Return (and perform) a flush of a random page that has mappings derived from it."""
    candidates = []
    for frame in range(s.frames):
        tree = s.mapping_tree(frame)
        for node in sorted(tree.nodes):
            below = len(_descendants(tree, node))
            if node[0] != SIGMA0 and below:
                candidates.append((below, node))
    if not candidates:
        for frame in range(s.frames):
            children = sorted(s.mapping_tree(frame).successors((SIGMA0, frame)))
            candidates += [(1, (SIGMA0, frame))] if children else []
    space, page = rng.choice([n for _, n in candidates])
    op = MemOp("flush", space, page)
    op.apply(s)
    return op


def _held(s: System, spaces: Sequence[str]) -> list[tuple[str, int, str]]:
    """Return (space, page, rights) of every mapping the named spaces hold, sorted."""
    out = []
    for name in spaces:
        for page in range(8):
            found = s.lookup(name, page)
            if found is not None:
                out.append((name, page, found.rights))
    return out


def _has_children(s: System, space: str, page: int) -> bool:
    """Return True when something was mapped from space's page."""
    found = s.lookup(space, page)
    return found is not None and bool(list(s.mapping_tree(found.frame).successors((space, page))))


def _descendants(tree: Any, node: tuple[str, int]) -> set:
    """Return the nodes derived from `node` in a derivation graph."""
    import networkx as nx

    return nx.descendants(tree, node)


def _accepted(s: System, op: MemOp, replace_ok: bool) -> bool:
    """Perform `op` on `s` and return True if the kernel accepts it (and it replaces nothing
    unless `replace_ok`); otherwise leave `s` unchanged and return False."""
    if op.dst is not None and s.lookup(op.dst, op.dst_page) is not None and not replace_ok:
        return False
    if op.dst is not None and op.dst == op.space:
        return False
    try:
        op.apply(s)
    except KernelError:
        return False
    return True


def int_seed(seed: int | str) -> int:
    """Return an int seed for a System (a student id becomes its seed)."""
    return seed if isinstance(seed, int) and not isinstance(seed, bool) else seed_of(seed)

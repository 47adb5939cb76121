"""Lab "mapdb_flush": flush on a mapping database stored as a pre-order sequence with depths.

The paper's mapping database is one derivation tree per frame. Fiasco and seL4 store each tree
as a flat pre-order sequence of (space, page, rights, depth) entries: a node's subtree is the
run of entries after it that are deeper than it. The model keeps explicit parent and child
nodes; in this lab the student writes flush over the flat form:

    def flush_preorder(tree, index, rights, include_self):
        '''Return the frame's pre-order list after the entry at `index` flushes `rights`.'''

- tree: a list of (space, page, rights, depth) tuples in pre-order; tree[0] is σ0's (depth 0);
- index: the position of the flushing space's entry;
- rights: "rw" (remove the derived mappings) or "w" (make them read-only);
- include_self: True also applies the flush to the entry at `index` itself.
It returns the new list (entries removed, or with rights "r"), still in pre-order.

With the mechanism installed (`System(..., mechanisms={"mapdb_flush": fn})`), every flush of
the system asks fn for each flushed page's tree and applies what fn returns: the kernel only
checks that it is a tree that can come out of a flush (entries of the old list in the old
order, rights never widened, nothing left without its parent, σ0 untouched); an answer that
is not, or an exception, is refused and recorded, and the kernel's own flush is applied.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from ..kernel.mapdb import Mapping
from .core import REFUSED

Entry = tuple[str, int, str, int]

SIGNATURE = (
    "flush_preorder(tree, index, rights, include_self) -> list of (space, page, rights, depth)"
)


def flush_preorder(tree: list, index: int, rights: str, include_self: bool) -> list:
    """Return the pre-order list after the entry at `index` flushes `rights` (the reference)."""
    depth = tree[index][3]
    end = index + 1
    while end < len(tree) and tree[end][3] > depth:
        end += 1
    start = index if include_self else index + 1
    if rights == "rw":
        return tree[:start] + tree[end:]
    kept = [(space, page, "r", d) for space, page, _, d in tree[start:end]]
    return tree[:start] + kept + tree[end:]


def preorder(root: Mapping) -> list[tuple[Mapping, int]]:
    """Return the (node, depth) pairs of root's tree in pre-order (children in their order)."""
    out: list[tuple[Mapping, int]] = []
    stack = [(root, 0)]
    while stack:
        node, depth = stack.pop()
        out.append((node, depth))
        stack.extend((c, depth + 1) for c in reversed(node.children.values()))
    return out


def entries(order: list[tuple[Mapping, int]]) -> list[Entry]:
    """Return the plain (space, page, rights, depth) entries of a pre-order list of nodes."""
    return [(n.space.name, n.page, n.rights, d) for n, d in order]


def illegal(old: list[Entry], new: Any) -> str:
    """Return why `new` cannot be the outcome of a flush of `old` ('' when it can)."""
    if not isinstance(new, list | tuple):
        return f"it returned a {type(new).__name__}, not a list of entries"
    position = {(s, p): i for i, (s, p, _, _) in enumerate(old)}
    last, kept = -1, {}
    for entry in new:
        if not (isinstance(entry, list | tuple) and len(entry) == 4):
            return f"{entry!r:.60} is not a (space, page, rights, depth) entry"
        i = position.get((entry[0], entry[1]))
        if i is None:
            return f"{entry!r} is not in the tree it was given (a flush only removes entries)"
        if i <= last:
            return f"{entry!r} is out of pre-order (or twice): a flush keeps the order"
        if entry[3] != old[i][3]:
            return f"{entry!r} changed its depth (it was {old[i][3]}): a flush moves nothing"
        if entry[2] not in ("r", "rw") or (entry[2] == "rw" and old[i][2] == "r"):
            return f"{entry!r} has rights {entry[2]!r}, more than its {old[i][2]!r}"
        last, kept[i] = i, entry[2]
    if kept.get(0) != old[0][2]:
        return "it changed σ0's own entry (tree[0]): σ0 is physical memory and keeps it"
    return orphan(old, kept)


def orphan(old: list[Entry], kept: dict[int, str]) -> str:
    """Return why the kept entries do not form a tree (a child without its parent, or with
    more rights than its parent), or ''."""
    parents: list[int] = []
    for i, (space, page, _, depth) in enumerate(old):
        del parents[depth:]
        if i in kept and parents:
            parent = parents[-1]
            if parent not in kept:
                return (
                    f"it kept ({space!r}, {page}) but removed {old[parent][:2]!r}, which it "
                    "derives from: a mapping cannot outlive the one it was made from"
                )
            if kept[i] == "rw" and kept[parent] == "r":
                return (
                    f"({space!r}, {page}) keeps 'rw' while {old[parent][:2]!r}, which it "
                    "derives from, has only 'r': rights never widen down a tree"
                )
        parents.append(i)
    return ""


# -- the hook: the kernel's flush asks the mechanism --------------------------------------------


def install(installed: Any, kernel: Any, fn: Callable[..., Any]) -> None:
    """Make `kernel`'s mapping database flush through `fn` (one indirection, on the instance)."""
    mapdb = kernel.mapdb
    own_flush = mapdb.flush

    def flush(nodes: list[Mapping], rights: str, include_self: bool) -> None:
        for node in nodes:
            if node.space.pages.get(node.page) is not node:
                continue  # derived from an earlier page of the fpage: flushed with it already
            flush_one(installed, mapdb, own_flush, node, rights, include_self, fn)

    mapdb.flush = flush


def flush_one(installed: Any, mapdb: Any, own_flush: Callable, node: Mapping, rights: str,
              include_self: bool, fn: Callable[..., Any]) -> None:  # fmt: skip
    """Flush one node's page through `fn`: apply its answer, or the kernel's own when refused."""
    order = preorder(mapdb.roots[node.frame])
    old = entries(order)
    index = next(i for i, (n, _) in enumerate(order) if n is node)
    args = (old, index, rights, include_self)
    expected = flush_preorder(list(old), index, rights, include_self)
    answer = installed.ask("mapdb_flush", fn, args, lambda new: illegal(old, new))
    if answer is REFUSED or [tuple(e) for e in answer] == expected:
        own_flush([node], rights, include_self)  # the same outcome, by the kernel's own code
        return
    installed.differs("mapdb_flush", args, answer, expected)
    apply(mapdb, order, [tuple(e) for e in answer])


def apply(mapdb: Any, order: list[tuple[Mapping, int]], new: list[Entry]) -> None:
    """Change the tree from `order` to the (checked) entries `new`: rights, then removals."""
    kept = {(s, p): r for s, p, r, _ in new}
    for node, _ in order:
        rights = kept.get(node.name)
        if rights is not None and rights != node.rights:
            mapdb.set_rights(node, rights)
    for node, _ in reversed(order):
        if node.name not in kept:
            mapdb.remove_leaf(node)


# -- scenarios ----------------------------------------------------------------------------------


SPACES = ("A", "B", "C", "D", "E")


def operations(seed: int) -> list[tuple]:
    """Return a seeded sequence of map, grant and flush operations over a few frames that
    builds deep trees (grandchildren, siblings) and flushes them every way."""
    rng = random.Random(seed)
    held: list[tuple[str, int]] = []
    ops: list[tuple] = []
    frames = rng.sample(range(2, 12), 3)
    for frame in frames:
        space, page = rng.choice(SPACES), rng.randrange(16)
        ops.append(("map", "sigma0", frame, space, page, "rw"))
        held.append((space, page))
    for _ in range(rng.randrange(14, 20)):
        roll = rng.random()
        src = rng.choice(held)
        if roll < 0.65:
            dst = (rng.choice(SPACES), rng.randrange(16))
            verb = "grant" if roll < 0.1 else "map"
            ops.append((verb, *src, *dst, rng.choice(("rw", "rw", "r"))))
            held.append(dst)
        else:
            rights = rng.choice(("rw", "w"))
            ops.append(("flush", *src, rights, rng.random() < 0.3))
    return ops


def run(s: Any, seed: int) -> None:
    """Apply `operations(seed)` to `s`, one step each."""
    for op in operations(seed):
        run_one(s, op)


def run_one(s: Any, op: tuple) -> None:
    """Apply one operation to `s` (one the kernel refuses is skipped: it refuses it whatever
    the mechanism)."""
    from ..errors import KernelError

    try:
        if op[0] == "flush":
            s.flush(op[1], op[2], rights=op[3], include_self=op[4])
        else:
            getattr(s, op[0])(op[1], op[2], op[3], op[4], rights=op[5])
    except KernelError:
        pass


def build(seed: int, mechanisms: dict | None, system: Any) -> Any:
    """Return the System of scenario `seed`, its spaces created, with `mechanisms` installed."""
    s = system(machine="i486", frames=16, seed=seed, mechanisms=mechanisms)
    for name in SPACES:
        s.create_space(name)
    return s


def state(s: Any) -> dict:
    """Return every mapping outside σ0 as {(space, page): (frame, rights, parent)}."""
    out = {}
    for frame in range(s.frames):
        for node, _ in preorder(s.kernel.mapdb.roots[frame]):
            if node.parent is not None:
                out[node.name] = (frame, node.rights, node.parent.name)
    return out


def describe_op(op: tuple) -> str:
    """Return an operation of `operations` as the call a student would type."""
    if op[0] == "flush":
        extra = ", include_self=True" if op[4] else ""
        return f"s.flush({op[1]!r}, {op[2]}, rights={op[3]!r}{extra})"
    src = "s.sigma0" if op[1] == "sigma0" else repr(op[1])
    return f"s.{op[0]}({src}, {op[2]}, {op[3]!r}, {op[4]}, rights={op[5]!r})"

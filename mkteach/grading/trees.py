"""Check a predicted mapping tree against the kernel model, naming the misconception behind errors.

The right answer is what the kernel model (`System`) holds after the operations, computed when the
check runs. Misconceptions are recognised by replaying the same operations under *wrong rules*
(flush also removes the flusher's own mapping, grant behaves like map, ...) in a small reference
interpreter: when the student's tree agrees with a wrong rule where that rule and the kernel
disagree, the feedback names that rule. The interpreter with no wrong rule must agree with the
kernel; where it does not, misconceptions are not guessed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import KernelError
from ..system import System
from .feedback import Feedback, check_failed, finish
from .instances import SIGMA0, MemOp, apply_ops, as_op, instance, memory_ops

Key = tuple[str, int]

MISCONCEPTIONS: dict[str, str] = {
    "flush_self": "you removed the flusher's own mapping: flush keeps it (only L4 X.2's "
    "include_self=True removes the caller's mapping too)",
    "flush_direct_only": "you removed only the mappings made directly from the flushed page: "
    "flush also removes everything derived from those, indirectly",
    "flush_whole_frame": "you removed mappings that do not derive from the flushed page: flush "
    "touches only what was mapped from the flusher's page, not every mapping of the frame",
    "partial_flush_removes": 'a flush of rights "w" keeps the derived mappings and makes them '
    "read-only; you removed them",
    "grant_as_map": "you treated grant like map: after a grant the granter no longer holds the "
    "page, and the receiver takes the granter's place in the tree",
    "grant_drops_children": "you dropped what was derived from the granted page: grant moves the "
    "node with everything below it",
    "grant_keeps_rights": "a grant with fewer rights also reduces every mapping derived from the "
    "granted page: rights never widen down the tree",
    "replace_keeps_children": "mapping onto a page that is already mapped first flushes it: what "
    "was derived from the old mapping is gone too",
}

FLUSH_MISCONCEPTIONS = ("flush_self", "flush_direct_only", "flush_whole_frame")

FLUSH_BELIEFS: dict[str, str] = {
    "flush_self": "flush also removes the flusher's own mapping",
    "flush_direct_only": "flush removes only the mappings made directly from the flushed page",
    "flush_whole_frame": "flush removes every mapping of the frame except the flusher's",
    "nothing": "nothing: the drawing is right",
}


@dataclass
class Node:
    """A mapping in the reference interpreter: its parent, rights and frame."""

    parent: Key | None
    rights: str
    frame: int


class RefTree:
    """A small, independent interpreter of map/grant/flush that can follow wrong rules."""

    def __init__(self, mistakes: Iterable[str] = ()) -> None:
        self.mistakes = set(mistakes)
        self.nodes: dict[Key, Node] = {}

    def node(self, key: Key) -> Node | None:
        """Return the node at `key` (σ0's pages exist implicitly), or None."""
        if key[0] == SIGMA0:
            return Node(None, "rw", key[1])
        return self.nodes.get(key)

    def children(self, key: Key) -> list[Key]:
        """Return the keys derived directly from `key`, sorted."""
        return sorted(k for k, n in self.nodes.items() if n.parent == key)

    def below(self, key: Key) -> list[Key]:
        """Return every key derived from `key`, directly or indirectly."""
        out, stack = [], self.children(key)
        while stack:
            k = stack.pop()
            out.append(k)
            stack.extend(self.children(k))
        return out

    def remove(self, key: Key, with_subtree: bool = True) -> None:
        """Remove `key` (and what derives from it unless told otherwise)."""
        for k in [key] + (self.below(key) if with_subtree else []):
            self.nodes.pop(k, None)

    def apply(self, op: MemOp) -> None:
        """Perform one operation under this interpreter's rules."""
        for i in range(1 << op.order):
            if op.kind == "flush":
                self.flush((op.space, op.page + i), op.rights, op.include_self)
            else:
                self.transfer(op, (op.space, op.page + i), (op.dst, op.dst_page + i))  # type: ignore[arg-type]

    def transfer(self, op: MemOp, src: Key, dst: Key) -> None:
        """Map or grant `src` onto `dst`, replacing what `dst` held."""
        source = self.node(src)
        if source is None:
            return
        orphans = self.children(dst) if "replace_keeps_children" in self.mistakes else []
        self.remove(dst, with_subtree=not orphans)
        grant = op.kind == "grant" and "grant_as_map" not in self.mistakes
        if not grant:
            self.nodes[dst] = Node(src, op.rights, source.frame)
        else:
            if "grant_drops_children" in self.mistakes:
                for child in self.children(src):
                    self.remove(child)
            moved = self.nodes.pop(src)
            self.nodes[dst] = Node(moved.parent, op.rights, moved.frame)
            for node in self.nodes.values():
                if node.parent == src:
                    node.parent = dst
            if "grant_keeps_rights" not in self.mistakes:
                self.restrict(dst, op.rights)
        for orphan in orphans:
            if orphan in self.nodes:
                self.nodes[orphan].parent = dst

    def restrict(self, key: Key, rights: str) -> None:
        """Narrow everything derived from `key` to `rights`."""
        if rights == "r":
            for k in self.below(key):
                self.nodes[k].rights = "r"

    def flush(self, key: Key, rights: str, include_self: bool) -> None:
        """Flush `rights` from what derives from `key` (and from `key` when asked)."""
        node = self.node(key)
        if node is None:
            return
        mine = include_self or "flush_self" in self.mistakes
        if "flush_whole_frame" in self.mistakes:
            victims = [k for k, n in self.nodes.items() if n.frame == node.frame and k != key]
        elif "flush_direct_only" in self.mistakes:
            victims = self.children(key)
        else:
            victims = self.below(key)
        victims += [key] if mine and key[0] != SIGMA0 else []
        if rights == "w" and "partial_flush_removes" not in self.mistakes:
            for k in victims:
                self.nodes[k].rights = "r"
        else:
            for k in victims:
                self.nodes.pop(k, None)

    def answer(self) -> dict[Key, tuple[Key | None, str]]:
        """Return the tree as {(space, page): (parent, rights)}, σ0's roots left out."""
        return {k: (n.parent, n.rights) for k, n in sorted(self.nodes.items())}


def simulate(ops: Iterable[object], mistakes: Iterable[str] = ()) -> dict[Key, tuple[Any, str]]:
    """Return the mappings after `ops` under the reference rules (with `mistakes` applied)."""
    tree = RefTree(mistakes)
    for op in map(as_op, ops):
        tree.apply(op)
    return tree.answer()


def model_tree(s: System) -> dict[Key, tuple[Key | None, str]]:
    """Return every mapping outside σ0 in `s` as {(space, page): (parent, rights)}."""
    out: dict[Key, tuple[Key | None, str]] = {}
    for frame in range(s.frames):
        tree = s.mapping_tree(frame)
        for node, data in tree.nodes(data=True):
            if node[0] != SIGMA0:
                parents = list(tree.predecessors(node))
                out[node] = (parents[0] if parents else None, data["rights"])
    return dict(sorted(out.items()))


def wrong_tree(ops: Iterable[object], mistake: str) -> dict[Key, Key | None]:
    """Return the tree {(space, page): parent} someone who believes `mistake` would predict."""
    return {k: parent for k, (parent, _) in simulate(ops, [mistake]).items()}


# -- reading the student's answer -----------------------------------------------------------


def read_answer(answer: object) -> tuple[dict[Key, tuple[Any, str | None]], list[str]]:
    """Return the student's tree as {(space, page): (parent, rights or None)} and format errors."""
    if answer is None or answer is Ellipsis:
        return {}, ["no answer yet: fill in the tree"]
    if hasattr(answer, "nodes") and hasattr(answer, "predecessors"):
        return _from_graph(answer)
    if not isinstance(answer, Mapping):
        return {}, [
            "expected a dict {(space, page): parent} (parent a (space, page) or None) or a "
            f"networkx DiGraph, not a {type(answer).__name__}"
        ]
    out: dict[Key, tuple[Any, str | None]] = {}
    errors: list[str] = []
    for raw_key, raw_value in answer.items():
        key = _key(raw_key)
        if key is None:
            errors.append(f"{raw_key!r} is not a (space, page) pair")
            continue
        parent, rights = _value(raw_value)
        if parent is False:
            errors.append(f"the parent of {_show(key)} should be a (space, page) pair or None")
            continue
        if key[0] != SIGMA0:
            out[key] = (parent, rights)
    return out, errors


def _from_graph(graph: Any) -> tuple[dict[Key, tuple[Any, str | None]], list[str]]:
    """Return the tree of a networkx DiGraph whose edges run parent -> child."""
    out: dict[Key, tuple[Any, str | None]] = {}
    errors = []
    for raw in graph.nodes:
        key = _key(raw)
        if key is None:
            errors.append(f"graph node {raw!r} is not a (space, page) pair")
            continue
        parents = [_key(p) for p in graph.predecessors(raw)]
        if len(parents) > 1:
            errors.append(f"{_show(key)} has {len(parents)} parents: a mapping derives from one")
        rights = graph.nodes[raw].get("rights")
        if key[0] != SIGMA0:
            out[key] = (parents[0] if parents else None, rights)
    return out, errors


def _key(value: object) -> Key | None:
    """Return (space name, page) from a pair whose space is a name or a space object."""
    if isinstance(value, tuple | list) and len(value) == 2:
        space, page = getattr(value[0], "name", value[0]), value[1]
        if isinstance(space, str) and isinstance(page, int) and not isinstance(page, bool):
            return (space, page)
    return None


def _value(value: object) -> tuple[Any, str | None]:
    """Return (parent key or None, rights or None) from a parent, (parent, rights) or dict;
    parent False when the value cannot be read."""
    if isinstance(value, Mapping):
        parent, rights = value.get("parent"), value.get("rights")
    elif (
        isinstance(value, tuple | list)
        and len(value) == 2
        and isinstance(value[1], str)
        and (value[0] is None or isinstance(value[0], tuple | list))
    ):
        parent, rights = value
    else:
        parent, rights = value, None
    key = None if parent is None else _key(parent)
    if parent is not None and key is None:
        return False, None
    return key, rights if rights in ("r", "rw") else None


def _show(key: Key | None) -> str:
    """Return 'A:3' for ('A', 3)."""
    return "nothing" if key is None else f"{key[0]}:{key[1]}"


# -- the check ------------------------------------------------------------------------------


def check_mapping_tree(
    student_tree: object,
    system_or_ops: System | Iterable[object],
    *,
    points: float = 1.0,
    rights: bool | None = None,
    student_rights: Mapping[Any, str] | None = None,
    title: str = "mapping tree",
) -> Feedback:
    """Return feedback on a predicted mapping tree, with partial credit per mapping.

    `student_tree` is {(space, page): parent} (parent a (space, page), ("sigma0", frame) for a
    mapping made from σ0) or {(space, page): (parent, rights)}, or a networkx DiGraph with edges
    parent -> child (and optional node attribute "rights"). σ0's own pages may be left out.
    `system_or_ops` is a System after the operations, or the operations themselves (MemOps or
    tuples), which also lets the check name misconceptions. Rights are checked when `rights` is
    True, or when None and the answer gives rights; `student_rights` {(space, page): rights}
    gives them separately.
    """
    try:
        if student_rights is not None:
            student_tree = _with_rights(student_tree, student_rights)
        return _check_tree(student_tree, system_or_ops, points, rights, title)
    except Exception as e:  # a check never raises at the student
        return check_failed(e, points, title)


def _with_rights(tree: object, rights: Mapping[Any, str]) -> object:
    """Return a {(space, page): (parent, rights)} answer from a parent dict and a rights dict."""
    if not isinstance(tree, Mapping):
        return tree
    by_key = {_key(k): r for k, r in dict(rights).items()}
    return {k: (_value(v)[0], by_key.get(_key(k))) for k, v in tree.items()}


def _check_tree(
    answer: object, system_or_ops: object, points: float, rights: bool | None, title: str
) -> Feedback:
    """Score `answer` against the model; see check_mapping_tree."""
    ops = None if isinstance(system_or_ops, System) else [as_op(o) for o in system_or_ops]  # type: ignore[union-attr]
    s = system_or_ops if isinstance(system_or_ops, System) else apply_ops(ops or [])
    model = model_tree(s)
    student, errors = read_answer(answer)
    if errors and not student:
        return finish(0, points, errors, title)
    with_rights = any(r is not None for _, r in student.values()) if rights is None else rights
    score, possible, notes = score_tree(student, model, with_rights)
    messages = errors + structural_problems(student)
    if ops is not None and score < possible:
        messages += _misconceptions(student, model, ops, with_rights)
    messages += notes
    if score >= possible and not messages:
        messages.append(f"all {len(model)} mappings right" if model else "right: no mappings")
    return finish(points * score / possible if possible else points, points, messages, title)


def score_tree(
    student: dict[Key, tuple[Any, str | None]],
    model: dict[Key, tuple[Key | None, str]],
    with_rights: bool,
) -> tuple[float, float, list[str]]:
    """Return (credit, possible, notes): 1 per right mapping, 1/2 for a right mapping with the
    wrong parent or rights; mappings that should not exist count as possible with no credit."""
    credit = 0.0
    wrong_parent, wrong_rights, missing = [], [], 0
    for key, (parent, rights) in model.items():
        if key not in student:
            missing += 1
            continue
        s_parent, s_rights = student[key]
        parent_ok = s_parent == parent
        rights_ok = not with_rights or s_rights == rights
        credit += 1.0 if parent_ok and rights_ok else 0.5
        if not parent_ok:
            wrong_parent.append(_show(key))
        elif not rights_ok:
            wrong_rights.append(_show(key))
    extra = sorted(_show(k) for k in student if k not in model)
    possible = float(len(model) + len(extra)) or 1.0
    if not model and not student:
        credit = 1.0
    notes = []
    right = sum(1 for k in model if k in student and same_node(student[k], model[k], with_rights))
    if model:
        what = "parent and rights" if with_rights else "parent"
        notes.append(f"{right} of {len(model)} mappings right (their {what})")
    if wrong_parent:
        notes.append("wrong parent: " + ", ".join(wrong_parent))
    if wrong_rights:
        notes.append("wrong rights: " + ", ".join(wrong_rights))
    if extra:
        notes.append("should not exist: " + ", ".join(extra))
    if missing:
        notes.append(f"missing: {missing} mapping{'s' if missing > 1 else ''}")
    return credit, possible, notes


def structural_problems(student: dict[Key, tuple[Any, str | None]]) -> list[str]:
    """Return what is impossible in any mapping tree: dangling parents, cycles, widened rights."""
    problems = []
    for key, (parent, rights) in sorted(student.items()):
        if parent is None:
            problems.append(
                f"{_show(key)} has no parent: every mapping derives from σ0 (write "
                f'("{SIGMA0}", frame)) or from another mapping'
            )
        elif parent[0] != SIGMA0 and parent not in student:
            problems.append(
                f"{_show(key)} derives from {_show(parent)}, which is not in your tree: when a "
                "mapping goes, everything derived from it goes too"
            )
        elif rights == "rw" and parent[0] != SIGMA0 and student[parent][1] == "r":
            problems.append(
                f'rights never widen: {_show(key)} has "rw" but derives from {_show(parent)}, '
                'which has "r"'
            )
    for key in sorted(student):
        if _in_cycle(student, key):
            problems.append(f"{_show(key)} derives from itself: derivation trees have no cycles")
            break
    return problems


def _in_cycle(student: dict[Key, tuple[Any, str | None]], start: Key) -> bool:
    """Return True when following parents from `start` comes back to it."""
    seen, key = set(), student[start][0]
    while key is not None and key in student and key not in seen:
        if key == start:
            return True
        seen.add(key)
        key = student[key][0]
    return False


def _misconceptions(
    student: dict[Key, tuple[Any, str | None]],
    model: dict[Key, tuple[Key | None, str]],
    ops: list[MemOp],
    with_rights: bool,
) -> list[str]:
    """Return the messages of wrong rules the student's answer follows where the kernel differs."""
    if simulate(ops) != model or not student:
        return []  # the reference interpreter disagrees with the kernel: do not guess
    found = []
    for name, message in MISCONCEPTIONS.items():
        try:
            wrong = simulate(ops, [name])
        except (KernelError, KeyError):
            continue
        keys = set(wrong) | set(model) | set(student)
        differ = [k for k in keys if not same_node(wrong.get(k), model.get(k), with_rights)]
        common = [k for k in keys if k not in differ]
        if not differ:
            continue
        agree_wrong = sum(same_node(student.get(k), wrong.get(k), with_rights) for k in differ)
        agree_model = sum(same_node(student.get(k), model.get(k), with_rights) for k in differ)
        agree_rest = sum(same_node(student.get(k), model.get(k), with_rights) for k in common)
        if (
            agree_wrong > agree_model
            and 2 * agree_wrong >= len(differ)
            and 2 * agree_rest >= len(common)
        ):
            found.append((agree_wrong / len(differ), name, message))
    found.sort(key=lambda x: (-x[0], x[1]))
    return [message for _, _, message in found[:3]]


def same_node(student: tuple[Any, Any] | None, other: tuple[Any, Any] | None, rights: bool) -> bool:
    """Return True when a student's entry agrees with another tree's (both absent agrees)."""
    if student is None or other is None:
        return student is None and other is None
    return student[0] == other[0] and (not rights or student[1] == other[1])


def flush_drawing(seed: int | str) -> tuple[list[MemOp], dict[Key, Key | None]]:
    """Return the operations and the wrong drawing of `wrong_flush_instance` (not the mistake)."""
    ops, _, drawn = wrong_flush_instance(seed)
    return ops, drawn


def flush_removed(ops: list[object], mistake: str | None = None) -> int:
    """Return how many mappings the last operation (a flush) removes: in the kernel model, or
    under the wrong rule `mistake`."""
    if mistake is None:
        before, after = model_tree(apply_ops(ops[:-1])), model_tree(apply_ops(ops))
    else:
        before, after = simulate(ops[:-1], [mistake]), simulate(ops, [mistake])
    return len(before) - len(after)


def wrong_flush_instance(
    seed: int | str, question: str = "wrong-flush", names: Iterable[str] = FLUSH_MISCONCEPTIONS
) -> tuple[list[MemOp], str, dict[Key, Key | None]]:
    """Return (ops ending in a flush, a misconception, the tree someone holding it predicts):
    a seeded instance where that wrong tree differs from the model's."""

    rng = instance(seed, question)
    wanted = rng.choice(sorted(names))
    for attempt in range(200):
        ops = memory_ops(seed, f"{question}-{attempt}")
        right = {k: p for k, (p, _) in simulate(ops).items()}
        claimed = wrong_tree(ops, wanted)
        if claimed != right:
            return ops, wanted, claimed
    raise RuntimeError(
        "wrong_flush_instance: no instance shows a misconception"
    )  # pragma: no cover

"""Exercise 2 (address spaces): the paper's Figure 1, a granting example, on a seeded instance.

Two file systems f1 and f2 are pagers on top of the standard pager (σ0's pager); a pager F
combines them into one file system for its user A. f1 and f2 each *map* a page to F; F hands
each on to A, by *grant* or by *map* (which one is seeded, and at least one is a grant, as in the
paper). After a grant, A's mapping derives from f1's (or f2's) and F holds nothing of that frame;
after a map, A's mapping derives from F's, and F must keep track of it.

    ops = figure1_ops(seed)                      # the sequence, as MemOps on a fresh System
    check_removed(answer, seed, "f1")            # feedback on what f1's flush takes away

The model answers come from running the operations on a `System` (the kernel's own mapping
database), inside the checks: no function here returns a graded answer (issue 20), a student
runs the model with `apply_ops` and `model_tree`. The reference interpreter of
`mkteach.grading.trees` supplies what a student with a named misconception would answer.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from mkteach.grading.feedback import Feedback, check_failed, finish
from mkteach.grading.instances import SIGMA0, MemOp, apply_ops, instance
from mkteach.grading.trees import MISCONCEPTIONS, Key, model_tree, simulate

STANDARD, F1, F2, COMBINER, USER = "standard", "f1", "f2", "F", "A"
FLUSHERS = {
    "standard": "the standard pager flushes the page that backs f1's",
    "f1": "f1 flushes the page it mapped to F",
    "F": "F flushes the page it received from f1",
}
FRAMES = 16


def figure1_instance(seed: int | str) -> dict[str, Any]:
    """Return the seeded pages of Figure 1: for f1's and f2's frame, the page each space uses,
    and how F hands the page on to A ('grant' or 'map')."""
    rng = instance(seed, "figure1")
    frames = rng.sample(range(2, FRAMES), 2)
    pages = rng.sample(range(1, 64), 8)
    second = rng.choice(["grant", "map"])
    first = "grant" if second == "map" else rng.choice(["grant", "map"])
    return {
        F1: {"frame": frames[0], "standard": pages[0], F1: pages[1], COMBINER: pages[2],
             USER: pages[3], "handoff": first},
        F2: {"frame": frames[1], "standard": pages[4], F2: pages[5], COMBINER: pages[6],
             USER: pages[7], "handoff": second},
    }  # fmt: skip


def figure1_ops(seed: int | str) -> list[MemOp]:
    """Return the Figure 1 sequence for `seed`: σ0 maps to the standard pager, which maps to f1
    and f2; each maps its page to F; F grants or maps it to A."""
    ops: list[MemOp] = []
    for fs, p in figure1_instance(seed).items():
        ops.append(MemOp("map", SIGMA0, p["frame"], STANDARD, p["standard"]))
        ops.append(MemOp("map", STANDARD, p["standard"], fs, p[fs]))
        ops.append(MemOp("map", fs, p[fs], COMBINER, p[COMBINER]))
        ops.append(MemOp(p["handoff"], COMBINER, p[COMBINER], USER, p[USER]))
    return ops


def flush_by(seed: int | str, who: str) -> MemOp:
    """Return the flush `who` ('standard', 'f1' or 'F') makes of its page of f1's frame."""
    if who not in FLUSHERS:
        raise ValueError(f"who flushes is one of {', '.join(FLUSHERS)}, not {who!r}")
    p = figure1_instance(seed)[F1]
    return MemOp(
        "flush", who if who != "standard" else STANDARD, p[who if who != "F" else COMBINER]
    )


def believed_removed(ops: list[MemOp], flush: MemOp, mistake: str) -> set[Key]:
    """Return what someone who believes `mistake` (a MISCONCEPTIONS key) says `flush` removes."""
    before = simulate(ops, [mistake])
    after = simulate([*ops, flush], [mistake])
    return set(before) - set(after)


def counterfactual_ops(seed: int | str) -> list[MemOp]:
    """Return the sequence with F's hand-off of f1's page turned round: map for grant and
    grant for map."""
    p = figure1_instance(seed)[F1]
    swap = {"grant": "map", "map": "grant"}
    return [
        MemOp(swap[op.kind], op.space, op.page, op.dst, op.dst_page)
        if op.space == COMBINER and op.page == p[COMBINER]
        else op
        for op in figure1_ops(seed)
    ]


def read_nodes(answer: object) -> set[Key] | None:
    """Return an answer as a set of (space, page) pairs, or None when it is not one."""
    if not isinstance(answer, Iterable) or isinstance(answer, str | bytes | dict):
        return None
    out: set[Key] = set()
    for item in answer:
        if not isinstance(item, tuple | list) or len(item) != 2:
            return None
        space, page = item
        if not isinstance(space, str) or isinstance(page, bool) or not isinstance(page, int):
            return None
        out.add((space, page))
    return out


WRONG_FLUSH = ("flush_self", "flush_direct_only", "grant_as_map", "flush_whole_frame")


def check_removed(
    answer: object, seed: int | str, who: str, *, points: float = 1.0, title: str = ""
) -> Feedback:
    """Return feedback on which mappings `who`'s flush removes after the Figure 1 sequence."""
    try:
        return _check_removed(answer, seed, who, points, title)
    except Exception as e:  # a check never raises at the student
        return check_failed(e, points, title)


def _check_removed(
    answer: object, seed: int | str, who: str, points: float, title: str
) -> Feedback:
    """Score one flush answer; see check_removed."""
    nodes = read_nodes(answer)
    if nodes is None:
        return finish(0, points, ["give a set of (space, page) pairs, e.g. {('A', 5)}"], title)
    ops, flush = figure1_ops(seed), flush_by(seed, who)
    before = model_tree(apply_ops(ops, frames=FRAMES))  # the kernel model's trees
    right = set(before) - set(model_tree(apply_ops([*ops, flush], frames=FRAMES)))
    if nodes == right:
        return finish(points, points, ["right"], title)
    for mistake in WRONG_FLUSH:
        if nodes == believed_removed(ops, flush, mistake):
            return finish(0, points, [MISCONCEPTIONS[mistake]], title)
    if who == "F" and not right and nodes:
        return finish(0, points, [GRANTED_AWAY], title)
    extra, missing = sorted(nodes - right), sorted(right - nodes)
    words = [f"{len(right & nodes)} of {len(right)} right"] if right else []
    words += [f"not removed: {_show(extra)}"] if extra else []
    words += [f"also removed: {len(missing)} more"] if missing else []
    return finish(0, points, ["; ".join(words) or "not what the model says"], title)


GRANTED_AWAY = (
    "after a grant F holds nothing of that frame: its flush finds no page of its own and "
    "removes nothing (A's mapping derives from f1's)"
)


def _show(nodes: list[Key]) -> str:
    """Return nodes as 'A:5, F:3'."""
    return ", ".join(f"{s}:{p}" for s, p in nodes)


def check_holders(
    answer: object, seed: int | str, *, points: float = 1.0, title: str = ""
) -> Feedback:
    """Return feedback on which spaces would hold f1's frame had F's hand-off been turned round."""
    try:
        if not isinstance(answer, set | frozenset | list | tuple) or not all(
            isinstance(x, str) for x in answer
        ):
            return finish(0, points, ["give a set of space names, e.g. {'f1', 'A'}"], title)
        frame = figure1_instance(seed)[F1]["frame"]
        trees = [apply_ops(ops, frames=FRAMES).mapping_tree(frame)
                 for ops in (counterfactual_ops(seed), figure1_ops(seed))]  # fmt: skip
        right, now = ({space for space, _ in tree.nodes if space != SIGMA0} for tree in trees)
        given = set(answer) - {SIGMA0}
        if given == right:
            return finish(points, points, ["right"], title)
        if given == now:
            return finish(0, points, ["that is who holds it now: turn F's hand-off round"], title)
        return finish(0, points, ["not what the model says"], title)
    except Exception as e:
        return check_failed(e, points, title)

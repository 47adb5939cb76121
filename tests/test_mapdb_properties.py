"""Random map / grant / flush sequences against a small reference model of the mapping database.

Four tasks A, B, C, D and σ0 pass the 8 frames of a small machine around at random, with valid
and invalid requests mixed: pages 0..9 (σ0 holds only 0..7), fpages of order 0 or 1, rights that
are sometimes invalid, flushes with and without the flusher's own mapping. A plain-dict model
(node -> frame, rights, parent) says what each request should do; after every rule the kernel
must agree with it, keep its invariants, and replay its trace to the same state. A refused
request must raise a `KernelError` the model also expects and change nothing at all.
"""

from __future__ import annotations

import hypothesis.strategies as st
from hypothesis import settings
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from mkteach import KernelError, System
from mkteach.errors import (
    AlignmentError,
    InvalidArgument,
    MappingConflict,
    NotMapped,
    RightsError,
    Sigma0Error,
)

FRAMES = 8
TASKS = ("A", "B", "C", "D")
SPACES = ("sigma0", *TASKS)
PAGES = range(10)  # pages 8 and 9 are beyond σ0's memory

spaces = st.sampled_from(SPACES)
pages = st.integers(min(PAGES), max(PAGES))
orders = st.integers(0, 1)
rights = st.sampled_from(("r", "rw", "r", "rw", "w"))  # "w" alone is not a right
flush_rights = st.sampled_from(("w", "rw", "w", "rw", "r"))  # revoking "r" is refused

Key = tuple[str, int]
Node = tuple[int, str, Key | None]  # frame, rights, parent


# -- the reference model: a dict of nodes, nothing clever ----------------------------------


def children(nodes: dict[Key, Node], key: Key) -> list[Key]:
    """Return the keys of the nodes whose parent is `key`."""
    return [k for k, (_, _, parent) in nodes.items() if parent == key]


def subtree(nodes: dict[Key, Node], key: Key) -> list[Key]:
    """Return `key` and every key derived from it."""
    out = [key]
    for child in children(nodes, key):
        out.extend(subtree(nodes, child))
    return out


def ancestors(nodes: dict[Key, Node], key: Key) -> list[Key]:
    """Return `key` and its ancestors up to σ0's root."""
    out = []
    while key is not None:
        out.append(key)
        key = nodes[key][2]
    return out


def remove(nodes: dict[Key, Node], key: Key) -> None:
    """Remove `key` and everything derived from it."""
    for k in subtree(nodes, key):
        del nodes[k]


def narrow(nodes: dict[Key, Node], key: Key) -> None:
    """Make `key` read-only."""
    frame, _, parent = nodes[key]
    nodes[key] = (frame, "r", parent)


def model_transfer(nodes, src, sp, dst, dp, want, order, grant):
    """Return (errors the kernel may raise, nodes after the request when there are none)."""
    errors: set[type[KernelError]] = set()
    size = 1 << order
    if want not in ("r", "rw"):
        errors.add(InvalidArgument)
    if sp % size or dp % size:
        errors.add(AlignmentError)
    if dst == "sigma0" or (grant and src == "sigma0"):
        errors.add(Sigma0Error)
    sources = []
    for i in range(size):
        key = (src, sp + i)
        if key not in nodes:
            errors.add(NotMapped)
        elif want == "rw" and nodes[key][1] == "r":
            errors.add(RightsError)
        else:
            sources.append(key)
    replaced = {(dst, dp + i) for i in range(size)} & nodes.keys()
    if any(set(ancestors(nodes, key)) & replaced for key in sources):
        errors.add(MappingConflict)
    if errors:
        return errors, nodes
    nodes = dict(nodes)
    for i, key in enumerate(sources):
        target = (dst, dp + i)
        if target in nodes:
            remove(nodes, target)
        if grant:  # the node is rewritten in place: its children now hang below `target`
            frame, _, parent = nodes.pop(key)
            nodes[target] = (frame, want, parent)
            for k, (f, r, p) in list(nodes.items()):
                if p == key:
                    nodes[k] = (f, r, target)
            if want == "r":
                for k in subtree(nodes, target):
                    narrow(nodes, k)
        else:
            nodes[target] = (nodes[key][0], want, key)
    return errors, nodes


def model_flush(nodes, space, page, revoke, order, include_self):
    """Return (errors the kernel may raise, nodes after the flush when there are none)."""
    errors: set[type[KernelError]] = set()
    if revoke not in ("w", "rw"):
        errors |= {RightsError, InvalidArgument}
    if page % (1 << order):
        errors.add(AlignmentError)
    if include_self and space == "sigma0":
        errors.add(Sigma0Error)
    if errors:
        return errors, nodes
    nodes = dict(nodes)
    for i in range(1 << order):
        key = (space, page + i)
        if key not in nodes:  # not held, or derived from an earlier page and gone already
            continue
        if revoke == "w":
            for k in subtree(nodes, key):
                if k != key or include_self:
                    narrow(nodes, k)
        elif include_self:
            remove(nodes, key)
        else:
            for child in children(nodes, key):
                remove(nodes, child)
    return errors, nodes


def as_mappings(nodes: dict[Key, Node]) -> list[tuple[str, int, int, str]]:
    """Return the model's mappings outside σ0 the way `Snapshot.mappings` lists them."""
    return sorted((s, p, f, r) for (s, p), (f, r, _) in nodes.items() if s != "sigma0")


def kernel_nodes(s: System) -> dict[Key, Node]:
    """Return every node of every frame's tree, read through `s.mapping_tree`."""
    out = {}
    for frame in range(s.frames):
        tree = s.mapping_tree(frame)
        for node, r in tree.nodes(data="rights"):
            parents = list(tree.predecessors(node))
            out[node] = (frame, r, parents[0] if parents else None)
    return out


def tree_edges(tree) -> tuple[list, list]:
    """Return a tree's nodes with rights and its edges, sorted: comparable across graphs."""
    return sorted(tree.nodes(data="rights")), sorted(tree.edges)


# -- the state machine --------------------------------------------------------------------


class MappingDatabaseMachine(RuleBasedStateMachine):
    """σ0 and four tasks map, grant and flush at random; the model says what must happen."""

    def __init__(self) -> None:
        super().__init__()
        self.s = System(frames=FRAMES)
        for name in TASKS:
            self.s.create_space(name)
        self.nodes: dict[Key, Node] = {("sigma0", f): (f, "rw", None) for f in range(FRAMES)}
        # history[k]: the mappings after step k (the four create_space steps map nothing)
        self.history: list[list] = [[] for _ in TASKS]

    def held(self) -> list[Key]:
        """Return the (task, page) pairs the tasks hold now, sorted."""
        return sorted(k for k in self.nodes if k[0] != "sigma0")

    def everything(self) -> tuple:
        """Return all state a refused request must leave alone."""
        s = self.s
        trees = tuple(tree_edges(s.mapping_tree(f)) for f in range(s.frames))
        looked = tuple(s.lookup(n, p) for n in SPACES for p in PAGES)
        return trees, looked, len(s.trace), s.steps, s.cycles

    def attempt(self, expected, after, call, *args, **kw) -> None:
        """Make the request; check it failed exactly when the model says, or moved on with it."""
        before = self.everything()
        try:
            call(*args, **kw)
        except KernelError as e:
            assert expected, f"refused a valid request: {e}"
            assert isinstance(e, tuple(expected)), (type(e), expected, str(e))
            assert str(e), "an error needs a message"
            assert self.everything() == before, "a refused request changed the state"
            return
        assert not expected, f"accepted an invalid request (expected {expected})"
        self.nodes = after
        self.history.append(as_mappings(after))
        assert len(self.history) == self.s.steps

    @rule(src=spaces, sp=pages, dst=spaces, dp=pages, want=rights, order=orders)
    def map(self, src, sp, dst, dp, want, order):
        """Any space asks to map any page anywhere: often invalid, and then nothing changes."""
        expected, after = model_transfer(self.nodes, src, sp, dst, dp, want, order, False)
        self.attempt(expected, after, self.s.map, src, sp, dst, dp, rights=want, order=order)

    @rule(src=spaces, sp=pages, dst=spaces, dp=pages, want=rights, order=orders)
    def grant(self, src, sp, dst, dp, want, order):
        """Any space asks to grant any page anywhere (σ0 never may)."""
        expected, after = model_transfer(self.nodes, src, sp, dst, dp, want, order, True)
        self.attempt(expected, after, self.s.grant, src, sp, dst, dp, rights=want, order=order)

    @rule(space=spaces, page=pages, revoke=flush_rights, order=orders, include_self=st.booleans())
    def flush(self, space, page, revoke, order, include_self):
        """Any space flushes any fpage, held or not (pages it does not hold are skipped)."""
        expected, after = model_flush(self.nodes, space, page, revoke, order, include_self)
        self.attempt(
            expected,
            after,
            self.s.flush,
            space,
            page,
            rights=revoke,
            order=order,
            include_self=include_self,
        )

    @rule(task=st.sampled_from(TASKS), page=st.integers(0, 3), order=orders)
    def map_from_sigma0(self, task, page, order):
        """Feed the tasks: σ0 maps an aligned fpage of its frames (valid unless a conflict)."""
        base = page - page % (1 << order)
        self.map("sigma0", base, task, base + 4, "rw", order)

    @rule(
        data=st.data(),
        dst=st.sampled_from((None, None, *SPACES)),
        dp=st.integers(0, 7),
        want=rights,
        order=orders,
        grant=st.booleans(),
    )
    @precondition(lambda self: self.held())
    def pass_on_a_held_page(self, data, dst, dp, want, order, grant):
        """Some task passes on a page it holds, often to another page of its own (None)."""
        src, sp = data.draw(st.sampled_from(self.held()))
        sp -= sp % (1 << order)
        dst = src if dst is None else dst
        (self.grant if grant else self.map)(src, sp, dst, dp - dp % (1 << order), want, order)

    @rule(data=st.data(), dp=st.one_of(st.none(), st.integers(0, 7)), want=rights)
    @precondition(lambda self: self.held())
    def map_to_itself(self, data, dp, want):
        """A task maps one of its pages to another of its own (None: to the page's neighbour in
        its order-1 fpage), so that pages of one fpage derive from each other."""
        space, page = data.draw(st.sampled_from(self.held()))
        self.map(space, page, space, page ^ 1 if dp is None else dp, want, 0)

    @rule(data=st.data(), revoke=flush_rights, order=orders, include_self=st.booleans())
    @precondition(lambda self: self.held())
    def flush_a_held_page(self, data, revoke, order, include_self):
        """Some task flushes an aligned fpage around a page it holds."""
        space, page = data.draw(st.sampled_from(self.held()))
        self.flush(space, page - page % (1 << order), revoke, order, include_self)

    @precondition(lambda self: self.s.steps > 0)
    @rule(pick=st.integers(min_value=0))
    def step_back_and_forth(self, pick):
        """Look at an earlier step, then come back: both states are exact."""
        s = self.s
        k = pick % (s.steps + 1) - 1  # -1 .. steps-1
        past = s.state_at(k).mappings()
        assert past == ([] if k < 0 else self.history[k])
        now = s.state_at(s.steps - 1)
        assert now.mappings() == as_mappings(self.nodes)
        for frame in range(s.frames):
            assert tree_edges(now.mapping_tree(frame)) == tree_edges(s.mapping_tree(frame))

    @invariant()
    def kernel_agrees_with_the_model(self):
        """Invariants hold, and trees and lookups are exactly the model's."""
        s = self.s
        s.check_invariants()
        assert kernel_nodes(s) == self.nodes
        for name in SPACES:
            for page in PAGES:
                found = s.lookup(name, page)
                node = self.nodes.get((name, page))
                if node is None:
                    assert found is None
                else:
                    assert (found.frame, found.rights) == node[:2]

    @invariant()
    def the_replay_of_the_last_step_is_the_live_state(self):
        """Replaying the trace up to the last step rebuilds the live mappings."""
        assert self.s.state_at(self.s.steps - 1).mappings() == as_mappings(self.nodes)


MappingDatabaseMachine.TestCase.settings = settings(
    max_examples=60, stateful_step_count=30, deadline=None
)
test_mapping_database = MappingDatabaseMachine.TestCase

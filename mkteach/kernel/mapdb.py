"""Address spaces and the mapping database: one derivation tree per frame, rooted at σ0.

Each mapping is a node (space, page) -> frame with rights. A node made by `map` is a child of the
node it was mapped from; `grant` rewrites the granter's node in place; `flush` removes (or makes
read-only) everything below a node. Each space also has a page table (page -> node) so lookups
are direct. The tree and the page tables always agree; `check_invariants` says so.

All changes go through four public primitives (`insert`, `remove_leaf`, `set_rights`, `move`),
each of which records a delta in the journal; the public operations check first, then call them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..errors import MappingConflict, NotMapped, RightsError, Sigma0Error
from . import deltas as d
from .fpage import check_include_self, check_order, check_page, check_rights, wider_than

if TYPE_CHECKING:
    import networkx as nx

SIGMA0 = "sigma0"


@dataclass(eq=False)
class AddressSpace:
    """A task's address space: its name, id, chief (clan) and page table (page -> Mapping)."""

    name: str
    id: int
    chief: AddressSpace | None = None
    pages: dict[int, Mapping] = field(default_factory=dict, repr=False)

    def __repr__(self) -> str:
        return f"<space {self.name}>"


@dataclass(eq=False)
class Mapping:
    """One node of a frame's derivation tree: `space` maps `page` to `frame` with `rights`."""

    space: AddressSpace
    page: int
    frame: int
    rights: str
    parent: Mapping | None = None
    children: dict[tuple[int, int], Mapping] = field(default_factory=dict, repr=False)

    @property
    def key(self) -> tuple[int, int]:
        """Return (space id, page): unique among the nodes of one system."""
        return (self.space.id, self.page)

    @property
    def name(self) -> d.Key:
        """Return (space name, page), the node's name in graphs and deltas."""
        return (self.space.name, self.page)

    def subtree(self) -> Iterator[Mapping]:
        """Yield this node and all nodes derived from it, parents before children."""
        stack = [self]
        while stack:
            node = stack.pop()
            yield node
            stack.extend(reversed(node.children.values()))

    def derives_from(self, ancestors: set[int]) -> bool:
        """Return True when this node or one of its ancestors has its id() in `ancestors`."""
        node: Mapping | None = self
        while node is not None:
            if id(node) in ancestors:
                return True
            node = node.parent
        return False


@dataclass(frozen=True)
class Lookup:
    """What `lookup` returns: the frame a page maps to and the rights ("r" or "rw")."""

    frame: int
    rights: str


class MappingDatabase:
    """The frames' derivation trees and every space's page table, changed by primitives only."""

    def __init__(self, record: Callable[[d.Delta], None]) -> None:
        self.record = record
        self.roots: dict[int, Mapping] = {}

    # -- primitives: the only code that changes trees and page tables -------------------------

    def insert(
        self, space: AddressSpace, page: int, frame: int, rights: str, parent: Mapping | None
    ) -> Mapping:
        """Add a leaf node below `parent` (or a root when None) and enter it in the page table."""
        node = Mapping(space, page, frame, rights, parent)
        if parent is None:
            self.roots[frame] = node
        else:
            parent.children[node.key] = node
        space.pages[page] = node
        self.record(d.Mapped(space.name, page, frame, rights, parent.name if parent else None))
        return node

    def remove_leaf(self, node: Mapping) -> None:
        """Remove a node without children from its tree and its page table."""
        if node.children:
            raise AssertionError("remove_leaf: node still has children")
        if node.parent is None:
            del self.roots[node.frame]
        else:
            del node.parent.children[node.key]
        del node.space.pages[node.page]
        parent = node.parent.name if node.parent else None
        self.record(d.Unmapped(node.space.name, node.page, node.frame, node.rights, parent))

    def set_rights(self, node: Mapping, rights: str) -> None:
        """Change a node's rights (the kernel only narrows them)."""
        if rights != node.rights:
            self.record(d.RightsChanged(node.space.name, node.page, node.rights, rights))
            node.rights = rights

    def move(self, node: Mapping, space: AddressSpace, page: int, rights: str) -> None:
        """Rewrite `node` in place to belong to (space, page): the tree around it is unchanged."""
        old = node.name
        old_rights = node.rights
        del node.space.pages[node.page]
        if node.parent is not None:
            del node.parent.children[node.key]
        node.space, node.page, node.rights = space, page, rights
        if node.parent is not None:
            node.parent.children[node.key] = node
        space.pages[page] = node
        self.record(d.Moved(old[0], old[1], space.name, page, old_rights, rights))

    # -- composite changes built from primitives ----------------------------------------------

    def remove_subtree(self, node: Mapping) -> int:
        """Remove `node` and everything derived from it, children first; return how many."""
        doomed = list(node.subtree())
        for victim in reversed(doomed):
            self.remove_leaf(victim)
        return len(doomed)

    def restrict_subtree(self, node: Mapping, rights: str, include_self: bool) -> None:
        """Narrow to `rights` every node derived from `node` (and `node` itself if asked)."""
        for victim in node.subtree():
            if (victim is not node or include_self) and wider_than(victim.rights, rights):
                self.set_rights(victim, rights)

    def add_root(self, sigma0: AddressSpace, frame: int) -> None:
        """Give σ0 the identity mapping page `frame` -> `frame`, the root of the frame's tree."""
        self.insert(sigma0, frame, frame, "rw", None)

    # -- map, grant, flush: check first, then act ----------------------------------------------

    def check_transfer(
        self,
        src: AddressSpace,
        src_page: int,
        dst: AddressSpace,
        dst_page: int,
        rights: str,
        order: int,
        grant: bool,
    ) -> list[Mapping]:
        """Return the source nodes of a valid map/grant; raise a KernelError if it is invalid."""
        verb = "grant" if grant else "map"
        check_rights(rights)
        check_order(order)
        check_page(src_page, order, "source page")
        check_page(dst_page, order, "destination page")
        if dst.name == SIGMA0:
            raise Sigma0Error(
                f"cannot {verb} into sigma0: sigma0 is physical memory and receives no mappings"
            )
        if grant and src.name == SIGMA0:
            raise Sigma0Error(
                "sigma0 never grants (it would lose physical memory): map from sigma0 instead"
            )
        sources = [self._held(src, src_page + i, rights, verb) for i in range(1 << order)]
        replaced = {id(n) for i in range(1 << order) if (n := dst.pages.get(dst_page + i))}
        for node in sources:
            if replaced and node.derives_from(replaced):
                raise MappingConflict(
                    f"cannot {verb} {src.name} page {node.page} onto {dst.name} page "
                    f"{dst_page}..: {dst.name}'s mapping there would be flushed first, and "
                    f"{src.name}'s page is (derived from) that mapping; pick another "
                    "destination page"
                )
        return sources

    def _held(self, space: AddressSpace, page: int, rights: str, verb: str) -> Mapping:
        """Return space's node for `page` if it holds at least `rights`; raise otherwise."""
        node = space.pages.get(page)
        if node is None:
            fix = (
                f"sigma0 has one page per physical frame, and there is no frame {page}"
                if space.name == SIGMA0
                else f"map it into {space.name} first"
            )
            raise NotMapped(
                f"{space.name} does not hold page {page}, so it cannot {verb} it: only pages a "
                f"space can access can be mapped or granted ({fix})"
            )
        if wider_than(rights, node.rights):
            raise RightsError(
                f'{space.name} holds page {page} with rights "{node.rights}", so it cannot '
                f'{verb} it with "{rights}": rights never widen (ask for "{node.rights}")'
            )
        return node

    def transfer(
        self,
        sources: list[Mapping],
        dst: AddressSpace,
        dst_page: int,
        rights: str,
        grant: bool,
    ) -> None:
        """Map (or grant) checked `sources` onto dst's pages from dst_page, replacing old ones."""
        for i, node in enumerate(sources):
            page = dst_page + i
            old = dst.pages.get(page)
            if old is not None:
                self.remove_subtree(old)
            if grant:
                self.move(node, dst, page, rights)
                self.restrict_subtree(node, rights, include_self=False)
            else:
                self.insert(dst, page, node.frame, rights, node)

    def check_flush(
        self, space: AddressSpace, page: int, rights: str, order: int, include_self: bool
    ) -> list[Mapping]:
        """Return the held nodes a valid flush touches; raise a KernelError if it is invalid."""
        check_order(order)
        check_page(page, order)
        check_include_self(include_self)
        if rights not in ("w", "rw"):
            raise RightsError(
                f'flush revokes "w" (make read-only) or "rw" (remove), not {rights!r}'
                + ('; revoking "r" also revokes "w", so use "rw"' if rights == "r" else "")
            )
        if include_self and space.name == SIGMA0:
            raise Sigma0Error(
                "sigma0 cannot flush its own pages (include_self=True): it is physical memory; "
                "flush without include_self to revoke what was mapped from it"
            )
        return [n for i in range(1 << order) if (n := space.pages.get(page + i)) is not None]

    def flush(self, nodes: list[Mapping], rights: str, include_self: bool) -> None:
        """Revoke `rights` from everything derived from `nodes` (and the nodes if include_self)."""
        for node in nodes:
            if node.space.pages.get(node.page) is not node:
                continue  # derived from an earlier page of the fpage: flushed with it already
            if rights == "w":
                self.restrict_subtree(node, "r", include_self)
            elif include_self:
                self.remove_subtree(node)
            else:
                for child in list(node.children.values()):
                    self.remove_subtree(child)

    # -- invariants -----------------------------------------------------------------------------

    def check_invariants(self, spaces: list[AddressSpace], sigma0: AddressSpace) -> None:
        """Return None when trees and page tables agree; raise AssertionError naming the break."""
        in_trees: set[int] = set()
        for frame, root in self.roots.items():
            _require(root.space is sigma0, f"root of frame {frame} is not sigma0's")
            _require(root.page == frame, f"sigma0 maps page {root.page} to frame {frame}")
            for node in root.subtree():
                _require(id(node) not in in_trees, "cycle: a node is reached twice")
                in_trees.add(id(node))
                _check_node(node, frame)
        in_tables = 0
        for space in spaces:
            for page, node in space.pages.items():
                in_tables += 1
                _require(node.space is space and node.page == page, "page table entry mismatch")
                _require(id(node) in in_trees, f"{space.name} page {page} has no chain to sigma0")
        _require(in_tables == len(in_trees), "a tree node is missing from its page table")


def _check_node(node: Mapping, frame: int) -> None:
    """Raise AssertionError when `node` disagrees with its parent or its frame's tree."""
    _require(node.frame == frame, f"{node.name} is in frame {frame}'s tree but maps {node.frame}")
    for child in node.children.values():
        _require(child.parent is node, f"{child.name}'s parent link is wrong")
        _require(
            not wider_than(child.rights, node.rights),
            f"rights: {child.name} has wider rights than its parent {node.name}",
        )


def _require(condition: bool, message: str) -> None:
    """Raise AssertionError with `message` when `condition` is false."""
    if not condition:
        raise AssertionError(f"invariant broken: {message}")


def derivation_graph(root: Mapping) -> nx.DiGraph:
    """Return the tree below `root` as a networkx DiGraph of (space, page) nodes with rights."""
    import networkx as nx

    graph = nx.DiGraph()
    for node in root.subtree():
        graph.add_node(node.name, rights=node.rights, frame=node.frame)
        if node.parent is not None:
            graph.add_edge(node.parent.name, node.name)
    return graph

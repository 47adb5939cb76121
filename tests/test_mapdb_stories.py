"""Stories of the mapping database: pages passed around between address spaces.

In the style of Fiasco's mapdb test ("a grandfather, father and son pass a page around"): each
test builds a few spaces, maps, grants and flushes pages between them, and checks lookups, the
frame's derivation tree (`s.mapping_tree`), the kernel's invariants and the replayed state.
Every invalid request must raise a `KernelError` subclass with a helpful message and leave the
state exactly as it was (no mapping, no rights, no trace event changed).
"""

from __future__ import annotations

import networkx as nx
import pytest

from mkteach import KernelError, System
from mkteach.errors import (
    AlignmentError,
    InvalidArgument,
    MappingConflict,
    NotMapped,
    RightsError,
    Sigma0Error,
    UnknownSpace,
)

# -- helpers ----------------------------------------------------------------------------------


def tree_dump(s: System, frame: int) -> tuple[list, list]:
    """Return frame's derivation tree as sorted (node, rights) pairs and sorted edges."""
    tree = s.mapping_tree(frame)
    nodes = sorted((node, data["rights"]) for node, data in tree.nodes(data=True))
    return nodes, sorted(tree.edges)


def live_mappings(s: System) -> list[tuple[str, int, int, str]]:
    """Return every mapping outside σ0 as (space, page, frame, rights), read through the API."""
    out = []
    for frame in range(s.frames):
        for (space, page), data in s.mapping_tree(frame).nodes(data=True):
            if space != s.sigma0.name:
                found = s.lookup(space, page)
                assert (found.frame, found.rights) == (frame, data["rights"])
                out.append((space, page, frame, data["rights"]))
    return sorted(out)


def everything(s: System) -> tuple:
    """Return all state an invalid request must not change: trees, trace, steps, clock."""
    trees = tuple(tree_dump(s, frame) for frame in range(s.frames))
    return trees, len(s.trace), s.steps, s.cycles, sorted(s.spaces)


def settled(s: System) -> None:
    """Check the invariants and that replaying the trace gives the live mappings."""
    s.check_invariants()
    assert s.state_at(s.steps - 1).mappings() == live_mappings(s)


def refused(s: System, error: type[KernelError], words: tuple[str, ...], call, *args, **kw):
    """Assert that `call(*args, **kw)` raises `error` (a KernelError) whose message contains
    one of `words`, and changes nothing at all; return the error's message."""
    assert issubclass(error, KernelError)
    before = everything(s)
    with pytest.raises(error) as caught:
        call(*args, **kw)
    assert isinstance(caught.value, KernelError)
    message = str(caught.value)
    assert any(w.lower() in message.lower() for w in words), message
    assert everything(s) == before
    settled(s)
    return message


def family(frames: int = 16):
    """Return a system with a grandfather, a father and a son, and the frame they pass around.

    σ0 maps frame 3 to the grandfather's page 10, who maps it to the father's page 20, who maps
    it to the son's page 30: a chain σ0 -> grandfather -> father -> son.
    """
    s = System(frames=frames)
    gf, fa, son = s.create_space("grandfather"), s.create_space("father"), s.create_space("son")
    s.map(s.sigma0, 3, gf, 10)
    s.map(gf, 10, fa, 20)
    s.map(fa, 20, son, 30)
    return s, gf, fa, son


def where(s: System, space, page: int) -> tuple[int, str] | None:
    """Return (frame, rights) of space's page, or None when unmapped."""
    found = s.lookup(space, page)
    return None if found is None else (found.frame, found.rights)


# -- the family passes a page around ------------------------------------------------------


def test_grandfather_father_and_son_share_one_frame_along_a_chain():
    s, gf, fa, son = family()
    assert where(s, gf, 10) == where(s, fa, 20) == where(s, son, 30) == (3, "rw")
    assert tree_dump(s, 3)[1] == [
        (("father", 20), ("son", 30)),
        (("grandfather", 10), ("father", 20)),
        (("sigma0", 3), ("grandfather", 10)),
    ]
    settled(s)


def test_a_flush_by_the_father_takes_the_page_from_the_son_only():
    s, gf, fa, son = family()
    s.flush(fa, 20)
    assert where(s, son, 30) is None
    assert where(s, fa, 20) == (3, "rw")  # the flusher keeps its own mapping
    assert where(s, gf, 10) == (3, "rw")
    assert tree_dump(s, 3)[1] == [
        (("grandfather", 10), ("father", 20)),
        (("sigma0", 3), ("grandfather", 10)),
    ]
    settled(s)


def test_a_flush_by_the_grandfather_takes_it_from_father_and_son():
    s, gf, fa, son = family()
    s.flush(gf, 10)
    assert where(s, son, 30) is None and where(s, fa, 20) is None
    assert where(s, gf, 10) == (3, "rw")
    assert tree_dump(s, 3)[1] == [(("sigma0", 3), ("grandfather", 10))]
    settled(s)


def test_a_flush_by_sigma0_empties_the_tree_but_sigma0_keeps_its_frame():
    s, gf, fa, son = family()
    s.flush(s.sigma0, 3)
    assert [where(s, x, p) for x, p in ((gf, 10), (fa, 20), (son, 30))] == [None] * 3
    assert where(s, s.sigma0, 3) == (3, "rw")
    assert tree_dump(s, 3) == ([(("sigma0", 3), "rw")], [])
    settled(s)


def test_a_flush_by_one_son_leaves_his_brother_alone():
    """The father maps the page to two sons; the elder maps it on to a grandson."""
    s, gf, fa, son = family()
    brother, grandson = s.create_space("brother"), s.create_space("grandson")
    s.map(fa, 20, brother, 31)
    s.map(son, 30, grandson, 40)
    s.flush(son, 30)
    assert where(s, grandson, 40) is None
    assert where(s, son, 30) == where(s, brother, 31) == (3, "rw")
    s.flush(brother, 31, include_self=True)
    assert where(s, brother, 31) is None and where(s, son, 30) == (3, "rw")
    settled(s)


def test_the_family_passes_the_page_around_again_after_a_flush():
    s, gf, fa, son = family()
    s.flush(gf, 10)
    s.map(gf, 10, fa, 20)
    s.map(fa, 20, son, 30)
    assert where(s, son, 30) == (3, "rw")
    assert len(tree_dump(s, 3)[1]) == 3
    settled(s)


def test_a_partial_flush_makes_derived_mappings_read_only_and_keeps_them():
    s, gf, fa, son = family()
    s.flush(fa, 20, rights="w")
    assert where(s, son, 30) == (3, "r")
    assert where(s, fa, 20) == (3, "rw") and where(s, gf, 10) == (3, "rw")
    s.flush(gf, 10, rights="w")
    assert where(s, fa, 20) == where(s, son, 30) == (3, "r")
    assert where(s, gf, 10) == (3, "rw")
    assert len(tree_dump(s, 3)[1]) == 3  # nobody lost the page, only the right to write
    # the read-only father can no longer hand out write access
    refused(s, RightsError, ("widen",), s.map, fa, 20, son, 31, rights="rw")
    s.map(fa, 20, son, 31, rights="r")
    assert where(s, son, 31) == (3, "r")
    settled(s)


def test_a_partial_flush_with_include_self_also_makes_the_flusher_read_only():
    s, gf, fa, son = family()
    s.flush(fa, 20, rights="w", include_self=True)
    assert where(s, fa, 20) == where(s, son, 30) == (3, "r")
    assert where(s, gf, 10) == (3, "rw")
    settled(s)


def test_a_flush_with_include_self_also_removes_the_flushers_own_mapping():
    s, gf, fa, son = family()
    s.flush(fa, 20, include_self=True)
    assert where(s, fa, 20) is None and where(s, son, 30) is None
    assert where(s, gf, 10) == (3, "rw")
    assert tree_dump(s, 3)[1] == [(("sigma0", 3), ("grandfather", 10))]
    settled(s)


# -- grant ----------------------------------------------------------------------------------


def test_a_grant_rewrites_the_node_in_place_and_the_children_follow():
    """The father grants his page to the uncle: the son's mapping now hangs below the uncle."""
    s, gf, fa, son = family()
    uncle = s.create_space("uncle")
    s.grant(fa, 20, uncle, 25)
    assert where(s, fa, 20) is None  # the granter loses the page
    assert where(s, uncle, 25) == (3, "rw")
    assert where(s, son, 30) == (3, "rw")  # nothing below the node changed
    assert tree_dump(s, 3)[1] == [
        (("grandfather", 10), ("uncle", 25)),
        (("sigma0", 3), ("grandfather", 10)),
        (("uncle", 25), ("son", 30)),
    ]
    settled(s)
    s.flush(uncle, 25)  # the uncle now controls what was the father's
    assert where(s, son, 30) is None and where(s, uncle, 25) == (3, "rw")
    s.map(uncle, 25, son, 30)
    s.flush(gf, 10)  # ... and the grandfather still controls the uncle
    assert where(s, uncle, 25) is None and where(s, son, 30) is None
    settled(s)


def test_a_grant_with_fewer_rights_reduces_every_derived_mapping():
    s, gf, fa, son = family()
    grandson = s.create_space("grandson")
    s.map(son, 30, grandson, 40)
    uncle = s.create_space("uncle")
    s.grant(fa, 20, uncle, 25, rights="r")
    assert where(s, uncle, 25) == where(s, son, 30) == where(s, grandson, 40) == (3, "r")
    assert where(s, gf, 10) == (3, "rw")
    s.check_invariants()  # no child is wider than its parent
    settled(s)


def test_a_grant_within_one_space_moves_the_page_to_another_address():
    s, gf, fa, son = family()
    s.grant(fa, 20, fa, 21)
    assert where(s, fa, 20) is None and where(s, fa, 21) == (3, "rw")
    assert (("father", 21), ("son", 30)) in tree_dump(s, 3)[1]
    settled(s)


def test_a_granted_page_cannot_be_granted_again_by_the_granter():
    s, gf, fa, son = family()
    uncle = s.create_space("uncle")
    s.grant(fa, 20, uncle, 25)
    refused(s, NotMapped, ("does not hold",), s.grant, fa, 20, son, 31)
    s.flush(fa, 20)  # the father holds nothing there now: a flush finds nothing to do
    assert where(s, son, 30) == (3, "rw")
    settled(s)


# -- the paper's Figure 1 ------------------------------------------------------------------


def test_figure_1_sigma0s_pager_maps_f1_to_F_and_F_grants_it_to_A():
    """σ0's pager maps frame f1 to the pager space F; F grants it to user A. A flush by the σ0
    side then removes it from F's old node, which is now A's."""
    s = System(frames=16)
    f1 = 5
    F, A = s.create_space("F"), s.create_space("A")
    s.map(s.sigma0, f1, F, 0)
    s.grant(F, 0, A, 7)
    assert where(s, F, 0) is None and where(s, A, 7) == (f1, "rw")
    assert tree_dump(s, f1) == (
        [(("A", 7), "rw"), (("sigma0", f1), "rw")],
        [(("sigma0", f1), ("A", 7))],
    )
    s.flush(s.sigma0, f1)
    assert where(s, A, 7) is None
    assert tree_dump(s, f1) == ([(("sigma0", f1), "rw")], [])
    settled(s)


def test_figure_1_a_flush_by_F_before_the_grant_hits_A_only():
    """Before granting, F lends the page to A (a map); F's flush then takes it from A alone."""
    s = System(frames=16)
    f1 = 5
    F, A = s.create_space("F"), s.create_space("A")
    s.map(s.sigma0, f1, F, 0)
    s.map(F, 0, A, 7)
    s.flush(F, 0)
    assert where(s, A, 7) is None and where(s, F, 0) == (f1, "rw")
    # now F grants it for good: F cannot take it back, σ0 can
    s.grant(F, 0, A, 7)
    s.flush(F, 0)
    assert where(s, A, 7) == (f1, "rw")
    s.flush(s.sigma0, f1)
    assert where(s, A, 7) is None
    settled(s)


# -- mapping onto mapped pages -------------------------------------------------------------


def test_mapping_onto_a_mapped_page_replaces_it_and_flushes_its_old_subtree_first():
    """A holds frame 1 at page 5 and lent it to B; σ0 then maps frame 2 onto A's page 5."""
    s = System(frames=16)
    A, B = s.create_space("A"), s.create_space("B")
    s.map(s.sigma0, 1, A, 5)
    s.map(A, 5, B, 9)
    s.map(s.sigma0, 2, A, 5)
    assert where(s, A, 5) == (2, "rw")
    assert where(s, B, 9) is None  # derived from A's old page 5: flushed with it
    assert tree_dump(s, 1) == ([(("sigma0", 1), "rw")], [])
    assert tree_dump(s, 2)[1] == [(("sigma0", 2), ("A", 5))]
    settled(s)


def test_granting_onto_a_mapped_page_replaces_it_too():
    s = System(frames=16)
    A, B, C = s.create_space("A"), s.create_space("B"), s.create_space("C")
    s.map(s.sigma0, 1, A, 0)
    s.map(s.sigma0, 2, B, 0)
    s.map(B, 0, C, 0)
    s.grant(A, 0, B, 0, rights="r")
    assert where(s, B, 0) == (1, "r") and where(s, A, 0) is None
    assert where(s, C, 0) is None
    assert tree_dump(s, 2) == ([(("sigma0", 2), "rw")], [])
    settled(s)


def test_mapping_a_page_onto_a_page_derived_from_it_replaces_the_child():
    """A lent page 0 to B's page 0; mapping it there again (read-only now) replaces B's copy."""
    s = System(frames=16)
    A, B, C = s.create_space("A"), s.create_space("B"), s.create_space("C")
    s.map(s.sigma0, 4, A, 0)
    s.map(A, 0, B, 0)
    s.map(B, 0, C, 0)
    s.map(A, 0, B, 0, rights="r")
    assert where(s, B, 0) == (4, "r") and where(s, C, 0) is None
    s.grant(A, 0, A, 1)  # A moves its own page; B hangs below it still
    assert tree_dump(s, 4)[1] == [(("A", 1), ("B", 0)), (("sigma0", 4), ("A", 1))]
    settled(s)


def test_mapping_or_granting_a_page_onto_its_own_ancestor_is_a_conflict():
    """B's page derives from A's: putting it back onto A's page would flush its own source."""
    s = System(frames=16)
    A, B, C = s.create_space("A"), s.create_space("B"), s.create_space("C")
    s.map(s.sigma0, 6, A, 5)
    s.map(A, 5, B, 5)
    s.map(B, 5, C, 2)
    for call in (s.map, s.grant):
        refused(s, MappingConflict, ("flushed", "derived"), call, B, 5, A, 5)
        refused(s, MappingConflict, ("flushed", "derived"), call, C, 2, A, 5)
        refused(s, MappingConflict, ("flushed", "derived"), call, C, 2, B, 5, rights="r")
        refused(s, MappingConflict, ("flushed", "derived"), call, A, 5, A, 5)
    assert len(tree_dump(s, 6)[1]) == 3


def test_a_conflict_in_any_page_of_an_fpage_refuses_the_whole_request():
    s = System(frames=16)
    A, B = s.create_space("A"), s.create_space("B")
    s.map(s.sigma0, 8, A, 4, order=1)  # A: 4, 5 -> frames 8, 9
    s.map(s.sigma0, 10, B, 6)
    s.map(A, 5, B, 7)  # B's page 7 derives from A's page 5; B's page 6 does not
    refused(s, MappingConflict, ("flushed", "derived"), s.map, B, 6, A, 4, order=1)
    assert where(s, A, 4) == (8, "rw") and where(s, B, 6) == (10, "rw")


# -- fpages ---------------------------------------------------------------------------------


def test_an_fpage_of_order_2_maps_four_aligned_pages_at_once():
    s = System(frames=16)
    A, B = s.create_space("A"), s.create_space("B")
    s.map(s.sigma0, 4, A, 8, order=2)
    assert [where(s, A, p) for p in range(7, 13)] == [
        None,
        (4, "rw"),
        (5, "rw"),
        (6, "rw"),
        (7, "rw"),
        None,
    ]
    s.map(A, 8, B, 0, rights="r", order=1)
    assert [where(s, B, p) for p in range(3)] == [(4, "r"), (5, "r"), None]
    s.flush(A, 10, order=1, include_self=True)  # A's pages 10, 11 only
    assert where(s, A, 10) is None and where(s, A, 11) is None
    assert where(s, A, 9) == (5, "rw") and where(s, B, 1) == (5, "r")
    s.flush(A, 8, order=1)
    assert where(s, B, 0) is None and where(s, B, 1) is None
    assert where(s, A, 8) == (4, "rw")
    settled(s)


def test_misaligned_fpages_are_refused():
    s = System(frames=16)
    A = s.create_space("A")
    s.map(s.sigma0, 0, A, 0, order=2)
    msg = refused(s, AlignmentError, ("aligned",), s.map, s.sigma0, 5, A, 8, order=1)
    assert "multiple of 2" in msg
    refused(s, AlignmentError, ("aligned",), s.map, s.sigma0, 4, A, 9, order=1)
    refused(s, AlignmentError, ("aligned",), s.map, s.sigma0, 2, A, 8, order=2)
    refused(s, AlignmentError, ("aligned",), s.grant, A, 1, A, 8, order=1)
    refused(s, AlignmentError, ("aligned",), s.flush, A, 1, order=1)
    refused(s, AlignmentError, ("aligned",), s.flush, A, 2, order=2, rights="w")


def test_bad_orders_are_refused():
    s = System(frames=16)
    A = s.create_space("A")
    for order in (-1, 21, "1", 1.0, True, None):
        refused(s, InvalidArgument, ("order",), s.map, s.sigma0, 0, A, 0, order=order)
        refused(s, InvalidArgument, ("order",), s.flush, s.sigma0, 0, order=order)


def test_an_fpage_is_mapped_all_or_nothing():
    """A holds only the first of two pages: mapping both is refused and maps neither."""
    s = System(frames=16)
    A, B = s.create_space("A"), s.create_space("B")
    s.map(s.sigma0, 2, A, 2)
    refused(s, NotMapped, ("does not hold",), s.map, A, 2, B, 0, order=1)
    s.map(s.sigma0, 3, A, 3, rights="r")
    refused(s, RightsError, ("widen",), s.map, A, 2, B, 0, order=1)
    s.map(A, 2, B, 0, rights="r", order=1)
    assert [where(s, B, p) for p in (0, 1)] == [(2, "r"), (3, "r")]


def test_flushing_an_fpage_whose_pages_derive_from_each_other():
    """A maps its own page 0 to its page 1; flushing A's fpage 0..1 must handle the nesting."""
    s = System(frames=8)
    A, B = s.create_space("A"), s.create_space("B")
    s.map(s.sigma0, 0, A, 0)
    s.map(A, 0, A, 1)  # A's page 1 derives from its page 0
    s.map(A, 1, B, 0)
    s.flush(A, 0, order=1, include_self=True)
    assert where(s, A, 0) is None and where(s, A, 1) is None and where(s, B, 0) is None
    settled(s)
    s.map(s.sigma0, 0, A, 0)
    s.map(A, 0, A, 1)
    s.map(A, 1, B, 0)
    s.flush(A, 0, order=1)  # A's page 1 derives from page 0: it goes, page 0 stays
    assert where(s, A, 0) == (0, "rw") and where(s, A, 1) is None and where(s, B, 0) is None
    settled(s)
    s.map(A, 0, A, 1)
    s.map(A, 1, B, 0)
    s.flush(A, 0, order=1, rights="w", include_self=True)
    assert where(s, A, 0) == where(s, A, 1) == where(s, B, 0) == (0, "r")
    settled(s)


# -- rights -------------------------------------------------------------------------------


def test_rights_never_widen():
    s = System(frames=16)
    A, B = s.create_space("A"), s.create_space("B")
    s.map(s.sigma0, 1, A, 0, rights="r")
    msg = refused(s, RightsError, ("widen",), s.map, A, 0, B, 0)
    assert '"r"' in msg  # it says what A holds
    refused(s, RightsError, ("widen",), s.grant, A, 0, B, 0, rights="rw")
    s.map(A, 0, B, 0, rights="r")
    assert where(s, B, 0) == (1, "r")


def test_bad_rights_strings_are_refused():
    s = System(frames=16)
    A = s.create_space("A")
    for rights in ("w", "x", "", "RW", None, ("r",)):
        refused(s, InvalidArgument, ("rights",), s.map, s.sigma0, 1, A, 0, rights=rights)


def test_a_flush_revokes_w_or_rw_and_nothing_else():
    s, gf, fa, son = family()
    msg = refused(s, KernelError, ('"rw"',), s.flush, fa, 20, rights="r")
    assert "revok" in msg
    for rights in ("x", "", None, "wr"):
        refused(s, KernelError, ("revoke",), s.flush, fa, 20, rights=rights)


# -- pages that are not there ------------------------------------------------------------


def test_only_pages_the_source_holds_can_be_mapped_or_granted():
    s = System(frames=16)
    A, B = s.create_space("A"), s.create_space("B")
    refused(s, NotMapped, ("does not hold",), s.map, A, 0, B, 0)
    refused(s, NotMapped, ("does not hold",), s.grant, A, 0, B, 0)
    # frames are 0..15: σ0 holds no page 16, so it cannot be mapped either
    refused(s, NotMapped, ("does not hold",), s.map, s.sigma0, 16, A, 0)


def test_a_flush_skips_pages_the_space_does_not_hold():
    s = System(frames=16)
    A, B = s.create_space("A"), s.create_space("B")
    s.map(s.sigma0, 9, A, 4)
    s.map(A, 4, B, 0)
    mappings = live_mappings(s)
    s.flush(A, 100)
    s.flush(B, 3, include_self=True)
    s.flush(s.sigma0, 200)  # beyond physical memory: nothing there
    assert live_mappings(s) == mappings
    s.flush(A, 4, order=2)  # pages 4..7: only 4 is held
    assert where(s, B, 0) is None and where(s, A, 4) == (9, "rw")
    settled(s)


def test_pages_must_be_ints_inside_the_address_space():
    s = System(frames=16)
    A = s.create_space("A")
    s.map(s.sigma0, 1, A, 0)
    for page in (-1, 2**20, 2**32):
        refused(s, InvalidArgument, ("outside",), s.map, s.sigma0, 1, A, page)
        refused(s, InvalidArgument, ("outside",), s.map, s.sigma0, page, A, 1)
        refused(s, InvalidArgument, ("outside",), s.grant, A, 0, A, page)
        refused(s, InvalidArgument, ("outside",), s.flush, A, page)
        refused(s, InvalidArgument, ("page",), s.lookup, A, page)
    for page in ("1", 1.0, True, None, (1,)):
        refused(s, InvalidArgument, ("int",), s.map, s.sigma0, 1, A, page)
        refused(s, InvalidArgument, ("int",), s.map, s.sigma0, page, A, 1)
        refused(s, InvalidArgument, ("int",), s.flush, A, page)
        refused(s, InvalidArgument, ("int",), s.lookup, A, page)
    # the last page of the space is fine
    s.map(s.sigma0, 1, A, 2**20 - 1)
    assert where(s, A, 2**20 - 1) == (1, "rw")


def test_mapping_tree_refuses_frames_that_do_not_exist():
    s = System(frames=16)
    s.create_space("A")
    for frame in (-1, 16, "3", 3.0, True):
        refused(s, InvalidArgument, ("frame",), s.mapping_tree, frame)


# -- σ0 ------------------------------------------------------------------------------------


def test_sigma0_only_maps_and_flushes():
    s = System(frames=16)
    A = s.create_space("A")
    s.map(s.sigma0, 2, A, 0)
    refused(s, Sigma0Error, ("sigma0",), s.grant, s.sigma0, 3, A, 1)
    refused(s, Sigma0Error, ("sigma0",), s.grant, "sigma0", 3, A, 1)
    refused(s, Sigma0Error, ("sigma0",), s.map, A, 0, s.sigma0, 0)
    refused(s, Sigma0Error, ("sigma0",), s.map, A, 0, s.sigma0, 100)  # even an unused page
    refused(s, Sigma0Error, ("sigma0",), s.grant, A, 0, s.sigma0, 100)
    refused(s, Sigma0Error, ("sigma0",), s.flush, s.sigma0, 2, include_self=True)
    refused(s, Sigma0Error, ("sigma0",), s.flush, s.sigma0, 2, rights="w", include_self=True)
    # a plain flush by σ0 is fine: it revokes what was mapped from it
    s.flush(s.sigma0, 2, rights="w")
    assert where(s, A, 0) == (2, "r") and where(s, s.sigma0, 2) == (2, "rw")
    settled(s)


def test_sigma0_is_physical_memory():
    s = System(frames=16)
    assert [where(s, s.sigma0, p) for p in (0, 15, 16)] == [(0, "rw"), (15, "rw"), None]
    for frame in range(16):
        assert tree_dump(s, frame) == ([(("sigma0", frame), "rw")], [])


# -- names --------------------------------------------------------------------------------


def test_spaces_may_be_named_and_unknown_names_are_refused():
    s = System(frames=16)
    s.create_space("A")
    s.map("sigma0", 1, "A", 0)
    assert where(s, "A", 0) == (1, "rw")
    msg = refused(s, UnknownSpace, ("no space named",), s.map, "A", 0, "nobody", 0)
    assert "'nobody'" in msg and "A" in msg  # it lists the spaces there are
    refused(s, UnknownSpace, ("no space named",), s.map, "nobody", 0, "A", 1)
    refused(s, UnknownSpace, ("no space named",), s.grant, "A", 0, "nobody", 0)
    refused(s, UnknownSpace, ("no space named",), s.flush, "nobody", 0)
    refused(s, UnknownSpace, ("no space named",), s.lookup, "nobody", 0)
    refused(s, UnknownSpace, ("space",), s.map, 1, 0, "A", 1)  # a space id is not a space


def test_spaces_of_another_system_are_refused():
    s, t = System(frames=16), System(frames=16)
    a = s.create_space("A")
    other = t.create_space("A")  # the same name in another system
    refused(s, UnknownSpace, ("another system",), s.map, s.sigma0, 1, other, 0)
    refused(s, UnknownSpace, ("another system",), s.map, t.sigma0, 1, a, 0)
    refused(s, UnknownSpace, ("another system",), s.flush, other, 0)
    refused(s, UnknownSpace, ("another system",), s.lookup, other, 0)
    assert where(t, other, 0) is None


# -- the mapping tree as a graph -----------------------------------------------------------


def test_mapping_tree_is_a_networkx_digraph_of_the_derivation_tree():
    """σ0 maps frame 7 to A and B; A maps it read-only to C; C maps it on to D."""
    s = System(frames=8)
    A, B, C, D = (s.create_space(n) for n in "ABCD")
    s.map(s.sigma0, 7, A, 1)
    s.map(s.sigma0, 7, B, 2, rights="r")
    s.map(A, 1, C, 3, rights="r")
    s.map(C, 3, D, 4, rights="r")
    tree = s.mapping_tree(7)
    assert isinstance(tree, nx.DiGraph)
    assert dict(tree.nodes(data="rights")) == {
        ("sigma0", 7): "rw",
        ("A", 1): "rw",
        ("B", 2): "r",
        ("C", 3): "r",
        ("D", 4): "r",
    }
    assert set(tree.edges) == {
        (("sigma0", 7), ("A", 1)),
        (("sigma0", 7), ("B", 2)),
        (("A", 1), ("C", 3)),
        (("C", 3), ("D", 4)),
    }
    assert nx.is_arborescence(tree)
    assert [n for n, d in tree.in_degree() if d == 0] == [("sigma0", 7)]
    assert nx.descendants(tree, ("A", 1)) == {("C", 3), ("D", 4)}
    # the graph is a picture of the moment: later changes do not alter it
    s.flush(A, 1)
    assert tree.number_of_nodes() == 5
    assert set(s.mapping_tree(7).nodes) == {("sigma0", 7), ("A", 1), ("B", 2)}
    # other frames' trees are untouched
    assert tree_dump(s, 6) == ([(("sigma0", 6), "rw")], [])


# -- replay --------------------------------------------------------------------------------


def test_every_state_of_a_story_can_be_replayed_backwards_and_forwards():
    s, gf, fa, son = family()
    uncle = s.create_space("uncle")
    history = [live_mappings(s)]
    for act in (
        lambda: s.flush(fa, 20, rights="w"),
        lambda: s.grant(fa, 20, uncle, 25, rights="r"),
        lambda: s.map(s.sigma0, 4, fa, 20),
        lambda: s.flush(gf, 10, include_self=True),
        lambda: s.map(s.sigma0, 0, uncle, 0, order=2),
    ):
        act()
        history.append(live_mappings(s))
    first = s.steps - len(history)
    for back in (5, 0, 3, 1, 4, 2, 5):
        assert s.state_at(first + back).mappings() == history[back]
    assert s.state_at(-1).mappings() == []

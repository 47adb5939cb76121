"""Map and grant items land in the receiver's window as in L4 X.2: placed by their send base.

The story: an Owner holds some pages and passes them to a User that receives into a window.
With a send fpage of 2**fo pages at F and a window of 2**wo pages at W, and send base b:
- fo <= wo: the fpage lands at W + (b mod 2**wo, rounded down to a multiple of 2**fo);
- fo > wo: the part of the fpage at F + (b mod 2**fo, rounded down to a multiple of 2**wo) is
  mapped onto the whole window.
A size mismatch is no error; items apply in order, a later one replacing what an earlier filled.
"""

import pytest

from mkteach import KernelError, System
from mkteach.kernel.fpage import place_item


def exchange(s, owner, user, items, window, verb="map"):
    """Run one send of `items` from an Owner thread to a User thread waiting with `window`."""
    got = {}

    def giver(t, taker):
        got["giver"] = yield t.send(taker, **{verb: items})

    def taker(t):
        got["taker"] = yield t.wait(window=window)

    tid = s.create_thread(user, taker, name="taker")
    s.create_thread(owner, giver, tid, name="giver")
    s.run()
    s.check_invariants()
    return got["giver"], got["taker"]


@pytest.fixture
def owner_user():
    """A system whose Owner holds page 2 (frame 7) and pages 4..7 (frames 8..11)."""
    s = System(frames=32)
    owner, user = s.create_space("Owner"), s.create_space("User")
    s.map(s.sigma0, 7, owner, 2)
    s.map(s.sigma0, 8, owner, 4, order=2)
    return s, owner, user


def frames(s, space, pages):
    """Return the frame each page maps to in `space` (None where unmapped)."""
    return [None if (m := s.lookup(space, p)) is None else m.frame for p in pages]


def test_a_smaller_fpage_lands_where_its_send_base_points_inside_the_window(owner_user):
    s, owner, user = owner_user
    sent, got = exchange(s, owner, user, [(2, "r", 0, 1), (4, "rw", 1, 2)], window=(16, 2))
    assert sent.error is None and got.error is None
    assert got.received == ((17, 0, "r"), (18, 1, "rw"))
    assert frames(s, user, range(16, 20)) == [None, 7, 8, 9]
    assert s.lookup(owner, 2).frame == 7  # map shares: the owner keeps its page


def test_the_send_base_is_taken_modulo_the_window_and_aligned_to_the_fpage(owner_user):
    s, owner, user = owner_user
    # base 7 mod 4 = 3, rounded down to a multiple of 2 pages: offset 2
    _, got = exchange(s, owner, user, [(4, "rw", 1, 7)], window=(16, 2))
    assert got.received == ((18, 1, "rw"),)
    assert frames(s, user, range(16, 20)) == [None, None, 8, 9]


def test_a_larger_fpage_gives_the_window_sized_part_its_send_base_picks(owner_user):
    s, owner, user = owner_user
    sent, got = exchange(s, owner, user, [(4, "rw", 2, 2)], window=(16, 1))
    assert sent.error is None and got.error is None  # a size mismatch is no error
    assert got.received == ((16, 1, "rw"),)
    assert frames(s, user, range(15, 19)) == [None, 10, 11, None]  # owner pages 6, 7


def test_with_no_send_base_a_larger_fpage_gives_its_first_part(owner_user):
    s, owner, user = owner_user
    _, got = exchange(s, owner, user, [(4, "rw", 2)], window=(16, 1))
    assert got.error is None and frames(s, user, (16, 17)) == [8, 9]


def test_a_later_item_replaces_the_pages_an_earlier_item_filled(owner_user):
    s, owner, user = owner_user
    _, got = exchange(s, owner, user, [(2, "r", 0), (4, "rw", 0)], window=(16, 0))
    assert got.error is None and got.received == ((16, 0, "r"), (16, 0, "rw"))
    assert s.lookup(user, 16).frame == 8 and s.lookup(user, 16).rights == "rw"
    assert list(s.mapping_tree(7).edges) == [(("sigma0", 7), ("Owner", 2))]  # replaced: gone


def test_grant_items_are_placed_by_the_same_rule(owner_user):
    s, owner, user = owner_user
    _, got = exchange(s, owner, user, [(4, "rw", 2, 1)], window=(20, 0), verb="grant")
    assert got.error is None and frames(s, user, [20]) == [9]  # owner page 5
    assert s.lookup(owner, 5) is None  # granted: the owner lost the part it passed
    assert s.lookup(owner, 4).frame == 8  # and kept the rest


@pytest.mark.parametrize("base", [-1, 1.5, "2", True, None])
def test_a_send_base_that_is_not_an_int_of_zero_or_more_is_refused_and_changes_nothing(base):
    s = System(frames=16)
    owner, user = s.create_space("Owner"), s.create_space("User")
    s.map(s.sigma0, 5, owner, 0)
    errors = []

    def giver(t, taker):
        try:  # the kernel's entry refuses it; the error is raised at the yield
            yield t.send(taker, map=[(0, "rw", 0, base)])
        except KernelError as e:
            errors.append(str(e))
        yield t.send(taker, words=(1,))

    def taker(t):
        yield t.wait(window=(8, 0))

    tid = s.create_thread(user, taker, name="taker")
    s.create_thread(owner, giver, tid, name="giver")
    s.run()
    assert len(errors) == 1 and "send base" in errors[0] and "int >= 0" in errors[0]
    assert s.lookup(user, 8) is None  # nothing was mapped


def test_a_pager_answers_a_fault_with_a_large_fpage_and_the_fault_page_as_send_base():
    s = System(frames=32)
    pager_space, user = s.create_space("Pager"), s.create_space("User")
    s.map(s.sigma0, 16, pager_space, 8, order=3)  # pager pages 8..15 -> frames 16..23

    def pager(t):
        msg = yield t.wait()
        while True:  # as X.2 pagers do: the send base is where the fault was
            msg = yield t.reply_and_wait(msg.sender, map=[(8, "rw", 3, msg.fault_page)])

    def reader(t):
        yield t.load(13 * s.page_size)

    pid = s.create_thread(pager_space, pager, name="pager")
    s.create_thread(user, reader, name="reader", pager=pid)
    s.run()
    assert s.lookup(user, 13).frame == 16 + 13 % 8  # the page at the same offset, alone
    assert s.lookup(user, 12) is None and s.lookup(user, 14) is None


@pytest.mark.parametrize(
    ("item", "window", "placed"),
    [
        ((4, 1, 0), (16, 2), (4, 16, 1)),
        ((4, 1, 3), (16, 2), (4, 18, 1)),
        ((8, 3, 5), (16, 1), (12, 16, 1)),
        ((8, 3, 13), (16, 1), (12, 16, 1)),  # 13 mod 8 = 5 -> offset 4
        ((0, 0, 9), (32, 3), (0, 33, 0)),
        ((0, 2, 0), (32, 2), (0, 32, 2)),
    ],
)
def test_place_item_follows_the_x2_formula(item, window, placed):
    assert place_item(*item, *window) == placed

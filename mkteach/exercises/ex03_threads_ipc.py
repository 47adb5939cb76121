"""Exercise 3 (threads and IPC): a pager that serves faults from its own pages, a server's bugs
to find and fix, and an IPC's cost by hand, then with a tagged TLB.

The checks are generic (`check_pager`, `check_server`, `check_cost` in mkteach.grading); this
module holds the exercise's own choices, which setup cells print and tests check against.
"""

SERVER_BUGS = {
    "send": "it replies with send, which blocks until that client receives",
    "window": "it waits without a receive window, so the clients' pages cannot land",
    "call": "it should call its clients instead of waiting for them",
    "timeout": "its wait needs a timeout, or it blocks for ever when no client comes",
    "load": "it must not read the client's page: the number should come in the words",
}

TAGGED_WHY = {
    "flush": "the tagged TLB is still flushed on every switch",
    "conflict": "the kernel pages the IPC touches fall into one set of the 4-way TLB and "
    "evict each other",
    "capacity": "the TLB has too few entries for the IPC's pages",
    "tag": "every lookup of a tag costs a miss",
}

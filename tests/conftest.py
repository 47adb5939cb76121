"""Test set-up shared by every test file.

With parallel workers (pytest-xdist), each worker's grading sandboxes run under user ids of
their own, so a test that looks for leftover sandbox processes sees only its own worker's.
"""

import os

_worker = os.environ.get("PYTEST_XDIST_WORKER", "")
if _worker.startswith("gw") and _worker[2:].isdigit():
    os.environ.setdefault("MKTEACH_SANDBOX_UID", str(62000 + 64 * int(_worker[2:])))

"""Test set-up shared by every test file.

With parallel workers (pytest-xdist), each worker's grading sandboxes run under user ids of
their own, so a test that looks for leftover sandbox processes sees only its own worker's.
"""

import os

_worker = os.environ.get("PYTEST_XDIST_WORKER", "")
if _worker.startswith("gw") and _worker[2:].isdigit():
    os.environ.setdefault("MKTEACH_SANDBOX_UID", str(62000 + 64 * int(_worker[2:])))

# The hidden tests' salts derive from a course secret, which lives in an instructor's course
# folder and never in the repository. Tests that grade the repository's exercises/ read a fixed
# test secret (so their numbers are reproducible) from a file outside the checkout.
if not os.environ.get("MKTEACH_COURSE_SECRET"):
    import tempfile

    _secret = os.path.join(tempfile.mkdtemp(prefix="mkteach-test-course-"), "course-secret")
    with open(_secret, "w", encoding="utf-8") as _f:
        _f.write("mkteach-test-course-secret-not-for-a-real-course\n")
    os.environ["MKTEACH_COURSE_SECRET"] = _secret

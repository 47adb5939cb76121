"""The result channel: how checks running in a student's kernel report points to the grader.

Under the grader, and only there, each check prints one line

    MKTEACH-RESULT <payload, base64 JSON> <HMAC-SHA256 of the payload, hex>

The payload names the test cell (`grade_id`), a fresh nonce for that cell's run, a sequence number
and the feedback. The grader gives the kernel a per-run key before any student cell runs
(`arm_from_file`: the file is deleted at once and the key lives only in a closure), starts each
instructor test cell with `begin(grade_id, nonce)` and closes it after (`end`). A check reports
only when the test cell's own code called it, through this package's functions alone (so not
from an IPython hook, a trace function, a helper defined in another cell or a student's
replacement of a check). The grader accepts a line only from the output of that test cell, with
a valid signature and the right grade_id, nonce and sequence. A student who prints a marker,
copies one from elsewhere or replays one from another run gets nothing.

Limits: everything runs in the student's own interpreter. A student who digs the signing closure
out of memory, or who patches the kernel model the checks compare with, can still forge a
result; the channel stops casual forging, copying and replaying, not a determined attack.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import sys
from collections.abc import Iterable
from typing import Any

MARKER = "MKTEACH-RESULT"
PACKAGE = os.path.dirname(os.path.abspath(__file__))

_context: dict[str, Any] | None = None


def new_key() -> str:
    """Return a fresh random key (hex) for one grading run."""
    return secrets.token_hex(32)


def sign(key: str, payload: bytes) -> str:
    """Return the hex HMAC-SHA256 of `payload` under `key`."""
    return hmac.new(bytes.fromhex(key), payload, hashlib.sha256).hexdigest()


def emit(feedback: dict[str, Any]) -> None:
    """Report `feedback` to the grader; does nothing until the grader arms the kernel."""


def arm(key: str) -> None:
    """Make this kernel's checks report signed results (the grader calls it first of all).

    The key stays inside the reporting function's closure, not in a module variable.
    """
    global emit
    base = hmac.new(bytes.fromhex(key), digestmod=hashlib.sha256)

    def signed_emit(feedback: dict[str, Any]) -> None:
        """Print one signed result line for `feedback` from a check called by the test cell."""
        if _context is None or not _called_from_test(sys._getframe(1)):
            return
        body = {**_context["header"], "seq": _context["seq"], "feedback": feedback}
        _context["seq"] += 1
        payload = base64.b64encode(json.dumps(body, sort_keys=True).encode()).decode()
        h = base.copy()
        h.update(payload.encode())
        sys.stdout.write(f"\n{MARKER} {payload} {h.hexdigest()}\n")
        sys.stdout.flush()

    emit = signed_emit


def arm_from_file(path: str) -> None:
    """Arm with the key in the file at `path`, and delete the file: the key then appears in no
    cell source, history, environment or file the student's code could read."""
    with open(path, encoding="ascii") as f:
        key = f.read().strip()
    os.remove(path)
    arm(key)


def begin(grade_id: str, nonce: str) -> None:
    """Open the context of the test cell that calls this: its checks now report to `grade_id`."""
    global _context
    cell = sys._getframe(1).f_code.co_filename
    _context = {"header": {"grade_id": grade_id, "nonce": nonce}, "seq": 0, "cell": cell}


def end() -> None:
    """Close the test cell's context: checks stop reporting."""
    global _context
    _context = None


def _called_from_test(frame: Any) -> bool:
    """Return True when the calls below `frame` lead to the test cell through this package only.

    A result counts only if a check function of mkteach.grading, called by the test cell's own
    code, produced it: not a hook running before or after the cell, nor a function a student
    put in place of a check.
    """
    while frame is not None:
        filename = frame.f_code.co_filename
        if _context is not None and filename == _context["cell"]:
            return True
        if not os.path.abspath(filename).startswith(PACKAGE + os.sep):
            return False
        frame = frame.f_back
    return False


def read_results(
    text: str, key: str, grade_id: str, nonce: str
) -> tuple[list[dict[str, Any]], int]:
    """Return (valid feedback dicts, number of rejected marker lines) found in a cell's `text`."""
    valid: list[dict[str, Any]] = []
    rejected = 0
    seen: set[int] = set()
    for line in marker_lines(text):
        body = _verified(line, key)
        ok = (
            body is not None
            and body.get("grade_id") == grade_id
            and body.get("nonce") == nonce
            and isinstance(body.get("seq"), int)
            and body["seq"] not in seen
            and isinstance(body.get("feedback"), dict)
        )
        if ok:
            seen.add(body["seq"])  # type: ignore[index]
            valid.append(body["feedback"])  # type: ignore[index]
        else:
            rejected += 1
    return valid, rejected


def marker_lines(text: str) -> Iterable[str]:
    """Yield the lines of `text` that claim to be result markers."""
    for line in text.splitlines():
        if MARKER in line:
            yield line.strip()


def _verified(line: str, key: str) -> dict[str, Any] | None:
    """Return the payload of a correctly signed marker line, else None."""
    parts = line.split()
    if len(parts) != 3 or parts[0] != MARKER:
        return None
    payload, signature = parts[1], parts[2]
    if not hmac.compare_digest(sign(key, payload.encode()), signature):
        return None
    try:
        body = json.loads(base64.b64decode(payload, validate=True))
    except ValueError:
        return None
    return body if isinstance(body, dict) else None

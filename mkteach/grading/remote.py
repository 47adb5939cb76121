"""A student's program, run in a sandbox as a user thread of a kernel model in the grader.

    pager = RemoteProgram(spec).program()    # spec: the source text the sandbox exported
    check_pager(pager, seed=...)             # the check creates a thread of it, as of any program

The thread's generator starts a
sandbox running the program's source, and relays: each operation the program yields arrives as
plain data, is rebuilt here on the real thread handle (which validates it, as for any program)
and yielded to the kernel; what the kernel returns goes back as plain data. The kernel never
runs student code and the student code never touches the kernel: the µ-kernel's own rule.
"""

from __future__ import annotations

import json
import time
from typing import Any

from .programs import TimeLimitExceeded
from .runner import OPS, NotPlain, decode, encode
from .sandbox import Sandbox

KEYWORDS = {
    "words", "strings", "map", "grant", "label", "timeout", "window", "as_sender",
    "rights", "order", "include_self",
}  # fmt: skip
RESULT_FIELDS = (
    "error", "sender", "words", "strings", "label", "intended", "reply_error", "received",
    "fault_page", "fault_address", "write", "detail",
)  # fmt: skip
PROGRAM_SECONDS = 10.0  # student time per program run, over all its operations


class ProgramFailed(Exception):
    """The student's program raised, or could not start, in its sandbox."""


class Tokens:
    """Thread ids given to a sandbox as numbers, and back (an unknown number is refused)."""

    def __init__(self) -> None:
        self.ids: list[Any] = []

    def token(self, tid: Any) -> int:
        """Return the number standing for thread id `tid` (the same one every time)."""
        for n, known in enumerate(self.ids):
            if known == tid:
                return n
        self.ids.append(tid)
        return len(self.ids) - 1

    def __call__(self, token: Any) -> Any:
        """Return the thread id a number stands for; raise NotPlain for numbers never given."""
        if type(token) is not int or not 0 <= token < len(self.ids):
            raise NotPlain(f"{token!r} is not a thread id this program was given")
        return self.ids[token]

    def out(self, value: Any) -> Any:
        """Return `value` as plain data with its thread ids as numbers."""
        if hasattr(value, "task") and hasattr(value, "version") and hasattr(value, "number"):
            return {"$tid": self.token(value)}
        if isinstance(value, list | tuple):
            items = [self.out(v) for v in value]
            return {"$tuple": items} if isinstance(value, tuple) else items
        if isinstance(value, dict):
            return {"$dict": [[self.out(k), self.out(v)] for k, v in value.items()]}
        return encode(value)


class RemoteProgram:
    """A program exported from a submission as source text, callable like any program."""

    def __init__(self, spec: dict[str, Any], seconds: float = PROGRAM_SECONDS) -> None:
        self.spec = spec
        self.seconds = seconds
        self.__name__ = str(spec.get("name", "program"))
        self.__qualname__ = self.__name__
        self.boxes: list[Sandbox] = []

    def close(self) -> None:
        """End every sandbox this program still runs in (threads left waiting at a run's end)."""
        while self.boxes:
            self.boxes.pop().kill()

    def __repr__(self) -> str:
        return f"<program {self.__name__} (runs in a sandbox)>"

    def program(self) -> Any:
        """Return a generator function (what the kernel accepts as a program) that runs this."""

        def program(t: Any, *args: Any) -> Any:
            return (yield from self._thread(t, args))

        def plain(t: Any, *args: Any) -> Any:
            raise ProgramFailed(f"{self.__name__} is not a generator function")

        if not self.spec.get("generator", True):
            program = plain  # the kernel refuses it, as it refuses the function itself
        program.__name__ = program.__qualname__ = self.__name__
        program.remote = self  # type: ignore[attr-defined]
        return program

    def _thread(self, t: Any, args: tuple[Any, ...]) -> Any:
        """Relay the sandboxed program's operations to the kernel and its results back."""
        tokens = Tokens()
        box = Sandbox.start("program", self.seconds)
        self.boxes.append(box)
        spent = [0.0]
        try:
            start = {
                "program": self.spec,
                "token": tokens.token(t.id),
                "space": str(t.space),
                "label": str(t.id),
                "args": tokens.out(list(args)),
            }
            message = self._reply(box, start, spent)
            while True:
                if "return" in message:
                    return
                if "raise" in message:
                    raise ProgramFailed(str(message["raise"]))
                try:
                    op = self._operation(t, message, tokens)
                except Exception as e:  # the handle refused it, as it would in the program
                    message = self._reply(box, {"throw": f"{type(e).__name__}: {e}"}, spent)
                    continue
                try:
                    result = yield op
                except Exception as e:  # the kernel threw into the program
                    message = self._reply(box, {"throw": f"{type(e).__name__}: {e}"}, spent)
                    continue
                message = self._reply(box, {"result": _result(result, tokens)}, spent)
        finally:
            box.kill()
            if box in self.boxes:
                self.boxes.remove(box)

    def _reply(self, box: Sandbox, reply: dict[str, Any], spent: list[float]) -> dict[str, Any]:
        """Send `reply` to the program within its time budget and return its next message."""
        started = time.monotonic()
        fed = box.feed(json.dumps(reply) + "\n", seconds=max(0.0, self.seconds - spent[0]))
        spent[0] += time.monotonic() - started
        if not fed:
            if box.problem == "timeout":  # it stopped reading: a program that floods, then sleeps
                raise TimeLimitExceeded()
            raise ProgramFailed("the program's sandbox ended")
        return self._next(box, spent)

    def _next(self, box: Sandbox, spent: list[float]) -> dict[str, Any]:
        """Return the program's next message, within its time budget."""
        started = time.monotonic()
        line = box.line(max(0.0, self.seconds - spent[0]))
        spent[0] += time.monotonic() - started
        if line is None:
            if box.problem == "timeout":
                raise TimeLimitExceeded()
            raise ProgramFailed("the program's sandbox ended without a word")
        try:
            message = json.loads(line)
        except ValueError:
            raise ProgramFailed("the program's sandbox sent something unreadable") from None
        if not isinstance(message, dict):
            raise ProgramFailed("the program's sandbox sent something unreadable")
        return message

    def _operation(self, t: Any, message: dict[str, Any], tokens: Tokens) -> Any:
        """Return the operation `message` names, built by the real handle `t` (which checks it)."""
        name = message.get("op")
        if name not in OPS:
            raise NotPlain(f"{name!r} is not an operation")
        args = decode(message.get("args", {"$tuple": []}), tids=tokens)
        kwargs = decode(message.get("kwargs", {}), tids=tokens)
        if not isinstance(args, tuple) or not isinstance(kwargs, dict):
            raise NotPlain("malformed operation")
        unknown = set(kwargs) - KEYWORDS
        if unknown:
            raise TypeError(f"{name}() got an unexpected keyword argument {sorted(unknown)[0]!r}")
        return getattr(t, name)(*args, **kwargs)


def _result(result: Any, tokens: Tokens) -> Any:
    """Return what a yield evaluated to as plain data: a Result's fields, or the value."""
    if hasattr(result, "error") and hasattr(result, "sender"):
        fields = {name: getattr(result, name, None) for name in RESULT_FIELDS}
        return {"$dict": [["fields", tokens.out({k: v for k, v in fields.items()})]]}
    return tokens.out(result)

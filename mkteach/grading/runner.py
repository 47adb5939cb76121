"""What runs inside the sandbox: a submission's cells, or one of its programs as a user thread.

    python -I runner.py notebook     # job on stdin; answer snapshots on stdout
    python -I runner.py program      # start line on stdin; then one operation per line, both ways
    python -I runner.py function     # start line on stdin; then one call per line, both ways

Nothing here decides a grade. The notebook mode runs the cells a student may change (and the
released setup cells) in one IPython shell and after each cell writes what the answer variables
hold as plain data (JSON types, tagged: see `encode`); a function is written as its source text.
The program mode runs such a source text as a user program: each operation the program yields
leaves as one JSON line, and the result of the operation comes back the same way from the kernel
model in the grader. This file imports only the standard library (and IPython for notebooks), so
it runs without the package, and the grader reads its output with the same `decode`.
"""

from __future__ import annotations

import base64
import inspect
import json
import math
import os
import signal
import sys
import textwrap
import types
from typing import Any

MAX_DEPTH = 24
MAX_ITEMS = 200_000
LIMITS = {  # resource -> (soft, hard) applied to the whole sandbox before any student code
    "RLIMIT_NPROC": 64,
    "RLIMIT_FSIZE": 16 * 1024 * 1024,
    "RLIMIT_NOFILE": 256,
    "RLIMIT_CORE": 0,
    "RLIMIT_AS": 3 * 1024 * 1024 * 1024,
}
OPS = ("send", "receive", "wait", "call", "reply_and_wait", "load", "store", "flush")


class NotPlain(ValueError):
    """A value that cannot leave the sandbox as plain data."""


# -- plain data ------------------------------------------------------------------------------


def encode(value: Any, depth: int = 0, budget: list[int] | None = None) -> Any:
    """Return `value` as JSON-ready plain data (tuples, sets, bytes, non-string keys and graphs
    tagged with a '$' key); raise NotPlain for anything else."""
    budget = [MAX_ITEMS] if budget is None else budget
    budget[0] -= 1
    if depth > MAX_DEPTH or budget[0] < 0:
        raise NotPlain("it is nested too deeply or is too large")
    kind = type(value)
    if value is None or kind in (bool, int, str):
        return value
    if kind is float:
        return value if math.isfinite(value) else {"$float": repr(value)}
    if kind is bytes:
        return {"$bytes": base64.b64encode(value).decode()}
    if kind is ThreadRef:
        return {"$tid": value.token}
    step = depth + 1
    if kind is list:
        return [encode(v, step, budget) for v in value]
    if kind is tuple:
        return {"$tuple": [encode(v, step, budget) for v in value]}
    if kind in (set, frozenset):
        return {"$set": [encode(v, step, budget) for v in value]}
    if kind is dict:
        if all(type(k) is str and not k.startswith("$") for k in value):
            return {k: encode(v, step, budget) for k, v in value.items()}
        pairs = [[encode(k, step, budget), encode(v, step, budget)] for k, v in value.items()]
        return {"$dict": pairs}
    return encode(_plain_form(value), depth, budget)


def _plain_form(value: Any) -> Any:
    """Return the plain form of a scalar subclass, a numpy scalar or a networkx graph; raise
    NotPlain for other objects."""
    for base in (bool, int, float, str):
        if isinstance(value, base):
            return base(value) if base is not int else int.__index__(value)
    module = type(value).__module__.split(".")[0]
    if module == "numpy" and hasattr(value, "item"):
        item = value.item()
        if type(item) in (bool, int, float, str):
            return item
    if module == "networkx" and hasattr(value, "edges") and hasattr(value, "nodes"):
        return {
            "$graph": {
                "nodes": [[n, dict(a)] for n, a in value.nodes(data=True)],
                "edges": [[u, v, dict(a)] for u, v, a in value.edges(data=True)],
            }
        }
    raise NotPlain(f"a {type(value).__name__} object is not plain data")


def decode(data: Any, depth: int = 0, tids: Any = None) -> Any:
    """Return the value `encode` wrote: plain builtin types only (graphs become a tagged dict
    unless `tids` supplies a 'graph' builder; thread ids go through `tids`)."""
    if depth > MAX_DEPTH + 2:
        raise NotPlain("nested too deeply")
    if data is None or type(data) in (bool, int, float, str):
        return data
    step = depth + 1
    if type(data) is list:
        return [decode(v, step, tids) for v in data]
    if type(data) is not dict:
        raise NotPlain(f"unexpected {type(data).__name__}")
    if len(data) == 1:
        (tag, body), = data.items()  # fmt: skip
        if tag == "$tuple":
            return tuple(decode(v, step, tids) for v in body)
        if tag == "$set":
            return {decode(v, step, tids) for v in body}
        if tag == "$dict":
            return {decode(k, step, tids): decode(v, step, tids) for k, v in body}
        if tag == "$bytes":
            return base64.b64decode(body)
        if tag == "$float":
            return float(body)
        if tag == "$tid":
            return tids(body) if tids is not None else ThreadRef(int(body))
        if tag == "$graph":
            graph = decode(body, step, tids)
            return tids.graph(graph) if hasattr(tids, "graph") else {"$graph": graph}
    return {str(k): decode(v, step, tids) for k, v in data.items()}


class ThreadRef:
    """A thread id inside the sandbox: an opaque token the grader gave out, compared by value."""

    def __init__(self, token: int, label: str = "") -> None:
        self.token = token
        self.label = label

    def __eq__(self, other: object) -> bool:
        return type(other) is ThreadRef and other.token == self.token

    def __hash__(self) -> int:
        return hash(("thread", self.token))

    def __repr__(self) -> str:
        return f"<thread {self.label or self.token}>"

    __str__ = __repr__


# -- programs as source text -----------------------------------------------------------------


CELLS: list[str] = []  # the source of every cell run so far (notebook mode): class sources


def program_spec(fn: types.FunctionType) -> dict[str, Any]:
    """Return a function as source text plus what it needs from the notebook: the modules it
    names, the plain values it reads, and the source of the notebook's functions and classes
    it uses (globals, or variables of the factory that made it: a closure)."""
    context: list[list[Any]] = []
    seen: set[str] = {fn.__name__}
    _collect(fn, context, seen)
    generator = inspect.isgeneratorfunction(fn)
    return {
        "name": LAMBDA if fn.__name__ == "<lambda>" else fn.__name__,
        "source": _source(fn),
        "context": context,
        "generator": generator,
        "module": str(fn.__module__),
    }


LAMBDA = "lambda_answer"  # the name a lambda answer is defined under in the sandbox


def _source(fn: types.FunctionType, name: str = LAMBDA) -> str:
    """Return the dedented source of `fn` (a lambda as `NAME = lambda ...`, NAME the name it is
    used by); raise NotPlain when Python cannot find it."""
    try:
        text = textwrap.dedent(inspect.getsource(fn))
    except (OSError, TypeError) as e:
        raise NotPlain(f"the source of {fn.__name__} cannot be found ({e})") from None
    return _lambda_source(fn, text, name) if fn.__name__ == "<lambda>" else text


def _lambda_source(fn: types.FunctionType, text: str, name: str) -> str:
    """Return `NAME = <the lambda's own text>` from the lines that hold it (the one whose
    parameters are fn's); raise NotPlain when it cannot be told apart."""
    import ast

    try:
        tree = ast.parse(text)
    except SyntaxError:
        raise NotPlain("its lambda is inside a longer statement: write it with def") from None
    code = fn.__code__
    params = list(code.co_varnames[: code.co_argcount + code.co_kwonlyargcount])
    found = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Lambda)
        and [a.arg for a in (*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs)]
        == params
    ]
    if len(found) != 1:
        raise NotPlain("its lambda cannot be told apart from the others beside it: use def")
    return f"{name} = {ast.get_source_segment(text, found[0])}\n"


def _names(code: types.CodeType) -> set[str]:
    """Return every global name the code object (and the code nested in it) refers to."""
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _names(const)
    return names


def _collect(fn: types.FunctionType, context: list[list[Any]], seen: set[str]) -> None:
    """Add to `context` what `fn` uses: its closure's variables, then its globals."""
    free = dict.fromkeys(fn.__code__.co_freevars)
    for name, cell in zip(fn.__code__.co_freevars, fn.__closure__ or (), strict=False):
        try:
            free[name] = cell.cell_contents
        except ValueError:  # an empty cell: the factory never set it
            free.pop(name)
    _collect_names(set(free), free, str(fn.__module__), context, seen)
    _collect_names(_names(fn.__code__), fn.__globals__, str(fn.__module__), context, seen)


def _collect_names(
    names: set[str], env: dict[str, Any], module: str, context: list[list[Any]], seen: set[str]
) -> None:
    """Add to `context` each of `names` found in `env`: ['module', name, module name], ['from',
    name, 'module:qualname'], ['value', name, plain value] and ['function', name, source] for
    the notebook's functions and classes (after what they use)."""
    for name in sorted(names):
        if name in seen or name not in env:
            continue
        seen.add(name)
        value = env[name]
        if isinstance(value, types.ModuleType):
            context.append(["module", name, value.__name__])
        elif isinstance(value, types.FunctionType) and value.__module__ == module:
            _collect(value, context, seen)
            context.append(["function", name, _source(value, name)])
        elif isinstance(value, type) and value.__module__ == module:
            source, uses = _class_source(value)
            _collect_names(uses, _class_env(value), module, context, seen)
            context.append(["function", name, source])
        elif isinstance(value, types.FunctionType | type):
            owner = getattr(value, "__module__", "")
            if owner and owner != module:
                context.append(["from", name, f"{owner}:{value.__qualname__}"])
        else:
            try:
                context.append(["value", name, encode(value)])
            except NotPlain:
                pass  # the program fails with a NameError naming it, if it really needs it


def _class_env(cls: type) -> dict[str, Any]:
    """Return the globals a notebook class's methods see."""
    for value in vars(cls).values():
        fn = getattr(value, "__func__", value)
        fn = getattr(fn, "fget", fn)
        if isinstance(fn, types.FunctionType):
            return fn.__globals__
    return {}


def _class_source(cls: type) -> tuple[str, set[str]]:
    """Return (the source of a class defined in a notebook cell, the names it uses); raise
    NotPlain when no cell that ran defines it."""
    import ast

    for cell in reversed(CELLS):
        try:
            tree = ast.parse(cell)
        except SyntaxError:
            continue
        for node in reversed(tree.body):
            if isinstance(node, ast.ClassDef) and node.name == cls.__name__:
                first = min([node.lineno] + [d.lineno for d in node.decorator_list])
                lines = cell.splitlines()[first - 1 : node.end_lineno]
                uses = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
                return textwrap.dedent("\n".join(lines)) + "\n", uses - {cls.__name__}
    raise NotPlain(f"the source of class {cls.__name__} cannot be found")


def _module_level(source: str, name: str) -> Any:
    """Return the code of a function's or class's source, its `nonlocal` names made global (a
    closure's variables are the program's globals here)."""
    import ast

    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.Nonlocal):
            node.__class__ = ast.Global
    return compile(tree, f"<{name}>", "exec")


def load_program(spec: dict[str, Any]) -> Any:
    """Return the function a program spec describes, defined in a fresh namespace."""
    import importlib

    env: dict[str, Any] = {"__name__": "__student__"}
    for kind, name, body in spec["context"]:
        if kind == "module":
            env[name] = importlib.import_module(body)
        elif kind == "from":
            module, _, qual = body.partition(":")
            obj: Any = importlib.import_module(module)
            for part in qual.split("."):
                obj = getattr(obj, part)
            env[name] = obj
        elif kind == "value":
            env[name] = decode(body)
        else:
            exec(_module_level(body, name), env)
    exec(_module_level(spec["source"], spec["name"]), env)
    return env[spec["name"]]


class Operation:
    """An operation a program yields: the handle method's name and its arguments."""

    def __init__(self, name: str, args: tuple, kwargs: dict[str, Any]) -> None:
        self.name, self.args, self.kwargs = name, args, kwargs

    def __repr__(self) -> str:
        return f"<{self.name} operation>"


class Handle:
    """The thread handle `t` inside the sandbox: its methods build operations, nothing else."""

    def __init__(self, token: int, space: str, name: str) -> None:
        self.id = ThreadRef(token, name)
        self.space = space
        self.name = name

    def __getattr__(self, name: str) -> Any:
        if name not in OPS:
            raise AttributeError(f"a thread handle has no {name!r}; it has {', '.join(OPS)}")
        return lambda *args, **kwargs: Operation(name, args, kwargs)


class Result:
    """What a `yield` returned, rebuilt from the kernel's plain-data answer."""

    def __init__(self, fields: dict[str, Any]) -> None:
        self.__dict__.update(fields)

    @property
    def ok(self) -> bool:
        """Return True when the operation succeeded."""
        return self.__dict__.get("error") is None

    @property
    def is_page_fault(self) -> bool:
        """Return True for a page-fault message."""
        return self.__dict__.get("fault_page") is not None

    def __repr__(self) -> str:
        return f"Result({', '.join(f'{k}={v!r}' for k, v in self.__dict__.items())})"


class KernelError(Exception):
    """An error the kernel model raised for an operation (its message is the kernel's)."""


def _line(out: Any, payload: dict[str, Any]) -> None:
    """Write one protocol line."""
    out.write(json.dumps(payload) + "\n")
    out.flush()


def run_program(inp: Any, out: Any) -> None:
    """Run one program as a user thread, relaying each yielded operation to the grader."""
    start = json.loads(inp.readline())
    try:
        fn = load_program(start["program"])
        handle = Handle(start["token"], start["space"], start["label"])
        program = fn(handle, *decode(start["args"]))
        if not inspect.isgenerator(program):
            raise TypeError(f"{start['program']['name']} must be a generator function: "
                            "each kernel operation is a `yield`")  # fmt: skip
    except BaseException as e:  # noqa: BLE001 - reported to the grader, which decides
        _line(out, {"raise": _brief(e)})
        return
    reply: dict[str, Any] = {"result": None}
    first = True
    while True:
        try:
            if first:
                op, first = next(program), False
            elif "throw" in reply:
                op = program.throw(KernelError(reply["throw"]))
            else:
                op = program.send(_result(reply["result"]))
        except StopIteration:
            _line(out, {"return": True})
            return
        except BaseException as e:  # noqa: BLE001
            _line(out, {"raise": _brief(e)})
            return
        try:
            if not isinstance(op, Operation):
                raise NotPlain(f"yielded {op!r:.80}, not an operation of the handle")
            _line(out, {"op": op.name, "args": encode(op.args), "kwargs": encode(op.kwargs)})
        except NotPlain as e:
            reply = {"throw": f"InvalidArgument: {e}"}
            continue
        line = inp.readline()
        if not line:
            return
        reply = json.loads(line)


def run_function(inp: Any, out: Any) -> None:
    """Run one plain function (a lab's mechanism) on the arguments the grader sends, one call
    per line: {"call": args} in, {"return": value} or {"raise": "Type: message"} out. The
    package cannot be imported here: a mechanism uses the standard library only, so it cannot
    hand its work to the kernel's own mechanism."""
    start = json.loads(inp.readline())
    sys.modules["mkteach"] = None  # type: ignore[assignment]  # the kernel's own is not there
    try:
        fn = load_program(start["program"])
    except BaseException as e:  # noqa: BLE001 - reported to the grader, which decides
        _line(out, {"raise": _brief(e)})
        return
    _line(out, {"ready": True})
    while line := inp.readline():
        try:
            _line(out, {"return": encode(fn(*decode(json.loads(line)["call"])))})
        except BaseException as e:  # noqa: BLE001
            _line(out, {"raise": _brief(e)})


def _result(data: Any) -> Any:
    """Return a yield's value: a Result for IPC, the plain value for load and store."""
    value = decode(data)
    return Result(value["fields"]) if isinstance(value, dict) and "fields" in value else value


def _brief(error: BaseException) -> str:
    """Return 'Type: message' on one line."""
    return f"{type(error).__name__}: {error}".splitlines()[0][:300]


# -- notebooks -------------------------------------------------------------------------------


class CellTimeout(BaseException):
    """Raised in a cell that ran past its time limit."""


def snapshot(namespace: dict[str, Any], names: list[str]) -> dict[str, Any]:
    """Return the plain-data form of each answer variable: {name: {'value'|'program'|'missing'|
    'unsupported': ...}}."""
    out: dict[str, Any] = {}
    for name in names:
        if name not in namespace:
            out[name] = {"missing": True}
            continue
        value = namespace[name]
        try:
            if isinstance(value, types.FunctionType):
                out[name] = {"program": program_spec(value)}
            else:
                out[name] = {"value": encode(value)}
        except NotPlain as e:
            out[name] = {"unsupported": f"{type(value).__name__}: {e}"[:200]}
        except BaseException as e:  # noqa: BLE001 - a hostile object; it stays inside
            out[name] = {"unsupported": f"{type(value).__name__} could not be read ({_brief(e)})"}
    return out


def run_notebook(inp: Any, out: Any) -> None:
    """Run the job's cells in one IPython shell; after each, report its outcome and the answers."""
    job = json.loads(inp.read())
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    names: list[str] = job["names"]
    student = str(job.get("student", ""))
    shell.user_ns["STUDENT"] = student

    def alarm(signum: int, frame: Any) -> None:
        raise CellTimeout()

    signal.signal(signal.SIGALRM, alarm)
    last = None
    claimed = None
    for number, source in job["cells"]:
        CELLS.append(source)
        signal.setitimer(signal.ITIMER_REAL, job["cell_timeout"])
        try:
            result = shell.run_cell(source, store_history=False, silent=False)
            error = result.error_before_exec or result.error_in_exec
        except BaseException as e:  # noqa: BLE001
            error = e
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        line: dict[str, Any] = {"cell": number, "error": _brief(error) if error else ""}
        given = shell.user_ns.get("STUDENT")
        if given is not student:  # every cell runs as the student the path names
            if isinstance(given, str) and given != student and given[:200] != claimed:
                claimed = line["student"] = given[:200]  # the grader notes the last claim
            shell.user_ns["STUDENT"] = student
        answers = snapshot(shell.user_ns, names)
        if isinstance(error, CellTimeout):
            line["error"] = "timeout"
        if answers != last:
            line["answers"] = answers
            last = answers
        _line(out, line)
    _line(out, {"done": True})


def limit_resources(cpu_seconds: int) -> None:
    """Lower this process's limits (inherited by all it starts) before any student code runs."""
    import resource

    for name, value in {**LIMITS, "RLIMIT_CPU": cpu_seconds}.items():
        if hasattr(resource, name):
            resource.setrlimit(getattr(resource, name), (value, value))


def main() -> int:
    """Run the mode named on the command line with the protocol on fd 3, student output muted."""
    mode = sys.argv[1]
    limit_resources(int(sys.argv[2]) if len(sys.argv) > 2 else 60)
    proto = os.fdopen(os.dup(1), "w")
    inp = sys.stdin
    null = os.open(os.devnull, os.O_RDWR)
    os.dup2(null, 1)
    os.dup2(null, 2)
    if mode == "probe":  # what a submission needs imports here: the grader's check_sandbox
        from IPython.core.interactiveshell import InteractiveShell  # noqa: F401

        import mkteach.grading  # noqa: F401

        _line(proto, {"ready": True})
    elif mode == "notebook":
        data = inp.read()
        os.dup2(null, 0)
        run_notebook(_Text(data), proto)
    elif mode == "function":
        run_function(inp, proto)
    else:
        run_program(inp, proto)
    return 0


class _Text:
    """A read() over text already read."""

    def __init__(self, text: str) -> None:
        self.text = text

    def read(self) -> str:
        """Return the text."""
        return self.text


if __name__ == "__main__":
    sys.exit(main())

"""The package's structure: one module per concept, dependencies one way.

Two rules a reader can rely on: the hardware models (`mkteach.hw`) import nothing of the kernel
(they share only `mkteach.errors`), and no module of `mkteach` imports, directly or through
others, a module that imports it back.
"""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "mkteach"
HW_MODULES = sorted(p.stem for p in (PACKAGE / "hw").glob("*.py") if p.stem != "__init__")


def module_name(path: Path) -> str:
    """Return the dotted module name of a file of the package."""
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> set[str]:
    """Return the mkteach modules a file imports (at any place in it), as dotted names."""
    here = module_name(path)
    package = here if path.name == "__init__.py" else here.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("mkteach")}
        elif isinstance(node, ast.ImportFrom):
            base = package
            for _ in range(node.level - 1):
                base = base.rpartition(".")[0]
            target = (
                (f"{base}.{node.module}" if node.module else base) if node.level else node.module
            )
            if not target or not target.startswith("mkteach"):
                continue
            for alias in node.names:  # `from . import ipc` imports the module mkteach.kernel.ipc
                candidate = f"{target}.{alias.name}"
                found.add(candidate if candidate in MODULES else target)
    return {m for m in found if m in MODULES and m != here}


MODULES = {module_name(p): p for p in PACKAGE.rglob("*.py")}


@pytest.mark.parametrize("module", HW_MODULES)
def test_every_hardware_module_imports_with_the_kernel_blocked(module):
    code = (
        "import sys, importlib.abc\n"
        "class Block(importlib.abc.MetaPathFinder):\n"
        "    def find_spec(self, name, path, target=None):\n"
        "        if name == 'mkteach.kernel' or name.startswith('mkteach.kernel.'):\n"
        "            raise ImportError('blocked: ' + name)\n"
        "sys.meta_path.insert(0, Block())\n"
        f"import mkteach.hw.{module}\n"
        "print(sorted(m for m in sys.modules if m.startswith('mkteach.kernel')))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=PACKAGE.parent)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_no_module_of_the_package_takes_part_in_an_import_cycle():
    graph = {name: imports(path) for name, path in MODULES.items()}
    cycles = []
    state: dict[str, int] = {}  # 1: on the path being explored, 2: done

    def visit(name, path):
        state[name] = 1
        for dep in sorted(graph[name]):
            if state.get(dep) == 1:
                cycles.append(path[path.index(dep) :] + [dep] if dep in path else [name, dep])
            elif dep not in state:
                visit(dep, path + [dep])
        state[name] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    assert cycles == [], "import cycles: " + "; ".join(" -> ".join(c) for c in cycles)


def test_the_kernel_is_a_module_per_concept():
    kernel = {p.stem for p in (PACKAGE / "kernel").glob("*.py")}
    concepts = {"entry", "spaces", "mapdb", "ipc", "faults", "interrupts", "clans", "lifecycle",
                "ids", "state", "trace"}  # fmt: skip
    assert concepts <= kernel
    assert "mkteach.kernel.kernel" not in imports(PACKAGE / "kernel" / "ipc.py")


def test_every_charge_names_a_cause_the_hardware_owns():
    """Cycles are charged by a `mkteach.hw.Cause`, never by a string a module invents (an
    exercise once charged "trap_exit", a cause no view knows)."""
    invented = []
    for name, path in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "charge"
                and node.args
                and isinstance(node.args[0], ast.Constant)
            ):
                invented.append(f"{name}:{node.lineno} charges {node.args[0].value!r}")
    assert invented == []

"""Build the course as a JupyterLite site in build/lite/: JupyterLab and Python in the browser.

    python scripts/build_lite.py            # `make lite`; then serve build/lite/ as static files

Everything comes from the package registries at pinned versions and is downloaded once into
.cache/lite/ (gitignored), so a second build is quick:

- lite/build-requirements.txt: jupyterlite-core and jupyterlite-pyodide-kernel, installed into
  .cache/lite/venv with the Python that runs this script (3.10 or newer);
- lite/package.json and package-lock.json: the Pyodide distribution (npm package `pyodide`),
  installed with `npm ci`;
- lite/site-requirements.txt: the pure-Python wheels the site bundles, downloaded by pip for
  Pyodide's Python (3.14; pip selects by `--python-version`, so no Python 3.14 is needed here);
- the mkteach wheel, built from this repository.

The site's pyodide-lock.json lists exactly those wheels (it is written here from their metadata;
jupyterlite's own lock tool needs pyodide-lock >= 0.1.3, which the registry does not have), and
the kernel preloads the course from it, so the site fetches nothing at run time from anywhere but
itself. The course notebooks and the student copies in notebooks/exercises/ (if present) are the
site's files; exercises/ (the instructor's sources, with solutions) never is.

The site's notebooks are written in the form JupyterLite renders right before any cell runs:
every multi-line string (a cell's source, a stream's text, an output's text/markdown or HTML)
as one string, not nbformat's list of lines (JupyterLite showed a list's lines joined by commas,
and its table of contents failed on one), and their code cells trusted as `mkteach lab` trusts
the course (the saved dashboards' replays step before any cell runs). Each carries the course's
version stamp (metadata.mkteach.course), and mkteach-course.json lists them;
lite/course-notice.js, loaded by the lab page, tells a student whose saved copy predates the
course's, offers to reset it to the course's copy, and downloads the student's notebooks in one
click.
"""

from __future__ import annotations

import email.parser
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LITE = ROOT / "lite"
CACHE = ROOT / ".cache" / "lite"
OUTPUT = ROOT / "build" / "lite"
MAX_SITE_MB = 80
PYODIDE_PYTHON = "3.14"
PYODIDE_FILES = ("pyodide.mjs", "pyodide.asm.mjs", "pyodide.asm.wasm", "python_stdlib.zip")
KERNEL_WHEELS = ("piplite", "pyodide_kernel", "ipykernel", "widgetsnbextension-4.")
# The kernel installs these with piplite unless they are preloaded; preloading them (and the
# course) from the site's own lock is what keeps every request on the site.
PRELOAD = ("micropip", "piplite", "ipykernel", "comm", "pyodide-kernel", "jedi", "ipython",
           "widgetsnbextension", "mkteach")  # fmt: skip
# Federated JupyterLab extensions the views need, taken from the same wheels the kernel loads.
EXTENSION_WHEELS = ("jupyterlab_widgets", "plotly", "anywidget")
# What the kernel and the course import on the way to a first result and a dashboard: these
# modules are compiled to bytecode at build time (scripts/lite_compile.mjs); others stay
# source only and are compiled when imported.
WARMUP = """
import IPython, IPython.core.completer, comm, ipywidgets, anywidget, micropip, packaging
import plotly.graph_objects, plotly.subplots, plotly.io, networkx
import mkteach, mkteach.views, mkteach.paper, mkteach.scenarios, mkteach.grading
from mkteach.scenarios import SCENARIOS, build
for name in SCENARIOS:
    system = build(name)
    system.run()
    for figure in mkteach.views.dashboard(system).figures():
        figure.to_dict()
try:
    import pyodide_kernel  # needs the browser; what it imports before it fails still counts
except Exception:
    pass
"""
STORAGE = "mkteach course"  # the browser storage (IndexedDB) that keeps a student's copies
NOTICE = LITE / "course-notice.js"
LEAKS = ("BEGIN SOLUTION", "BEGIN HIDDEN TESTS", "BEGIN MARK SCHEME")
PYODIDE_MARKERS = {
    "python_version": PYODIDE_PYTHON,
    "python_full_version": f"{PYODIDE_PYTHON}.0",
    "sys_platform": "emscripten",
    "platform_system": "Emscripten",
    "platform_machine": "wasm32",
    "os_name": "posix",
    "implementation_name": "cpython",
    "platform_python_implementation": "CPython",
    "extra": "",
}


class BuildError(RuntimeError):
    """The site cannot be built as asked (the message says what to fix)."""


def run(command: list[str | Path], cwd: Path = ROOT) -> None:
    """Run `command`; raise BuildError with its output if it fails."""
    done = subprocess.run([str(c) for c in command], cwd=cwd, capture_output=True, text=True)
    if done.returncode:
        raise BuildError(f"{' '.join(map(str, command))} failed:\n{done.stdout}{done.stderr}")


def digest(*paths: Path) -> str:
    """Return a sha256 over the bytes of `paths` (a stamp for what a cached step was made from)."""
    h = hashlib.sha256()
    for path in paths:
        h.update(path.read_bytes())
    return h.hexdigest()


def build_tools() -> Path:
    """Return the bin folder of .cache/lite/venv, with lite/build-requirements.txt installed."""
    env, reqs = CACHE / "venv", LITE / "build-requirements.txt"
    stamp = env / ".requirements-sha256"
    if stamp.exists() and stamp.read_text() == digest(reqs):
        return env / "bin"
    print(f"installing the build tools into {env.relative_to(ROOT)}")
    venv.EnvBuilder(with_pip=True, clear=True).create(env)
    run([env / "bin" / "python", "-m", "pip", "install", "-q", "-r", reqs])
    stamp.write_text(digest(reqs))
    return env / "bin"


def pyodide_distribution() -> Path:
    """Return the folder of the pinned npm package `pyodide`, installed with `npm ci`."""
    npm = shutil.which("npm")
    if npm is None:
        raise BuildError("npm is missing: install Node.js with npm (apt-get install -y npm)")
    work = CACHE / "npm"
    work.mkdir(parents=True, exist_ok=True)
    files = [LITE / "package.json", LITE / "package-lock.json"]
    stamp = work / ".lock-sha256"
    dist = work / "node_modules" / "pyodide"
    if not (stamp.exists() and stamp.read_text() == digest(*files) and dist.is_dir()):
        print("installing the Pyodide distribution (npm ci)")
        for f in files:
            shutil.copy(f, work / f.name)
        run([npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund"], cwd=work)
        stamp.write_text(digest(*files))
    missing = [f for f in (*PYODIDE_FILES, "pyodide-lock.json") if not (dist / f).is_file()]
    if missing:
        raise BuildError(f"the npm package pyodide in {dist} lacks {', '.join(missing)}")
    return dist


def site_wheels(bin_dir: Path) -> list[Path]:
    """Return the wheels of lite/site-requirements.txt, downloaded for Pyodide's Python."""
    reqs = LITE / "site-requirements.txt"
    wheels = CACHE / "wheels"
    wanted = pinned(reqs)
    have = {wheel_name(w): w for w in wheels.glob("*.whl")} if wheels.is_dir() else {}
    if any(have.get(name, Path()).name.split("-")[1:2] != [ver] for name, ver in wanted.items()):
        print("downloading the site's wheels")
        run([bin_dir / "python", "-m", "pip", "download", "-q", "--no-deps", "--only-binary=:all:",
             "--platform", "any", "--implementation", "py", "--abi", "none",
             "--python-version", PYODIDE_PYTHON, "-r", reqs, "-d", wheels])  # fmt: skip
        have = {wheel_name(w): w for w in wheels.glob("*.whl")}
    chosen = []
    for name, version in wanted.items():
        wheel = have.get(name)
        if wheel is None or wheel.name.split("-")[1] != version:
            raise BuildError(f"no wheel of {name}=={version} in {wheels}; delete it and rebuild")
        chosen.append(wheel)
    return chosen


def pinned(requirements: Path) -> dict[str, str]:
    """Return name -> version of a requirements file in which every line is `name==version`."""
    pins = {}
    for line in requirements.read_text().splitlines():
        line = line.split("#")[0].strip()
        if not line:
            continue
        name, sep, version = line.partition("==")
        if not sep:
            raise BuildError(f"{requirements}: {line!r} is not pinned (write name==version)")
        pins[canon(name)] = version.strip()
    return pins


def canon(name: str) -> str:
    """Return a package name in its canonical form (PEP 503)."""
    return "-".join(name.replace("_", "-").replace(".", "-").lower().split("-"))


def wheel_name(wheel: Path) -> str:
    """Return the canonical package name of a wheel file."""
    return canon(wheel.name.split("-")[0])


def kernel_wheels(bin_dir: Path) -> list[Path]:
    """Return the kernel's own wheels (piplite, pyodide-kernel and its shims) from its extension."""
    pypi = bin_dir.parent / "share/jupyter/labextensions/@jupyterlite/pyodide-kernel-extension"
    found = sorted((pypi / "static" / "pypi").glob("*.whl"))
    chosen = [w for w in found if w.name.startswith(KERNEL_WHEELS)]
    if len(chosen) != len(KERNEL_WHEELS):
        raise BuildError(f"expected the wheels {KERNEL_WHEELS} in {pypi}, found {found}")
    return chosen


def course_wheel(bin_dir: Path) -> Path:
    """Return a freshly built wheel of this repository's mkteach package."""
    out = CACHE / "course"
    shutil.rmtree(out, ignore_errors=True)
    # the site serves the notebooks as its files: the wheel need not carry them (setup.py)
    os.environ["MKTEACH_WHEEL_WITHOUT_COURSE"] = "1"
    run([bin_dir / "python", "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
         "-w", out, ROOT])  # fmt: skip
    for scratch in ("lib", f"bdist.{sysconfig.get_platform()}"):  # setuptools leaves these
        shutil.rmtree(ROOT / "build" / scratch, ignore_errors=True)
    (wheel,) = out.glob("mkteach-*.whl")
    return wheel


def compiled(dist: Path, wheels: list[Path]) -> tuple[list[Path], Path]:
    """Return the wheels and Pyodide's standard library zip with bytecode for the modules
    WARMUP imports (cached under a digest of every input).

    scripts/lite_compile.mjs compiles them with Pyodide's own Python under Node.
    """
    script = ROOT / "scripts" / "lite_compile.mjs"
    sources = [(w, "wheel") for w in wheels] + [(dist / "python_stdlib.zip", "stdlib")]
    key = hashlib.sha256(WARMUP.encode() + digest(script, *(src for src, _ in sources)).encode())
    out = CACHE / "compiled" / key.hexdigest()[:20]
    results = [out / src.name for src, _ in sources]
    if not all(r.is_file() for r in results):
        node = shutil.which("node")
        if node is None:
            raise BuildError("node is missing: install Node.js (apt-get install -y nodejs npm)")
        print(f"compiling the modules the course imports to bytecode, in Pyodide ({out.name})")
        shutil.rmtree(CACHE / "compiled", ignore_errors=True)  # older builds' outputs
        out.mkdir(parents=True)
        zips = [{"src": str(s.resolve()), "dst": str(d.resolve()), "kind": k}
                for (s, k), d in zip(sources, results, strict=True)]  # fmt: skip
        (out / "jobs.json").write_text(json.dumps({"warmup": WARMUP, "zips": zips}))
        try:
            run([node, script, dist, out / "jobs.json"])
        except BuildError:
            shutil.rmtree(out, ignore_errors=True)
            raise
    return results[:-1], results[-1]


def metadata(wheel: Path) -> email.message.Message:
    """Return the METADATA of a wheel."""
    with zipfile.ZipFile(wheel) as z:
        name = next(n for n in z.namelist() if n.endswith(".dist-info/METADATA"))
        return email.parser.Parser().parsestr(z.read(name).decode())


def requirements_in_pyodide(wheel: Path) -> list:
    """Return the wheel's requirements (packaging Requirement objects) that apply in Pyodide."""
    from packaging.requirements import Requirement

    reqs = [Requirement(r) for r in metadata(wheel).get_all("Requires-Dist") or []]
    return [r for r in reqs if r.marker is None or r.marker.evaluate(PYODIDE_MARKERS)]


def check_closure(wheels: list[Path]) -> dict[str, list[str]]:
    """Return name -> dependency names for every wheel; raise if a requirement is not met.

    Every wheel must be pure Python (`none-any`): Pyodide cannot load a compiled one.
    """
    versions = {canon(metadata(w)["Name"]): metadata(w)["Version"] for w in wheels}
    depends, problems = {}, []
    for wheel in wheels:
        if not wheel.name.endswith("-none-any.whl"):
            problems.append(f"{wheel.name} is not a pure-Python wheel")
        name = canon(metadata(wheel)["Name"])
        depends[name] = []
        for req in requirements_in_pyodide(wheel):
            dep = canon(req.name)
            if dep not in versions:
                problems.append(f"{name} needs {req}, which lite/site-requirements.txt lacks")
            elif not req.specifier.contains(versions[dep], prereleases=True):
                problems.append(f"{name} needs {req}, but the site has {dep} {versions[dep]}")
            else:
                depends[name].append(dep)
    if problems:
        raise BuildError("the site's packages do not fit together:\n  " + "\n  ".join(problems))
    return depends


def imports(wheel: Path) -> list[str]:
    """Return the top-level modules a wheel installs (the lock's `imports`)."""
    with zipfile.ZipFile(wheel) as z:
        tops = set()
        for n in z.namelist():
            top = n.split("/")[0]
            if ".dist-info" in top or ".data" in top:
                continue
            tops.add(top[:-3] if top.endswith(".py") and "/" not in n else top)
    return sorted(t for t in tops if t.isidentifier())


def lock(npm_lock: Path, wheels: list[Path]) -> dict:
    """Return a pyodide-lock.json listing exactly `wheels` (files next to the lock)."""
    depends = check_closure(wheels)
    packages = {}
    for wheel in wheels:
        meta = metadata(wheel)
        name = canon(meta["Name"])
        packages[name] = {
            "name": name,
            "version": meta["Version"],
            "file_name": wheel.name,
            "install_dir": "site",
            "sha256": hashlib.sha256(wheel.read_bytes()).hexdigest(),
            "package_type": "package",
            "imports": imports(wheel),
            "depends": sorted(depends[name]),
            "unvendored_tests": False,
        }
    return {
        "info": json.loads(npm_lock.read_text())["info"],
        "packages": dict(sorted(packages.items())),
    }


def contents() -> list[Path]:
    """Return the notebooks the site offers: the chapters and notebooks/exercises/ if present."""
    notebooks = ROOT / "notebooks"
    found = sorted(notebooks.glob("*.ipynb"))
    students = notebooks / "exercises"
    if students.is_dir():
        found += sorted(p for p in students.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
    for nb in found:
        text = nb.read_text()
        leak = next((m for m in LEAKS if m in text), None)
        if leak:
            raise BuildError(f"{nb} contains '{leak}': only student copies may go into the site")
    return found


def stage(site_dir: Path, dist: Path, stdlib: Path, wheels: list[Path],
          extension_wheels: list[Path]) -> None:  # fmt: skip
    """Write the JupyterLite project folder: Pyodide with its lock and wheels, config, files."""
    shutil.rmtree(site_dir, ignore_errors=True)
    pyodide = site_dir / "static" / "pyodide"
    pyodide.mkdir(parents=True)
    for name in PYODIDE_FILES:
        shutil.copy(stdlib if name == stdlib.name else dist / name, pyodide / name)
    for wheel in wheels:
        shutil.copy(wheel, pyodide / wheel.name)
    (pyodide / "pyodide-lock.json").write_text(
        json.dumps(lock(dist / "pyodide-lock.json", wheels), indent=1)
    )
    files = site_dir / "files"
    notebooks = {nb.relative_to(ROOT / "notebooks").as_posix(): nb for nb in contents()}
    version = course_version(notebooks.values())
    manifest = {"version": version, "storage": STORAGE, "notebooks": {}}
    for name, nb in notebooks.items():
        dest = files / name
        dest.parent.mkdir(parents=True, exist_ok=True)
        page = site_notebook(json.loads(nb.read_text()), version)
        dest.write_text(json.dumps(page, indent=1, ensure_ascii=False) + "\n")
        manifest["notebooks"][name] = page["metadata"]["mkteach"]["course"]["notebook"]
    (site_dir / "mkteach-course.json").write_text(json.dumps(manifest, indent=1))
    settings = {
        "disablePyPIFallback": True,
        "loadPyodideOptions": {"packages": list(PRELOAD)},
    }
    lite_json = {
        "jupyter-lite-schema-version": 0,
        "jupyter-config-data": {
            "appName": "mkteach",
            "exposeAppInBrowser": True,  # window.jupyterapp, for the browser test
            # Without the service worker the kernel does not mount the file browser's drive
            # as its working folder: every import would look there first, one synchronous
            # request per look (it made the first cell take 30 s). The course reads no files.
            "disabledExtensions": ["@jupyterlite/application-extension:service-worker-manager"],
            # a fixed name (not one made from the page's URL) that lite/course-notice.js reads
            "contentsStorageName": STORAGE,
            "litePluginSettings": {"@jupyterlite/pyodide-kernel-extension:kernel": settings},
        },
    }
    (site_dir / "jupyter-lite.json").write_text(json.dumps(lite_json, indent=1))
    news = {"fetchNews": "false", "checkForUpdates": False}  # no requests to the news feed
    overrides = {"@jupyterlab/apputils-extension:notification": news}
    (site_dir / "overrides.json").write_text(json.dumps(overrides, indent=1))
    config = {
        "LiteBuildConfig": {
            "apps": ["lab"],
            "contents": ["files"],
            "federated_extensions": [str(w) for w in extension_wheels],
            "no_sourcemaps": True,
            "no_unused_shared_packages": True,
            "settings_overrides": ["overrides.json"],
        }
    }
    (site_dir / "jupyter_lite_config.json").write_text(json.dumps(config, indent=1))


def joined(value: object) -> object:
    """Return `value` with every list of strings (nbformat's multi-line string) joined into one
    string, in dicts and lists at any depth."""
    if isinstance(value, list):
        if value and all(isinstance(v, str) for v in value):
            return "".join(value)
        return [joined(v) for v in value]
    if isinstance(value, dict):
        return {k: joined(v) for k, v in value.items()}
    return value


def notebook_digest(nb: dict) -> str:
    """Return a short digest of a notebook's cells (sources and outputs), its content."""
    cells = json.dumps(joined(nb.get("cells", [])), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(cells.encode()).hexdigest()[:12]


def course_version(notebooks) -> str:
    """Return the course's version: the package's version and a digest of every notebook."""
    text = (ROOT / "pyproject.toml").read_text()
    package = re.search(r'^version = "([^"]+)"', text, re.M).group(1)
    digests = "".join(notebook_digest(json.loads(Path(nb).read_text())) for nb in notebooks)
    return f"{package}+{hashlib.sha256(digests.encode()).hexdigest()[:10]}"


def site_notebook(nb: dict, version: str) -> dict:
    """Return notebook `nb` as the site serves it: multi-line strings joined (JupyterLite renders
    nbformat's lists of lines wrongly until a cell re-runs) and stamped with the course version
    and its own digest (metadata.mkteach.course)."""
    page = joined(nb)
    for cell in page.get("cells", []):
        if cell.get("cell_type") == "code":  # the course's own outputs, as `mkteach lab` trusts
            cell["metadata"] = {**cell.get("metadata", {}), "trusted": True}
    metadata = dict(page.get("metadata", {}))
    stamp = {"version": version, "notebook": notebook_digest(nb)}
    metadata["mkteach"] = {**metadata.get("mkteach", {}), "course": stamp}
    page["metadata"] = metadata
    return page


def add_notice(output: Path, site_dir: Path) -> None:
    """Put the course manifest and lite/course-notice.js into the built site, and load the script
    from the lab page (it runs beside JupyterLab, before any notebook is opened)."""
    shutil.copy(site_dir / "mkteach-course.json", output / "mkteach-course.json")
    shutil.copy(NOTICE, output / "mkteach-course.js")
    page = output / "lab" / "index.html"
    html = page.read_text()
    tag = '<script src="../mkteach-course.js" defer></script>'
    if tag not in html:
        page.write_text(html.replace("</head>", f"    {tag}\n  </head>", 1))


def site_size(path: Path) -> int:
    """Return the bytes of every file under `path`."""
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def build() -> Path:
    """Build build/lite/ and return it; raise BuildError when something is missing or too big."""
    bin_dir = build_tools()
    dist = pyodide_distribution()
    wheels = [*site_wheels(bin_dir), *kernel_wheels(bin_dir), course_wheel(bin_dir)]
    extensions = [w for w in wheels if w.name.startswith(tuple(f"{n}-" for n in EXTENSION_WHEELS))]
    check_closure(wheels)
    wheels, stdlib = compiled(dist, wheels)
    site_dir = CACHE / "site"
    stage(site_dir, dist, stdlib, wheels, extensions)
    shutil.rmtree(OUTPUT, ignore_errors=True)
    env = dict(os.environ, JUPYTER_PLATFORM_DIRS="1", JUPYTER_CONFIG_DIR=str(CACHE / "jupyter"))
    command = [bin_dir / "jupyter", "lite", "build", "--lite-dir", site_dir, "--output-dir",
               OUTPUT]  # fmt: skip
    done = subprocess.run([str(c) for c in command], cwd=site_dir, env=env, capture_output=True,
                          text=True)  # fmt: skip
    if done.returncode:
        raise BuildError(f"jupyter lite build failed:\n{done.stdout[-4000:]}{done.stderr[-4000:]}")
    add_notice(OUTPUT, site_dir)
    size = site_size(OUTPUT)
    if size > MAX_SITE_MB * 1e6:
        raise BuildError(f"the site is {size / 1e6:.1f} MB, more than {MAX_SITE_MB} MB")
    print(f"built {OUTPUT.relative_to(ROOT)}: {size / 1e6:.1f} MB, {len(wheels)} wheels")
    return OUTPUT


def main() -> None:
    """Build the site, running in the build tools' own Python (re-executing there if needed)."""
    try:
        bin_dir = build_tools()
        if Path(sys.prefix).resolve() != bin_dir.parent.resolve():
            os.execv(bin_dir / "python", [str(bin_dir / "python"), __file__, *sys.argv[1:]])
        build()
    except BuildError as e:
        sys.exit(f"make lite: {e}")


if __name__ == "__main__":
    main()

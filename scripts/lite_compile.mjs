// Compile the site's Python sources to bytecode with Pyodide's own Python (run by Node).
//
//   node scripts/lite_compile.mjs <pyodide dir> <jobs.json>
//
// jobs.json lists {"src": ..., "dst": ..., "kind": "wheel" | "stdlib"} with absolute paths.
// jobs.json is {"warmup": Python code, "zips": [{"src", "dst", "kind": "wheel" | "stdlib"}]}
// with absolute paths. The wheels are unpacked and the warm-up code (the kernel's and the
// course's imports, a dashboard) is run; every module it imported gets an unchecked-hash .pyc
// beside its .py in the output zip (a wheel's in __pycache__/, as pip would write it; the
// standard library zip's next to the source, where zipimport looks). Modules the warm-up did
// not touch stay source only, so the site grows by what is used. The sources stay, so
// tracebacks still show lines. Pyodide ships sources only, and compiling them at import took
// most of the kernel's start and of `import mkteach.views`; bytecode from the very interpreter
// that runs it needs no Python 3.14 on the build machine.
import path from "node:path";
import { pathToFileURL } from "node:url";

const [pyodideDir, jobsFile] = process.argv.slice(2);
const { loadPyodide } = await import(pathToFileURL(path.join(pyodideDir, "pyodide.mjs")).href);
const py = await loadPyodide({ indexURL: pyodideDir + path.sep });
py.FS.mkdirTree("/host");
py.FS.mount(py.FS.filesystems.NODEFS, { root: "/" }, "/host");
py.globals.set("jobs_file", "/host" + path.resolve(jobsFile));
await py.runPythonAsync(`
import base64, hashlib, importlib.util, json, sys, zipfile
from importlib._bootstrap_external import _code_to_hash_pyc

TAG = sys.implementation.cache_tag
JOBS = json.load(open(jobs_file))
UNPACKED = "/tmp/site-packages"
STDLIB = next(p for p in sys.path if p.endswith(".zip"))


def imported_by_warmup() -> set[str]:
    """Return the files (relative to site-packages or to the stdlib zip) the warm-up imports."""
    for job in JOBS["zips"]:
        if job["kind"] == "wheel":
            zipfile.ZipFile("/host" + job["src"]).extractall(UNPACKED)
    sys.path.insert(0, UNPACKED)
    exec(compile(JOBS["warmup"], "<warm-up>", "exec"), {})
    used = set()
    for module in list(sys.modules.values()):
        file = getattr(module, "__file__", None) or ""
        for prefix in (UNPACKED + "/", STDLIB + "/"):
            if file.startswith(prefix) and file.endswith(".py"):
                used.add(file[len(prefix):])
    return used


def pyc(source: bytes, name: str) -> bytes:
    return _code_to_hash_pyc(compile(source, name, "exec", dont_inherit=True),
                             importlib.util.source_hash(source), checked=False)


def record_line(name: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def compile_zip(src: str, dst: str, kind: str, used: set[str]) -> int:
    count = 0
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        added = []
        record = None
        for info in zin.infolist():
            data = zin.read(info)
            if kind == "wheel" and info.filename.endswith(".dist-info/RECORD"):
                record = (info, data)
                continue
            zout.writestr(info, data)
            if info.filename not in used:
                continue
            folder, _, file = info.filename.rpartition("/")
            stem = file[:-3]
            if kind == "wheel":
                name = f"{folder + '/' if folder else ''}__pycache__/{stem}.{TAG}.pyc"
            else:
                name = info.filename + "c"
            try:
                code = pyc(data, info.filename)
            except SyntaxError:
                continue  # e.g. a test fixture that is not Python 3.14: it stays a source
            zout.writestr(zipfile.ZipInfo(name, info.date_time), code, zipfile.ZIP_DEFLATED)
            added.append((name, code))
            count += 1
        if record is not None:
            info, data = record
            lines = data.decode().rstrip("\\n").split("\\n")
            lines[-1:-1] = [record_line(n, c) for n, c in added]  # RECORD's own line stays last
            zout.writestr(info, "\\n".join(lines) + "\\n")
    return count


USED = imported_by_warmup()
print(f"the warm-up imported {len(USED)} modules")
for job in JOBS["zips"]:
    n = compile_zip("/host" + job["src"], "/host" + job["dst"], job["kind"], USED)
    print(f"compiled {n} modules of {job['src'].rsplit('/', 1)[-1]}")
`);

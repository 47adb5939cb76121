// The dashboard's view model: pure functions of a replay (mkteach/views/replay.py) and a step.
// Nothing here touches the page; tests/player/*.test.mjs runs them in node on real replays.

export const NS = "http://www.w3.org/2000/svg";
export const MAX_MSGS = 12;
export const BARS = 40;

/** Return `s` with the HTML specials escaped. */
export const esc = (s) =>
  String(s).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);

/** Return `n` with thousands separators (1,025). */
export const fmt = (n) => Number(n).toLocaleString("en-US");

/** Return the round number (1, 2, 2.5 or 5 times a power of ten) at or above `v`. */
export function nice(v) {
  if (!(v > 0)) return 1;
  const p = Math.pow(10, Math.floor(Math.log10(v))), m = v / p;
  return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 2.5 ? 2.5 : m <= 5 ? 5 : 10) * p;
}

/** Return the run's index of step `at` in its per-step arrays (-1 before its window). */
export const indexOf = (r, at) => at - r.lo;

/** Return one event of a step as a line of text: the replay sends either text or typed
 * fields ({text, cycles, ...}); both are accepted. */
export function eventLine(e) {
  if (e === null || e === undefined) return "";
  if (typeof e === "string") return e;
  const text = e.text ?? e.what ?? e.kind ?? "";
  return e.cycles ? `${text} — ${fmt(e.cycles)} cycles` : String(text);
}

/** Return the cycles step `at` of run `r` cost (the sum over its causes). */
export function stepCycles(r, at) {
  const c = r.cost[indexOf(r, at)] || [];
  return c.reduce((a, [, v]) => a + v, 0);
}

/** Return the cycles on the run's clock after step `at` (before the window, then each step's). */
export function totalAt(r, at) {
  let total = r.before;
  for (let k = 0; k <= at - r.lo && k < r.cost.length; k++) for (const [, v] of r.cost[k]) total += v;
  return total;
}

/** Return true when step `at` of run `r` is set-up: no program line made it and it cost nothing
 * (creating a space or a thread before the run). */
export function isSetup(r, at) {
  const k = indexOf(r, at);
  if (at < 0 || k < 0 || k >= r.cost.length) return false;
  return !(r.where && r.where[k]) && stepCycles(r, at) === 0;
}

/** Return the first step that is a kernel entry (not set-up) in any run, or null if none:
 * the replay's own `first` when it sends one, else found in the steps held here. */
export function firstEntry(data) {
  if (Number.isInteger(data.first)) return data.first;
  let best = null;
  for (const r of data.runs) {
    for (let k = 0; k < r.cost.length; k++) {
      const at = r.lo + k;
      if (!isSetup(r, at)) {
        if (best === null || at < best) best = at;
        break;
      }
    }
  }
  return best;
}

/** Return every thread's [name, space, state] after step `at`: the states before the window,
 * then each step's changes (a state of -1: the thread is gone); sigma0 first. */
export function threadsAt(r, at) {
  const now = new Map(r.t0.map(([t, st]) => [t, st]));
  for (let k = 0; k <= at - r.lo && k < r.dt.length; k++) {
    for (const [t, st] of r.dt[k]) (st < 0 ? now.delete(t) : now.set(t, st));
  }
  const rows = [...now].map(([t, st]) => [...r.threads[t], r.states[st]]);
  return rows.sort((a, b) => (a[0] === "sigma0" ? -1 : b[0] === "sigma0" ? 1 : 0));
}

/** Return the readout beside the slider for step `n`. */
export function readout(data, n) {
  const setup = n >= 0 && data.runs.every((r) => n > r.last || isSetup(r, n));
  return `step ${n} of ${data.last}${setup ? " (set-up)" : ""}`;
}

/** Return what the page says when the student steps past the last step: the replay's `end`
 * (why nothing more can happen) if it knows, else what to do next. */
export function endNote(data, live) {
  if (data.end) return `Nothing more happens: ${data.end}`;
  if (live) return "Running one more step…";
  return "The end of the recorded run: run the notebook to go on.";
}

/** Return the y-axis maxima of the cost panel, one {step, total, own} per run: with `perRun`
 * each run has its own scale, else every run shares the largest. */
export function costScales(data, perRun) {
  const per = data.runs.map((r) => {
    let step = 1;
    for (const c of r.cost) step = Math.max(step, c.reduce((a, [, v]) => a + v, 0));
    return { step, total: Math.max(1, totalAt(r, Math.min(r.last, data.hi))) };
  });
  if (perRun) return per.map((s) => ({ step: nice(s.step), total: nice(s.total), own: true }));
  const step = nice(Math.max(...per.map((s) => s.step)));
  const total = nice(Math.max(...per.map((s) => s.total)));
  return per.map(() => ({ step, total, own: false }));
}

/** Return true when compared runs differ so much (3 times or more in their largest step) that
 * one shared scale would flatten the smaller one: the cost panel then starts with per-run scales. */
export function perRunByDefault(data) {
  if (data.runs.length < 2) return false;
  const tops = costScales(data, true).map((s) => s.step);
  return Math.max(...tops) >= 3 * Math.min(...tops);
}

/** Return a copy of hardware units' contents ({sets, hits, misses} each). */
export const copyUnits = (units) => units.map((u) => ({ sets: u.sets.slice(), hits: u.hits, misses: u.misses }));

/** Return the TLB and cache contents after `at` as {at, units, flushed}; `cache` ({} at first)
 * keeps a checkpoint every 64 steps and the last state, so stepping on is one step's work.
 * `flushed[j]` lists the sets of unit j this step emptied (a TLB flush). */
export function hardwareAt(cache, r, at) {
  let st = cache.st;
  if (!st || st.run !== r) st = cache.st = { run: r, at: r.lo - 1, units: copyUnits(r.hw0), marks: new Map(), flushed: [] };
  if (st.at > at) {
    let best = r.lo - 1;
    for (const k of st.marks.keys()) if (k <= at && k > best) best = k;
    st.units = copyUnits(best < r.lo ? r.hw0 : st.marks.get(best));
    st.at = best;
  }
  while (st.at < at) {
    st.at++;
    const change = r.hw[st.at - r.lo] || {};
    const flushed = [];
    for (const u in change) {
      const [sets, hits, misses] = change[u], unit = st.units[u];
      const emptied = [];
      for (const k in sets) {
        if (sets[k].length === 0 && unit.sets[k] && unit.sets[k].length) emptied.push(Number(k));
        unit.sets[k] = sets[k];
      }
      flushed[u] = emptied;
      unit.hits = hits;
      unit.misses = misses;
    }
    st.flushed = flushed;
    if ((st.at - r.lo) % 64 === 63 && !st.marks.has(st.at)) st.marks.set(st.at, copyUnits(st.units));
  }
  if (st.at !== at) st.flushed = [];
  return st;
}

/** Return [owner index, label] of a cache line number or a TLB [tag, page] entry. */
export function entryInfo(key, r, u, e) {
  const owners = key.owners.map((o) => o[0]);
  if (u.line) {
    const address = e * u.line, hex = "0x" + address.toString(16);
    const bound = key.bounds.find(([start]) => address >= start);
    const kind = bound ? bound[1] : "user";
    return [owners.indexOf(kind), `${kind} ${hex}`];
  }
  const [tag, page] = e;
  if (tag === -1) return [owners.indexOf("kernel code"), "kernel page 0x" + page.toString(16)];
  const space = tag > 0 ? r.spaces[tag - 1] : null;
  return [owners.indexOf("user"), `page ${page} of ${space || "the current large space"}`];
}

/** Return the frames (a node's sixth field) and the spaces whose trees the run's scenes draw,
 * as {frames, spaces}, each sorted; none when the replay does not say (an older replay). */
export function treeChoices(r) {
  const frames = new Set(), spaces = new Set();
  for (const scene of r.scenes) {
    for (const n of scene.nodes) {
      if (n[5] === null || n[5] === undefined) continue;
      frames.add(n[5]);
      spaces.add(String(n[2]).split(":")[0]);
    }
  }
  return { frames: [...frames].sort((a, b) => a - b), spaces: [...spaces].sort() };
}

/** Return the frames the latest step up to `at` changed (a node it mapped, granted, reduced or
 * flushed), looking back through the steps held here; null if none did. */
export function followedFrames(r, at) {
  for (let k = Math.min(at, r.last) - r.lo; k >= 0; k--) {
    const scene = r.scenes[r.tree[k]];
    if (!scene) continue;
    const frames = new Set(scene.nodes.filter((n) => n[4] && n[5] !== undefined && n[5] !== null).map((n) => n[5]));
    if (frames.size) return [...frames].sort((a, b) => a - b);
  }
  return null;
}

/** Return {scene, note}: the trees of `scene` that `pick` asks for ({kind: "follow" | "all" |
 * "frame" | "space", value}), moved to the left edge, and what the title says they are.
 * "follow" keeps the frames `followed` names (all while it is null). */
export function pickTrees(scene, pick, followed) {
  if (!scene || !pick || pick.kind === "all") return { scene, note: "" };
  let keep = null, note = "";
  if (pick.kind === "follow") {
    if (!followed) return { scene, note: "" };
    keep = new Set(followed);
    note = `frame${followed.length > 1 ? "s" : ""} ${followed.join(", ")}, which the latest mapping step changed`;
  } else if (pick.kind === "frame") {
    keep = new Set([Number(pick.value)]);
    note = `frame ${pick.value}`;
  } else if (pick.kind === "space") {
    keep = new Set(scene.nodes.filter((n) => String(n[2]).split(":")[0] === pick.value).map((n) => n[5]));
    note = `the frames space ${pick.value} maps`;
  }
  const nodes = scene.nodes.filter((n) => keep.has(n[5]));
  if (!nodes.length) return { scene: { nodes: [], edges: [] }, note };
  const at = new Set(nodes.map((n) => `${n[0]},${n[1]}`));
  const left = Math.min(...nodes.map((n) => n[0]));
  const edges = scene.edges
    .filter(([x1, d1, x2, d2]) => at.has(`${x1},${d1}`) && at.has(`${x2},${d2}`))
    .map(([x1, d1, x2, d2, ghost]) => [x1 - left, d1, x2 - left, d2, ghost]);
  return { scene: { nodes: nodes.map((n) => [n[0] - left, ...n.slice(1)]), edges }, note };
}

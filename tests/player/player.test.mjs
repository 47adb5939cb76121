// Node unit tests of the dashboard's view model (mkteach/views/player/model.js, views.js) on
// replays tests/test_player_js.py writes from real runs (MKTEACH_PLAYER_DATA: their folder).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import * as m from "../../mkteach/views/player/model.js";
import * as v from "../../mkteach/views/player/views.js";

const DIR = process.env.MKTEACH_PLAYER_DATA;
const replays = JSON.parse(readFileSync(join(DIR, "replays.json"), "utf8"));
const { compare, alone, pagers, expected } = replays;
const [l3, mach] = compare.runs;

test("the clock after the last step is the model's, in both runs", () => {
  compare.runs.forEach((r, i) => assert.equal(m.totalAt(r, r.last), expected[i].cycles));
});

test("the thread table after the last step is the model's", () => {
  compare.runs.forEach((r, i) => {
    const mine = m.threadsAt(r, r.last).map(([name, space, state]) => [name, space, state]).sort();
    assert.deepEqual(mine, expected[i].threads);
  });
});

test("creating spaces and threads is set-up, and the first kernel entry comes after it", () => {
  assert.equal(m.isSetup(l3, 0), true);
  const first = m.firstEntry(compare);
  assert.ok(first > 0, `first entry ${first}`);
  for (let n = 0; n < first; n++) assert.ok(compare.runs.every((r) => m.isSetup(r, n)), `step ${n}`);
  assert.equal(m.isSetup(l3, first) && m.isSetup(mach, first), false);
  const { first: _, ...without } = compare;  // an older replay without "first": found here
  assert.equal(m.firstEntry(without), first);
  assert.match(m.readout(compare, 0), /set-up/);
  assert.doesNotMatch(m.readout(compare, first), /set-up/);
  assert.match(v.programHtml(l3, 0), /set-up, not a kernel entry/);
  assert.doesNotMatch(v.programHtml(l3, 0), /'s entry/);
});

test("stepping past the end says at once why nothing more happens", () => {
  assert.ok(alone.end, "a finished run's replay says why it ended");
  assert.match(m.endNote(alone, true), /^Nothing more happens: every thread ended/);
  assert.equal(m.endNote({ ...alone, end: null }, true), "Running one more step…");
  assert.match(m.endNote({ ...alone, end: null }, false), /end of the recorded run/);
});

test("compared runs get a scale each when one dwarfs the other, and the pane says which", () => {
  assert.equal(m.perRunByDefault(compare), true);
  assert.equal(m.perRunByDefault(alone), false);
  const own = m.costScales(compare, true), shared = m.costScales(compare, false);
  assert.notEqual(own[0].step, own[1].step);
  assert.equal(shared[0].step, shared[1].step);
  assert.equal(shared[0].step, Math.max(own[0].step, own[1].step));
  const at = l3.last;
  assert.match(v.costHtml(l3, at, compare.key, own[0], 600, 2), /this run on its own scale: up to/);
  assert.match(v.costHtml(l3, at, compare.key, shared[0], 600, 2), /every run on the same scale/);
  assert.doesNotMatch(v.costHtml(l3, at, alone.key, own[0], 600, 1), /own scale|same scale/);
});

test("a program line is shown whole, never cut", () => {
  const at = l3.where.findIndex((w, k) => w && l3.src[w[0]].lines.some((t) => t.includes("long argument"))) + l3.lo;
  assert.ok(at >= 0);
  assert.match(v.programHtml(l3, at), /a long argument that a narrow program pane used to cut off/);
});

test("a TLB flush is found as sets emptied, and stepping back gives the same contents", () => {
  let flushAt = -1, unit = -1;
  const cache = {};
  for (let at = 0; at <= mach.last && flushAt < 0; at++) {
    const st = m.hardwareAt(cache, mach, at);
    st.flushed.forEach((sets, j) => { if (sets && sets.length && flushAt < 0) { flushAt = at; unit = j; } });
  }
  assert.ok(flushAt > 0, "the Mach run on an untagged Pentium TLB flushes");
  const st = m.hardwareAt({}, mach, flushAt);
  for (const set of st.flushed[unit]) assert.deepEqual(st.units[unit].sets[set], []);
  const forward = JSON.stringify(m.hardwareAt({}, mach, mach.last).units);
  const c = {};
  m.hardwareAt(c, mach, mach.last);
  m.hardwareAt(c, mach, 3);  // back, then forward again through the checkpoints
  assert.equal(JSON.stringify(m.hardwareAt(c, mach, mach.last).units), forward);
});

test("events arrive as text or as typed fields; both read as a line", () => {
  assert.equal(m.eventLine("a — 5 cycles"), "a — 5 cycles");
  assert.equal(m.eventLine({ text: "IPC call", cycles: 1025 }), "IPC call — 1,025 cycles");
  assert.match(v.eventsHtml(compare, 0), /set-up/);
  assert.match(v.eventsHtml(compare, -1), /Before the first step/);
});

test("the bundles the page loads are built from these modules and run", async () => {
  const widget = await import(pathToFileURL(join(DIR, "widget.mjs")).href);
  assert.equal(typeof widget.default.render, "function");
  const code = readFileSync(join(DIR, "standalone.js"), "utf8");
  const player = new Function(`${code}\nreturn mkteachPlayer;`)();
  assert.equal(typeof player, "function");
});

test("the trees follow the frame the latest mapping step changed, or the one picked", () => {
  const r = pagers.runs[0];
  const { frames, spaces } = m.treeChoices(r);
  assert.ok(frames.length > 1 && spaces.includes("sigma0"));
  // a step that mapped a page: following it keeps exactly that page's frame's tree
  const many = (sc) => new Set(sc.nodes.map((n) => n[5])).size > 1;
  const at = r.lo + r.tree.findLastIndex((t) => many(r.scenes[t]) && r.scenes[t].nodes.some((n) => n[4] === "new"));
  assert.ok(at >= r.lo, "a step maps a page while other frames' trees are drawn");
  const scene = r.scenes[r.tree[at - r.lo]];
  const changed = [...new Set(scene.nodes.filter((n) => n[4]).map((n) => n[5]))].sort((a, b) => a - b);
  assert.deepEqual(m.followedFrames(r, at), changed);
  const followed = m.pickTrees(scene, { kind: "follow" }, m.followedFrames(r, at));
  assert.ok(followed.scene.nodes.length < scene.nodes.length);
  assert.ok(followed.scene.nodes.every((n) => changed.includes(n[5])));
  assert.equal(Math.min(...followed.scene.nodes.map((n) => n[0])), 0);  // moved to the left
  assert.match(followed.note, /latest mapping step changed/);
  // every edge still joins two nodes that are drawn
  const drawn = new Set(followed.scene.nodes.map((n) => `${n[0]},${n[1]}`));
  for (const [x1, d1, x2, d2] of followed.scene.edges) assert.ok(drawn.has(`${x1},${d1}`) && drawn.has(`${x2},${d2}`));
  const last = r.scenes[r.tree[r.last - r.lo]];
  const one = m.pickTrees(last, { kind: "frame", value: String(frames[0]) }, null);
  assert.ok(one.scene.nodes.every((n) => n[5] === frames[0]));
  assert.equal(m.pickTrees(last, { kind: "all" }, null).scene, last);
  assert.match(v.treeHtml(r, r.last, pagers.key, one.scene, one.note), new RegExp(`frame ${frames[0]}`));
});

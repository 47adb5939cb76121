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
const { compare, alone, expected } = replays;
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

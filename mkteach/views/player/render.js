// The dashboard's player in the page: draws a replay (mkteach/views/replay.py) step by step.
// Stepping never waits for a kernel: every panel is redrawn from the data already here (the
// pure functions of model.js and views.js). With a live widget (anywidget) it asks the kernel
// only for a new window of steps or one more step. `render` returns its handle, whose
// `cleanup()` stops the timer, the observer and the listeners it started.
import {
  NS, costScales, endNote, entryInfo, esc, firstEntry, fmt, followedFrames, hardwareAt,
  indexOf, perRunByDefault, pickTrees, readout, treeChoices,
} from "./model.js";
import { costHtml, eventsHtml, ipcHtml, programHtml, treeHtml } from "./views.js";

const PANELS = [["program", "Program"], ["tree", "Mapping trees"], ["ipc", "Messages"],
  ["hardware", "TLB and cache"], ["cost", "Cycles"]];
const STYLE = `
.mkp{font:13px/1.35 system-ui,sans-serif;color:#222;max-width:1400px}
.mkp button{margin-right:4px;padding:2px 10px;font:inherit;cursor:pointer}
.mkp .mkp-top{position:sticky;top:0;z-index:3;background:#fff;padding-bottom:2px}
.mkp .mkp-bar{display:flex;align-items:center;gap:6px;flex-wrap:wrap;margin-bottom:4px}
.mkp input[type=range]{width:360px;max-width:40vw}
.mkp .mkp-events{min-height:2.6em;max-height:6.5em;overflow-y:auto;margin:4px 0 6px;padding:4px 6px;background:#f7f7f7;border-left:3px solid #888}
.mkp .mkp-setup{font-size:11px;color:#555;background:#eee;border-radius:3px;padding:0 4px}
.mkp .mkp-panels{max-height:max(260px,calc(100vh - 240px));overflow-y:auto;overscroll-behavior:contain}
.mkp details.mkp-fold{margin-bottom:6px}
.mkp details.mkp-fold>summary{cursor:pointer;font-weight:600;font-size:12px;color:#444}
.mkp .mkp-row{display:flex;gap:10px}
.mkp .mkp-cell{flex:1 1 0;min-width:0;border:1px solid #ddd;border-radius:4px;padding:6px 8px;overflow-x:auto;contain:content}
.mkp h4{margin:0 0 4px;font-size:13px;font-weight:600}
.mkp .mkp-run{font-weight:600;color:#555;font-size:12px;margin-bottom:2px}
.mkp pre{margin:2px 0 6px;background:#fbfbfb;border:1px solid #eee;font:12px/1.4 monospace;padding:2px 0}
.mkp pre .ln{display:inline-block;width:3.2em;margin-left:-3.2em;color:#999;text-align:right;padding-right:6px;box-sizing:border-box}
.mkp pre .hl{background:#fff0a8}
.mkp pre .row{display:block;white-space:pre-wrap;overflow-wrap:anywhere;padding-left:3.2em}
.mkp table{border-collapse:collapse;font-size:12px}
.mkp td,.mkp th{padding:1px 8px 1px 0;text-align:left;vertical-align:top}
.mkp tr.me td{font-weight:600}
.mkp .key{font-size:11.5px;color:#444;margin-top:2px}
.mkp .chip{display:inline-block;width:10px;height:10px;border-radius:2px;margin:0 3px 0 8px;vertical-align:-1px}
.mkp .empty{color:#777;font-style:italic}
.mkp .flush{color:#d62728;font-weight:600}
.mkp svg text{font:11px system-ui,sans-serif}`;

/** Draw `data` into `el` and return {update, moved, note, cleanup}; `model` is the live
 * widget's model, or null for a saved replay (then stepping stays in the data here). */
export function render(el, data, model) {
  let cur = data.step, timer = null, hw = [], perRun = perRunByDefault(data), scales = null;
  let pick = { kind: "follow" }, choicesOf = null;
  const disposers = [];
  el.innerHTML = "";
  el.classList.add("mkp");
  const style = document.createElement("style");
  style.textContent = STYLE;
  const top = document.createElement("div");
  top.className = "mkp-top";
  const bar = document.createElement("div");
  bar.className = "mkp-bar";
  const button = (label, tip, action) => {
    const b = document.createElement("button");
    b.textContent = label;
    b.title = tip;
    b.addEventListener("click", action);
    bar.appendChild(b);
    return b;
  };
  button("⟲ reset", "before step 0", () => go(-1));
  button("◀ back", "one step back", () => go(cur - 1));
  button("step ▶", "one step forward", () => forward());
  const playButton = button("play", "play the trace", () => (timer ? stop() : play()));
  button("▶▶ first kernel entry", "skip the set-up steps (creating spaces and threads) to the first kernel entry",
    () => { const f = firstEntry(data); if (f !== null) go(f); });
  const slider = document.createElement("input");
  slider.type = "range";
  slider.addEventListener("input", () => go(Number(slider.value)));
  const readoutEl = document.createElement("span");
  readoutEl.className = "mkp-readout";
  bar.append(slider, readoutEl);
  const scaleButton = button("", "", () => { perRun = !perRun; scales = null; draw(cur); });
  scaleButton.className = "mkp-scale";
  const picker = document.createElement("select");
  picker.className = "mkp-pick";
  picker.title = "which mapping trees to draw";
  picker.addEventListener("change", () => {
    const [kind, value] = picker.value.split("=");
    pick = { kind, value };
    draw(cur);
  });
  bar.appendChild(picker);
  function choices() {
    // the picker's options: follow the step, every tree, one frame, the frames of one space
    if (choicesOf === data) return;
    choicesOf = data;
    const frames = new Set(), spaces = new Set();
    for (const r of data.runs) {
      const c = treeChoices(r);
      c.frames.forEach((f) => frames.add(f));
      c.spaces.forEach((s) => spaces.add(s));
    }
    const options = [["follow", "trees: follow this step's frame"], ["all", "trees: every frame"],
      ...[...frames].sort((a, b) => a - b).map((f) => [`frame=${f}`, `tree of frame ${f}`]),
      ...[...spaces].sort().map((s) => [`space=${s}`, `trees space ${s} is in`])];
    const now = pick.value === undefined ? pick.kind : `${pick.kind}=${pick.value}`;
    picker.innerHTML = options.map(([v, label]) => `<option value="${esc(v)}"${v === now ? " selected" : ""}>${esc(label)}</option>`).join("");
    picker.style.display = frames.size ? "" : "none";
  }
  const events = document.createElement("div");
  events.className = "mkp-events";
  top.append(bar, events);
  const panels = document.createElement("div");
  panels.className = "mkp-panels";
  const rows = {};
  for (const [name, title] of PANELS) {
    const fold = document.createElement("details");
    fold.className = "mkp-fold mkp-" + name;
    fold.open = true;
    fold.innerHTML = `<summary>${title}</summary>`;
    rows[name] = document.createElement("div");
    rows[name].className = "mkp-row";
    fold.appendChild(rows[name]);
    panels.appendChild(fold);
  }
  el.append(style, top, panels);

  function play() {
    if (cur >= data.last) go(-1);
    playButton.textContent = "pause";
    timer = setInterval(() => (cur >= data.last ? stop() : go(cur + 1)), 600);
  }
  function stop() {
    clearInterval(timer);
    timer = null;
    playButton.textContent = "play";
  }
  function forward() {
    if (cur < data.last) return go(cur + 1);
    const live = !!model && !data.end;
    events.innerHTML = `<i class="mkp-end">${esc(endNote(data, live))}</i>`;
    if (live) model.send({ run: 1 });
  }
  function go(n) {
    n = Math.max(-1, Math.min(n, data.last));
    if (n < data.lo || n > data.hi) {  // outside the steps held here (lo is -1 from the start)
      if (!model) n = Math.max(data.lo, Math.min(n, data.hi));
      else {
        events.innerHTML = `<i>Fetching steps around ${n}…</i>`;
        model.send({ want: n });
        return;
      }
    }
    draw(n);
    if (model && model.get("step") !== n) {
      model.set("step", n);
      model.save_changes();
    }
  }
  function width() {
    // the width one run's panel has (the page's, split between the runs compared)
    const total = el.clientWidth || 1200;
    return Math.max(340, Math.floor(total / data.runs.length) - 40);
  }
  if (typeof ResizeObserver !== "undefined") {
    let seen = 0;
    const observer = new ResizeObserver(() => {
      if (el.clientWidth && Math.abs(el.clientWidth - seen) > 30) {
        seen = el.clientWidth;
        draw(cur);
      }
    });
    observer.observe(el);
    disposers.push(() => observer.disconnect());
  }

  let bodies = {}, bodiesOf = null;
  function cellsFor(runs) {
    // one panel per run in each row; a panel's HTML is replaced only when it changed
    if (bodiesOf === runs) return;
    for (const name in rows) {
      rows[name].innerHTML = runs.map((r) => `<div class="mkp-cell">${runs.length > 1 ? `<div class="mkp-run">${esc(r.label)}</div>` : ""}<div class="mkp-body"></div></div>`).join("");
      bodies[name] = [...rows[name].querySelectorAll(".mkp-body")];
    }
    bodiesOf = runs;
  }
  function put(name, i, html) {
    const body = bodies[name][i];
    if (body._html !== html) {
      body.innerHTML = html;
      body._html = html;
    }
  }

  function draw(n) {
    const t0 = performance.now();
    cur = n;
    slider.min = -1;
    slider.max = data.last;
    slider.value = n;
    readoutEl.textContent = readout(data, n);
    const runs = data.runs, w = width();
    scaleButton.style.display = runs.length > 1 ? "" : "none";
    scaleButton.textContent = perRun ? "cost scale: each run its own" : "cost scale: shared";
    scaleButton.title = perRun ? "draw every run on one scale" : "give each run its own scale";
    events.innerHTML = eventsHtml(data, n);
    cellsFor(runs);
    choices();
    if (!scales) scales = costScales(data, perRun);
    runs.forEach((r, i) => {
      const at = Math.min(n, r.last);
      put("program", i, programHtml(r, at));
      const scene = at >= 0 ? r.scenes[r.tree[indexOf(r, at)]] : null;
      const shown = pickTrees(scene, pick, pick.kind === "follow" ? followedFrames(r, at) : null);
      put("tree", i, treeHtml(r, at, data.key, shown.scene, shown.note));
      put("ipc", i, ipcHtml(r, at, data.key, w, el.id));
      hardware(bodies.hardware[i], r, at, i, w);
      put("cost", i, costHtml(r, at, data.key, scales[i], w, runs.length));
    });
    el.dataset.step = n;
    el.dataset.renderMs = (performance.now() - t0).toFixed(2);
  }

  function hardware(body, r, at, i, w) {
    // The grids are built once per run and width; a step only recolours the cells that
    // changed and moves the outlines of the sets it touched (red: a set it flushed).
    if (!r.units.length) {
      body.innerHTML = "<h4>TLB and cache: <span class='empty'>none (hardware models off)</span></h4>";
      return;
    }
    hw[i] = hw[i] || {};
    const st = hardwareAt(hw[i], r, at), touched = at >= 0 ? r.hw[at - r.lo] || {} : {};
    const room = w - 68;
    if (body._run !== r || body._room !== room) gridInto(body, r, room);
    body.querySelector("h4").textContent = `TLB and cache after step ${at}: what each entry holds (LRU way first)`;
    const used = new Set([0]);
    let flushedAny = false;
    r.units.forEach((u, j) => {
      const unit = st.units[j], g = body._grids[j];
      unit.sets.forEach((entries, set) => {
        for (let way = 0; way < u.ways; way++) {
          const cell = g.cells[set * u.ways + way], entry = entries[way];
          const k = entry === undefined ? "" : String(entry);
          if (cell._key === k) {
            used.add(cell._code);
            continue;
          }
          const [code, label] = entry === undefined ? [0, "empty"] : entryInfo(data.key, r, u, entry);
          cell.setAttribute("fill", data.key.owners[code][1]);
          cell.firstChild.textContent = `set ${set}, way ${way}: ${label}`;
          cell._key = k;
          cell._code = code;
          used.add(code);
        }
      });
      const flushed = new Set((st.flushed && st.flushed[j]) || []);
      const mine = touched[j] ? [...Object.keys(touched[j][0]).map(Number), ...touched[j][3]].sort((a, b) => a - b) : [];
      g.outline.innerHTML = mine.map((set) => {
        const [x, y] = g.at(set), red = flushed.has(set);
        return `<rect x="${x - 0.5}" y="${y - 1}" width="${g.cw + 0.5}" height="${u.ways * g.ch + 1}" fill="${red ? "#d6272822" : "none"}" stroke="${red ? "#d62728" : "#000"}" stroke-width="${red ? 2 : 1.2}"/>`;
      }).join("");
      const what = u.line ? "cache" : "TLB";
      let note = "";
      if (flushed.size) {
        flushedAny = true;
        note = `; <span class="flush">this step flushed it: ${flushed.size} set${flushed.size > 1 ? "s" : ""} emptied (red)</span>`;
      } else if (mine.length) {
        note = `; this step touched ${mine.length > 6 ? mine.length + " sets" : "set" + (mine.length > 1 ? "s " : " ") + mine.join(", ")} (outlined)`;
      }
      g.head.innerHTML = `<b>${esc(u.name)}</b> (${what}: ${u.sets} sets × ${u.ways} ways): ${fmt(unit.hits)} hits, ${fmt(unit.misses)} misses so far${note}`;
    });
    const key = data.key.owners.filter((_, c) => used.has(c)).map(([name, colour]) => `<span class="chip" style="background:${colour};border:1px solid #ccc"></span>${esc(name)}`).join("");
    const keyEl = body.querySelector(".key");
    const keyHtml = key + `<span class="chip" style="background:none;border:1.5px solid #000"></span>sets this step touched`
      + (flushedAny ? `<span class="chip" style="background:#d6272822;border:2px solid #d62728"></span>sets this step flushed` : "");
    if (keyEl._html !== keyHtml) keyEl.innerHTML = keyEl._html = keyHtml;
  }
  function gridInto(body, r, room) {
    // one SVG per unit: sets across (wrapped into blocks that fit `room`), ways down
    let html = "<h4></h4>";
    const layout = r.units.map((u) => {
      let per = u.sets;  // sets per block: halved until a block fits at 5 px a set
      while (per > 8 && per * 5 > room) per = Math.ceil(per / 2);
      const cw = Math.max(5, Math.min(14, Math.floor(room / per))), ch = 12, left = 48;
      const blocks = Math.ceil(u.sets / per), bh = u.ways * ch + 16;
      const at = (set) => [left + (set % per) * cw, 4 + Math.floor(set / per) * bh];
      let s = `<div class="mkp-unit"></div><svg width="${left + per * cw + 20}" height="${4 + blocks * bh}" xmlns="${NS}">`;
      for (let block = 0; block < blocks; block++) {
        for (let way = 0; way < u.ways; way++) s += `<text x="${left - 4}" y="${4 + block * bh + way * ch + 9}" text-anchor="end" font-size="10">way ${way}</text>`;
        const first = block * per, last = Math.min(u.sets, first + per) - 1;
        for (const t of [...new Set([first, last])]) {
          const [x, y] = at(t);
          s += `<text x="${x + cw / 2}" y="${y + u.ways * ch + 11}" text-anchor="${t === first ? "start" : "end"}" font-size="10" fill="#666">set ${t}</text>`;
        }
      }
      for (let set = 0; set < u.sets; set++) {
        const [x, y] = at(set);
        for (let way = 0; way < u.ways; way++) s += `<rect class="c" x="${x}" y="${y + way * ch}" width="${cw - 0.5}" height="${ch - 1}"><title></title></rect>`;
      }
      html += s + `<g class="outline"></g></svg>`;
      return { cw, ch, at };
    });
    body.innerHTML = html + `<div class="key"></div>`;
    const svgs = body.querySelectorAll("svg"), heads = body.querySelectorAll(".mkp-unit");
    body._grids = layout.map((g, j) => ({ ...g, cells: [...svgs[j].querySelectorAll("rect.c")], outline: svgs[j].querySelector("g.outline"), head: heads[j] }));
    body._run = r;
    body._room = room;
  }

  draw(Math.max(-1, Math.min(cur, data.last)));
  return {
    update(next, step) {
      data = next;
      hw = [];
      scales = null;
      draw(Math.max(-1, Math.min(step, data.last)));
    },
    moved(step) {
      if (step !== cur && step >= data.lo && step <= data.hi) draw(step);
    },
    note(text) {
      events.innerHTML = `<i class="mkp-end">${esc(text)}</i>`;
    },
    cleanup() {
      stop();
      for (const dispose of disposers.splice(0)) dispose();
    },
  };
}

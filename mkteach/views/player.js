// The dashboard's player: draws a replay (mkteach/views/replay.py) step by step, in the page.
// Stepping never waits for a kernel: every view is redrawn from the data already here. With a
// live widget (anywidget), it asks the kernel only for a new window of steps or a new step.

function mkteachPlayer(el, data, model) {
  const NS = "http://www.w3.org/2000/svg";
  const MAX_MSGS = 12, BARS = 40;
  let cur = data.step, timer = null, hw = [], scaleCache = null;
  const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);
  const fmt = (n) => n.toLocaleString("en-US");
  el.innerHTML = "";
  el.classList.add("mkp");
  const style = document.createElement("style");
  style.textContent = `
.mkp{font:13px/1.35 system-ui,sans-serif;color:#222;max-width:1400px}
.mkp button{margin-right:4px;padding:2px 10px;font:inherit;cursor:pointer}
.mkp .mkp-bar{display:flex;align-items:center;gap:6px;flex-wrap:wrap;margin-bottom:4px}
.mkp input[type=range]{width:420px}
.mkp .mkp-events{min-height:2.6em;margin:4px 0 8px;padding:4px 6px;background:#f7f7f7;border-left:3px solid #888}
.mkp .mkp-row{display:flex;gap:10px;margin-bottom:8px}
.mkp .mkp-cell{flex:1 1 0;min-width:0;border:1px solid #ddd;border-radius:4px;padding:6px 8px;overflow-x:auto;contain:content}
.mkp h4{margin:0 0 4px;font-size:13px;font-weight:600}
.mkp .mkp-run{font-weight:600;color:#555;font-size:12px;margin-bottom:2px}
.mkp pre{margin:2px 0 6px;background:#fbfbfb;border:1px solid #eee;font:12px/1.4 monospace;padding:2px 0;overflow-x:auto}
.mkp pre .ln{display:inline-block;width:3.2em;color:#999;text-align:right;padding-right:6px}
.mkp pre .hl{background:#fff0a8;display:block}
.mkp pre .row{display:block;white-space:pre}
.mkp table{border-collapse:collapse;font-size:12px}
.mkp td,.mkp th{padding:1px 8px 1px 0;text-align:left;vertical-align:top}
.mkp tr.me td{font-weight:600}
.mkp .key{font-size:11.5px;color:#444;margin-top:2px}
.mkp .chip{display:inline-block;width:10px;height:10px;border-radius:2px;margin:0 3px 0 8px;vertical-align:-1px}
.mkp .empty{color:#777;font-style:italic}
.mkp svg text{font:11px system-ui,sans-serif}`;
  el.appendChild(style);
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
  const stepButton = button("step ▶", "one step forward", () => forward());
  const playButton = button("play", "play the trace", () => (timer ? stop() : play()));
  const slider = document.createElement("input");
  slider.type = "range";
  slider.addEventListener("input", () => go(Number(slider.value)));
  const readout = document.createElement("span");
  readout.className = "mkp-readout";
  bar.append(slider, readout);
  const events = document.createElement("div");
  events.className = "mkp-events";
  const rows = {};
  el.append(bar, events);
  for (const name of ["program", "tree", "ipc", "hardware", "cost"]) {
    rows[name] = document.createElement("div");
    rows[name].className = "mkp-row mkp-" + name;
    el.appendChild(rows[name]);
  }

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
    if (model) {
      events.innerHTML = "<i>Running one more step…</i>";
      model.send({ run: 1 });
    } else events.innerHTML = "<i>The end of the recorded run: run the notebook to go on.</i>";
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
    new ResizeObserver(() => {
      if (el.clientWidth && Math.abs(el.clientWidth - seen) > 30) {
        seen = el.clientWidth;
        draw(cur);
      }
    }).observe(el);
  }

  // -- one step -----------------------------------------------------------------------------
  function draw(n) {
    const t0 = performance.now();
    cur = n;
    slider.min = -1;
    slider.max = data.last;
    slider.value = n;
    readout.textContent = `step ${n} of ${data.last}`;
    const runs = data.runs;
    const ats = runs.map((r) => Math.min(n, r.last));
    events.innerHTML = runs
      .map((r, i) => {
        const at = ats[i], k = at - r.lo;
        const head = runs.length > 1 ? `<b>${esc(r.label)}</b>: ` : "";
        if (n < 0) return head + "<i>Before the first step.</i>";
        const lines = (r.text[k] || []).map((t) => esc(t));
        const ended = at < n ? ` <i>(this run ended at step ${r.last})</i>` : "";
        return head + `<b>step ${at}</b> @${fmt(r.time[k])} cycles: ` + lines.join("; ") + ended;
      })
      .join("<br>");
    cellsFor(runs);
    const scale = costScale(ats);
    runs.forEach((r, i) => {
      put("program", i, program(r, ats[i]));
      put("tree", i, tree(r, ats[i]));
      put("ipc", i, ipc(r, ats[i]));
      hardware(bodies.hardware[i], r, ats[i], i);
      put("cost", i, cost(r, ats[i], scale));
    });
    el.dataset.step = n;
    el.dataset.renderMs = (performance.now() - t0).toFixed(2);
  }

  // Each view keeps one panel per run; a panel's HTML is replaced only when it changed.
  let bodies = {}, bodiesOf = null;
  function cellsFor(runs) {
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

  // -- the program pane -----------------------------------------------------------------------
  function program(r, at) {
    if (at < 0) return "<h4>Program</h4><div class='empty'>Before the first step: no thread has run yet.</div>";
    const k = at - r.lo, where = r.where[k], who = r.who[k];
    let html;
    if (where) {
      const src = r.src[where[0]], line = where[1];
      html = `<h4>Program of ${esc(who)}: line ${line} of ${esc(src.function)}() made the kernel entry of step ${at}</h4><pre>`;
      html += src.lines.map((text, i) => {
        const no = src.first + i, me = no === line;
        return `<span class="row${me ? " hl" : ""}"><span class="ln">${me ? "➜ " : ""}${no}</span>${esc(text)}</span>`;
      }).join("") + "</pre>";
    } else {
      const what = who ? `${esc(who)}'s entry (its program ended, or a setup call)` : "a setup call or a hardware event";
      html = `<h4>Program</h4><div class="empty">Step ${at} is ${what}: no line of a program made it.</div>`;
    }
    const table = threadsAt(r, at);
    html += "<table><tr><th>thread</th><th>space</th><th>state: what it waits for</th></tr>";
    html += table.map(([name, space, state]) => `<tr class="${name === who ? "me" : ""}"><td>${name === who ? "▶ " : ""}${esc(name)}</td><td>${esc(space)}</td><td>${esc(state)}</td></tr>`).join("");
    if (!table.length) html += "<tr><td colspan=3 class='empty'>no threads yet</td></tr>";
    return html + "</table>";
  }

  function threadsAt(r, at) {
    // every thread's [name, space, state] after step `at`: the states before the window, then
    // each step's changes (-1: the thread is gone)
    const now = new Map(r.t0.map(([t, st]) => [t, st]));
    for (let k = 0; k <= at - r.lo; k++) for (const [t, st] of r.dt[k]) st < 0 ? now.delete(t) : now.set(t, st);
    const rows = [...now].map(([t, st]) => [...r.threads[t], r.states[st]]);
    return rows.sort((a, b) => (a[0] === "sigma0" ? -1 : b[0] === "sigma0" ? 1 : 0));
  }

  // -- the mapping trees ----------------------------------------------------------------------
  function tree(r, at) {
    const title = at >= 0 ? `Mapping trees after step ${at}` : "Mapping trees before step 0";
    const scene = at >= 0 ? r.scenes[r.tree[at - r.lo]] : { nodes: [], edges: [] };
    if (!scene.nodes.length) return `<h4>${title}: <span class="empty">nothing mapped outside σ0 yet</span></h4>`;
    const X = 110, Y = 44, px = (x) => 16 + x * X, py = (d) => 14 + d * Y;
    const w = px(Math.max(...scene.nodes.map((n) => n[0]))) + 100;
    const h = py(Math.max(...scene.nodes.map((n) => n[1]))) + 16;
    let s = `<svg width="${w}" height="${h}" xmlns="${NS}">`;
    for (const [x1, d1, x2, d2, ghost] of scene.edges) {
      s += `<line x1="${px(x1)}" y1="${py(d1)}" x2="${px(x2)}" y2="${py(d2)}" stroke="${ghost ? "#d62728" : "#999"}" ${ghost ? 'stroke-dasharray="3 3"' : ""}/>`;
    }
    for (const [x, d, label, rights, mark] of scene.nodes) {
      const cx = px(x), cy = py(d);
      if (mark === "flushed") {
        s += `<g><title>${esc(label)}: flushed in this step</title><path d="M${cx - 6} ${cy - 6}L${cx + 6} ${cy + 6}M${cx + 6} ${cy - 6}L${cx - 6} ${cy + 6}" stroke="#d62728" stroke-width="3"/><text x="${cx + 11}" y="${cy + 4}" fill="#d62728">${esc(label)}</text></g>`;
        continue;
      }
      const [kind, colour] = data.key.nodes[mark] || data.key.nodes[""];
      s += `<g><title>${esc(label)}, rights ${esc(rights)}: ${esc(kind)}</title><circle cx="${cx}" cy="${cy}" r="8" fill="${colour}" stroke="#333" stroke-width="${mark ? 2 : 0}"/><text x="${cx + 12}" y="${cy + 4}">${esc(label)} ${esc(rights)}</text></g>`;
    }
    s += "</svg>";
    const used = new Set(scene.nodes.map((n) => n[4]));
    let key = Object.entries(data.key.nodes).filter(([m]) => used.has(m)).map(([m, [name, colour]]) => `<span class="chip" style="background:${colour};border-radius:50%"></span>${esc(name)}${m === "" ? " (space:page rights)" : ""}`).join("");
    if (used.has("flushed")) key += `<span class="chip" style="background:none;color:#d62728">✕</span>flushed in this step (dotted: where it hung)`;
    key += `<span class="chip" style="background:#999;height:2px"></span>line: mapped from the node above (σ0 is the root)`;
    return `<h4>${title}</h4>${s}<div class="key">${key}</div>`;
  }

  // -- the IPC flow ---------------------------------------------------------------------------
  function ipc(r, at) {
    const title = `Messages up to step ${at}`;
    let end = r.msgs.length;
    while (end > 0 && r.msgs[end - 1][0] > at) end--;
    const fit = Math.max(2, Math.min(MAX_MSGS, Math.floor((width() - 134) / 160)));
    const shown = r.msgs.slice(Math.max(0, end - fit), end);
    if (!shown.length) return `<h4>${title}: <span class="empty">no message yet</span></h4>`;
    const lanes = [...new Set(shown.flatMap((m) => [m[3], m[4]]))].sort((a, b) => a - b);
    const y = (lane) => 22 + lanes.indexOf(lane) * 34, left = 124, W = 160;
    const w = left + shown.length * W + 10, h = 22 + lanes.length * 34 + 6;
    let s = `<svg width="${w}" height="${h}" xmlns="${NS}"><defs>`;
    data.key.kinds.forEach(([, colour], i) => {
      s += `<marker id="mkp-a${i}-${el.id}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0 0L10 5L0 10z" fill="${colour}"/></marker>`;
    });
    s += "</defs>";
    for (const lane of lanes) {
      s += `<text x="${left - 8}" y="${y(lane) + 4}" text-anchor="end">${esc(r.lanes[lane])}</text><line x1="${left}" x2="${w - 10}" y1="${y(lane)}" y2="${y(lane)}" stroke="#e4e4e4"/>`;
    }
    shown.forEach(([step, time, , from, to, kind, label], i) => {
      const x1 = left + i * W + 8, x2 = x1 + W - 24, colour = data.key.kinds[kind][1], now = step === at;
      const y1 = y(from), y2 = y(to) + (from === to ? 0 : y(to) > y1 ? -4 : 4);
      const ly = Math.min(y1, y2) - 2;
      s += `<g><title>step ${step} @${fmt(time)} cycles: ${esc(r.lanes[from])} → ${esc(r.lanes[to])}: ${esc(label)}</title>`;
      s += `<line x1="${x1}" y1="${y1}" x2="${x2}" y2="${y2}" stroke="${colour}" stroke-width="${now ? 3.5 : 1.6}" marker-end="url(#mkp-a${kind}-${el.id})"/>`;
      s += `<text x="${x1}" y="${ly}" text-anchor="start" ${now ? 'font-weight="bold"' : ""} fill="#222" font-size="10.5" paint-order="stroke" stroke="#fff" stroke-width="3">${esc(label.length > 27 ? label.slice(0, 26) + "…" : label)}</text>`;
      s += `<text x="${x1}" y="${h - 2}" fill="#888" font-size="10">${step}</text></g>`;
    });
    s += "</svg>";
    const kinds = new Set(shown.map((m) => m[5]));
    const key = data.key.kinds.filter((_, i) => kinds.has(i)).map(([name, colour]) => `<span class="chip" style="background:${colour}"></span>${esc(name)}`).join("");
    return `<h4>${title} (the last ${shown.length}, in order; the number under each is its step, bold: this step)</h4>${s}<div class="key">${key}<span class="chip" style="background:none"></span>hover an arrow for its time and full text</div>`;
  }

  // -- the TLBs and caches --------------------------------------------------------------------
  function hardwareAt(r, i, at) {
    // the TLB and cache contents after `at`: from the nearest earlier checkpoint (one every
    // 64 steps, kept as they are passed), applying each step's changes
    const copy = (units) => units.map((u) => ({ sets: u.sets.slice(), hits: u.hits, misses: u.misses }));
    let st = hw[i];
    if (!st || st.run !== r) st = hw[i] = { run: r, at: r.lo - 1, units: copy(r.hw0), marks: new Map() };
    if (st.at > at) {
      let best = r.lo - 1;
      for (const k of st.marks.keys()) if (k <= at && k > best) best = k;
      st.units = copy(best < r.lo ? r.hw0 : st.marks.get(best));
      st.at = best;
    }
    while (st.at < at) {
      st.at++;
      const change = r.hw[st.at - r.lo];
      for (const u in change) {
        const [sets, hits, misses] = change[u], unit = st.units[u];  // [changed, hits, misses, touched]
        for (const k in sets) unit.sets[k] = sets[k];
        unit.hits = hits;
        unit.misses = misses;
      }
      if ((st.at - r.lo) % 64 === 63 && !st.marks.has(st.at)) st.marks.set(st.at, copy(st.units));
    }
    return st;
  }
  function entryInfo(r, u, e) {
    // [owner code, label] of a cache line number or a TLB [tag, page] (hardware.py: owner)
    const owners = data.key.owners.map((o) => o[0]);
    if (u.line) {
      const address = e * u.line, hex = "0x" + address.toString(16);
      const bound = data.key.bounds.find(([start]) => address >= start);
      const kind = bound ? bound[1] : "user";
      return [owners.indexOf(kind), `${kind} ${hex}`];
    }
    const [tag, page] = e;
    if (tag === -1) return [owners.indexOf("kernel code"), "kernel page 0x" + page.toString(16)];
    const space = tag > 0 ? r.spaces[tag - 1] : null;
    return [owners.indexOf("user"), `page ${page} of ${space || "the current large space"}`];
  }
  function hardware(body, r, at, i) {
    // The grids are built once per run and width; a step only recolours the cells that
    // changed and moves the outlines of the sets it touched.
    if (!r.units.length) {
      body.innerHTML = "<h4>TLB and cache: <span class='empty'>none (hardware models off)</span></h4>";
      return;
    }
    const st = hardwareAt(r, i, at), touched = at >= 0 ? r.hw[at - r.lo] || {} : {};
    const room = width() - 68;
    if (body._run !== r || body._room !== room) gridInto(body, r, room);
    body.querySelector("h4").textContent = `TLB and cache after step ${at}: what each entry holds (LRU way first)`;
    const used = new Set([0]);
    r.units.forEach((u, j) => {
      const unit = st.units[j], g = body._grids[j];
      unit.sets.forEach((entries, set) => {
        for (let way = 0; way < u.ways; way++) {
          const cell = g.cells[set * u.ways + way], entry = entries[way];
          const key = entry === undefined ? "" : String(entry);
          if (cell._key === key) {
            used.add(cell._code);
            continue;
          }
          const [code, label] = entry === undefined ? [0, "empty"] : entryInfo(r, u, entry);
          cell.setAttribute("fill", data.key.owners[code][1]);
          cell.firstChild.textContent = `set ${set}, way ${way}: ${label}`;
          cell._key = key;
          cell._code = code;
          used.add(code);
        }
      });
      const mine = touched[j] ? [...Object.keys(touched[j][0]).map(Number), ...touched[j][3]].sort((a, b) => a - b) : [];
      g.outline.innerHTML = mine.map((set) => {
        const [x, y] = g.at(set);
        return `<rect x="${x - 0.5}" y="${y - 1}" width="${g.cw + 0.5}" height="${u.ways * g.ch + 1}" fill="none" stroke="#000" stroke-width="1.2"/>`;
      }).join("");
      const what = u.line ? "cache" : "TLB";
      g.head.innerHTML = `<b>${esc(u.name)}</b> (${what}: ${u.sets} sets × ${u.ways} ways): ${fmt(unit.hits)} hits, ${fmt(unit.misses)} misses so far${mine.length ? `; this step touched ${mine.length > 6 ? mine.length + " sets" : "set" + (mine.length > 1 ? "s " : " ") + mine.join(", ")} (outlined)` : ""}`;
    });
    const key = data.key.owners.filter((_, c) => used.has(c)).map(([name, colour]) => `<span class="chip" style="background:${colour};border:1px solid #ccc"></span>${esc(name)}`).join("");
    const keyEl = body.querySelector(".key");
    const keyHtml = key + `<span class="chip" style="background:none;border:1.5px solid #000"></span>sets this step touched`;
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

  // -- the cost of each step ------------------------------------------------------------------
  function totalAt(r, at) {
    let total = r.before;
    for (let k = 0; k <= at - r.lo; k++) for (const [, v] of r.cost[k]) total += v;
    return total;
  }
  function costScale(ats) {
    if (scaleCache && scaleCache.data === data) return scaleCache;
    let step = 1, total = 1;
    data.runs.forEach((r, i) => {
      for (const c of r.cost) step = Math.max(step, c.reduce((a, [, v]) => a + v, 0));
      total = Math.max(total, totalAt(r, Math.min(r.last, data.hi)));
    });
    scaleCache = { data, step: nice(step), total: nice(total) };
    return scaleCache;
  }
  function nice(v) {
    const p = Math.pow(10, Math.floor(Math.log10(v))), m = v / p;
    return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 2.5 ? 2.5 : m <= 5 ? 5 : 10) * p;
  }
  function cost(r, at, scale) {
    const total = at >= 0 ? totalAt(r, at) : 0;
    const bars = Math.min(BARS, Math.floor((width() - 78) / 12));
    const first = Math.max(r.lo, at - bars + 1), n = Math.max(0, at - first + 1);
    const left = 58, bw = 12, H = 120, w = Math.min(left + BARS * bw + 20, width());
    let s = `<svg width="${w}" height="${H + 62}" xmlns="${NS}">`;
    for (let t = 0; t <= 4; t++) {
      const v = (scale.step * t) / 4, yy = 6 + H - (H * t) / 4;
      s += `<line x1="${left}" x2="${w - 10}" y1="${yy}" y2="${yy}" stroke="#eee"/><text x="${left - 4}" y="${yy + 4}" text-anchor="end" font-size="10">${fmt(v)}</text>`;
    }
    const used = new Set();
    for (let j = 0; j < n; j++) {
      const k = first + j - r.lo;
      let y0 = 6 + H;
      for (const [c, v] of r.cost[k]) {
        used.add(c);
        const hh = (H * v) / scale.step;
        y0 -= hh;
        s += `<rect x="${left + j * bw}" y="${y0}" width="${bw - 2}" height="${hh}" fill="${data.key.causes[c][1]}"><title>step ${first + j}: ${esc(data.key.causes[c][0])} ${fmt(v)} cycles</title></rect>`;
      }
      if (first + j === at) s += `<rect x="${left + j * bw - 1}" y="6" width="${bw}" height="${H}" fill="none" stroke="#000" stroke-dasharray="2 2"/>`;
    }
    s += `<text x="${left}" y="${H + 20}" font-size="10" fill="#666">cycles per step, steps ${first}–${Math.max(at, 0)} (dashed: this step)</text>`;
    const tw = ((w - left - 10) * total) / scale.total;
    s += `<rect x="${left}" y="${H + 30}" width="${tw}" height="12" fill="#444"/><text x="${left - 4}" y="${H + 40}" text-anchor="end" font-size="10">total</text><text x="${tw > (w - left) / 2 ? left + 4 : left + tw + 4}" y="${H + 40}" font-size="11" fill="${tw > (w - left) / 2 ? "#fff" : "#222"}">${fmt(total)} cycles to step ${Math.max(at, 0)}</text>`;
    s += `<text x="${left}" y="${H + 56}" font-size="10" fill="#666">0</text><text x="${w - 10}" y="${H + 56}" font-size="10" fill="#666" text-anchor="end">${fmt(scale.total)}</text></svg>`;
    const key = data.key.causes.filter((_, c) => used.has(c)).map(([name, colour]) => `<span class="chip" style="background:${colour}"></span>${esc(name)}`).join("");
    const shared = data.runs.length > 1 ? " (every run on the same scale)" : "";
    return `<h4>Cycles by cause${shared}: each step's cycles stacked by cause, and the total so far</h4>${s}<div class="key">${key || "<span class='empty'>no cycles yet</span>"}</div>`;
  }

  draw(Math.max(-1, Math.min(cur, data.last)));
  return {
    update(next, step) {
      data = next;
      hw = [];
      draw(Math.max(-1, Math.min(step, data.last)));
    },
    moved(step) {
      if (step !== cur && step >= data.lo && step <= data.hi) draw(step);
    },
  };
}
// -- anywidget --
export default {
  render({ model, el }) {
    el.id = el.id || "mkp-" + Math.random().toString(36).slice(2);
    const player = mkteachPlayer(el, model.get("data"), model);
    model.on("change:data", () => player.update(model.get("data"), model.get("step")));
    model.on("change:step", () => player.moved(model.get("step")));
  },
};

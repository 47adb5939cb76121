// The dashboard's panels as HTML strings: pure functions of a replay, a step and a width
// (mkteach/views/player/render.js puts them in the page; node tests read them as text).
import { BARS, MAX_MSGS, NS, esc, eventLine, fmt, indexOf, isSetup, threadsAt, totalAt } from "./model.js";

/** Return the HTML of the line under the controls: what step `n` did in each run. */
export function eventsHtml(data, n) {
  const runs = data.runs;
  return runs
    .map((r) => {
      const at = Math.min(n, r.last), k = indexOf(r, at);
      const head = runs.length > 1 ? `<b>${esc(r.label)}</b>: ` : "";
      if (n < 0) return head + "<i>Before the first step.</i>";
      const lines = (r.text[k] || []).map((t) => esc(eventLine(t)));
      const ended = at < n ? ` <i>(this run ended at step ${r.last})</i>` : "";
      const setup = isSetup(r, at) ? " <span class='mkp-setup'>set-up</span>" : "";
      const time = r.time[k] === undefined ? "" : ` @${fmt(r.time[k])} cycles`;
      return head + `<b>step ${at}</b>${setup}${time}: ` + lines.join("; ") + ended;
    })
    .join("<br>");
}

/** Return the program pane of run `r` after step `at`: the line that made the step's kernel
 * entry in its function's source (wrapped, never cut), then every thread's state. */
export function programHtml(r, at) {
  if (at < 0) return "<h4>Program</h4><div class='empty'>Before the first step: no thread has run yet.</div>";
  const k = indexOf(r, at), where = r.where[k], who = r.who[k];
  let html;
  if (where) {
    const src = r.src[where[0]], line = where[1];
    html = `<h4>Program of ${esc(who)}: line ${line} of ${esc(src.function)}() made the kernel entry of step ${at}</h4><pre>`;
    html += src.lines.map((text, i) => {
      const no = src.first + i, me = no === line;
      return `<span class="row${me ? " hl" : ""}"><span class="ln">${me ? "➜ " : ""}${no}</span>${esc(text)}</span>`;
    }).join("") + "</pre>";
  } else if (isSetup(r, at)) {
    const what = (r.text[k] || []).map((t) => esc(eventLine(t))).join("; ") || "set-up";
    html = `<h4>Program</h4><div class="empty">Step ${at} is set-up, not a kernel entry: ${what}. It costs nothing; no program has run for it.</div>`;
  } else {
    const what = who ? `a kernel entry for ${esc(who)} that no line of its program made (its program ended, or the kernel acted for it)` : "a hardware event";
    html = `<h4>Program</h4><div class="empty">Step ${at} is ${what}.</div>`;
  }
  const table = threadsAt(r, at);
  html += "<table><tr><th>thread</th><th>space</th><th>state: what it waits for</th></tr>";
  html += table.map(([name, space, state]) => `<tr class="${name === who ? "me" : ""}"><td>${name === who ? "▶ " : ""}${esc(name)}</td><td>${esc(space)}</td><td>${esc(state)}</td></tr>`).join("");
  if (!table.length) html += "<tr><td colspan=3 class='empty'>no threads yet</td></tr>";
  return html + "</table>";
}

/** Return the mapping-tree pane of run `r` after step `at` (scene: the scene to draw, by
 * default the step's own). */
export function treeHtml(r, at, key, scene, note) {
  let title = at >= 0 ? `Mapping trees after step ${at}` : "Mapping trees before step 0";
  if (note) title += ` (${esc(note)})`;
  scene = scene || (at >= 0 ? r.scenes[r.tree[indexOf(r, at)]] : { nodes: [], edges: [] });
  if (!scene || !scene.nodes.length) return `<h4>${title}: <span class="empty">nothing mapped outside σ0 yet</span></h4>`;
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
    const [kind, colour] = key.nodes[mark] || key.nodes[""];
    s += `<g><title>${esc(label)}, rights ${esc(rights)}: ${esc(kind)}</title><circle cx="${cx}" cy="${cy}" r="8" fill="${colour}" stroke="#333" stroke-width="${mark ? 2 : 0}"/><text x="${cx + 12}" y="${cy + 4}">${esc(label)} ${esc(rights)}</text></g>`;
  }
  s += "</svg>";
  const used = new Set(scene.nodes.map((n) => n[4]));
  let keyHtml = Object.entries(key.nodes).filter(([m]) => used.has(m)).map(([m, [name, colour]]) => `<span class="chip" style="background:${colour};border-radius:50%"></span>${esc(name)}${m === "" ? " (space:page rights)" : ""}`).join("");
  if (used.has("flushed")) keyHtml += `<span class="chip" style="background:none;color:#d62728">✕</span>flushed in this step (dotted: where it hung)`;
  keyHtml += `<span class="chip" style="background:#999;height:2px"></span>line: mapped from the node above (σ0 is the root)`;
  return `<h4>${title}</h4>${s}<div class="key">${keyHtml}</div>`;
}

/** Return the IPC flow of run `r` up to step `at`: the last messages that fit `width`. */
export function ipcHtml(r, at, key, width, id) {
  const title = `Messages up to step ${at}`;
  let end = r.msgs.length;
  while (end > 0 && r.msgs[end - 1][0] > at) end--;
  const fit = Math.max(2, Math.min(MAX_MSGS, Math.floor((width - 134) / 160)));
  const shown = r.msgs.slice(Math.max(0, end - fit), end);
  if (!shown.length) return `<h4>${title}: <span class="empty">no message yet</span></h4>`;
  const lanes = [...new Set(shown.flatMap((m) => [m[3], m[4]]))].sort((a, b) => a - b);
  const y = (lane) => 22 + lanes.indexOf(lane) * 34, left = 124, W = 160;
  const w = left + shown.length * W + 10, h = 22 + lanes.length * 34 + 6;
  let s = `<svg width="${w}" height="${h}" xmlns="${NS}"><defs>`;
  key.kinds.forEach(([, colour], i) => {
    s += `<marker id="mkp-a${i}-${id}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0 0L10 5L0 10z" fill="${colour}"/></marker>`;
  });
  s += "</defs>";
  for (const lane of lanes) {
    s += `<text x="${left - 8}" y="${y(lane) + 4}" text-anchor="end">${esc(r.lanes[lane])}</text><line x1="${left}" x2="${w - 10}" y1="${y(lane)}" y2="${y(lane)}" stroke="#e4e4e4"/>`;
  }
  shown.forEach(([step, time, , from, to, kind, label], i) => {
    const x1 = left + i * W + 8, x2 = x1 + W - 24, colour = (key.kinds[kind] || key.kinds[0])[1], now = step === at;
    const y1 = y(from), y2 = y(to) + (from === to ? 0 : y(to) > y1 ? -4 : 4);
    const ly = Math.min(y1, y2) - 2;
    label = String(label);
    s += `<g><title>step ${step} @${fmt(time)} cycles: ${esc(r.lanes[from])} → ${esc(r.lanes[to])}: ${esc(label)}</title>`;
    s += `<line x1="${x1}" y1="${y1}" x2="${x2}" y2="${y2}" stroke="${colour}" stroke-width="${now ? 3.5 : 1.6}" marker-end="url(#mkp-a${kind}-${id})"/>`;
    s += `<text x="${x1}" y="${ly}" text-anchor="start" ${now ? 'font-weight="bold"' : ""} fill="#222" font-size="10.5" paint-order="stroke" stroke="#fff" stroke-width="3">${esc(label.length > 27 ? label.slice(0, 26) + "…" : label)}</text>`;
    s += `<text x="${x1}" y="${h - 2}" fill="#888" font-size="10">${step}</text></g>`;
  });
  s += "</svg>";
  const kinds = new Set(shown.map((m) => m[5]));
  const keyHtml = key.kinds.filter((_, i) => kinds.has(i)).map(([name, colour]) => `<span class="chip" style="background:${colour}"></span>${esc(name)}`).join("");
  return `<h4>${title} (the last ${shown.length}, in order; the number under each is its step, bold: this step)</h4>${s}<div class="key">${keyHtml}<span class="chip" style="background:none"></span>hover an arrow for its time and full text</div>`;
}

/** Return the cost pane of run `r` after step `at` on `scale` ({step, total, own}): each
 * step's cycles stacked by cause, and the run's total so far. */
export function costHtml(r, at, key, scale, width, runs) {
  const total = at >= 0 ? totalAt(r, at) : 0;
  const bars = Math.min(BARS, Math.floor((width - 78) / 12));
  const first = Math.max(r.lo, at - bars + 1), n = Math.max(0, at - first + 1);
  const left = 58, bw = 12, H = 120, w = Math.min(left + BARS * bw + 20, width);
  let s = `<svg width="${w}" height="${H + 62}" xmlns="${NS}" data-scale="${scale.step}">`;
  for (let t = 0; t <= 4; t++) {
    const v = (scale.step * t) / 4, yy = 6 + H - (H * t) / 4;
    s += `<line x1="${left}" x2="${w - 10}" y1="${yy}" y2="${yy}" stroke="#eee"/><text x="${left - 4}" y="${yy + 4}" text-anchor="end" font-size="10">${fmt(v)}</text>`;
  }
  const used = new Set();
  for (let j = 0; j < n; j++) {
    const k = first + j - r.lo;
    let y0 = 6 + H;
    for (const [c, v] of r.cost[k] || []) {
      used.add(c);
      const hh = (H * v) / scale.step;
      y0 -= hh;
      s += `<rect x="${left + j * bw}" y="${y0}" width="${bw - 2}" height="${hh}" fill="${key.causes[c][1]}"><title>step ${first + j}: ${esc(key.causes[c][0])} ${fmt(v)} cycles</title></rect>`;
    }
    if (first + j === at) s += `<rect x="${left + j * bw - 1}" y="6" width="${bw}" height="${H}" fill="none" stroke="#000" stroke-dasharray="2 2"/>`;
  }
  s += `<text x="${left}" y="${H + 20}" font-size="10" fill="#666">cycles per step, steps ${first}–${Math.max(at, 0)} (dashed: this step)</text>`;
  const tw = ((w - left - 10) * total) / scale.total;
  s += `<rect x="${left}" y="${H + 30}" width="${tw}" height="12" fill="#444"/><text x="${left - 4}" y="${H + 40}" text-anchor="end" font-size="10">total</text><text x="${tw > (w - left) / 2 ? left + 4 : left + tw + 4}" y="${H + 40}" font-size="11" fill="${tw > (w - left) / 2 ? "#fff" : "#222"}">${fmt(total)} cycles to step ${Math.max(at, 0)}</text>`;
  s += `<text x="${left}" y="${H + 56}" font-size="10" fill="#666">0</text><text x="${w - 10}" y="${H + 56}" font-size="10" fill="#666" text-anchor="end">${fmt(scale.total)}</text></svg>`;
  const keyHtml = key.causes.filter((_, c) => used.has(c)).map(([name, colour]) => `<span class="chip" style="background:${colour}"></span>${esc(name)}`).join("");
  const which = runs > 1 ? (scale.own ? ` (this run on its own scale: up to ${fmt(scale.step)} cycles a step)` : " (every run on the same scale)") : "";
  return `<h4>Cycles by cause${which}: each step's cycles stacked by cause, and the total so far</h4>${s}<div class="key">${keyHtml || "<span class='empty'>no cycles yet</span>"}</div>`;
}

// The course's notice in the JupyterLite site (scripts/build_lite.py loads it from lab/index.html).
//
// JupyterLite keeps a student's saved notebooks in the browser (IndexedDB) and shows them in
// place of the site's copies, so a course fix published later stays hidden behind an older
// saved copy. Every site notebook carries a stamp (metadata.mkteach.course) and
// mkteach-course.json lists the current ones: a saved copy whose stamp differs predates the
// course. This script says which, offers to reset them to the course's copies, and downloads
// the student's notebooks (saved copies, else the course's) as one zip, in one click.
(function () {
  "use strict";
  const ROOT = new URL("../", document.currentScript ? document.currentScript.src : location.href);
  const STORES = ["files", "checkpoints"];

  /** Return the IndexedDB database `name` if it exists (never create it), else null. */
  function openDatabase(name) {
    return new Promise((resolve) => {
      let created = false;
      const request = indexedDB.open(name);
      request.onupgradeneeded = () => { created = true; request.transaction.abort(); };
      request.onsuccess = () => {
        const db = request.result;
        db.onversionchange = () => db.close();  // never hold up JupyterLite's own upgrade
        resolve(db);
      };
      request.onerror = () => resolve(null);
      request.onblocked = () => resolve(null);
    });
  }

  /** Return every [key, value] of `store` in `db` (none if the store is missing). */
  function entries(db, store) {
    return new Promise((resolve) => {
      if (!db.objectStoreNames.contains(store)) return resolve([]);
      const out = [];
      const cursor = db.transaction(store, "readonly").objectStore(store).openCursor();
      cursor.onsuccess = () => {
        const c = cursor.result;
        if (!c) return resolve(out);
        out.push([String(c.key), c.value]);
        c.continue();
      };
      cursor.onerror = () => resolve(out);
    });
  }

  /** Return the notebook JSON of a stored contents model (saved as an object or as text). */
  function notebookOf(model) {
    if (!model || model.type !== "notebook") return null;
    const content = model.content;
    if (typeof content === "string") {
      try { return JSON.parse(content); } catch (e) { return null; }
    }
    return content || null;
  }

  /** Return the saved copies that predate the course: [{path, version}] of the stored
   * notebooks the course lists whose stamp is not the course's. */
  function staleCopies(manifest, stored) {
    const out = [];
    for (const [path, model] of stored) {
      const want = manifest.notebooks[path];
      if (!want) continue;
      const nb = notebookOf(model);
      const stamp = nb && nb.metadata && nb.metadata.mkteach && nb.metadata.mkteach.course;
      if (!stamp || stamp.notebook !== want) out.push({ path, version: stamp ? stamp.version : null });
    }
    return out.sort((a, b) => a.path.localeCompare(b.path));
  }

  async function saved(manifest) {
    const db = await openDatabase(manifest.storage);
    if (!db) return [];
    try { return await entries(db, "files"); } finally { db.close(); }
  }

  /** Delete the saved copies of `paths` (the course's copies show again), then reload. */
  async function reset(manifest, paths) {
    const db = await openDatabase(manifest.storage);
    if (db) {
      try {
        for (const store of STORES) {
          if (!db.objectStoreNames.contains(store)) continue;
          await new Promise((resolve) => {
            const tx = db.transaction(store, "readwrite");
            for (const path of paths) tx.objectStore(store).delete(path);
            tx.oncomplete = tx.onerror = tx.onabort = () => resolve();
          });
        }
      } finally { db.close(); }
    }
    location.reload();
  }

  // -- a zip file (stored, not compressed), written in the page ------------------------------
  const CRC = (() => {
    const t = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      t[n] = c >>> 0;
    }
    return t;
  })();
  function crc32(bytes) {
    let c = 0xffffffff;
    for (let i = 0; i < bytes.length; i++) c = CRC[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  }
  /** Return a zip archive (a Blob) of [name, text] files. */
  function zip(files) {
    const enc = new TextEncoder(), parts = [], central = [];
    let offset = 0;
    for (const [name, text] of files) {
      const nameBytes = enc.encode(name), data = enc.encode(text), crc = crc32(data);
      const local = new DataView(new ArrayBuffer(30));
      local.setUint32(0, 0x04034b50, true); local.setUint16(4, 20, true); local.setUint16(6, 0x0800, true);
      local.setUint32(14, crc, true); local.setUint32(18, data.length, true); local.setUint32(22, data.length, true);
      local.setUint16(26, nameBytes.length, true);
      const entry = new DataView(new ArrayBuffer(46));
      entry.setUint32(0, 0x02014b50, true); entry.setUint16(4, 20, true); entry.setUint16(6, 20, true);
      entry.setUint16(8, 0x0800, true); entry.setUint32(16, crc, true); entry.setUint32(20, data.length, true);
      entry.setUint32(24, data.length, true); entry.setUint16(28, nameBytes.length, true); entry.setUint32(42, offset, true);
      parts.push(local, nameBytes, data);
      central.push(entry, nameBytes);
      offset += 30 + nameBytes.length + data.length;
    }
    const size = central.reduce((a, p) => a + p.byteLength, 0);
    const end = new DataView(new ArrayBuffer(22));
    end.setUint32(0, 0x06054b50, true); end.setUint16(8, files.length, true); end.setUint16(10, files.length, true);
    end.setUint32(12, size, true); end.setUint32(16, offset, true);
    return new Blob([...parts, ...central, end], { type: "application/zip" });
  }

  /** Download every notebook the student has: each saved copy, and the course's copy of the
   * course notebooks never saved, as mkteach-notebooks.zip. */
  async function download(manifest) {
    const stored = new Map(await saved(manifest));
    const files = [];
    for (const [path, model] of stored) {
      const nb = notebookOf(model);
      if (nb) files.push([path, JSON.stringify(nb, null, 1)]);
    }
    for (const path of Object.keys(manifest.notebooks)) {
      if (stored.has(path)) continue;
      const response = await fetch(new URL("files/" + path, ROOT));
      if (response.ok) files.push([path, await response.text()]);
    }
    files.sort((a, b) => a[0].localeCompare(b[0]));
    const link = document.createElement("a");
    link.href = URL.createObjectURL(zip(files));
    link.download = "mkteach-notebooks.zip";
    document.body.appendChild(link);
    link.click();
    setTimeout(() => { URL.revokeObjectURL(link.href); link.remove(); }, 10000);
  }

  // -- the page -------------------------------------------------------------------------------
  const STYLE = `
#mkteach-course-notice{position:fixed;top:8px;left:50%;transform:translateX(-50%);z-index:10000;max-width:760px;
 background:#fff8e1;border:1px solid #e0a800;border-radius:6px;padding:10px 14px;font:13px/1.4 system-ui,sans-serif;
 color:#222;box-shadow:0 2px 10px rgba(0,0,0,.2)}
#mkteach-course-notice button,#mkteach-download{font:inherit;margin:6px 6px 0 0;padding:2px 10px;cursor:pointer}
#mkteach-download{position:fixed;right:12px;bottom:30px;z-index:9999;margin:0;font:12px system-ui,sans-serif;opacity:.85}`;

  function button(label, action) {
    const b = document.createElement("button");
    b.textContent = label;
    b.addEventListener("click", action);
    return b;
  }

  function showNotice(manifest, stale) {
    const box = document.createElement("div");
    box.id = "mkteach-course-notice";
    box.setAttribute("role", "alert");
    const names = stale.map((s) => s.path).join(", ");
    box.innerHTML = `<b>Your saved copy predates the course.</b> The course was updated (version
      ${manifest.version}) after you saved ${stale.length === 1 ? "this notebook" : "these notebooks"}:
      <b class="mkteach-stale"></b>. Your copy does not have the update. Reset it to the course's copy
      (your changes to it are lost: download your notebooks first), or keep yours.`;
    box.querySelector(".mkteach-stale").textContent = names;
    box.append(
      button("Reset to the course's copy", () => reset(manifest, stale.map((s) => s.path))),
      button("Download my notebooks", () => download(manifest)),
      button("Keep my copy", () => box.remove()),
    );
    document.body.appendChild(box);
  }

  async function start() {
    const manifest = await (await fetch(new URL("mkteach-course.json", ROOT))).json();
    const style = document.createElement("style");
    style.textContent = STYLE;
    document.head.appendChild(style);
    const save = button("⬇ Download my notebooks", () => download(manifest));
    save.id = "mkteach-download";
    save.title = "all your notebooks as one zip file, to hand in or keep (files your code writes are not kept)";
    document.body.appendChild(save);
    const stale = staleCopies(manifest, await saved(manifest));
    if (stale.length) showNotice(manifest, stale);
    document.body.dataset.mkteachCourse = stale.length ? "stale" : "current";
  }

  if (typeof document !== "undefined" && typeof indexedDB !== "undefined") {
    start().catch((e) => console.warn("mkteach course notice:", e));
  }
})();

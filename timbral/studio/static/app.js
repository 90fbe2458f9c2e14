// The studio page: every action calls the JSON API (see the README) and shows what came back.
"use strict";

const $ = (sel) => document.querySelector(sel);
const state = { sounds: [], colours: {}, current: null, slots: {}, corners: [], octave: 4 };
const audio = new (window.AudioContext || window.webkitAudioContext)();
const buffers = new Map();

// --- talking to the API --------------------------------------------------------------------------
let busy = 0;
function setBusy(delta, text) {
  busy += delta;
  $("#status").textContent = busy > 0 ? (text || "Working…") : "";
  document.body.style.cursor = busy > 0 ? "progress" : "";
}
function toast(message, kind = "error") {
  const t = $("#toast");
  t.textContent = message; t.className = kind; t.style.display = "block";
  clearTimeout(toast.timer); toast.timer = setTimeout(() => (t.style.display = "none"), kind === "info" ? 3000 : 7000);
}
async function api(method, url, body, label) {
  setBusy(1, label);
  try {
    const options = { method, headers: {} };
    if (body instanceof FormData) options.body = body;
    else if (body !== undefined) { options.body = JSON.stringify(body); options.headers["Content-Type"] = "application/json"; }
    const response = await fetch(url, options);
    if (response.status === 204) return null;
    const data = await response.json().catch(() => ({ error: `${response.status} ${response.statusText}` }));
    if (!response.ok) throw new Error(data.error || response.statusText);
    return data;
  } catch (e) { toast(e.message); throw e; } finally { setBusy(-1); }
}
const qs = (params) => new URLSearchParams(Object.entries(params).filter(([, v]) => v !== null && v !== undefined && v !== "")).toString();
const intOrNull = (el) => (el.value === "" ? null : Number(el.value));
const textOrNull = (el) => (el.value.trim() === "" ? null : el.value.trim()); // pitch fields: 60 or C4, checked by the API

// --- playing -------------------------------------------------------------------------------------
let playing = null;
async function playUrl(url) {
  try {
    if (audio.state === "suspended") await audio.resume();
    let buffer = buffers.get(url);
    if (!buffer) {
      const response = await fetch(url);
      if (!response.ok) throw new Error((await response.json().catch(() => ({}))).error || "could not load the sound");
      buffer = await audio.decodeAudioData(await response.arrayBuffer());
      if (buffers.size > 200) buffers.clear();
      buffers.set(url, buffer);
    }
    if (playing) playing.stop();
    playing = audio.createBufferSource();
    playing.buffer = buffer;
    playing.connect(audio.destination);
    playing.start();
  } catch (e) { toast(e.message); }
}
// current: {label, sound} (a library sound or one of yours) or {label, result, index} (a generated one)
function setCurrent(current, url) {
  state.current = current;
  $("#current-name").textContent = current.label;
  $("#current-name").className = "";
  if (url) playUrl(url);
}
function playAt(pitch) {
  if (!state.current) { toast("Pick a sound first: click the map, a result or one of your sounds.", "info"); return; }
  const { sound, result, index } = state.current;
  playUrl("/api/play?" + qs({ sound, result, index, pitch, velocity: $("#velocity").value }));
}

// --- the keyboard --------------------------------------------------------------------------------
const KEYS = "awsedftgyhujk"; // C4..C5 on a computer keyboard
const NAMES = ["C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B"];
const noteName = (midi) => NAMES[midi % 12] + (Math.floor(midi / 12) - 1);
function parsePitch(text) { // as timbral.pitch.parse_pitch: 60, C4, F#3, Bb2; NaN for anything else
  const t = text.trim(), m = /^([a-g])(#|♯|b|♭|s)?(-?[0-9])$/i.exec(t);
  if (/^[0-9]{1,3}$/.test(t)) return Number(t) <= 127 ? Number(t) : NaN;
  if (!m) return NaN;
  const midi = 12 * (Number(m[3]) + 1) + { c: 0, d: 2, e: 4, f: 5, g: 7, a: 9, b: 11 }[m[1].toLowerCase()] + ({ "#": 1, "♯": 1, s: 1, b: -1, "♭": -1 }[m[2]] || 0);
  return midi >= 0 && midi <= 127 ? midi : NaN;
}
function buildKeyboard() {
  const kb = $("#keyboard");
  kb.innerHTML = "";
  const whiteW = 100 / 15;
  let white = 0;
  for (let i = 0; i < 25; i++) {
    const isBlack = [1, 3, 6, 8, 10].includes(i % 12);
    const key = document.createElement("div");
    key.className = isBlack ? "black" : "white";
    key.style.left = (isBlack ? (white - 0.3) * whiteW : white * whiteW) + "%";
    key.style.width = (isBlack ? whiteW * 0.6 : whiteW) + "%";
    key.dataset.offset = i;
    key.title = NAMES[i % 12] + (state.octave + Math.floor(i / 12));
    key.addEventListener("pointerdown", () => pressKey(i));
    kb.appendChild(key);
    if (!isBlack) white++;
  }
  $("#octave").textContent = "C" + state.octave;
}
function pressKey(offset) {
  const pitch = 12 * (state.octave + 1) + offset;
  if (pitch < 0 || pitch > 127) return;
  const el = $(`#keyboard [data-offset="${offset}"]`);
  if (el) { el.classList.add("down"); setTimeout(() => el.classList.remove("down"), 200); }
  playAt(pitch);
}
function shiftOctave(d) { state.octave = Math.max(0, Math.min(8, state.octave + d)); buildKeyboard(); }
document.addEventListener("keydown", (e) => {
  if (e.target.matches("input, select, textarea") || e.repeat || e.ctrlKey || e.metaKey || e.altKey) return;
  const i = KEYS.indexOf(e.key.toLowerCase());
  if (i >= 0) pressKey(i);
  else if (e.key.toLowerCase() === "z") shiftOctave(-1);
  else if (e.key.toLowerCase() === "x") shiftOctave(1);
});

// --- sounds and pickers --------------------------------------------------------------------------
const pitchLabel = (s) => (s.pitched === false ? `unpitched (plays at ${noteName(s.pitch)})` : noteName(s.pitch));
const label = (s) => (s.source === "library" ? `${s.name} · ${s.family}` : `${s.name} · ${s.family} · ${pitchLabel(s)}`);
const matchesText = (s, q) => s.name.toLowerCase().includes(q) || s.id.toLowerCase().includes(q); // friendly name or raw id
async function loadSounds() {
  const data = await api("GET", "/api/sounds", undefined, "Loading the library…");
  state.sounds = data.sounds;
  view.setPoints(state.sounds);
  for (const p of [...pickers, ...cornerPickers]) p.refresh();
  renderYours();
  filterMap();
}
const LIST_LIMIT = 400; // a picker lists this many matches at most
class Picker {
  constructor(el, onChange) {
    this.onChange = onChange;
    el.innerHTML = `<div class="row"><input type="search" placeholder="search"><select class="fam"><option value="">all families</option></select>
      <input class="pitch" placeholder="pitch: C4 or 60" style="width:9em"><button class="rnd">Random</button></div>
      <select size="8" class="list"></select>`;
    [this.search, this.family, this.pitch, this.random, this.list] = ["input[type=search]", ".fam", ".pitch", ".rnd", ".list"].map((s) => el.querySelector(s));
    for (const f of Object.keys(state.colours)) this.family.add(new Option(f, f));
    for (const input of [this.search, this.family, this.pitch]) input.addEventListener("input", () => this.refresh());
    this.list.addEventListener("change", () => this.onChange(this.value()));
    this.random.addEventListener("click", () => {
      const matches = this.matches();
      if (matches.length) this.set(matches[Math.floor(Math.random() * matches.length)].id);
    });
  }
  matches() {
    const q = this.search.value.toLowerCase(), fam = this.family.value, pitch = this.pitch.value.trim() === "" ? null : parsePitch(this.pitch.value);
    return state.sounds.filter((s) => (!q || matchesText(s, q)) && (!fam || s.family === fam) && (pitch === null || s.pitch === pitch));
  }
  refresh(ensure = null) { // ensure: an id to list even when the filters or the length limit would leave it out
    const keep = ensure || this.list.value, matches = this.matches();
    const yours = matches.filter((s) => s.source !== "library"), lib = matches.filter((s) => s.source === "library");
    const shown = [...yours, ...lib].slice(0, LIST_LIMIT);
    const kept = keep && !shown.some((s) => s.id === keep) && state.sounds.find((s) => s.id === keep);
    if (kept) shown.unshift(kept);
    this.list.innerHTML = "";
    for (const s of shown) this.list.add(new Option((s.source !== "library" ? "★ " : "") + label(s), s.id));
    if (matches.length > LIST_LIMIT) {
      const more = new Option(`… and ${matches.length - LIST_LIMIT} more: search or filter to narrow`, "");
      more.disabled = true;
      this.list.add(more);
    }
    if (keep && shown.some((s) => s.id === keep)) this.list.value = keep;
    else if (this.list.options.length) this.list.selectedIndex = 0;
  }
  set(id) {
    this.refresh(id);
    this.onChange(this.value());
  }
  value() { return state.sounds.find((s) => s.id === this.list.value) || null; }
}

// --- explore -------------------------------------------------------------------------------------
const view = new TimbreMapView($("#map"), {
  onHover: (p) => {
    clearTimeout(view.hoverTimer);
    if (p) view.hoverTimer = setTimeout(() => playUrl(`/api/sounds/${encodeURIComponent(p.id)}/audio`), 250);
  },
  onPick: async ({ x, y, point }) => {
    if (point) { pick(point); return; }
    if (x < 0 || x > 1 || y < 0 || y > 1) return; // outside the map: nothing lives there
    const data = await api("GET", "/api/map/decode?" + qs({ x: x.toFixed(4), y: y.toFixed(4), pitch: 60 }), undefined, "Listening there…");
    state.picked = null;
    $("#picked-name").textContent = `The sound at (${x.toFixed(2)}, ${y.toFixed(2)})`;
    $("#picked-actions").hidden = true;
    setCurrent({ label: `map point (${x.toFixed(2)}, ${y.toFixed(2)})`, result: data.id, index: 0 }, data.audio);
  },
});
function pick(s) {
  state.picked = s;
  $("#picked-name").textContent = label(s);
  $("#picked-actions").hidden = false;
  setCurrent({ label: s.name, sound: s.id }, `/api/sounds/${encodeURIComponent(s.id)}/audio`);
}
function filterMap() {
  const fam = $("#map-family").value, q = $("#map-search").value.toLowerCase();
  view.filter(fam || q ? state.sounds.filter((s) => (!fam || s.family === fam) && (!q || matchesText(s, q))).map((s) => s.id) : null);
}
$("#map-family").addEventListener("change", filterMap);
$("#map-search").addEventListener("input", filterMap);
$("#picked-actions").addEventListener("click", (e) => {
  const use = e.target.dataset.use, s = state.picked;
  if (!use || !s) return;
  if (use === "corner") {
    const i = state.cornerNext = ((state.cornerNext ?? -1) + 1) % Number($("#shape").value);
    cornerPickers[i].set(s.id);
    toast(`${s.name} is on corner ${"ABCD"[i]} of the pad`, "info");
  } else {
    (use === "a" ? pickA : pickB).set(s.id);
    toast(`${s.name} is Sound ${use === "a" ? 1 : 2}`, "info");
  }
});

// --- blend two -----------------------------------------------------------------------------------
const pickA = new Picker($("#pick-a"), (s) => s && view.mark(s.id, "Sound 1"));
const pickB = new Picker($("#pick-b"), (s) => s && view.mark(s.id, "Sound 2"));
$("#generate").addEventListener("click", async () => {
  const a = pickA.value(), b = pickB.value();
  if (!a || !b) { toast("Choose Sound 1 and Sound 2 first."); return; }
  $("#generate").disabled = true;
  try {
    const r = await api("POST", "/api/blend", { a: a.id, b: b.id, steps: Number($("#steps").value), method: $("#method").value, pitch: textOrNull($("#blend-pitch")) },
      `Blending ${$("#steps").value} steps…`);
    const card = (title, url, extra = "", current = null) => {
      const div = document.createElement("div");
      div.className = "card";
      div.innerHTML = `<b>${title}</b>${extra}<audio controls preload="none" src="${url}"></audio><a href="${url}" download>WAV</a>`;
      if (current) div.querySelector("audio").addEventListener("play", () => setCurrent(current));
      return div;
    };
    const out = $("#blend-result");
    out.innerHTML = `<div class="originals"></div><h3>The path, ${r.steps.length} steps at ${noteName(r.pitch)}</h3><div class="steps"></div>
      <p><b>The whole path:</b> <audio controls preload="none" src="${r.all}"></audio> <a href="${r.all}" download>all.wav</a> · <a href="${r.zip}" download>Download everything (ZIP)</a></p>`;
    out.querySelector(".originals").append(card("Sound 1: " + a.name, r.sound1, "", { label: a.name, sound: a.id }),
      card("Sound 2: " + b.name, r.sound2, "", { label: b.name, sound: b.id }));
    for (const s of r.steps) {
      const name = `step ${s.index}`;
      out.querySelector(".steps").append(card(name, s.audio, `<img alt="spectrogram of ${name}" src="${s.spectrogram}">`,
        { label: `blend ${a.name} → ${b.name}, ${name}`, result: r.id, index: s.index }));
    }
  } finally { $("#generate").disabled = false; }
});

// --- mix three or four ---------------------------------------------------------------------------
const pad = $("#pad");
const cornerPickers = [];
const padState = { x: 0.5, y: 0.4, pending: false, again: false };
function cornerPositions() { // pad coordinates, y up, as in timbral.latent.triangle_weights / square_weights
  return $("#shape").value === "3" ? [[0, 0], [1, 0], [0.5, 1]] : [[0, 0], [1, 0], [0, 1], [1, 1]];
}
function buildCorners() {
  const box = $("#corners");
  box.innerHTML = "";
  cornerPickers.length = 0;
  for (let i = 0; i < Number($("#shape").value); i++) {
    const div = document.createElement("div");
    div.innerHTML = `<h2>Corner ${"ABCD"[i]}</h2><div class="picker"></div>`;
    box.appendChild(div);
    const p = new Picker(div.querySelector(".picker"), () => { drawPad(); mixNow(); });
    p.refresh();
    if (p.list.options.length) p.list.selectedIndex = Math.min(p.list.options.length - 1, i * 97 % Math.max(1, p.list.options.length));
    cornerPickers.push(p);
  }
  drawPad();
}
const toPad = (x, y) => [20 + x * (pad.width - 40), pad.height - 20 - y * (pad.height - 40)];
function drawPad(weights) {
  const g = pad.getContext("2d"), corners = cornerPositions();
  g.clearRect(0, 0, pad.width, pad.height);
  g.strokeStyle = "#999"; g.lineWidth = 1.5; g.beginPath();
  const outline = corners.length === 3 ? corners : [corners[0], corners[1], corners[3], corners[2]];
  outline.forEach(([x, y], i) => (i ? g.lineTo(...toPad(x, y)) : g.moveTo(...toPad(x, y))));
  g.closePath(); g.stroke();
  g.font = "bold 14px system-ui"; g.fillStyle = "#333";
  corners.forEach(([x, y], i) => { const [px, py] = toPad(x, y); g.fillText("ABCD"[i], px + (x > 0.5 ? -16 : 6), py + (y > 0.5 ? 16 : -6)); });
  const [px, py] = toPad(padState.x, padState.y);
  g.fillStyle = "#2a6f97"; g.beginPath(); g.arc(px, py, 9, 0, 2 * Math.PI); g.fill();
  if (weights) $("#mix-weights").textContent = "Weights: " + weights.map((w, i) => `${"ABCD"[i]} ${Math.round(w * 100)}%`).join(" · ");
}
async function mixNow() {
  if (padState.pending) { padState.again = true; return; } // one request in flight; the latest position follows
  const sources = cornerPickers.map((p) => p.value()).filter(Boolean);
  if (sources.length !== cornerPickers.length) return;
  padState.pending = true;
  try {
    const r = await api("POST", "/api/mix", { sources: sources.map((s) => s.id), pad: { x: padState.x, y: padState.y }, pitch: textOrNull($("#mix-pitch")) });
    drawPad(r.weights);
    setCurrent({ label: `pad mix at (${padState.x.toFixed(2)}, ${padState.y.toFixed(2)})`, result: r.id, index: 0 }, r.audio);
  } catch (e) { /* shown by api() */ } finally {
    padState.pending = false;
    if (padState.again) { padState.again = false; mixNow(); }
  }
}
function insideShape(x, y) { // the nearest point of the triangle or square to (x, y)
  x = Math.min(1, Math.max(0, x)); y = Math.min(1, Math.max(0, y));
  if ($("#shape").value !== "3") return [x, y];
  const [a, b, c] = cornerPositions();
  const inside = (p, q, r) => (q[0] - p[0]) * (r[1] - p[1]) - (q[1] - p[1]) * (r[0] - p[0]) >= 0;
  if (inside(a, b, [x, y]) && inside(b, c, [x, y]) && inside(c, a, [x, y])) return [x, y];
  const nearestOn = (p, q) => { // the nearest point of segment pq
    const dx = q[0] - p[0], dy = q[1] - p[1];
    const t = Math.min(1, Math.max(0, ((x - p[0]) * dx + (y - p[1]) * dy) / (dx * dx + dy * dy)));
    return [p[0] + t * dx, p[1] + t * dy];
  };
  return [nearestOn(a, b), nearestOn(b, c), nearestOn(c, a)].reduce((best, p) =>
    Math.hypot(p[0] - x, p[1] - y) < Math.hypot(best[0] - x, best[1] - y) ? p : best);
}
function padPoint(e) {
  const r = pad.getBoundingClientRect();
  const sx = (e.clientX - r.left) * pad.width / r.width, sy = (e.clientY - r.top) * pad.height / r.height;
  [padState.x, padState.y] = insideShape((sx - 20) / (pad.width - 40), (pad.height - 20 - sy) / (pad.height - 40));
  drawPad();
  mixNow();
}
let padDrag = false;
pad.addEventListener("pointerdown", (e) => { padDrag = true; pad.setPointerCapture(e.pointerId); padPoint(e); });
pad.addEventListener("pointermove", (e) => padDrag && padPoint(e));
pad.addEventListener("pointerup", () => (padDrag = false));
$("#shape").addEventListener("change", () => { [padState.x, padState.y] = insideShape(padState.x, padState.y); buildCorners(); });

// --- random --------------------------------------------------------------------------------------
$("#random-t").addEventListener("input", () => ($("#random-t-out").textContent = Number($("#random-t").value).toFixed(1)));
$("#random-go").addEventListener("click", async () => {
  $("#random-go").disabled = true;
  try {
    const r = await api("POST", "/api/random", { n: Number($("#random-n").value), temperature: Number($("#random-t").value), seed: intOrNull($("#random-seed")), pitch: textOrNull($("#random-pitch")) },
      "Inventing sounds…");
    const out = $("#random-result");
    out.innerHTML = `<p class="muted">Seed ${r.seed}, temperature ${r.temperature}: the same seed gives the same sounds.
      <a href="${r.zip}" download>Download all (ZIP)</a></p><div class="steps"></div>`;
    for (const s of r.sounds) {
      const div = document.createElement("div");
      div.className = "card random-sound";
      div.innerHTML = `<b>random ${s.index + 1}</b><img alt="spectrogram of random ${s.index + 1}" src="${s.spectrogram}">
        <audio controls preload="none" src="${s.audio}"></audio><a href="${s.audio}" download>WAV</a> <button class="keep">Keep</button>`;
      const current = { label: `random ${s.index + 1} (seed ${r.seed})`, result: r.id, index: s.index };
      div.querySelector("audio").addEventListener("play", () => setCurrent(current));
      div.querySelector(".keep").addEventListener("click", async (e) => {
        const name = prompt("Name this sound", `random ${r.seed}-${s.index + 1}`);
        if (name === null) return;
        await api("POST", "/api/keep", { result: r.id, index: s.index, name }, "Keeping…");
        e.target.disabled = true; e.target.textContent = "Kept";
        toast(`${name} is in your sounds and on the map`, "info");
        loadSounds();
      });
      out.querySelector(".steps").appendChild(div);
    }
    setCurrent({ label: `random 1 (seed ${r.seed})`, result: r.id, index: 0 }, r.sounds[0].audio);
  } finally { $("#random-go").disabled = false; }
});

// --- your sounds ---------------------------------------------------------------------------------
async function upload(files) {
  for (const file of files) {
    const form = new FormData();
    form.append("file", file);
    if (textOrNull($("#upload-pitch"))) form.append("pitch", textOrNull($("#upload-pitch")));
    if (!$("#upload-fit").checked) form.append("fit", "0");  // else the studio's default fitting
    const s = await api("POST", "/api/sounds", form, `Analysing ${file.name}…`).catch(() => null);
    if (s) toast(`${s.name}: ${s.remarks.join("; ")}. Placed on the map.`, s.pitched ? "info" : "notice");
  }
  loadSounds();
}
const drop = $("#drop");
drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
drop.addEventListener("dragleave", () => drop.classList.remove("over"));
// copies: a FileList empties when the input is reset or the drop event ends, before the uploads are done
drop.addEventListener("drop", (e) => { e.preventDefault(); drop.classList.remove("over"); upload([...e.dataTransfer.files]); });
$("#file").addEventListener("change", (e) => { upload([...e.target.files]); e.target.value = ""; });
function renderYours() {
  const list = $("#your-list");
  list.innerHTML = "";
  const yours = state.sounds.filter((s) => s.source !== "library");
  if (!yours.length) list.innerHTML = '<li class="muted">None yet: drop a file above, or keep a random sound.</li>';
  for (const s of yours) {
    const li = document.createElement("li");
    li.dataset.id = s.id;
    li.innerHTML = `<input class="name" value="" aria-label="name">
      <label>pitch <input class="pitch" size="5" aria-label="pitch" title="a note name (C4, F#3) or a MIDI number"></label>
      ${s.pitched ? "" : '<span class="badge" title="no clear pitch was found: it plays at C4 until you set its pitch">unpitched</span>'}
      <span class="muted">${s.source}</span>
      <button class="play">Play</button><button class="show">Show on map</button><button class="del">Delete</button>`;
    li.querySelector(".name").value = s.name;
    li.querySelector(".pitch").value = noteName(s.pitch);
    li.querySelector(".name").addEventListener("change", async (e) => {
      await api("PATCH", `/api/sounds/${s.id}`, { name: e.target.value }).catch(() => (e.target.value = s.name));
      loadSounds();
    });
    li.querySelector(".pitch").addEventListener("change", async (e) => {
      await api("PATCH", `/api/sounds/${s.id}`, { pitch: e.target.value.trim() }).catch(() => (e.target.value = noteName(s.pitch)));
      loadSounds();
    });
    li.querySelector(".play").addEventListener("click", () => pick(s));
    li.querySelector(".show").addEventListener("click", () => { showTab("explore"); view.mark(s.id, s.name); pick(s); });
    li.querySelector(".del").addEventListener("click", async () => {
      if (!confirm(`Delete ${s.name}?`)) return;
      await api("DELETE", `/api/sounds/${s.id}`);
      loadSounds();
    });
    list.appendChild(li);
  }
}

// --- export --------------------------------------------------------------------------------------
$("#sfz").addEventListener("click", async () => {
  if (!state.current) { toast("Pick a sound first.", "info"); return; }
  const { sound, result, index, label: name } = state.current;
  const r = await api("POST", "/api/sfz", { sound, result, index, name: name.slice(0, 60) }, "Rendering the instrument (50 samples)…");
  const a = document.createElement("a");
  a.href = r.zip; a.download = ""; document.body.appendChild(a); a.click(); a.remove();
  toast(`SFZ instrument ready: ${r.samples} samples`, "info");
});

// --- tabs and start ------------------------------------------------------------------------------
function hideToast() { $("#toast").style.display = "none"; }
$("#toast").addEventListener("click", hideToast);
function showTab(name) {
  hideToast(); // a message belongs to the tab it came from
  for (const b of document.querySelectorAll("#tabs button")) b.classList.toggle("on", b.dataset.tab === name);
  for (const s of document.querySelectorAll(".tab")) s.classList.toggle("on", s.id === name);
  if (name === "explore") view.draw();
}
$("#tabs").addEventListener("click", (e) => e.target.dataset.tab && showTab(e.target.dataset.tab));
$("#oct-down").addEventListener("click", () => shiftOctave(-1));
$("#oct-up").addEventListener("click", () => shiftOctave(1));
const pickers = [pickA, pickB];

async function untilReady() { // the first start builds the library: show its progress until it is done
  for (;;) {
    const s = await fetch("/api/status").then((r) => r.json()).catch(() => null);
    if (s && s.ready) { $("#preparing").hidden = true; return; }
    $("#preparing").hidden = false;
    const bar = $("#preparing-bar");
    if (s && s.error) { $("#preparing-step").textContent = `The library could not be prepared: ${s.error}`; bar.hidden = true; return new Promise(() => {}); }
    if (s) {
      $("#preparing-step").textContent = s.step + (s.total ? ` — ${Math.round(s.done)} of ${s.total}` : "") + ` (${Math.round(s.seconds)} s so far)`;
      if (s.total) bar.value = s.done / s.total; else bar.removeAttribute("value");
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

(async function start() {
  await untilReady();
  const fam = await api("GET", "/api/families");
  state.colours = fam.colours;
  view.colours = fam.colours;
  $("#legend").innerHTML = Object.entries(fam.colours).map(([f, c]) => `<span><i style="background:${c}"></i>${f}</span>`).join("");
  for (const f of Object.keys(fam.colours)) $("#map-family").add(new Option(f, f));
  buildKeyboard();
  for (const p of [pickA, pickB]) for (const f of Object.keys(fam.colours)) p.family.add(new Option(f, f));
  await loadSounds();
  if (pickB.list.options.length > 1) pickB.list.selectedIndex = Math.floor(pickB.list.options.length / 2);
  buildCorners();
  document.body.dataset.ready = "yes";
})();

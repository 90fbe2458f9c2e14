// Mix three or four: a sound on each corner of a triangle or a square; drag the point and the sound follows.
import { api, textOrNull, toast } from "./api.js";
import { $, el } from "./dom.js";
import { recorded, setCurrent } from "./player.js";
import { exportInstrument } from "./instrument.js";
import { Picker } from "./sounds.js";
import { state } from "./state.js";

const pad = $("#pad");
export const cornerPickers = [];
export const padState = { x: 0.5, y: 0.4, pending: false, again: false, next: -1, building: false };

function cornerPositions() { // pad coordinates, y up, as in timbral.latent.triangle_weights / square_weights
  return $("#shape").value === "3" ? [[0, 0], [1, 0], [0.5, 1]] : [[0, 0], [1, 0], [0, 1], [1, 1]];
}

export function buildCorners() {
  const box = $("#corners");
  box.replaceChildren();
  for (const p of cornerPickers) p.unlisten();
  cornerPickers.length = 0;
  padState.building = true; // choosing the first corners plays nothing
  for (let i = 0; i < Number($("#shape").value); i++) {
    const picker = el("div", { className: "picker" });
    box.append(el("div", {}, el("h2", {}, `Corner ${"ABCD"[i]}`), picker));
    // a corner chosen by the user is heard in the mix at once; one moved by a change of the sounds plays nothing
    const p = new Picker(picker, (_, byUser) => { drawPad(); if (byUser && !padState.building) mixNow(); }, `corner-${i}`);
    p.refresh();
    cornerPickers.push(p);
  }
  const defaults = defaultCorners();
  cornerPickers.forEach((p, i) => p.restore(defaults[i]?.id));
  padState.building = false;
  drawPad();
}

// sounds of different families to start from, each near C4: a mix of three basses says little
function defaultCorners() {
  const byFamily = new Map();
  for (const s of state.sounds) {
    const best = byFamily.get(s.family);
    if (s.source === "library" && (!best || Math.abs(s.pitch - 60) < Math.abs(best.pitch - 60))) byFamily.set(s.family, s);
  }
  const preferred = ["keyboard", "string", "flute", "brass", "reed", "organ", "guitar", "mallet"];
  const families = [...preferred.filter((f) => byFamily.has(f)), ...[...byFamily.keys()].filter((f) => !preferred.includes(f))];
  return families.slice(0, cornerPickers.length).map((f) => byFamily.get(f));
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
  weights = weights || padWeights(padState.x, padState.y);
  $("#mix-weights").textContent = "Weights: " + weights.map((w, i) => `${"ABCD"[i]} ${Math.round(w * 100)}%`).join(" · ");
}

function padWeights(x, y) { // as timbral.latent.triangle_weights / square_weights; the server's answer confirms them
  if ($("#shape").value !== "3") return [(1 - x) * (1 - y), x * (1 - y), (1 - x) * y, x * y];
  const c = Math.min(1, Math.max(0, y)), b = x - 0.5 * c;
  const w = [Math.max(0, 1 - b - c), Math.max(0, b), c];
  const sum = w.reduce((a, v) => a + v, 0);
  return w.map((v) => v / sum);
}

async function mixNow() {
  if (padState.pending) { padState.again = true; return; } // one request in flight; the latest position follows
  const sources = cornerPickers.map((p) => p.value()).filter(Boolean);
  if (!sources.length || sources.length !== cornerPickers.length) return;
  padState.pending = true;
  try {
    const r = await api("POST", "/api/mix", { sources: sources.map((s) => s.id), pad: { x: padState.x, y: padState.y },
      pitch: textOrNull($("#mix-pitch")), recorded: recorded() === 1 });
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
$("#pad-instrument").addEventListener("click", () => {
  const sources = cornerPickers.map((p) => p.value()).filter(Boolean);
  if (sources.length !== cornerPickers.length) { toast("Put a sound on every corner first."); return; }
  exportInstrument({ sources: sources.map((s) => s.id) }, $("#pad-instrument-files"));
});
$("#shape").addEventListener("change", () => { [padState.x, padState.y] = insideShape(padState.x, padState.y); buildCorners(); });
document.addEventListener("use-sound", ({ detail: { use, sound } }) => {
  if (use !== "corner") return;
  const i = padState.next = (padState.next + 1) % Number($("#shape").value);
  cornerPickers[i].set(sound.id);
  toast(`${sound.name} is on corner ${"ABCD"[i]} of the pad`, "info");
});

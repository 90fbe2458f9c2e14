// The timbre map on a canvas: points coloured by family, wheel to zoom, drag to pan,
// hover to name a point, click to pick a point or an empty place. Used by the studio
// and by the standalone page that `timbral map --out map.html` writes.
"use strict";

const DOUBLE_CLICK_MS = 300;

class TimbreMapView {
  constructor(canvas, { colours = {}, onHover = () => {}, onPick = () => {} } = {}) {
    this.canvas = canvas;
    this.colours = colours;
    this.onHover = onHover;
    this.onPick = onPick;
    this.points = [];
    this.marked = new Map(); // role ("Sound 1", "Sound 2", …) -> {id, label}: one marker per role
    this.visible = null; // Set of ids left visible by a filter, or null for all
    this.hovered = null;
    this.reset();
    this.listen();
    new ResizeObserver(() => this.draw()).observe(canvas);
  }

  reset() { this.zoom = 1; this.cx = 0.5; this.cy = 0.5; this.draw(); }

  setPoints(points) { this.points = points; this.draw(); }

  // put the marker of ``role`` on the point ``id`` (moving it from where it was), or take it away (no id)
  mark(role, id, label = role) { if (id) this.marked.set(role, { id, label }); else this.marked.delete(role); this.draw(); }

  labels() { // id -> the text drawn beside it: every role marking it
    const byId = new Map();
    for (const { id, label } of this.marked.values()) byId.set(id, byId.has(id) ? `${byId.get(id)} · ${label}` : label);
    return byId;
  }

  filter(ids) { this.visible = ids ? new Set(ids) : null; this.draw(); }

  // map coordinates ([0, 1] on both axes) <-> canvas pixels
  scale() { return Math.min(this.canvas.clientWidth, this.canvas.clientHeight) * 0.92 * this.zoom; }
  toScreen(x, y) {
    const s = this.scale();
    return [this.canvas.clientWidth / 2 + (x - this.cx) * s, this.canvas.clientHeight / 2 + (y - this.cy) * s];
  }
  toMap(px, py) {
    const s = this.scale();
    return [this.cx + (px - this.canvas.clientWidth / 2) / s, this.cy + (py - this.canvas.clientHeight / 2) / s];
  }

  nearest(px, py, radius = 7) {
    let best = null, bestD = radius * radius;
    for (const p of this.points) {
      if (this.visible && !this.visible.has(p.id)) continue;
      const [sx, sy] = this.toScreen(p.x, p.y);
      const d = (sx - px) ** 2 + (sy - py) ** 2;
      if (d < bestD) { best = p; bestD = d; }
    }
    return best;
  }

  listen() {
    const c = this.canvas;
    let drag = null;
    const at = (e) => { const r = c.getBoundingClientRect(); return [e.clientX - r.left, e.clientY - r.top]; };
    c.addEventListener("wheel", (e) => {
      e.preventDefault();
      const [px, py] = at(e), [mx, my] = this.toMap(px, py);
      this.zoom = Math.min(200, Math.max(0.5, this.zoom * Math.exp(-e.deltaY * 0.0015)));
      const [nx, ny] = this.toMap(px, py);
      this.cx += mx - nx; this.cy += my - ny;
      this.draw();
    }, { passive: false });
    c.addEventListener("pointerdown", (e) => { drag = { start: at(e), last: at(e), moved: false }; c.setPointerCapture(e.pointerId); });
    c.addEventListener("pointermove", (e) => {
      const [px, py] = at(e);
      if (drag) {
        const s = this.scale();
        if (Math.hypot(px - drag.start[0], py - drag.start[1]) > 4) drag.moved = true;
        if (drag.moved) { this.cx -= (px - drag.last[0]) / s; this.cy -= (py - drag.last[1]) / s; this.draw(); }
        drag.last = [px, py];
        return;
      }
      const p = this.nearest(px, py);
      if (p !== this.hovered) { this.hovered = p; this.draw(); this.onHover(p, e); }
    });
    let pending = null; // a click waits DOUBLE_CLICK_MS for a second one: a double click resets the view and picks nothing
    c.addEventListener("pointerup", (e) => {
      const wasClick = drag && !drag.moved;
      drag = null;
      if (!wasClick) return;
      if (pending) { clearTimeout(pending); pending = null; return; }
      const [px, py] = at(e), [x, y] = this.toMap(px, py), point = this.nearest(px, py);
      pending = setTimeout(() => { pending = null; this.onPick({ x, y, point }, e); }, DOUBLE_CLICK_MS);
    });
    c.addEventListener("pointerleave", () => { if (this.hovered) { this.hovered = null; this.draw(); this.onHover(null); } });
    c.addEventListener("dblclick", () => this.reset());
  }

  draw() {
    const c = this.canvas, dpr = window.devicePixelRatio || 1;
    const w = c.clientWidth, h = c.clientHeight;
    if (c.width !== Math.round(w * dpr) || c.height !== Math.round(h * dpr)) { c.width = Math.round(w * dpr); c.height = Math.round(h * dpr); }
    const g = c.getContext("2d");
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.clearRect(0, 0, w, h);
    const r = Math.min(9, (this.points.length < 1000 ? 6 : 2.5) + Math.log2(this.zoom));
    for (const p of this.points) {
      if (this.visible && !this.visible.has(p.id)) continue;
      const [sx, sy] = this.toScreen(p.x, p.y);
      if (sx < -r || sy < -r || sx > w + r || sy > h + r) continue;
      g.fillStyle = this.colours[p.family] || "#888";
      g.globalAlpha = p.source === "library" ? 0.75 : 1;
      g.fillRect(sx - r / 2, sy - r / 2, r, r);
    }
    g.globalAlpha = 1;
    g.font = "12px system-ui, sans-serif";
    const labels = this.labels();
    for (const p of this.points) {
      const label = labels.get(p.id);
      if (!label && p !== this.hovered && p.source === "library") continue;
      const [sx, sy] = this.toScreen(p.x, p.y);
      g.strokeStyle = "#000"; g.lineWidth = 2;
      g.beginPath(); g.arc(sx, sy, p === this.hovered ? 7 : 5, 0, 2 * Math.PI); g.stroke();
      if (label) { g.fillStyle = "#000"; g.fillText(label, sx + 8, sy - 6); }
    }
  }
}

// Explore: the timbre map of the library. Hover to hear, click a dot to pick it, click between dots
// to hear what lives there; a picked sound can become Sound 1, Sound 2 or a pad corner.
import { api, qs } from "./api.js";
import { $, el } from "./dom.js";
import { playUrl, setCurrent } from "./player.js";
import { label, matchesText } from "./sounds.js";
import { onSounds, state } from "./state.js";

// TimbreMapView: the classic script map.js (the standalone map page uses it too), loaded before this module
export const view = new TimbreMapView($("#map"), {
  onHover: (p, e) => { // a hovered point is named beside the pointer, then heard
    clearTimeout(view.hoverTimer);
    const tip = $("#map-tip");
    tip.hidden = !p;
    if (!p) return;
    tip.textContent = label(p);
    tip.style.left = `${e.clientX + 14}px`;
    tip.style.top = `${e.clientY + 14}px`;
    view.hoverTimer = setTimeout(() => playUrl(`/api/sounds/${encodeURIComponent(p.id)}/audio`), 250);
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

export function pick(s) {
  state.picked = s;
  $("#picked-name").textContent = label(s);
  $("#picked-actions").hidden = false;
  setCurrent({ label: s.name, sound: s.id }, `/api/sounds/${encodeURIComponent(s.id)}/audio`);
}

function filterMap() { // the map shows the matches, and says how many there are, or that there are none
  const fam = $("#map-family").value, q = $("#map-search").value.trim().toLowerCase();
  const shown = fam || q ? state.sounds.filter((s) => (!fam || s.family === fam) && (!q || matchesText(s, q))) : null;
  view.filter(shown && shown.map((s) => s.id));
  const what = [q && `“${$("#map-search").value.trim()}”`, fam].filter(Boolean).join(" in ");
  $("#map-count").textContent = !shown ? "" : shown.length ? `${shown.length} sounds match ${what}` : `No sound matches ${what}: clear the search or choose another family`;
  $("#map-count").classList.toggle("none", Boolean(shown && !shown.length));
}

// "use as": Sound 1, Sound 2 or the next pad corner; blend.js and mix.js listen for it
$("#picked-actions").addEventListener("click", (e) => {
  const use = e.target.dataset.use, s = state.picked;
  if (use && s) document.dispatchEvent(new CustomEvent("use-sound", { detail: { use, sound: s } }));
});
$("#map-family").addEventListener("change", filterMap);
$("#map-search").addEventListener("input", filterMap);
onSounds((sounds) => { view.setPoints(sounds); filterMap(); });

export function showFamilies(colours) {
  view.colours = colours;
  $("#legend").replaceChildren(...Object.entries(colours).map(([f, c]) => {
    const swatch = el("i");
    swatch.style.background = c;
    return el("span", {}, swatch, f);
  }));
  for (const f of Object.keys(colours)) $("#map-family").add(new Option(f, f));
}

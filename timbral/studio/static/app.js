// The studio page, an ES module: every action calls the JSON API (see the README) and shows what came
// back. Each concern has its module in js/; this one waits for the library, then starts them.
import { api } from "./js/api.js";
import { $ } from "./js/dom.js";
import { pickA, pickB } from "./js/blend.js";
import { showFamilies, view } from "./js/explore.js";
import "./js/exporting.js";
import { buildKeyboard } from "./js/keyboard.js";
import { buildCorners, cornerPickers, padState } from "./js/mix.js";
import { setCurrent } from "./js/player.js";
import "./js/random.js";
import { LIST_LIMIT, loadSounds } from "./js/sounds.js";
import { state } from "./js/state.js";
import "./js/tabs.js";
import "./js/yours.js";

// the page's parts, for the browser's console and the end-to-end tests
window.timbral = { state, view, pickA, pickB, cornerPickers, padState, setCurrent, LIST_LIMIT };

async function untilReady() { // the first start builds the library: show its progress until it is done
  for (;;) {
    const s = await fetch("/api/status").then((r) => r.json()).catch(() => null);
    if (s && s.ready) { $("#preparing").hidden = true; return; }
    $("#preparing").hidden = false;
    const bar = $("#preparing-bar");
    if (s && s.error) { $("#preparing-overall").textContent = `The library could not be prepared: ${s.error}`; bar.hidden = true; return new Promise(() => {}); }
    if (s) { // the whole start's progress and the time left, from the measured pace; the current step below it
      const left = s.left === null || s.left === undefined ? "" : s.left >= 90 ? `about ${Math.round(s.left / 60)} min left` : `about ${Math.round(s.left)} s left`;
      $("#preparing-overall").textContent = `${Math.round(100 * (s.overall || 0))} % done` + (left ? ` · ${left}` : "") + ` (${Math.round(s.seconds)} s so far)`;
      $("#preparing-step").textContent = (s.step || "starting") + (s.total ? ` — ${Math.round(s.done)} of ${s.total}` : "");
      bar.value = s.overall || 0;
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

(async function start() {
  await untilReady();
  const fam = await api("GET", "/api/families");
  state.colours = fam.colours;
  showFamilies(fam.colours);
  buildKeyboard();
  for (const p of [pickA, pickB]) for (const f of Object.keys(fam.colours)) p.family.add(new Option(f, f));
  await loadSounds();
  // each picker as the user left it on an earlier visit; else Sound 2 starts from the middle of the library
  pickA.restore(null);
  pickB.restore(state.sounds[Math.floor(state.sounds.length / 2)]?.id);
  buildCorners();
  document.body.dataset.ready = "yes";
})();

// The tabs: one visible at a time; a message belongs to the tab it came from.
import { hideToast } from "./api.js";
import { $ } from "./dom.js";
import { view } from "./explore.js";

export function showTab(name) {
  hideToast();
  for (const b of document.querySelectorAll("#tabs button")) b.classList.toggle("on", b.dataset.tab === name);
  for (const s of document.querySelectorAll(".tab")) s.classList.toggle("on", s.id === name);
  if (name === "explore") view.draw();
}

$("#tabs").addEventListener("click", (e) => e.target.dataset.tab && showTab(e.target.dataset.tab));
$("#toast").addEventListener("click", hideToast);

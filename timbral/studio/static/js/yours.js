// Your sounds: drop a one-shot to bring it in; rename it, set its pitch, play it, show it, delete it.
import { api, textOrNull, toast } from "./api.js";
import { $, el } from "./dom.js";
import { pick, view } from "./explore.js";
import { noteName } from "./pitches.js";
import { loadSounds } from "./sounds.js";
import { onSounds, state } from "./state.js";
import { showTab } from "./tabs.js";

const soundUrl = (id) => `/api/sounds/${encodeURIComponent(id)}`;
let newest = null; // the id of the latest upload: shown in view once the list is drawn again

async function upload(files) {
  for (const file of files) {
    const form = new FormData();
    form.append("file", file);
    if (textOrNull($("#upload-pitch"))) form.append("pitch", textOrNull($("#upload-pitch")));
    if (!$("#upload-fit").checked) form.append("fit", "0");  // else the studio's default fitting
    const s = await api("POST", "/api/sounds", form, `Analysing ${file.name}…`).catch(() => null);
    if (s) {
      newest = s.id;
      toast(`${s.name}: ${s.remarks.join("; ")}. Placed on the map; what was found stays in the list below.`,
        s.pitched && !s.warnings?.length ? "info" : "notice");
    }
  }
  await loadSounds();
}

const drop = $("#drop");
drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
drop.addEventListener("dragleave", () => drop.classList.remove("over"));
// copies: a FileList empties when the input is reset or the drop event ends, before the uploads are done
drop.addEventListener("drop", (e) => { e.preventDefault(); drop.classList.remove("over"); upload([...e.dataTransfer.files]); });
$("#file").addEventListener("change", (e) => { upload([...e.target.files]); e.target.value = ""; });

function nearestLinks(s) {
  if (!s.nearest.length) return [];
  const links = s.nearest.map((n) => {
    const a = el("a", { href: "#", dataset: { id: n.id } }, n.name);
    a.addEventListener("click", (e) => { e.preventDefault(); const found = state.sounds.find((x) => x.id === n.id); if (found) pick(found); });
    return a;
  });
  return ["Nearest library sounds: ", ...links.flatMap((a, i) => (i ? [" · ", a] : [a]))];
}

function yourSound(s) {
  const name = el("input", { className: "name", value: s.name, ariaLabel: "name", title: s.name });
  const pitch = el("input", { className: "pitch", size: 5, value: noteName(s.pitch), ariaLabel: "pitch", title: "a note name (C4, F#3) or a MIDI number" });
  const play = el("button", { className: "play" }, "Play"), show = el("button", { className: "show" }, "Show on map");
  const del = el("button", { className: "del" }, "Delete");
  const badge = s.pitched ? null : el("span", { className: "badge", title: "no clear pitch was found: it plays at C4 until you set its pitch" }, "unpitched");
  name.addEventListener("change", async (e) => {
    await api("PATCH", soundUrl(s.id), { name: e.target.value }).catch(() => (e.target.value = s.name));
    loadSounds();
  });
  pitch.addEventListener("change", async (e) => {
    await api("PATCH", soundUrl(s.id), { pitch: e.target.value.trim() }).catch(() => (e.target.value = noteName(s.pitch)));
    loadSounds();
  });
  play.addEventListener("click", () => pick(s));
  show.addEventListener("click", () => { showTab("explore"); view.mark("shown", s.id, s.name); pick(s); });
  del.addEventListener("click", async () => {
    if (!confirm(`Delete ${s.name}?`)) return;
    await api("DELETE", soundUrl(s.id));
    loadSounds();
  });
  return el("li", { dataset: { id: s.id } },
    el("div", { className: "row" }, name, el("label", {}, "pitch ", pitch), badge, el("span", { className: "muted" }, s.source), play, show, del),
    el("p", { className: "remarks muted" }, s.remarks.length ? "Heard: " + s.remarks.join("; ") + "." : ""),
    el("p", { className: "nearest muted" }, ...nearestLinks(s)));
}

onSounds((sounds) => {
  const yours = sounds.filter((s) => s.source !== "library");
  $("#your-list").replaceChildren(...(yours.length ? yours.map(yourSound)
    : [el("li", { className: "muted" }, "None yet: drop a file above, or keep a random sound.")]));
  const added = newest && [...$("#your-list").children].find((li) => li.dataset.id === newest);
  if (added) { added.classList.add("new"); added.scrollIntoView({ block: "nearest" }); newest = null; }
});

// Your sounds: drop a one-shot to bring it in; rename it, set its pitch, play it, show it, delete it.
import { $, api, textOrNull, toast } from "./api.js";
import { pick, view } from "./explore.js";
import { noteName } from "./pitches.js";
import { loadSounds } from "./sounds.js";
import { onSounds, state } from "./state.js";
import { showTab } from "./tabs.js";

async function upload(files) {
  for (const file of files) {
    const form = new FormData();
    form.append("file", file);
    if (textOrNull($("#upload-pitch"))) form.append("pitch", textOrNull($("#upload-pitch")));
    if (!$("#upload-fit").checked) form.append("fit", "0");  // else the studio's default fitting
    const s = await api("POST", "/api/sounds", form, `Analysing ${file.name}…`).catch(() => null);
    if (s) toast(`${s.name}: ${s.remarks.join("; ")}. Placed on the map; what was found stays in the list below.`,
      s.pitched ? "info" : "notice");
  }
  loadSounds();
}

const drop = $("#drop");
drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
drop.addEventListener("dragleave", () => drop.classList.remove("over"));
// copies: a FileList empties when the input is reset or the drop event ends, before the uploads are done
drop.addEventListener("drop", (e) => { e.preventDefault(); drop.classList.remove("over"); upload([...e.dataTransfer.files]); });
$("#file").addEventListener("change", (e) => { upload([...e.target.files]); e.target.value = ""; });

function yourSound(s) {
  const li = document.createElement("li");
  li.dataset.id = s.id;
  li.innerHTML = `<div class="row"><input class="name" value="" aria-label="name">
    <label>pitch <input class="pitch" size="5" aria-label="pitch" title="a note name (C4, F#3) or a MIDI number"></label>
    ${s.pitched ? "" : '<span class="badge" title="no clear pitch was found: it plays at C4 until you set its pitch">unpitched</span>'}
    <span class="muted">${s.source}</span>
    <button class="play">Play</button><button class="show">Show on map</button><button class="del">Delete</button></div>
    <p class="remarks muted"></p><p class="nearest muted"></p>`;
  li.querySelector(".remarks").textContent = s.remarks.length ? "Heard: " + s.remarks.join("; ") + "." : "";
  const near = li.querySelector(".nearest");
  if (s.nearest.length) {
    near.append("Nearest library sounds: ");
    s.nearest.forEach((n, i) => {
      const a = document.createElement("a");
      a.href = "#"; a.textContent = n.name; a.dataset.id = n.id;
      a.addEventListener("click", (e) => { e.preventDefault(); const found = state.sounds.find((x) => x.id === n.id); if (found) pick(found); });
      near.append(...(i ? [" · ", a] : [a]));
    });
  }
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
  return li;
}

onSounds((sounds) => {
  const list = $("#your-list");
  list.innerHTML = "";
  const yours = sounds.filter((s) => s.source !== "library");
  if (!yours.length) list.innerHTML = '<li class="muted">None yet: drop a file above, or keep a random sound.</li>';
  for (const s of yours) list.appendChild(yourSound(s));
});

// Blend two: Sound 1, Sound 2 and the path between them, each step playable and downloadable.
import { $, api, textOrNull, toast } from "./api.js";
import { view } from "./explore.js";
import { recorded, setCurrent } from "./player.js";
import { noteName } from "./pitches.js";
import { exportInstrument } from "./instrument.js";
import { Picker } from "./sounds.js";

export const pickA = new Picker($("#pick-a"), (s) => s && view.mark(s.id, "Sound 1"));
export const pickB = new Picker($("#pick-b"), (s) => s && view.mark(s.id, "Sound 2"));

document.addEventListener("use-sound", ({ detail: { use, sound } }) => {
  if (use !== "a" && use !== "b") return;
  (use === "a" ? pickA : pickB).set(sound.id);
  toast(`${sound.name} is Sound ${use === "a" ? 1 : 2}`, "info");
});

function card(title, url, extra = "", current = null) {
  const div = document.createElement("div");
  div.className = "card";
  div.innerHTML = `<b>${title}</b>${extra}<audio controls preload="none" src="${url}"></audio><a href="${url}" download>WAV</a>`;
  if (current) div.querySelector("audio").addEventListener("play", () => setCurrent(current));
  return div;
}

$("#generate").addEventListener("click", async () => {
  const a = pickA.value(), b = pickB.value();
  if (!a || !b) { toast("Choose Sound 1 and Sound 2 first."); return; }
  $("#generate").disabled = true;
  try {
    const r = await api("POST", "/api/blend", { a: a.id, b: b.id, steps: Number($("#steps").value), method: $("#method").value,
      pitch: textOrNull($("#blend-pitch")), recorded: recorded() === 1 },
      `Blending ${$("#steps").value} steps…`);
    const out = $("#blend-result");
    out.innerHTML = `<div class="originals"></div><h3>The path, ${r.steps.length} steps at ${noteName(r.pitch)}</h3><div class="steps"></div>
      <p><b>The whole path:</b> <audio controls preload="none" src="${r.all}"></audio> <a href="${r.all}" download>all.wav</a> · <a href="${r.zip}" download>Download everything (ZIP)</a>
      · <button class="instrument">Export as instrument</button></p><p class="instrument-files muted"></p>`;
    out.querySelector(".instrument").addEventListener("click", () => exportInstrument({ result: r.id }, out.querySelector(".instrument-files")));
    out.querySelector(".originals").append(card("Sound 1: " + a.name, r.sound1, "", { label: a.name, sound: a.id }),
      card("Sound 2: " + b.name, r.sound2, "", { label: b.name, sound: b.id }));
    for (const s of r.steps) {
      const name = `step ${s.index}`;
      out.querySelector(".steps").append(card(name, s.audio, `<img alt="spectrogram of ${name}" src="${s.spectrogram}">`,
        { label: `blend ${a.name} → ${b.name}, ${name}`, result: r.id, index: s.index }));
    }
  } finally { $("#generate").disabled = false; }
});

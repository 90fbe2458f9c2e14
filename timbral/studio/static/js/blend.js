// Blend two: Sound 1, Sound 2 and the path between them, each step playable and downloadable.
import { api, textOrNull, toast } from "./api.js";
import { $, el } from "./dom.js";
import { view } from "./explore.js";
import { recorded, setCurrent } from "./player.js";
import { noteName } from "./pitches.js";
import { exportInstrument } from "./instrument.js";
import { Picker } from "./sounds.js";

// one marker each on the map, moved (never left behind) when the choice changes
export const pickA = new Picker($("#pick-a"), (s) => view.mark("Sound 1", s && s.id), "a");
export const pickB = new Picker($("#pick-b"), (s) => view.mark("Sound 2", s && s.id), "b");

document.addEventListener("use-sound", ({ detail: { use, sound } }) => {
  if (use !== "a" && use !== "b") return;
  (use === "a" ? pickA : pickB).set(sound.id);
  toast(`${sound.name} is Sound ${use === "a" ? 1 : 2}`, "info");
});

// a sound of the result: its title (as text: it may hold a name a user typed), audio and download
function card(title, url, extra = null, current = null) {
  const audio = el("audio", { controls: true, preload: "none", src: url });
  if (current) audio.addEventListener("play", () => setCurrent(current));
  return el("div", { className: "card" }, el("b", {}, title), extra, audio, el("a", { href: url, download: "" }, "WAV"));
}

$("#generate").addEventListener("click", async () => {
  const a = pickA.value(), b = pickB.value();
  if (!a || !b) { toast("Choose Sound 1 and Sound 2 first."); return; }
  $("#generate").disabled = true;
  try {
    const r = await api("POST", "/api/blend", { a: a.id, b: b.id, steps: Number($("#steps").value), method: $("#method").value,
      pitch: textOrNull($("#blend-pitch")), recorded: recorded() === 1 },
      `Blending ${$("#steps").value} steps…`);
    const files = el("p", { className: "instrument-files muted" });
    const instrument = el("button", { className: "instrument" }, "Export as instrument");
    instrument.addEventListener("click", () => exportInstrument({ result: r.id }, files));
    const steps = r.steps.map((s) => {
      const name = `step ${s.index}`;
      return card(name, s.audio, el("img", { alt: `spectrogram of ${name}`, src: s.spectrogram }),
        { label: `blend ${a.name} → ${b.name}, ${name}`, result: r.id, index: s.index });
    });
    $("#blend-result").replaceChildren(
      el("div", { className: "originals" }, card("Sound 1: " + a.name, r.sound1, null, { label: a.name, sound: a.id }),
        card("Sound 2: " + b.name, r.sound2, null, { label: b.name, sound: b.id })),
      el("h3", {}, `The path, ${r.steps.length} steps at ${noteName(r.pitch)}`),
      el("div", { className: "steps" }, ...steps),
      el("p", {}, el("b", {}, "The whole path:"), " ", el("audio", { controls: true, preload: "none", src: r.all }), " ",
        el("a", { href: r.all, download: "" }, "all.wav"), " · ", el("a", { href: r.zip, download: "" }, "Download everything (ZIP)"),
        " · ", instrument),
      files);
  } finally { $("#generate").disabled = false; }
});

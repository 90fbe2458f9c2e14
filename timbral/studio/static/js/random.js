// Invent: new sounds drawn from the model, each playable, downloadable and keepable.
import { api, intOrNull, textOrNull, toast } from "./api.js";
import { $, el } from "./dom.js";
import { setCurrent } from "./player.js";
import { loadSounds } from "./sounds.js";

$("#random-t").addEventListener("input", () => ($("#random-t-out").textContent = Number($("#random-t").value).toFixed(1)));

function randomCard(r, s) {
  const audio = el("audio", { controls: true, preload: "none", src: s.audio }), keep = el("button", { className: "keep" }, "Keep");
  const current = { label: `random ${s.index + 1} (seed ${r.seed})`, result: r.id, index: s.index };
  audio.addEventListener("play", () => setCurrent(current));
  keep.addEventListener("click", async (e) => {
    const name = prompt("Name this sound", `random ${r.seed}-${s.index + 1}`);
    if (name === null) return;
    await api("POST", "/api/keep", { result: r.id, index: s.index, name }, "Keeping…");
    e.target.disabled = true; e.target.textContent = "Kept";
    toast(`${name} is in your sounds and on the map`, "info");
    loadSounds();
  });
  return el("div", { className: "card random-sound" }, el("b", {}, `random ${s.index + 1}`),
    el("img", { alt: `spectrogram of random ${s.index + 1}`, src: s.spectrogram }), audio,
    el("a", { href: s.audio, download: "" }, "WAV"), " ", keep);
}

$("#random-go").addEventListener("click", async () => {
  $("#random-go").disabled = true;
  try {
    const r = await api("POST", "/api/random", { n: Number($("#random-n").value), temperature: Number($("#random-t").value), seed: intOrNull($("#random-seed")), pitch: textOrNull($("#random-pitch")) },
      "Inventing sounds…");
    $("#random-result").replaceChildren(
      el("p", { className: "muted" }, `Seed ${r.seed}, temperature ${r.temperature}: the same seed gives the same sounds. `,
        el("a", { href: r.zip, download: "" }, "Download all (ZIP)")),
      el("div", { className: "steps" }, ...r.sounds.map((s) => randomCard(r, s))));
    setCurrent({ label: `random 1 (seed ${r.seed})`, result: r.id, index: 0 }, r.sounds[0].audio);
  } finally { $("#random-go").disabled = false; }
});

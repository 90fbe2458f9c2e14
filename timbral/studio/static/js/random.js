// Invent: new sounds drawn from the model, each playable, downloadable and keepable.
import { $, api, intOrNull, textOrNull, toast } from "./api.js";
import { setCurrent } from "./player.js";
import { loadSounds } from "./sounds.js";

$("#random-t").addEventListener("input", () => ($("#random-t-out").textContent = Number($("#random-t").value).toFixed(1)));

function randomCard(r, s) {
  const div = document.createElement("div");
  div.className = "card random-sound";
  div.innerHTML = `<b>random ${s.index + 1}</b><img alt="spectrogram of random ${s.index + 1}" src="${s.spectrogram}">
    <audio controls preload="none" src="${s.audio}"></audio><a href="${s.audio}" download>WAV</a> <button class="keep">Keep</button>`;
  const current = { label: `random ${s.index + 1} (seed ${r.seed})`, result: r.id, index: s.index };
  div.querySelector("audio").addEventListener("play", () => setCurrent(current));
  div.querySelector(".keep").addEventListener("click", async (e) => {
    const name = prompt("Name this sound", `random ${r.seed}-${s.index + 1}`);
    if (name === null) return;
    await api("POST", "/api/keep", { result: r.id, index: s.index, name }, "Keeping…");
    e.target.disabled = true; e.target.textContent = "Kept";
    toast(`${name} is in your sounds and on the map`, "info");
    loadSounds();
  });
  return div;
}

$("#random-go").addEventListener("click", async () => {
  $("#random-go").disabled = true;
  try {
    const r = await api("POST", "/api/random", { n: Number($("#random-n").value), temperature: Number($("#random-t").value), seed: intOrNull($("#random-seed")), pitch: textOrNull($("#random-pitch")) },
      "Inventing sounds…");
    const out = $("#random-result");
    out.innerHTML = `<p class="muted">Seed ${r.seed}, temperature ${r.temperature}: the same seed gives the same sounds.
      <a href="${r.zip}" download>Download all (ZIP)</a></p><div class="steps"></div>`;
    for (const s of r.sounds) out.querySelector(".steps").appendChild(randomCard(r, s));
    setCurrent({ label: `random 1 (seed ${r.seed})`, result: r.id, index: 0 }, r.sounds[0].audio);
  } finally { $("#random-go").disabled = false; }
});

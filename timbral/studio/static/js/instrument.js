// Export as instrument: a blend path, or the path around the pad's corners, as a morph instrument for a DAW
// (SFZ, DecentSampler, Bitwig): its steps as layers, a knob (MIDI CC 1) moving through them.
import { api, toast } from "./api.js";
import { el } from "./dom.js";
import { recorded } from "./player.js";

export async function exportInstrument(body, out) {
  const r = await api("POST", "/api/morph", { ...body, recorded: recorded() === 1 }, "Rendering the instrument's layers…");
  const mb = (n) => (n / 2 ** 20).toFixed(1) + " MB";
  const players = { "-sfz.zip": "SFZ (sfizz, any SFZ player)", ".dslibrary": "DecentSampler", ".multisample": "Bitwig Sampler" };
  out.replaceChildren(el("b", {}, "Instrument:"), ` ${r.layers} layers × ${r.pitches.length} pitches; the mod wheel (CC 1) moves through them. `);
  for (const f of r.files) {
    const suffix = Object.keys(players).find((s) => f.name.endsWith(s));
    out.append(el("a", { href: f.url, download: f.name }, `${players[suffix]} (${mb(f.bytes)})`), " ");
  }
  toast("Instrument ready: download it for your sampler", "info");
}

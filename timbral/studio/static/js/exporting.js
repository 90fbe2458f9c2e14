// Export: the current sound as a multi-sampled SFZ instrument (a ZIP of WAVs and a .sfz).
import { api, toast } from "./api.js";
import { $ } from "./dom.js";
import { state } from "./state.js";

$("#sfz").addEventListener("click", async () => {
  if (!state.current) { toast("Pick a sound first.", "info"); return; }
  const { sound, result, index, label: name } = state.current;
  const r = await api("POST", "/api/sfz", { sound, result, index, name: name.slice(0, 60) }, "Rendering the instrument (50 samples)…");
  const a = document.createElement("a");
  a.href = r.zip; a.download = ""; document.body.appendChild(a); a.click(); a.remove();
  toast(`SFZ instrument ready: ${r.samples} samples`, "info");
});

// The sounds (the library's and yours): loading them, naming them, and the picker that chooses one.
import { api } from "./api.js";
import { noteName, parsePitch } from "./pitches.js";
import { onSounds, state, soundsChanged } from "./state.js";

const pitchLabel = (s) => (s.pitched === false ? `unpitched (plays at ${noteName(s.pitch)})` : noteName(s.pitch));
export const label = (s) => (s.source === "library" ? `${s.name} · ${s.family}` : `${s.name} · ${s.family} · ${pitchLabel(s)}`);
export const matchesText = (s, q) => s.name.toLowerCase().includes(q) || s.id.toLowerCase().includes(q); // friendly name or raw id

export async function loadSounds() {
  const data = await api("GET", "/api/sounds", undefined, "Loading the library…");
  state.sounds = data.sounds;
  soundsChanged();
}

export const LIST_LIMIT = 400; // a picker lists this many matches at most
export class Picker {
  constructor(el, onChange) {
    this.onChange = onChange;
    el.innerHTML = `<div class="row"><input type="search" placeholder="search"><select class="fam"><option value="">all families</option></select>
      <input class="pitch" placeholder="pitch: C4 or 60" style="width:9em"><button class="rnd">Random</button></div>
      <select size="8" class="list"></select>`;
    [this.search, this.family, this.pitch, this.random, this.list] = ["input[type=search]", ".fam", ".pitch", ".rnd", ".list"].map((s) => el.querySelector(s));
    for (const f of Object.keys(state.colours)) this.family.add(new Option(f, f));
    for (const input of [this.search, this.family, this.pitch]) input.addEventListener("input", () => this.refresh());
    this.list.addEventListener("change", () => this.onChange(this.value()));
    this.random.addEventListener("click", () => {
      const matches = this.matches();
      if (matches.length) this.set(matches[Math.floor(Math.random() * matches.length)].id);
    });
    this.unlisten = onSounds(() => this.refresh());
  }
  matches() {
    const q = this.search.value.toLowerCase(), fam = this.family.value, pitch = this.pitch.value.trim() === "" ? null : parsePitch(this.pitch.value);
    return state.sounds.filter((s) => (!q || matchesText(s, q)) && (!fam || s.family === fam) && (pitch === null || s.pitch === pitch));
  }
  refresh(ensure = null) { // ensure: an id to list even when the filters or the length limit would leave it out
    const keep = ensure || this.list.value, matches = this.matches();
    const yours = matches.filter((s) => s.source !== "library"), lib = matches.filter((s) => s.source === "library");
    const shown = [...yours, ...lib].slice(0, LIST_LIMIT);
    const kept = keep && !shown.some((s) => s.id === keep) && state.sounds.find((s) => s.id === keep);
    if (kept) shown.unshift(kept);
    this.list.innerHTML = "";
    for (const s of shown) this.list.add(new Option((s.source !== "library" ? "★ " : "") + label(s), s.id));
    if (matches.length > LIST_LIMIT) {
      const more = new Option(`… and ${matches.length - LIST_LIMIT} more: search or filter to narrow`, "");
      more.disabled = true;
      this.list.add(more);
    }
    if (keep && shown.some((s) => s.id === keep)) this.list.value = keep;
    else if (this.list.options.length) this.list.selectedIndex = 0;
  }
  set(id) {
    this.refresh(id);
    this.onChange(this.value());
  }
  value() { return state.sounds.find((s) => s.id === this.list.value) || null; }
}

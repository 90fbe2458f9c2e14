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

// A picker: search, family, pitch and Random over the sounds, a list of the matches, and a line that says
// what is chosen. The choice is always one of the listed matches: a filter that leaves it out chooses the
// first match instead (and says so), and a filter that matches nothing says so and chooses nothing.
export class Picker {
  constructor(el, onChange) {
    this.onChange = onChange;
    el.innerHTML = `<div class="row"><input type="search" placeholder="search"><select class="fam"><option value="">all families</option></select>
      <input class="pitch" placeholder="pitch: C4 or 60"><button class="rnd">Random</button></div>
      <select size="8" class="list"></select><p class="chosen muted"></p>`;
    [this.search, this.family, this.pitch, this.random, this.list, this.chosen] =
      ["input[type=search]", ".fam", ".pitch", ".rnd", ".list", ".chosen"].map((s) => el.querySelector(s));
    for (const f of Object.keys(state.colours)) this.family.add(new Option(f, f));
    for (const input of [this.search, this.family, this.pitch]) input.addEventListener("input", () => this.refresh(null, true));
    this.list.addEventListener("change", () => { this.say(); this.onChange(this.value()); });
    this.random.addEventListener("click", () => {
      const matches = this.matches();
      if (matches.length) this.set(matches[Math.floor(Math.random() * matches.length)].id);
    });
    this.unlisten = onSounds(() => this.refresh());
  }
  filters() { // what the search, family and pitch fields ask for, in words
    const parts = [this.search.value.trim() && `“${this.search.value.trim()}”`, this.family.value, this.pitch.value.trim() && `at ${this.pitch.value.trim()}`];
    return parts.filter(Boolean).join(" ");
  }
  matches() {
    const q = this.search.value.toLowerCase(), fam = this.family.value, pitch = this.pitch.value.trim() === "" ? null : parsePitch(this.pitch.value);
    return state.sounds.filter((s) => (!q || matchesText(s, q)) && (!fam || s.family === fam) && (pitch === null || s.pitch === pitch));
  }
  // ensure: an id to list and choose even when the length limit would leave it out; filtered: the filters changed
  refresh(ensure = null, filtered = false) {
    const before = this.value(), matches = this.matches();
    const yours = matches.filter((s) => s.source !== "library"), lib = matches.filter((s) => s.source === "library");
    const shown = [...yours, ...lib].slice(0, LIST_LIMIT);
    const wanted = ensure && matches.find((s) => s.id === ensure);
    if (wanted && !shown.includes(wanted)) shown.unshift(wanted);
    this.list.innerHTML = "";
    for (const s of shown) this.list.add(new Option((s.source !== "library" ? "★ " : "") + label(s), s.id));
    if (!matches.length) {
      const none = new Option(`No sound matches ${this.filters() || "yet"}: clear the search or try another pitch or family`, "");
      none.disabled = true;
      this.list.add(none);
    } else if (matches.length > LIST_LIMIT) {
      const more = new Option(`… and ${matches.length - LIST_LIMIT} more: search or filter to narrow`, "");
      more.disabled = true;
      this.list.add(more);
    }
    const keep = wanted || (before && shown.find((s) => s.id === before.id));
    if (keep) this.list.value = keep.id;
    else if (shown.length) this.list.selectedIndex = 0;
    else this.list.selectedIndex = -1;
    const now = this.value(), changed = now?.id !== before?.id;
    this.say(before && changed && filtered ? `${before.name} is not among the matches` : "");
    if (changed) this.onChange(now);
    return changed;
  }
  say(why = "") { // the line under the list: what is chosen, and why it changed
    const s = this.value();
    this.chosen.textContent = (s ? `Chosen: ${s.name}` : "Nothing chosen") + (why ? ` (${why})` : "");
    this.chosen.classList.toggle("none", !s);
  }
  set(id) { // choose a sound by id: the filters are cleared if they hide it
    if (!this.matches().some((s) => s.id === id)) { this.search.value = ""; this.family.value = ""; this.pitch.value = ""; }
    if (!this.refresh(id)) this.onChange(this.value());
    this.say();
  }
  value() { return state.sounds.find((s) => s.id === this.list.value) || null; }
}

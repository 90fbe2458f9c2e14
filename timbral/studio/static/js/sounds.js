// The sounds (the library's and yours): loading them, naming them, and the picker that chooses one.
import { api } from "./api.js";
import { el } from "./dom.js";
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

// what each picker chose, kept in the browser, so a reload of the page starts where the user left off
const saved = (key) => { try { return localStorage.getItem(`timbral.pick.${key}`); } catch { return null; } };
const save = (key, id) => { try { if (id) localStorage.setItem(`timbral.pick.${key}`, id); } catch { /* private mode */ } };

// A picker: search, family, pitch and Random over the sounds, a list of the matches, and a line that says
// what is chosen. The choice is always one of the listed matches: a filter that leaves it out chooses the
// first match instead (and says so), and a filter that matches nothing says so and chooses nothing. When the
// sounds change (an upload, a keep, a rename, a delete) the choice stays, unless it was deleted.
// onChange(sound, byUser): byUser is false when the choice moved because the sounds changed.
export class Picker {
  constructor(box, onChange, key) {
    this.onChange = onChange;
    this.key = key; // where its choice is kept across reloads of the page
    this.search = el("input", { type: "search", placeholder: "search" });
    this.family = el("select", { className: "fam" }, new Option("all families", ""));
    this.pitch = el("input", { className: "pitch", placeholder: "pitch: C4 or 60" });
    this.random = el("button", { className: "rnd" }, "Random");
    this.list = el("select", { size: 8, className: "list" });
    this.chosen = el("p", { className: "chosen muted" });
    box.replaceChildren(el("div", { className: "row" }, this.search, this.family, this.pitch, this.random), this.list, this.chosen);
    for (const f of Object.keys(state.colours)) this.family.add(new Option(f, f));
    for (const input of [this.search, this.family, this.pitch]) input.addEventListener("input", () => this.refresh(null, true));
    this.list.addEventListener("change", () => { this.say(); this.changed(true); });
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
  // ensure: an id to list and choose; filtered: the user changed the filters (else the sounds changed)
  refresh(ensure = null, filtered = false) {
    const before = this.current || null, matches = this.matches();
    const yours = matches.filter((s) => s.source !== "library"), lib = matches.filter((s) => s.source === "library");
    const shown = [...yours, ...lib].slice(0, LIST_LIMIT);
    const wanted = matches.find((s) => s.id === ensure) || (before && matches.find((s) => s.id === before.id));
    if (wanted && !shown.includes(wanted)) shown.unshift(wanted); // the choice stays listed, however long the list
    this.list.replaceChildren(...shown.map((s) => new Option((s.source !== "library" ? "★ " : "") + label(s), s.id)));
    if (!matches.length) {
      this.list.add(new Option(`No sound matches ${this.filters() || "yet"}: clear the search or try another pitch or family`, "", false, false));
      this.list.options[0].disabled = true;
    } else if (matches.length > LIST_LIMIT) {
      const more = new Option(`… and ${matches.length - LIST_LIMIT} more: search or filter to narrow`, "");
      more.disabled = true;
      this.list.add(more);
    }
    if (wanted) this.list.value = wanted.id;
    else if (shown.length) this.list.selectedIndex = 0;
    else this.list.selectedIndex = -1;
    const now = this.value(), changed = now?.id !== before?.id;
    const gone = before && !state.sounds.some((s) => s.id === before.id);
    this.say(before && changed ? (gone ? `${before.name} was deleted` : filtered ? `${before.name} is not among the matches` : "") : "");
    if (changed) this.changed(filtered || ensure !== null);
    return changed;
  }
  changed(byUser) {
    this.current = this.value();
    if (byUser) save(this.key, this.current?.id);
    this.onChange(this.current, byUser);
  }
  say(why = "") { // the line under the list: what is chosen, and why it changed
    const s = this.value();
    this.chosen.textContent = (s ? `Chosen: ${s.name}` : "Nothing chosen") + (why ? ` (${why})` : "");
    this.chosen.title = this.chosen.textContent;
    this.chosen.classList.toggle("none", !s);
  }
  set(id) { // choose a sound by id: the filters are cleared if they hide it
    if (!this.matches().some((s) => s.id === id)) { this.search.value = ""; this.family.value = ""; this.pitch.value = ""; }
    if (!this.refresh(id)) this.changed(true);
    this.say();
  }
  restore(fallback) { // the choice kept from an earlier visit, if that sound still exists, else fallback's id
    const id = saved(this.key);
    const found = id && state.sounds.some((s) => s.id === id) ? id : fallback;
    if (found) { this.refresh(found); this.say(); }
  }
  value() { return state.sounds.find((s) => s.id === this.list.value) || null; }
}

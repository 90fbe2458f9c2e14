// Playing: one sound at a time through Web Audio, and the sound the keyboard plays ("Now playing").
import { qs, toast } from "./api.js";
import { $ } from "./dom.js";
import { state } from "./state.js";

const audio = new (window.AudioContext || window.webkitAudioContext)();
const buffers = new Map();
let playing = null;

export async function playUrl(url) {
  try {
    if (audio.state === "suspended") await audio.resume();
    let buffer = buffers.get(url);
    if (!buffer) {
      const response = await fetch(url);
      if (!response.ok) throw new Error((await response.json().catch(() => ({}))).error || "could not load the sound");
      buffer = await audio.decodeAudioData(await response.arrayBuffer());
      if (buffers.size > 200) buffers.clear();
      buffers.set(url, buffer);
    }
    if (playing) playing.stop();
    playing = audio.createBufferSource();
    playing.buffer = buffer;
    playing.connect(audio.destination);
    playing.start();
  } catch (e) { toast(e.message); }
}

// current: {label, sound} (a library sound or one of yours) or {label, result, index} (a generated one)
export function setCurrent(current, url) {
  state.current = current;
  $("#current-name").textContent = current.label;
  $("#current-name").title = current.label;
  $("#current-name").className = "";
  if (url) playUrl(url);
}

export function playAt(pitch) {
  if (!state.current) { toast("Pick a sound first: click the map, a result or one of your sounds.", "info"); return; }
  const { sound, result, index } = state.current;
  playUrl("/api/play?" + qs({ sound, result, index, pitch, velocity: $("#velocity").value, recorded: recorded() }));
}

// 1: a sound that has audio plays as its recording (its detail moved with the pitch); 0: the model's alone
export function recorded() { return $("#recorded").checked ? 1 : 0;
}

// The on-screen keyboard and the computer keys that play the current sound at any pitch.
import { $ } from "./dom.js";
import { playAt } from "./player.js";
import { pitchClass } from "./pitches.js";
import { state } from "./state.js";

const KEYS = "awsedftgyhujk"; // C4..C5 on a computer keyboard

export function buildKeyboard() {
  const kb = $("#keyboard");
  kb.replaceChildren();
  const whiteW = 100 / 15;
  let white = 0;
  for (let i = 0; i < 25; i++) {
    const isBlack = [1, 3, 6, 8, 10].includes(i % 12);
    const key = document.createElement("div");
    key.className = isBlack ? "black" : "white";
    key.style.left = (isBlack ? (white - 0.3) * whiteW : white * whiteW) + "%";
    key.style.width = (isBlack ? whiteW * 0.6 : whiteW) + "%";
    key.dataset.offset = i;
    key.title = pitchClass(i) + (state.octave + Math.floor(i / 12));
    key.addEventListener("pointerdown", () => pressKey(i));
    kb.appendChild(key);
    if (!isBlack) white++;
  }
  $("#octave").textContent = "C" + state.octave;
}

function pressKey(offset) {
  const pitch = 12 * (state.octave + 1) + offset;
  if (pitch < 0 || pitch > 127) return;
  const el = $(`#keyboard [data-offset="${offset}"]`);
  if (el) { el.classList.add("down"); setTimeout(() => el.classList.remove("down"), 200); }
  playAt(pitch);
}

function shiftOctave(d) { state.octave = Math.max(0, Math.min(8, state.octave + d)); buildKeyboard(); }

// keys typed into a text field or a list are its own; after a click on a checkbox, a slider or a button they play
const TYPING = "input:not([type=checkbox]):not([type=radio]):not([type=range]):not([type=button]):not([type=file]), select, textarea";

document.addEventListener("keydown", (e) => {
  if (e.target.matches(TYPING) || e.repeat || e.ctrlKey || e.metaKey || e.altKey) return;
  const i = KEYS.indexOf(e.key.toLowerCase());
  if (i >= 0) pressKey(i);
  else if (e.key.toLowerCase() === "z") shiftOctave(-1);
  else if (e.key.toLowerCase() === "x") shiftOctave(1);
});
$("#oct-down").addEventListener("click", () => shiftOctave(-1));
$("#oct-up").addEventListener("click", () => shiftOctave(1));

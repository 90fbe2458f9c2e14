// Pitches as people write them: MIDI numbers and note names (C4, F#3, Bb2), as timbral.pitch does.
const NAMES = ["C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B"];
export const noteName = (midi) => NAMES[midi % 12] + (Math.floor(midi / 12) - 1);
export const pitchClass = (i) => NAMES[i % 12];

export function parsePitch(text) { // as timbral.pitch.parse_pitch: 60, C4, F#3, Bb2; NaN for anything else
  const t = text.trim(), m = /^([a-g])(#|♯|b|♭|s)?(-?[0-9])$/i.exec(t);
  if (/^[0-9]{1,3}$/.test(t)) return Number(t) <= 127 ? Number(t) : NaN;
  if (!m) return NaN;
  const midi = 12 * (Number(m[3]) + 1) + { c: 0, d: 2, e: 4, f: 5, g: 7, a: 9, b: 11 }[m[1].toLowerCase()] + ({ "#": 1, "♯": 1, s: 1, b: -1, "♭": -1 }[m[2]] || 0);
  return midi >= 0 && midi <= 127 ? midi : NaN;
}

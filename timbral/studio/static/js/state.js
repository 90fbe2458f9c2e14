// What the parts of the page share: the sounds, the family colours, the sound the keyboard plays.
export const state = { sounds: [], colours: {}, current: null, picked: null, octave: 4 };

const listeners = [];
// fn(sounds) runs each time the list of sounds is loaded again (an upload, a rename, a kept sound);
// the function returned stops it
export function onSounds(fn) {
  listeners.push(fn);
  return () => listeners.splice(listeners.indexOf(fn), 1);
}
export function soundsChanged() { for (const fn of listeners) fn(state.sounds); }

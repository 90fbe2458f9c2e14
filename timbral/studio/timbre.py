"""How the studio hears one of your sounds: on upload, at a new pitch, and again under a new model.

A latent only means something to the model that made it. Each of your sounds records that
model's fingerprint; when the studio starts with another model (a new default model, or
``--model``), every sound made under an older one is heard again from its own audio, so it keeps
sounding as it did and lies where it belongs on the new map.
"""

from __future__ import annotations

from ..audio import AudioError
from ..latent import Analysis, Encoded, Timbral
from ..model import FIT_STEPS
from ..progress import Bar
from .store import SoundStore


def timbre_of(t: Timbral, analysis: Analysis, fit: int) -> tuple[Encoded, tuple[float, float]]:
    """A sound's timbre: placed on the map where the encoder hears it, among its neighbours, and
    played from the latent fitted to it for ``fit`` steps (closer to the sound; 0: the same latent)."""
    heard = t.encode(analysis)
    return (t.encode(analysis, fit=fit) if fit else heard), t.library.map.place(heard.latent)


def rehear_for_model(t: Timbral, sounds: SoundStore, fit: int = FIT_STEPS) -> tuple[int, list[str]]:
    """Hear every sound made under another model again from its audio, at its pitch; the number
    heard again and the names of those whose audio could not be read (they are left as they were)."""
    stale = [s for s in sounds.all() if s.model != t.fingerprint]
    unreadable = []
    for sound in Bar(stale, desc="hearing your sounds again with this model", unit="sound", disable=None):
        try:
            e, xy = timbre_of(t, t.analyse(sounds.audio_path(sound.id), sound.pitch), fit)
        except AudioError:
            unreadable.append(sound.name)
            continue
        sounds.update(sound.id, latent=e.latent, xy=xy, model=t.fingerprint)
    return len(stale) - len(unreadable), unreadable

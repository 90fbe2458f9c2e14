"""How the studio hears one of your sounds: on upload, at a new pitch, and again under a new model.

A latent only means something to the model that made it. Each of your sounds records that
model's fingerprint; when the studio starts with another model (a new default model, or
``--model``), every sound made under an older one is heard again from its own audio, so it keeps
sounding as it did and lies where it belongs on the new map.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..audio import AudioError
from ..latent import Analysis, Encoded, Timbral
from ..model import FIT_STEPS
from ..progress import Bar
from .store import SoundStore

NEAREST = 5  # library sounds named as a sound's nearest


@dataclass(frozen=True)
class Heard:
    """How the studio hears a sound: the timbre it plays (``encoded``), its place on the map and the
    library sounds nearest to it, both where the encoder hears it."""

    encoded: Encoded
    xy: tuple[float, float]
    nearest: tuple[str, ...]

    def fields(self, t: Timbral, *, remarks: bool = True) -> dict:
        """The :class:`~.store.SoundStore` fields of a sound heard so (what was found when it was heard
        only with ``remarks``: a sound heard again at its known pitch keeps the remarks of its upload)."""
        found = {"remarks": self.encoded.remarks} if remarks else {}
        return {"latent": self.encoded.latent, "xy": self.xy, "model": t.fingerprint, "nearest": self.nearest, **found}


def timbre_of(t: Timbral, analysis: Analysis, fit: int) -> Heard:
    """A sound's timbre: placed on the map where the encoder hears it, among its neighbours, and
    played from the latent fitted to it for ``fit`` steps (closer to the sound; 0: the same latent)."""
    heard = t.encode(analysis)
    nearest = tuple(s.name for s in t.library.nearest(heard.latent, NEAREST))
    return Heard(t.encode(analysis, fit=fit) if fit else heard, t.library.map.place(heard.latent), nearest)


def rehear_for_model(t: Timbral, sounds: SoundStore, fit: int = FIT_STEPS) -> tuple[int, list[str]]:
    """Hear every sound made under another model again from its audio, at its pitch; the number
    heard again and the names of those whose audio could not be read (they are left as they were)."""
    stale = [s for s in sounds.all() if s.model != t.fingerprint]
    unreadable = []
    for sound in Bar(stale, desc="hearing your sounds again with this model", unit="sound", disable=None):
        try:
            heard = timbre_of(t, t.analyse(sounds.audio_path(sound.id), sound.pitch), fit)
        except AudioError:
            unreadable.append(sound.name)
            continue
        sounds.update(sound.id, **heard.fields(t, remarks=False))
    return len(stale) - len(unreadable), unreadable

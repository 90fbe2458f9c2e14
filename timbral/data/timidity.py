"""Render General MIDI patch sets through TiMidity++: the GUS ``.pat`` patches a TiMidity config lists
(Debian's ``freepats``: ``/etc/timidity/freepats.cfg``), played like a SoundFont's presets — another
family of sampled instruments, with its own samples and its own synthesis engine.

Each note is a fresh TiMidity++ process playing a one-note MIDI file (held 3 s, released 1 s) at
48 kHz, mono, 16-bit, with reverb, chorus and delay off, so that renders are deterministic.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np

from ..settings import SAMPLE_RATE
from .notes import NOTE_ON_SECONDS, RELEASE_SECONDS
from .sf2 import PERCUSSION_BANK

CONFIG_SUFFIX = ".cfg"
MAX_INCLUDES = 8  # how deep ``source`` lines may nest
TIMEOUT_S = 60


class TimidityError(ValueError):
    """A TiMidity config that cannot be rendered (or no TiMidity++ to render it)."""


def read_config(path: str | os.PathLike, _depth: int = 0) -> dict[tuple[int, int], str]:
    """The patches of a TiMidity config: ``{(bank, program): patch name}``, and each drum set that has a drum as
    ``{(128, set): "Drum set N"}``, bank 128 as a SoundFont's percussion bank (``source`` lines followed, later
    lines winning, as TiMidity++ reads them). A name is the patch file's, its program number and underscores
    dropped: ``000_Acoustic_Grand_Piano.pat`` → "Acoustic Grand Piano"."""
    path = Path(path)
    if _depth > MAX_INCLUDES:
        raise TimidityError(f"{path}: 'source' lines nest more than {MAX_INCLUDES} deep")
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as e:
        raise TimidityError(f"{path}: cannot read the TiMidity config ({e.strerror or e})") from None
    patches: dict[tuple[int, int], str] = {}
    bank, drums = 0, None  # drums: the drum set being read (its lines are keys), or None in a bank
    for line in text.splitlines():
        words = line.split("#", 1)[0].split()
        if not words:
            continue
        if words[0] == "source" and len(words) > 1:
            patches.update(read_config(path.parent / words[1], _depth + 1))
        elif words[0] in ("bank", "drumset") and len(words) > 1 and words[1].isdigit():
            bank, drums = (int(words[1]), None) if words[0] == "bank" else (bank, int(words[1]))
        elif words[0].isdigit() and len(words) > 1 and int(words[0]) < 128:
            if drums is None:
                patches[(bank, int(words[0]))] = _patch_name(words[1])
            elif drums < 128:
                patches[(PERCUSSION_BANK, drums)] = f"Drum set {drums}"
    return patches


def _patch_name(patch: str) -> str:
    """``Tone_000/073_Flute.pat`` → "Flute"."""
    stem = Path(patch).name.removesuffix(".pat")
    return re.sub(r"^\d+_", "", stem).replace("_", " ").strip() or stem


class TimiditySynth:
    """A TiMidity config's patches, rendering single notes as float32 mono (as
    :class:`~timbral.data.render.SoundFontSynth` renders a SoundFont's presets)."""

    def __init__(self, path: str | os.PathLike, sr: int = SAMPLE_RATE, gain: float = 1.0):
        self.path, self.sr, self.gain = Path(path), sr, gain
        if not self.path.is_file():
            raise TimidityError(f"{self.path}: no such TiMidity config")
        self.timidity = shutil.which("timidity")
        if self.timidity is None:
            raise TimidityError(f"{self.path}: rendering a TiMidity config needs TiMidity++ "
                                "(Debian: apt-get install timidity; scripts/setup --test installs it)")
        self.patches = read_config(self.path)
        if all(bank == PERCUSSION_BANK for bank, _ in self.patches):
            raise TimidityError(f"{self.path}: the config lists no melodic patches (lines '<program> <file>.pat' after 'bank 0')")

    def preset_name(self, program: int, bank: int = 0) -> str | None:
        """The patch name at ``bank``/``program``, or ``None`` where the config has none."""
        return self.patches.get((bank, program))

    def render(self, program: int, pitch: int, velocity: int, bank: int = 0, variant: str | None = None) -> np.ndarray:
        """Hold ``pitch`` for 3 s, release it for 1 s: 4 s of float32 mono. Bank 128 plays drum set ``program``
        (the drum at key ``pitch``, on MIDI's drum channel)."""
        import pretty_midi
        import soundfile as sf

        if variant:
            raise TimidityError(f"{self.path}: variants change SoundFont generators; a TiMidity config has none")
        seconds = NOTE_ON_SECONDS + RELEASE_SECONDS
        song = pretty_midi.PrettyMIDI(initial_tempo=120.0)
        drums = bank == PERCUSSION_BANK
        part = pretty_midi.Instrument(program=program, is_drum=drums)
        part.notes.append(pretty_midi.Note(velocity=velocity, pitch=pitch, start=0.0, end=NOTE_ON_SECONDS))
        bank_select = [pretty_midi.ControlChange(number=0, value=bank, time=0.0)] if bank and not drums else []
        part.control_changes = bank_select + [pretty_midi.ControlChange(number=121, value=0, time=seconds)]  # plays on to 4 s
        song.instruments.append(part)
        with tempfile.TemporaryDirectory(prefix="timbral-timidity-") as tmp:
            midi, wav = Path(tmp) / "note.mid", Path(tmp) / "note.wav"
            song.write(str(midi))
            cmd = [self.timidity, "-c", str(self.path), "-s", str(self.sr), "-OwM", "-EFreverb=0", "-EFchorus=0",
                   "-EFdelay=0", "-o", str(wav), str(midi)]
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT_S)
            said = f"{done.stdout}\n{done.stderr}"
            if done.returncode != 0 or not wav.is_file():
                raise TimidityError(f"{self.path}: TiMidity++ failed ({said.strip()[-300:]})")
            missing = re.search(r"Instrument `(.*)' can't be found", said)
            if missing:
                raise TimidityError(f"{self.path}: TiMidity++ cannot find the patch {missing.group(1)!r} of program {program}")
            y, _ = sf.read(str(wav), dtype="float32")
        n = round(seconds * self.sr)
        y = np.pad(y, (0, max(0, n - len(y))))[:n]
        return (y * np.float32(self.gain)).astype(np.float32)

    def close(self) -> None:
        """Nothing is held between notes (each is its own process)."""

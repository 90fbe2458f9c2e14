"""Voices: people singing sustained vowels, from Festival's diphone voices (Debian ``festvox-*``).

A diphone voice is cut from recordings of one person speaking; Festival's singing mode
(``text2wave -mode singing``) holds a vowel at an exact pitch for an exact time. Each voice sings
each of its language's five vowels (a, e, i, o, u) as an instrument of the ``vocal`` family, at pitches
spread over the voice's range, 3 s on and 1 s of silence, at Timbral's rate: the voices were recorded
at 16 or 22.05 kHz, so nothing sounds above 8 or 11 kHz. Velocity sets the level only (a singer's
loudness, on the same curve as a SoundFont's velocity); the note is levelled by its RMS so that every
voice and vowel sings at one loudness.

Festival's HTS voices and the Czech voices are reserved for independent evaluation: never rendered here.

>>> [v.title for v in VOICES.values()][:2]
['Kal (US English, male)', 'Ked (US English, male)']
>>> VOICES["lp"].vowels["i"], VOICES["lj"].vowels["i"]
('i', 'ii')
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..audio import AudioError, fix_length, load_note
from ..pitch import midi_to_hz
from ..settings import SAMPLE_RATE
from .notes import NOTE_ON_SECONDS, RELEASE_SECONDS, RenderReport, render_instruments, source_arguments, spread_pitches
from .nsynth import note_metadata, write_note

ENGINE_NAME = "festival"  # the synth every voice note records
LOUD_RMS_DB = -16.0  # a note's RMS (while it sounds) at velocity 127; velocity 100 sings 4 dB below
SINGING_SECONDS = 3.0  # the vowel is held this long, then 1 s of silence, as a SoundFont note is released
_BEATS_PER_SECOND = 1.186  # Festival sings 3 beats at 60 BPM as 2.53 s: this many beats make a second

ENGLISH = {"a": "ah", "e": "eh", "i": "ee", "o": "oh", "u": "oo"}
ITALIAN = {v: v for v in "aeiou"}
FINNISH = {v: v + v for v in "aeiou"}  # a doubled letter is a long vowel


@dataclass(frozen=True)
class Voice:
    """One of Festival's diphone voices: its name in Festival, the Debian package that installs it, the lyric that
    sings each vowel in its language and the MIDI range it sings (the singer's, within the 36-70 that Festival's
    singing mode renders: C2 to A#4)."""

    key: str
    festival: str
    name: str
    language: str
    package: str
    vowels: dict[str, str]
    low: int
    high: int

    @property
    def title(self) -> str:
        return f"{self.name} ({self.language})"

    @property
    def installed(self) -> bool:
        return any(Path(d, self.festival).is_dir() for d in Path("/usr/share/festival/voices").glob("*"))


VOICES: dict[str, Voice] = {v.key: v for v in (
    Voice("kal", "kal_diphone", "Kal", "US English, male", "festvox-kallpc16k", ENGLISH, 36, 64),
    Voice("ked", "ked_diphone", "Ked", "US English, male", "festvox-kdlpc16k", ENGLISH, 36, 64),
    Voice("pc", "pc_diphone", "Piero", "Italian, male", "festvox-itapc16k", ITALIAN, 38, 66),
    Voice("lp", "lp_diphone", "Lucia", "Italian, female", "festvox-italp16k", ITALIAN, 50, 70),
    Voice("mv", "hy_fi_mv_diphone", "Mikko", "Finnish, male", "festvox-suopuhe-mv", FINNISH, 36, 64),
    Voice("lj", "suo_fi_lj_diphone", "Leena", "Finnish, female", "festvox-suopuhe-lj", FINNISH, 50, 70),
)}
VOICE_PACKAGES = ("festival", *(v.package for v in VOICES.values()))


class VoiceError(FileNotFoundError):
    """Festival, or one of its voices, is not installed."""


def check_voices(keys: Sequence[str] = tuple(VOICES)) -> list[Voice]:
    """The voices named by ``keys``; a clear error names each Debian package that is missing."""
    unknown = [k for k in keys if k not in VOICES]
    if unknown:
        raise ValueError(f"unknown voices {unknown}; known: {', '.join(VOICES)}")
    voices = [VOICES[k] for k in keys]
    missing = ([] if shutil.which("festival") else ["festival"]) + [v.package for v in voices if not v.installed]
    if missing:
        raise VoiceError(f"Festival voices missing: install Debian's {' '.join(missing)} (scripts/setup does it)")
    return voices


def sing(voice: Voice, vowel: str, pitches: Sequence[int], folder: Path) -> dict[int, Path]:
    """Festival's recordings of ``voice`` singing ``vowel`` at each of ``pitches`` (MIDI), in ``folder``: one
    Festival process sings them all; one that crashes (Festival's singing mode now and then does) is restarted
    after the note it crashed on, which is tried once on its own. A note that fails twice is left out."""
    files = {p: folder / f"{voice.key}_{vowel}_{p:03d}.wav" for p in pitches}
    todo = list(pitches)
    while todo:
        _run_festival(voice, vowel, todo, files, folder)
        failed = next((p for p in todo if not files[p].is_file()), None)
        if failed is None:
            break
        _run_festival(voice, vowel, [failed], files, folder)
        todo = todo[todo.index(failed) + 1:]
        todo = [p for p in todo if not files[p].is_file()]
    return {p: f for p, f in files.items() if f.is_file() and f.stat().st_size > 44}


def _run_festival(voice: Voice, vowel: str, pitches: Sequence[int], files: dict[int, Path], folder: Path) -> None:
    beats = SINGING_SECONDS * _BEATS_PER_SECOND
    script = [f"(voice_{voice.festival})"]
    for p in pitches:
        score = folder / f"{files[p].stem}.xml"
        score.write_text('<?xml version="1.0"?>\n<!DOCTYPE SINGING PUBLIC "-//SINGING//DTD SINGING mark up//EN" '
                         '"Singing.v0_1.dtd" []>\n'
                         f'<SINGING BPM="60"><PITCH FREQ="{midi_to_hz(p):.3f}"><DURATION BEATS="{beats:.3f}">'
                         f'{voice.vowels[vowel]}</DURATION></PITCH></SINGING>\n')
        script.append(f"(set! tts_hooks (list utt.synth (lambda (utt) (utt.save.wave utt {_scheme(files[p])} (quote riff)))))")
        script.append(f"(tts_file {_scheme(score)} (quote singing))")
    batch = folder / "sing.scm"
    batch.write_text("\n".join(script) + "\n")
    subprocess.run(["festival", "-b", str(batch)], capture_output=True, timeout=60 + 10 * len(pitches))


def _scheme(path: Path) -> str:
    """``path`` as a Scheme string literal (a folder's name may hold quotes or backslashes)."""
    return '"' + str(path).replace("\\", "\\\\").replace('"', '\\"') + '"'


def voice_note(path: Path, velocity: int) -> np.ndarray:
    """A sung note as a dataset note: 4 s at Timbral's rate, the vowel from its start, levelled by its RMS
    (:data:`LOUD_RMS_DB` at velocity 127, 40·log10(velocity/127) dB below it) and faded out over its last 30 ms."""
    y = load_note(path, duration=None, trim=True)[: round(SINGING_SECONDS * SAMPLE_RATE)]
    sounding = y[np.abs(y) > 1e-3 * np.max(np.abs(y))]
    gain_db = LOUD_RMS_DB + 40 * np.log10(velocity / 127) - 10 * np.log10(np.mean(sounding.astype(np.float64) ** 2))
    y = y * np.float32(10 ** (gain_db / 20))
    fade = min(len(y), round(0.03 * SAMPLE_RATE))
    y[len(y) - fade:] *= np.linspace(1, 0, fade, dtype=np.float32)
    return fix_length(np.clip(y, -0.99, 0.99), round((NOTE_ON_SECONDS + RELEASE_SECONDS) * SAMPLE_RATE))


@dataclass(frozen=True)
class _VoiceJob:
    voice: Voice
    vowel: str
    pitches: tuple[int, ...]
    velocities: tuple[int, ...]
    out: str
    audio_format: str


def _render_vowel(job: _VoiceJob) -> RenderReport:
    report = RenderReport()
    voice = job.voice
    instrument = f"vocal_acoustic_festival_{voice.key}_{job.vowel}"
    with tempfile.TemporaryDirectory(prefix="timbral-voice-") as tmp:
        sung = sing(voice, job.vowel, job.pitches, Path(tmp))
        if len(sung) < len(job.pitches):
            report.dropped["failed"] += len(job.pitches) - len(sung)
        for pitch, path in sorted(sung.items()):
            for velocity in job.velocities:
                try:
                    y = voice_note(path, velocity)
                except AudioError:
                    report.dropped["silent"] += 1
                    continue
                meta = note_metadata(instrument, "vocal", "acoustic", pitch, velocity, instrument_name=
                                     f"“{job.vowel}” sung by {voice.title}",
                                     synth=ENGINE_NAME, voice=voice.festival, vowel=job.vowel)
                write_note(job.out, meta, y, job.audio_format)
                report.written[meta["note_str"]] = meta
    return report


def render_voices(out: str | os.PathLike, *, voices: Sequence[str] = tuple(VOICES), pitches_per_instrument: int = 8,
                  velocities: Sequence[int] | str = (50, 100), seed: int = 0, workers: int | None = None,
                  audio_format: str = "wav", progress: bool = True) -> RenderReport:
    """Render each of ``voices`` singing each of its five vowels into ``out`` (NSynth layout): one instrument per voice
    and vowel, playing ``pitches_per_instrument`` pitches of its own spread over the voice's range, at every velocity.
    Notes already in ``out`` are kept."""
    velocities = source_arguments(velocities, pitches_per_instrument, audio_format)
    jobs = [_VoiceJob(v, vowel, spread_pitches(v.low, v.high, pitches_per_instrument, f"{v.key}_{vowel}", seed),
                      velocities, str(out), audio_format)
            for v in check_voices(voices) for vowel in v.vowels]
    return render_instruments(_render_vowel, jobs, lambda j: len(j.pitches) * len(j.velocities), out,
                              desc="rendering voices", workers=workers, progress=progress, chunksize=1)

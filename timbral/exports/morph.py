"""Morph instruments: the steps of a blend path as the layers of one sampler instrument, a knob moving
through them.

The layers are real steps of the path through the sounds (their latents decoded, with the sounds'
details when they have audio), every few semitones across the keyboard. Written for players musicians
already have, each with the same knob on one MIDI CC:

- **SFZ** (sfizz and any SFZ player): one group per layer, neighbouring layers crossfaded on the CC
  (``xfin_locc``/``xfout_locc``, ``xf_cccurve``), so the knob moves the timbre of notes already sounding;
- **DecentSampler** ``.dspreset`` in a ``.dslibrary`` (free, VST3/AU): a "Morph" knob bound to the
  groups' volumes through translation tables, the CC mapped onto it;
- **Bitwig** ``.multisample`` (a zip of stored entries): each layer a zone of the Sampler's *Select*
  parameter, crossfaded with its neighbours.

Sounds with recordings are played at other keys as Timbral plays them (:mod:`timbral.detail`): every layer is
decoded at the heaviest recording's pitch (the first sound's of equals) and transposed from there to the others,
its timing kept (with ``move="resample"``: resampled, as a sampler would). The layers of one pitch start from
one phase (PGHI of their mean magnitude) and are brought to one loudness (halfway between matching their attacks
and matching them over the note), so where two overlap mid-crossfade they add like copies instead of cancelling,
and with an equal-gain crossfade a sweep keeps its level. A note-off releases a note (0.3 s) in every format, and
every sample ends with a fade.
"""

from __future__ import annotations

import io
import os
import tempfile
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import quoteattr

import numpy as np

from ..audio import repitched
from ..detail import anchor, weighted
from ..latent import Encoded, Timbral, path_details
from ..phase import transposed
from ..settings import SAMPLE_RATE
from ..spectral import db_to_magnitude, power_to_db
from .files import audio_bytes, faded_end, key_ranges

FORMATS = ("sfz", "dspreset", "multisample")
# SFZ's xf_cccurve: equal gain (straight lines), right for layers that start from one phase and so add
# like copies (benchmarks/morph.py: a sweep within 1.0 dB at every pitch), or equal power (square roots), right for
# unrelated layers (phase-aligned ones swell 3 dB mid crossfade)
CURVES = ("gain", "power")
BLOCK = 1024  # samples sfizz renders at a time when an export is played (play_sfz)
DEFAULT_PITCHES = tuple(range(36, 85, 3))  # C2 to C6 every 3 semitones
ATTACK_SECONDS = 0.5  # the part of a note whose loudness must match across the knob beside the whole note's
PEAK_DBFS = -1.0


@dataclass(frozen=True)
class Morph:
    """A morph instrument: ``audio[layer, pitch]`` (at Timbral's rate), the layers' labels, the pitches, the CC, and
    the rate its samples are written at (48 kHz, or 44.1 kHz on request)."""

    name: str
    audio: np.ndarray  # (layers, pitches, samples)
    labels: list[str]
    pitches: list[int]
    cc: int = 1
    curve: str = "gain"
    rate: int = SAMPLE_RATE

    @property
    def layers(self) -> int:
        return self.audio.shape[0]

    def sample(self, layer: int, pitch: int) -> str:
        return f"samples/L{layer + 1:02d}_{pitch:03d}.wav"

    def samples(self, bits: int = 24) -> dict[str, bytes]:
        """Every layer at every pitch as a WAV, by its path in the instrument."""
        return {self.sample(i, p): audio_bytes(self.audio[i, j], bits=bits, rate=self.rate)
                for i in range(self.layers) for j, p in enumerate(self.pitches)}


def centres(layers: int) -> list[int]:
    """The knob value (0-127) at which each layer sounds alone."""
    return [round(127 * i / max(1, layers - 1)) for i in range(layers)]


def crossfade_gains(layers: int, value: float, curve: str = "gain") -> np.ndarray:
    """Each layer's gain at knob ``value`` (0-127), as an SFZ player computes it from the ranges the
    instrument declares: a layer fades in from its left neighbour's centre to its own and out towards
    its right neighbour's; ``power`` takes square roots (equal power), ``gain`` the straight line."""
    c = centres(layers)
    gains = np.ones(layers)
    for i in range(layers):
        if i > 0:
            gains[i] *= np.clip((value - c[i - 1]) / (c[i] - c[i - 1]), 0, 1)
        if i < layers - 1:
            gains[i] *= 1 - np.clip((value - c[i]) / (c[i + 1] - c[i]), 0, 1)
    return np.sqrt(gains) if curve == "power" else gains


def render(t: Timbral, sounds: Sequence, *, layers: int = 7, pitches: Sequence[int] = DEFAULT_PITCHES, velocity: int = 100,
           recorded: bool = True, name: str = "morph", labels: Sequence[str] | None = None, cc: int = 1,
           curve: str = "gain", aligned: bool = True) -> Morph:
    """The morph instrument of the path through ``sounds`` (two or more, in order): ``layers`` real steps
    of it, each decoded at every one of ``pitches`` (``aligned=False``: each layer from its own phase, to
    measure what the shared start buys)."""
    if not 2 <= len(sounds) <= 8:
        raise ValueError(f"a morph goes through 2 to 8 sounds, got {len(sounds)}")
    if not isinstance(layers, int) or isinstance(layers, bool) or not 3 <= layers <= 17:
        raise ValueError(f"layers must be a whole number from 3 to 17, got {layers!r}")
    if not 1 <= cc <= 119 or curve not in CURVES:
        raise ValueError(f"cc must be 1-119 and curve one of {', '.join(CURVES)}, got {cc}, {curve!r}")
    pitches = sorted({int(p) for p in pitches})
    if not pitches:
        raise ValueError("a morph instrument needs at least one pitch")
    encoded = [t.resolve(s) for s in sounds]
    steps = [_step(encoded, i / (layers - 1), recorded) for i in range(layers)]
    # sounds with recordings, transposed or resampled (t.move): every layer decoded at one pitch, the heaviest
    # recording's (the first sound's of equals), and moved from there to each of the others
    home = anchor(weighted([(1.0, e.details) for e in encoded])) if recorded and t.move in ("transpose", "resample") else None
    decoded = pitches if home is None else [home]
    grid = [(step, p) for step in steps for p in decoded]  # layer by layer, each at every pitch decoded
    spec = t.spectrograms(np.stack([s.latent for s, _ in grid]), [p for _, p in grid], [velocity] * len(grid),
                          [s.details for s, _ in grid])
    magnitude = t.model.magnitude_of(spec).reshape(layers, len(decoded), *spec.shape[1:])
    if home is None:
        layered = [_layers(t, magnitude[:, j], aligned) for j in range(len(decoded))]
    elif t.move == "transpose":
        layered = [_layers(t, magnitude[:, 0], aligned, p - home) for p in pitches]
    else:  # the layers at home, rebuilt once and resampled to each pitch (together: they stay aligned)
        at_home = _layers(t, magnitude[:, 0], aligned)
        layered = [repitched(at_home, p - home, t.sr) for p in pitches]
    audio = np.stack([_finished(t, layers) for layers in layered], axis=1)
    names = list(labels) if labels is not None else [f"sound {i + 1}" for i in range(len(sounds))]
    layer_labels = [_label(names, i / (layers - 1)) for i in range(layers)]
    return Morph(name, audio, layer_labels, pitches, cc, curve)


def _step(encoded: list[Encoded], position: float, recorded: bool) -> Encoded:
    """The path's point at ``position`` (0 to 1) through the sounds in order, with its details."""
    segments = len(encoded) - 1
    k = min(int(position * segments), segments - 1)
    local = position * segments - k
    a, b = encoded[k], encoded[k + 1]
    latent = ((1 - local) * a.latent + local * b.latent).astype(np.float32)
    return Encoded(latent, a.pitch, details=path_details(a, b, local) if recorded else ())


def _label(names: list[str], position: float) -> str:
    segments = len(names) - 1
    k = min(int(position * segments), segments - 1)
    local = position * segments - k
    if local < 1e-6:
        return names[k]
    if local > 1 - 1e-6:
        return names[k + 1]
    return f"{round(100 * (1 - local))}% {names[k]} / {round(100 * local)}% {names[k + 1]}"


def _layers(t: Timbral, magnitude: np.ndarray, aligned: bool = True, semitones: float = 0.0) -> np.ndarray:
    """The layers of one pitch (``(layers, bins, frames)`` magnitudes, transposed by ``semitones``) as audio from one
    starting phase: they add where they overlap."""
    return transposed(magnitude, semitones, t.settings, aligned=aligned, n_iter=t.n_iter)


def _finished(t: Timbral, audio: np.ndarray) -> np.ndarray:
    """The layers of one pitch each at one loudness, together peak-normalised, each ending with a fade."""
    loudness = (rms_db(audio) + rms_db(audio[:, : int(ATTACK_SECONDS * t.settings.sr)])) / 2  # note and attack alike
    audio = audio * db_to_magnitude(loudness.mean() - loudness)[:, None]
    return faded_end(audio * db_to_magnitude(PEAK_DBFS) / max(np.abs(audio).max(), 1e-9), t.settings.sr)


def rms_db(audio: np.ndarray) -> np.ndarray:
    """The RMS level of audio ``(…, samples)``, in dB (a float for one signal, one per row otherwise)."""
    return power_to_db(np.mean(np.square(audio, dtype=np.float64), axis=-1), floor_db=-200.0)


def sfz(m: Morph) -> dict[str, bytes]:
    """The SFZ instrument: ``{path: bytes}``, the ``.sfz`` and its samples."""
    c = centres(m.layers)
    lines = [f"// {m.name}: a Timbral morph, {m.layers} layers x {len(m.pitches)} pitches; CC {m.cc} moves through them",
             "<control>", "default_path=samples/", f"label_cc{m.cc}=Morph", f"set_cc{m.cc}=0", "",
             "<global>", "loop_mode=no_loop", "ampeg_release=0.3", f"xf_cccurve={m.curve}", ""]
    for i, label in enumerate(m.labels):
        fades = []
        if i > 0:
            fades.append(f"xfin_locc{m.cc}={c[i - 1]} xfin_hicc{m.cc}={c[i]}")
        if i < m.layers - 1:
            fades.append(f"xfout_locc{m.cc}={c[i]} xfout_hicc{m.cc}={c[i + 1]}")
        lines.append(f"<group> group_label={label} {' '.join(fades)}")
        lines += [f"<region> sample={m.sample(i, p).removeprefix('samples/')} pitch_keycenter={p} lokey={lo} hikey={hi}"
                  for p, (lo, hi) in zip(m.pitches, key_ranges(m.pitches, 0, 127))]
    return {**m.samples(), f"{m.name}.sfz": ("\n".join(lines) + "\n").encode()}


# DecentSampler counts every control of a tab, labels included, when a binding names one by position: the knob follows
# the title and the subtitle
KNOB_POSITION = 2


def dspreset(m: Morph) -> dict[str, bytes]:
    """The DecentSampler instrument: ``{path: bytes}``, the ``.dspreset`` and its samples."""
    knob = sorted({*np.linspace(0, 127, 33).tolist(), *centres(m.layers)})  # CC values, each layer's centre among them
    bindings = []
    for i in range(m.layers):
        table = ";".join(f"{v / 127:.4f},{crossfade_gains(m.layers, v, m.curve)[i]:.4f}" for v in knob)
        bindings.append(f'        <binding type="amp" level="group" position="{i}" parameter="AMP_VOLUME" '
                        f'translation="table" translationTable="{table}"/>')
    groups = []
    for i, label in enumerate(m.labels):
        samples = [f'      <sample path="{m.sample(i, p)}" rootNote="{p}" loNote="{lo}" hiNote="{hi}"/>'
                   for p, (lo, hi) in zip(m.pitches, key_ranges(m.pitches, 0, 127))]
        groups.append(f'    <group name={quoteattr(label)} volume="{1.0 if i == 0 else 0.0}" release="0.3">\n'
                      + "\n".join(samples) + "\n    </group>")
    xml = f"""<?xml version="1.0" encoding="UTF-8"?>
<DecentSampler minVersion="1.0.0">
  <ui width="812" height="375" bgColor="FF1B1B1B" layoutMode="relative">
    <tab name="main">
      <label x="30" y="24" width="750" height="40" text={quoteattr(m.name)} textSize="30" textColor="FFFFFFFF"/>
      <label x="30" y="66" width="750" height="24" text={quoteattr(f"{m.labels[0]}  →  {m.labels[-1]}  (CC {m.cc})")}
             textSize="15" textColor="FFBBBBBB"/>
      <labeled-knob x="30" y="110" width="150" height="170" label="Morph" type="float" minValue="0" maxValue="1" value="0"
                    textSize="18" textColor="FFFFFFFF" trackForegroundColor="FF2A6F97" trackBackgroundColor="FF444444">
{chr(10).join(bindings)}
      </labeled-knob>
    </tab>
  </ui>
  <groups>
{chr(10).join(groups)}
  </groups>
  <midi>
    <cc number="{m.cc}">
      <binding level="ui" type="control" position="{KNOB_POSITION}" parameter="VALUE" translation="linear"
               translationOutputMin="0" translationOutputMax="1"/>
    </cc>
  </midi>
</DecentSampler>
"""
    return {**m.samples(), f"{m.name}.dspreset": xml.encode()}


def multisample(m: Morph) -> dict[str, bytes]:
    """The Bitwig multisample: ``{path: bytes}``, ``multisample.xml`` and its samples; each layer a zone of
    the Sampler's Select parameter, crossfaded with its neighbours."""
    c = centres(m.layers)
    groups = [f'  <group name={quoteattr(label)}/>' for label in m.labels]
    samples = []
    for i in range(m.layers):
        low, high = c[i - 1] if i else 0, c[i + 1] if i < m.layers - 1 else 127
        select = f'<select low="{low}" high="{high}" low-fade="{c[i] - low}" high-fade="{high - c[i]}"/>'
        for p, (lo, hi) in zip(m.pitches, key_ranges(m.pitches, 0, 127)):
            samples.append(f'  <sample file="{m.sample(i, p)}" gain="0.000" group="{i}" sample-start="0.000" '
                           f'sample-stop="{m.audio.shape[-1]:.3f}">\n'
                           f'    <key root="{p}" track="1.0000" tune="0.00" low="{lo}" high="{hi}"/>\n'
                           f'    <velocity low="1" high="127"/>\n    {select}\n    <loop mode="off"/>\n  </sample>')
    xml = (f'<?xml version="1.0" encoding="UTF-8"?>\n<multisample name={quoteattr(m.name)}>\n'
           f"  <generator>Timbral</generator>\n  <category>Morph</category>\n  <creator>Timbral</creator>\n"
           f"  <description>{m.labels[0]} to {m.labels[-1]}: turn the Select parameter to move through them</description>\n"
           + "\n".join(groups + samples) + "\n</multisample>\n")
    return {**m.samples(), "multisample.xml": xml.encode()}


WRITERS = {"sfz": (sfz, "-sfz.zip"), "dspreset": (dspreset, ".dslibrary"), "multisample": (multisample, ".multisample")}


def archive(files: dict[str, bytes]) -> bytes:
    """A ZIP of ``files`` with every entry stored, not compressed (samplers stream from it)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as z:
        for path, data in sorted(files.items()):
            z.writestr(path, data)
    return buffer.getvalue()


def written(m: Morph, formats: Sequence[str] = FORMATS) -> dict[str, bytes]:
    """Each asked format's archive, by its file name."""
    unknown = sorted(set(formats) - set(FORMATS))
    if unknown or not formats:
        raise ValueError(f"formats must be some of {', '.join(FORMATS)}, got {', '.join(formats) or 'none'}")
    return {f"{m.name}{suffix}": archive(write(m)) for f, (write, suffix) in WRITERS.items() if f in formats}


def play_sfz(sfz_path: str | os.PathLike, key: int, *, knob: int = 0, cc: int = 1, off_at: float | None = None,
             seconds: float = 4.5, rate: int = SAMPLE_RATE) -> np.ndarray:
    """A note of an SFZ instrument as the sfizz engine plays it (PyPI's ``pysfizz``, installed with the test extras),
    mono: ``key`` at velocity 100, the knob (``cc``) at ``knob`` before the note as a DAW sets it, released at
    ``off_at`` seconds (held to the end without). This is how the tests and ``benchmarks/morph.py`` hear an export."""
    import pysfizz

    path = Path(sfz_path)
    text = path.read_text()
    text = (text.replace(f"set_cc{cc}=0", f"set_cc{cc}={knob}") if f"set_cc{cc}=0" in text
            else text.replace("<control>", f"<control>\nset_cc{cc}={knob}", 1))
    # every sample read whole at load (as sforzando always does): rendered far faster than real time, sfizz's
    # streaming of a sample past its preloaded start at times came back empty, the rest of the note silent
    ram = "<control>\nhint_ram_based=1"
    text = text.replace("<control>", ram, 1) if "<control>" in text else f"{ram}\n{text}"
    with tempfile.NamedTemporaryFile("w", suffix=".sfz", dir=path.parent, delete=False) as copy:  # samples stay relative
        copy.write(text)
    try:
        synth = pysfizz.Synth(rate, BLOCK)
        if not synth.load_sfz_file(copy.name):
            raise ValueError(f"{path}: sfizz could not load it")
        engine = synth._synth
        engine.note_on(0, key, 100)
        blocks, n = [], int(seconds * rate)
        off = None if off_at is None else int(off_at * rate)
        for start in range(0, n, BLOCK):
            if off is not None and start <= off < start + BLOCK:
                engine.note_off(off - start, key, 0)
            left, right = engine.render_block()
            blocks.append(0.5 * (np.asarray(left) + np.asarray(right)))
        return np.concatenate(blocks)[:n]
    finally:
        os.unlink(copy.name)

"""Read a SoundFont's presets and the samples each one plays, to tell real instruments apart.

Many presets reuse another's samples (a GS variation with a new envelope, a bank that repeats
the General MIDI set); counted as instruments they would flood a dataset with near-copies.
:func:`distinct_presets` keeps, across several SoundFonts, one preset per set of samples,
comparing the sample data itself (so two files that ship the same recording agree).

The format (RIFF ``sfbk``; presets -> zones -> instruments -> zones -> samples) is that of the
SoundFont 2.04 specification; only the parts needed here are read. SF3 files (SoundFonts whose samples
MuseScore's ``sf3convert`` compressed to Ogg Vorbis, which FluidSynth plays) are read too: there a compressed
sample's start and end count bytes of the sample data, not 16-bit frames.
"""

from __future__ import annotations

import hashlib
import io
import os
import struct
from dataclasses import dataclass
from pathlib import Path

PERCUSSION_BANK = 128
GEN_INSTRUMENT = 41
GEN_SAMPLE_ID = 53
COMPRESSED_SAMPLE = 0x10  # an SF3 sample type bit: Ogg Vorbis data


@dataclass(frozen=True)
class Preset:
    """One preset of a SoundFont and the fingerprint of the samples it plays."""

    soundfont: str  # the file's path, as given
    bank: int
    program: int
    name: str
    samples: frozenset[str]


def _chunks(data: bytes, start: int, end: int) -> dict[str, tuple[int, int]]:
    """The sub-chunks between ``start`` and ``end`` (LIST chunks by their list type): name -> (offset, size).

    A chunk of odd size is followed by a zero pad byte, except where its writer left it out (``sf3convert`` does)."""
    found = {}
    pos = start
    while pos + 8 <= end:
        tag, size = data[pos:pos + 4].decode("latin-1"), struct.unpack_from("<I", data, pos + 4)[0]
        body = pos + 8
        if tag == "LIST":
            found[data[body:body + 4].decode("latin-1")] = (body + 4, size - 4)
        else:
            found[tag] = (body, size)
        pos = body + size
        if size & 1 and data[pos:pos + 1] == b"\0":
            pos += 1
    return found


def _records(data: bytes, chunk: tuple[int, int], fmt: str) -> list[tuple]:
    offset, size = chunk
    width = struct.calcsize(fmt)
    return [struct.unpack_from(fmt, data, offset + i * width) for i in range(size // width)]


def _decoded(ogg: bytes, path: Path) -> bytes:
    """An SF3 sample's Ogg Vorbis stream decoded to 16-bit frames."""
    import soundfile as sf

    try:
        return sf.read(io.BytesIO(ogg), dtype="int16")[0].tobytes()
    except (sf.LibsndfileError, RuntimeError) as e:
        raise ValueError(f"{path}: a compressed sample does not decode ({e})") from None


def read_presets(path: str | os.PathLike) -> list[Preset]:
    """Every melodic preset (not bank 128) of a SoundFont 2 (or SF3) file, with its sample fingerprints."""
    path = Path(path)
    data = path.read_bytes()
    if data[:4] != b"RIFF" or data[8:12] != b"sfbk":
        raise ValueError(f"{path}: not a SoundFont 2 file")
    top = _chunks(data, 12, len(data))
    if "pdta" not in top or "sdta" not in top:
        raise ValueError(f"{path}: a SoundFont without preset or sample data")
    pdta = _chunks(data, top["pdta"][0], sum(top["pdta"]))
    smpl = _chunks(data, top["sdta"][0], sum(top["sdta"])).get("smpl", (0, 0))[0]
    phdr = _records(data, pdta["phdr"], "<20sHHHIII")
    pbag, ibag = _records(data, pdta["pbag"], "<HH"), _records(data, pdta["ibag"], "<HH")
    pgen, igen = _records(data, pdta["pgen"], "<Hh"), _records(data, pdta["igen"], "<Hh")
    inst = _records(data, pdta["inst"], "<20sH")
    shdr = _records(data, pdta["shdr"], "<20sIIIIIBbHH")

    def sample_hash(i: int) -> str:
        start, end, kind = shdr[i][1], shdr[i][2], shdr[i][9]
        if kind & COMPRESSED_SAMPLE:  # decoded: the same recording compressed in two files agrees
            pcm = _decoded(data[smpl + start: smpl + end], path)
        else:
            pcm = data[smpl + 2 * start: smpl + 2 * end]
        return hashlib.blake2b(pcm, digest_size=12).hexdigest()

    def generators(bags, gens, first_bag, last_bag, oper):
        for b in range(first_bag, last_bag):
            for g in range(bags[b][0], bags[b + 1][0]):
                if gens[g][0] == oper:
                    yield gens[g][1] & 0xFFFF

    hashes: dict[int, str] = {}
    presets = []
    for i, (name, program, bank, bag, *_rest) in enumerate(phdr[:-1]):  # the last record is the terminal "EOP"
        if bank == PERCUSSION_BANK:
            continue
        samples = set()
        for ins in generators(pbag, pgen, bag, phdr[i + 1][3], GEN_INSTRUMENT):
            if ins + 1 < len(inst):
                for s in generators(ibag, igen, inst[ins][1], inst[ins + 1][1], GEN_SAMPLE_ID):
                    if s < len(shdr) - 1:
                        if s not in hashes:
                            hashes[s] = sample_hash(s)
                        samples.add(hashes[s])
        label = name.split(b"\0")[0].decode("latin-1").strip()
        presets.append(Preset(str(path), bank, program, label, frozenset(samples)))
    return sorted(presets, key=lambda p: (p.bank, p.program))


def distinct_presets(soundfonts: list[str | os.PathLike], programs: set[int] | None = None) -> list[Preset]:
    """The presets of ``soundfonts``, in order, less any that plays the same samples as one kept before.

    ``programs`` limits them to those GM program numbers (in any bank).
    """
    seen: set[frozenset[str]] = set()
    kept = []
    for path in soundfonts:
        for preset in read_presets(path):
            if (programs is not None and preset.program not in programs) or not preset.samples or preset.samples in seen:
                continue
            seen.add(preset.samples)
            kept.append(preset)
    return kept

"""Many sources in one dataset: distinct SoundFont presets, audible variants, splits that know where a note comes from."""

import json
import shutil
import struct
import subprocess
from pathlib import Path

import numpy as np
import pytest
from conftest import FLUID_R3, TIMGM

from timbral.cli import main
from timbral.data.nsynth import read_examples
from timbral.data.render import VARIANT_MIN_DB, PresetChoice, SoundFontSynth, _difference_db, render_presets
from timbral.data.sf2 import _chunks, distinct_presets, read_presets
from timbral.data.split import make_split
from timbral.data.synth import render_synth


def test_presets_and_their_samples_are_read():
    presets = read_presets(TIMGM)
    assert len(presets) >= 120 and all(p.bank != 128 for p in presets)
    piano = next(p for p in presets if (p.bank, p.program) == (0, 0))
    assert piano.name and piano.samples


def test_presets_playing_the_same_samples_count_once():
    once = distinct_presets([TIMGM])
    assert len({p.samples for p in once}) == len(once) < len(read_presets(TIMGM))
    assert distinct_presets([TIMGM, TIMGM]) == once  # the same file again adds nothing
    assert {p.program for p in distinct_presets([TIMGM], programs={0, 24})} <= {0, 24}


def test_a_file_that_is_not_a_soundfont_is_refused(tmp_path):
    bad = tmp_path / "bad.sf2"
    bad.write_bytes(b"RIFF\0\0\0\0WAVEjunk")
    with pytest.raises(ValueError, match="not a SoundFont 2"):
        read_presets(bad)


def _partition(presets) -> set[frozenset]:
    """Which presets play the same samples: sets of (bank, program)."""
    groups: dict[frozenset, set] = {}
    for p in presets:
        groups.setdefault(p.samples, set()).add((p.bank, p.program))
    return {frozenset(g) for g in groups.values()}


def test_an_sf3_file_is_read_and_played_as_its_sf2(tmp_path):
    """FluidR3_GS compressed by MuseScore's sf3convert (what scripts/gpu pack sends a GPU machine): the same presets
    playing the same sample sets, the same distinct ones, and FluidSynth plays its notes close to the SF2's."""
    sf2 = Path("/usr/share/sounds/sf2/FluidR3_GS.sf2")
    sf3 = tmp_path / "FluidR3_GS.sf3"
    subprocess.run(["sf3convert", "-z", "-q", "0.4", str(sf2), str(sf3)], check=True, capture_output=True)
    assert sf3.stat().st_size < sf2.stat().st_size / 3
    plain, compressed = read_presets(sf2), read_presets(sf3)
    assert [(p.bank, p.program, p.name) for p in compressed] == [(p.bank, p.program, p.name) for p in plain]
    assert _partition(compressed) == _partition(plain) and len(_partition(plain)) > 20
    copy = tmp_path / "copy" / "FluidR3_GS.sf3"  # the same recordings compressed again count once across files
    copy.parent.mkdir()
    shutil.copy(sf3, copy)
    assert distinct_presets([sf3, copy]) == distinct_presets([sf3])
    bank, program = next((p.bank, p.program) for p in plain if p.samples)
    a, b = SoundFontSynth(sf2).render(program, 60, 100, bank), SoundFontSynth(sf3).render(program, 60, 100, bank)
    assert np.abs(b).max() > 0.5 * np.abs(a).max() and _difference_db(a, b) < VARIANT_MIN_DB  # closer than a variant is
    broken = tmp_path / "broken.sf3"  # its samples' Ogg streams lose their capture pattern
    broken.write_bytes(sf3.read_bytes().replace(b"OggS", b"Junk"))
    with pytest.raises(ValueError, match="broken.sf3: a compressed sample does not decode"):
        read_presets(broken)


def test_an_odd_sized_chunk_is_read_with_or_without_its_pad_byte():
    def chunk(tag: bytes, body: bytes, pad: bool) -> bytes:
        return tag + struct.pack("<I", len(body)) + body + (b"\0" if pad and len(body) % 2 else b"")

    for pad in (True, False):  # the RIFF rule pads, sf3convert does not
        data = chunk(b"odd ", b"abc", pad) + chunk(b"next", b"wxyz", pad)
        found = _chunks(data, 0, len(data))
        assert found["next"] == (len(data) - 4, 4) and found["odd "] == (8, 3)


def test_variants_sound_different_and_stay_with_their_preset(tmp_path):
    synth = SoundFontSynth(FLUID_R3)
    plain = synth.render(56, 60, 100)
    for variant in ("dark", "swell"):
        assert _difference_db(plain, synth.render(56, 60, 100, variant=variant)) >= VARIANT_MIN_DB
    presets = [PresetChoice(str(FLUID_R3), 0, 56, v) for v in (None, "dark", "swell")]
    report = render_presets(presets, tmp_path, pitches="60", velocities="100", workers=1, progress=False)
    by_instrument = {m["instrument_str"]: m for m in report.written.values()}
    assert set(by_instrument) == {"brass_acoustic_fluidr3_gm_056", "brass_acoustic_fluidr3_gm_056_dark",
                                  "brass_acoustic_fluidr3_gm_056_swell"}
    assert by_instrument["brass_acoustic_fluidr3_gm_056_dark"]["variant_of"] == "brass_acoustic_fluidr3_gm_056"
    assert by_instrument["brass_acoustic_fluidr3_gm_056_swell"]["instrument_name"].endswith("(swell)")
    with pytest.raises(ValueError, match="unknown variants"):
        render_presets([PresetChoice(str(FLUID_R3), 0, 56, "wobbly")], tmp_path, progress=False)


@pytest.fixture(scope="module")
def mixed(tmp_path_factory):
    """Two SoundFonts (with variants) and the synth engine in one folder."""
    out = tmp_path_factory.mktemp("mixed")
    presets = [PresetChoice(str(sf), 0, p, v) for sf in (TIMGM, FLUID_R3) for p in (0, 24, 40, 56, 73) for v in (None, "dark")]
    render_presets(presets, out, pitches="48,72", velocities="100", workers=2, progress=False)
    render_synth(out, 19, pitches_per_instrument=2, velocities="100", workers=2, progress=False)
    return out


@pytest.mark.slow
def test_the_split_holds_every_source_and_keeps_variants_with_their_preset(mixed):
    examples = read_examples(mixed)
    split = make_split(examples, seed=0, valid=0.2, test=0.2)
    where = {i: s for s in ("train", "valid", "test") for i in split[s]}
    assert set(where) == {m["instrument_str"] for m in examples.values()}
    for m in examples.values():
        if "variant_of" in m:
            assert where[m["instrument_str"]] == where[m["variant_of"]]


def test_a_whole_source_can_be_held_out(mixed, capsys):
    split = make_split(read_examples(mixed), hold_out_source="timbral-synth")
    assert split["test"] and all("_synthetic_timbral_" in i for i in split["test"])
    assert not any("_synthetic_timbral_" in i for i in split["train"] + split["valid"])
    assert main(["data", "split", str(mixed), "--hold-out-source", "TimGM6mb.sf2"]) == 0
    test = json.loads((mixed / "split.json").read_text())["test"]
    assert test and all("timgm6mb" in i for i in test)
    assert main(["data", "split", str(mixed), "--hold-out-source", "MuseScore.sf2"]) == 2
    assert "no source 'MuseScore.sf2'" in capsys.readouterr().err


def test_data_info_reports_sources_sizes_and_split(mixed, capsys):
    assert main(["data", "info", str(mixed), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["n_sources"] == 3 and set(info["sources"]) == {"TimGM6mb.sf2", "FluidR3_GM.sf2", "timbral-synth"}
    assert info["sources"]["timbral-synth"] == {"notes": 38, "instruments": 19}
    assert info["n_instruments"] == sum(s["instruments"] for s in info["sources"].values())
    assert info["audio_bytes"] > 128_000 * info["n_notes"] * 0.9
    assert main(["data", "info", str(mixed)]) == 0
    assert "instruments from 3 sources" in capsys.readouterr().out

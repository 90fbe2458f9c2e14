import hashlib
import json

import numpy as np
import pytest
import soundfile as sf
from conftest import FLUID_R3, FREEPATS, TIMGM

from timbral.cli import main
from timbral.data.families import FAMILIES, GM_DRUMS, GM_PROGRAMS, MELODIC_PROGRAMS, QUALITIES, SOURCES
from timbral.data.nsynth import display_name
from timbral.data.render import SoundFontError, preset_title, render_soundfonts

NSYNTH_FIELDS = {
    "note", "note_str", "instrument", "instrument_str", "instrument_family", "instrument_family_str",
    "instrument_source", "instrument_source_str", "pitch", "velocity", "sample_rate", "qualities", "qualities_str",
}


def test_the_issue_command_writes_six_valid_notes(tmp_path, capsys):
    out = tmp_path / "x"
    rc = main([
        "render", str(TIMGM), "--out", str(out), "--programs", "0,24", "--pitches", "48,60,72", "--velocities", "100",
    ])
    assert rc == 0
    examples = json.loads((out / "examples.json").read_text())
    assert len(examples) == 6
    for key, meta in examples.items():
        assert NSYNTH_FIELDS <= set(meta)
        assert meta["note_str"] == key == f"{meta['instrument_str']}-{meta['pitch']:03d}-{meta['velocity']:03d}"
        assert meta["instrument_family_str"] == FAMILIES[meta["instrument_family"]]
        assert meta["instrument_source_str"] == SOURCES[meta["instrument_source"]]
        assert len(meta["qualities"]) == len(QUALITIES) and meta["sample_rate"] == 48000
        info = sf.info(out / "audio" / f"{key}.wav")
        assert (info.samplerate, info.channels, info.subtype, info.frames) == (48000, 1, "PCM_16", 4 * 48000)
    families = {m["instrument_family_str"] for m in examples.values()}
    assert families == {"keyboard", "guitar"}
    printed = capsys.readouterr().out
    assert "wrote 6 notes" in printed and "keyboard" in printed


def test_notes_follow_the_nsynth_protocol(tiny_dataset):
    import numpy as np

    from timbral.audio import load_note

    y = load_note(tiny_dataset / "audio" / "keyboard_acoustic_timgm6mb_000-060-100.wav", trim=False)
    held, released = np.abs(y[int(2.5 * 48000): 3 * 48000]).max(), np.abs(y[int(3.6 * 48000):]).max()
    assert y[:400].any()  # the note starts at once
    assert released < held  # released after 3 s


def test_output_is_deterministic_whatever_the_workers(tmp_path):
    digests = []
    for workers, out in [(1, tmp_path / "a"), (2, tmp_path / "b")]:
        render_soundfonts([TIMGM], out, programs="24,0,40", pitches="72,48", velocities="80", workers=workers, progress=False)
        digests.append({p.name: hashlib.sha1(p.read_bytes()).hexdigest() for p in (out / "audio").iterdir()})
        digests.append((out / "examples.json").read_text())
    assert digests[0] == digests[2] and digests[1] == digests[3] and len(digests[0]) == 6


def test_silent_and_clipped_renders_are_dropped_and_counted(tmp_path):
    # FluidR3's tuba has no samples above key 72: key 96 renders silence
    report = render_soundfonts([FLUID_R3], tmp_path / "a", programs="58", pitches="60,96", velocities="100", progress=False)
    assert len(report.written) == 1 and report.dropped["silent"] == 1
    report = render_soundfonts([TIMGM], tmp_path / "b", programs="0", pitches="60", velocities="127", gain=10, progress=False)
    assert len(report.written) == 0 and report.dropped["clipped"] == 1
    assert "dropped 1 clipped renders" in report.lines()


def test_a_second_render_adds_to_the_folder(tmp_path):
    render_soundfonts([TIMGM], tmp_path, programs="0", pitches="60", velocities="100", progress=False)
    render_soundfonts([TIMGM], tmp_path, programs="24", pitches="60", velocities="100", progress=False)
    assert len(json.loads((tmp_path / "examples.json").read_text())) == 2


def test_each_preset_plays_pitches_of_its_own_across_the_range(tmp_path, capsys):
    out = tmp_path / "spread"
    assert main(["render", str(TIMGM), "--out", str(out), "--programs", "0,24,40", "--pitches", "C2:C6",
                 "--pitches-per-instrument", "4", "--velocities", "100", "--workers", "2"]) == 0
    examples = json.loads((out / "examples.json").read_text())
    played = {}
    for m in examples.values():
        played.setdefault(m["instrument_str"], []).append(m["pitch"])
    assert len(played) == 3 and all(len(p) == 4 and 36 <= min(p) and max(p) <= 84 for p in played.values())
    assert len({tuple(sorted(p)) for p in played.values()}) == 3  # no grid shared by every preset
    again = render_soundfonts([TIMGM], tmp_path / "again", programs="0,24,40", pitches="36:84", pitches_per_instrument=4,
                              velocities="100", progress=False)
    assert set(again.written) == set(examples)  # seeded: the same pitches again
    with pytest.raises(ValueError, match="pitches_per_instrument"):
        render_soundfonts([TIMGM], tmp_path / "x", programs="0", pitches_per_instrument=0, progress=False)


def test_notes_can_be_stored_as_flac(tmp_path, capsys):
    out = tmp_path / "flac"
    assert main(["render", str(TIMGM), "--out", str(out), "--programs", "0", "--pitches", "60", "--velocities", "100",
                 "--format", "flac"]) == 0
    (note,) = (out / "audio").iterdir()
    assert note.suffix == ".flac" and sf.info(note).format == "FLAC" and sf.info(note).subtype == "PCM_16"
    with pytest.raises(ValueError, match="audio format"):
        render_soundfonts([TIMGM], tmp_path / "x", programs="0", audio_format="mp3", progress=False)


def test_presets_without_a_name_worth_showing_get_their_gm_name():
    assert preset_title("Nylon Guitar", 24) == "Nylon Guitar"
    assert preset_title("014", 14) == "Tubular Bells" and preset_title(" 055 ", 55) == "Orchestra Hit"


def test_bad_soundfonts_and_options(tmp_path, capsys):
    fake = tmp_path / "fake.sf2"
    fake.write_bytes(b"RIFF0000sfbk" + b"\0" * 100)
    with pytest.raises(SoundFontError, match="fake.sf2"):
        render_soundfonts([fake], tmp_path / "o", progress=False)
    with pytest.raises(SoundFontError, match="no such SoundFont"):
        render_soundfonts([tmp_path / "missing.sf2"], tmp_path / "o", progress=False)
    with pytest.raises(ValueError, match="gain"):
        render_soundfonts([TIMGM], tmp_path / "o", gain=0, progress=False)
    assert main(["render", str(fake), "--out", str(tmp_path / "o")]) == 2
    assert main(["render", str(TIMGM), "--out", str(tmp_path / "o"), "--velocities", "0"]) == 2
    err = capsys.readouterr().err
    assert "fake.sf2" in err and "velocities" in err
    assert not (tmp_path / "o" / "examples.json").exists()  # nothing written on bad input


def test_the_family_table_is_complete():
    assert len(GM_PROGRAMS) == 128 and len(MELODIC_PROGRAMS) == 115
    assert {family for _, family, _ in GM_PROGRAMS.values()} - {None} == set(FAMILIES) - {"percussion"}  # drums: kits
    assert sorted(GM_DRUMS) == list(range(35, 82)) and len(set(GM_DRUMS.values())) == 47
    assert all(source in SOURCES for _, _, source in GM_PROGRAMS.values())


def test_docs_family_table_matches_the_code():
    from pathlib import Path

    from timbral.data.families import table_markdown

    assert table_markdown() in (Path(__file__).parent.parent / "docs" / "families.md").read_text()


@pytest.mark.slow
def test_drum_kits_render_each_distinct_drum_as_a_percussion_instrument(tmp_path):
    from timbral.data.render import drum_kits, render_drums

    assert drum_kits(TIMGM)[:2] == (0, 8) and drum_kits(FREEPATS) == (0,)  # a TiMidity config: its drum set 0
    report = render_drums([TIMGM], tmp_path, velocities="100", workers=2, audio_format="flac", progress=False)
    notes = list(report.written.values())
    assert notes and all(m["instrument_family_str"] == "percussion" and m["pitch"] == 60 and m["pitched"] is False
                         for m in notes)
    by_key = {}
    for m in notes:
        by_key.setdefault(m["key"], []).append(m)
    assert len(by_key[49]) >= 1 and by_key[49][0]["instrument_name"] == "Crash Cymbal 1 (Standard)"
    assert report.close_variants  # a kit's drum that sounds like one kept before is left out
    y, sr = sf.read(tmp_path / "audio" / f"{by_key[42][0]['note_str']}.flac")
    hiss = np.abs(np.fft.rfft(y)) ** 2
    assert sr == 48000 and hiss[len(hiss) // 3 :].sum() > 0.01 * hiss.sum()  # a hi-hat keeps its air above 8 kHz
    assert display_name(by_key[42][0]).startswith("Closed Hi-Hat (Standard) · loud")  # a drum has no note

"""The NSynth reader on a small set built the way the official download is laid out."""

import json

import numpy as np
import pytest
import soundfile as sf
from conftest import tone

from timbral.data.nsynth import DatasetError, iter_notes, note_metadata, read_examples, slug, summary

OFFICIAL = {  # two entries as they appear in NSynth's examples.json
    "bass_synthetic_033-022-050": {
        "qualities": [1, 0, 1, 0, 0, 0, 0, 0, 0, 0], "pitch": 22, "note": 201034, "instrument_source_str": "synthetic",
        "velocity": 50, "instrument_str": "bass_synthetic_033", "instrument": 417, "sample_rate": 16000,
        "qualities_str": ["bright", "distortion"], "instrument_source": 2, "note_str": "bass_synthetic_033-022-050",
        "instrument_family": 0, "instrument_family_str": "bass",
    },
    "keyboard_electronic_001-021-127": {
        "qualities": [0] * 10, "pitch": 21, "note": 2, "instrument_source_str": "electronic", "velocity": 127,
        "instrument_str": "keyboard_electronic_001", "instrument": 1, "sample_rate": 16000, "qualities_str": [],
        "instrument_source": 1, "note_str": "keyboard_electronic_001-021-127", "instrument_family": 4,
        "instrument_family_str": "keyboard",
    },
}


@pytest.fixture
def official(tmp_path):
    (tmp_path / "audio").mkdir()
    for i, key in enumerate(OFFICIAL):
        y = (tone(110 * (i + 1), seconds=4) * 32767).astype(np.int16)
        sf.write(tmp_path / "audio" / f"{key}.wav", y, 16000, subtype="PCM_16")
    (tmp_path / "examples.json").write_text(json.dumps(OFFICIAL))
    return tmp_path


def test_reads_the_official_layout(official):
    notes = list(iter_notes(official))
    assert [m["note_str"] for _, m in notes] == sorted(OFFICIAL)
    for y, meta in notes:
        assert y.shape == (4 * 48000,) and y.dtype == np.float32  # a 16 kHz NSynth note, read at Timbral's rate
        assert meta == OFFICIAL[meta["note_str"]]
    assert "bass" in summary(read_examples(official))


def test_metadata_has_every_field_and_numeric_twins():
    meta = note_metadata("reed_acoustic_x_001", "reed", "acoustic", 60, 100, qualities=("bright",), instrument_name="Oboe")
    assert meta["note_str"] == "reed_acoustic_x_001-060-100"
    assert meta["instrument_family"] == 7 and meta["instrument_source"] == 0
    assert meta["qualities"][0] == 1 and meta["qualities_str"] == ["bright"] and meta["instrument_name"] == "Oboe"
    assert meta["note"] == note_metadata("reed_acoustic_x_001", "reed", "acoustic", 60, 100)["note"]  # stable ids
    for bad in [("Bad-Name", "reed", "acoustic", 60, 100), ("x", "reed", "plastic", 60, 100),
                ("x", "reed", "acoustic", 128, 100), ("x", "reed", "acoustic", 60, 0)]:
        with pytest.raises(ValueError):
            note_metadata(*bad)


@pytest.mark.parametrize("content,message", [
    ("{not json", "corrupt JSON"), ("[1, 2]", "JSON object"), ('{"a": {"pitch": 1}}', "lacks"),
    ('{"../x": {"note_str": "../x", "instrument_str": "../x", "instrument_family_str": "bass", "pitch": 1, "velocity": 1}}', "unsafe"),
])
def test_bad_examples_json(tmp_path, content, message):
    (tmp_path / "examples.json").write_text(content)
    with pytest.raises(DatasetError, match=message):
        read_examples(tmp_path)


def test_missing_layout_and_missing_audio(tmp_path, official):
    with pytest.raises(DatasetError, match="not an NSynth-layout folder"):
        read_examples(tmp_path / "audio")
    (official / "audio" / "bass_synthetic_033-022-050.wav").unlink()
    with pytest.raises(Exception, match="bass_synthetic_033-022-050.wav"):
        list(iter_notes(official))


def test_slug_makes_names_safe():
    assert slug("../../etc/passwd") == "etc_passwd"
    assert slug("Mé Voice (take 2)") == "m_voice_take_2"
    assert slug("!!!") == "sound" and len(slug("a" * 500)) == 48

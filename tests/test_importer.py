import json

import numpy as np
import pytest
import soundfile as sf
from conftest import SR, tone, write

from timbral.cli import main
from timbral.data.importer import import_folder, velocity_from_loudness


def test_velocity_follows_loudness():
    loud, soft = velocity_from_loudness(tone(amp=0.9)), velocity_from_loudness(tone(amp=0.01))
    assert 100 < loud <= 127 and 1 <= soft < 60


def test_import_a_folder_of_own_notes(tmp_path, capsys):
    src = tmp_path / "mine"
    write(src / "voice" / "me_A3.wav", tone(220, seconds=3))
    write(src / "voice" / "me_C4.flac", tone(261.63, seconds=3), format="FLAC")
    write(src / "synth" / "lead" / "whatever.ogg", tone(440, seconds=3), format="OGG", subtype="VORBIS")
    write(src / "rootnote.wav", tone(330, seconds=2))
    write(src / "voice" / "noise.wav", np.random.default_rng(1).uniform(-0.5, 0.5, SR).astype(np.float32))
    write(src / "voice" / "silence.wav", np.zeros(SR, np.float32))
    write(src / "voice" / "me_a3.wav", tone(220, seconds=3))  # same instrument, pitch and loudness as me_A3
    (src / "voice" / "notes.txt").write_text("not audio")
    write(src / "voice" / "'; rm -rf ~ <x> A2.wav", tone(110, seconds=2))
    (src / ".hidden").mkdir()
    write(src / ".hidden" / "a.wav", tone())

    out = tmp_path / "dataset"
    assert main(["import", str(src), "--out", str(out), "--source", "electronic"]) == 0
    examples = json.loads((out / "examples.json").read_text())
    by_file = {m["original_file"]: m for m in examples.values()}
    assert set(by_file) == {"voice/me_A3.wav", "voice/me_C4.flac", "synth/lead/whatever.ogg", "rootnote.wav",
                            "voice/'; rm -rf ~ <x> A2.wav", "voice/noise.wav"}
    assert (by_file["voice/noise.wav"]["pitch"], by_file["voice/noise.wav"]["pitched"]) == (60, False)  # kept, flagged
    assert by_file["voice/me_A3.wav"]["pitched"] is True
    assert by_file["voice/me_A3.wav"]["instrument_str"] == by_file["voice/me_C4.flac"]["instrument_str"] == "voice_electronic_me"
    assert (by_file["voice/me_A3.wav"]["pitch"], by_file["voice/me_C4.flac"]["pitch"]) == (57, 60)
    assert by_file["synth/lead/whatever.ogg"]["pitch"] == 69  # detected
    assert by_file["synth/lead/whatever.ogg"]["instrument_str"] == "synth_electronic_lead"
    assert by_file["rootnote.wav"]["instrument_family_str"] == "other"
    assert by_file["voice/'; rm -rf ~ <x> A2.wav"]["instrument_str"] == "voice_electronic_rm_rf_x"
    ids = {m["instrument_family_str"]: m["instrument_family"] for m in examples.values()}
    assert len(set(ids.values())) == len(ids) and min(ids.values()) >= 12  # user families after NSynth's
    for key in examples:
        info = sf.info(out / "audio" / f"{key}.wav")
        assert (info.samplerate, info.frames) == (SR, 4 * SR)
    printed = capsys.readouterr().out
    for name, reason in [("unpitched voice/noise.wav", "no clear pitch, imported at C4"), ("silence.wav", "silent"),
                         ("notes.txt", "not a readable audio file"),
                         ("me_a3.wav", "same instrument, pitch and velocity as voice/me_A3.wav")]:
        assert any(name in line and reason in line for line in printed.splitlines()), (name, printed)
    assert ".hidden" not in printed


def test_import_errors(tmp_path):
    with pytest.raises(NotADirectoryError):
        import_folder(tmp_path / "missing", tmp_path / "out")
    with pytest.raises(ValueError, match="source"):
        import_folder(tmp_path, tmp_path / "out", source="plastic")
    assert main(["import", str(tmp_path / "missing"), "--out", str(tmp_path / "out")]) == 2

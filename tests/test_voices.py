"""Voices: Festival's diphone voices singing vowels at exact pitches, as a source of the dataset and the library."""

import json

import librosa
import numpy as np
import pytest
import soundfile as sf

from timbral.cli import main
from timbral.data.default import default_sources, has_voices
from timbral.data.nsynth import audio_path, read_examples, source_of
from timbral.data.voices import LOUD_RMS_DB, VOICES, VoiceError, check_voices, render_voices, sing, voice_note
from timbral.settings import SAMPLE_RATE


@pytest.fixture(scope="module")
def sung(tmp_path_factory):
    """Leena (Finnish, female) singing her five vowels at two pitches, loud and soft."""
    out = tmp_path_factory.mktemp("voices")
    report = render_voices(out, voices=["lj"], pitches_per_instrument=2, velocities="50,100", workers=1, progress=False)
    return out, report


def _sounding_rms_db(y: np.ndarray) -> float:
    s = y[np.abs(y) > 1e-3 * np.abs(y).max()].astype(np.float64)
    return 10 * np.log10(np.mean(s**2))


def test_each_vowel_is_an_instrument_of_the_vocal_family_at_its_pitches(sung):
    out, report = sung
    examples = read_examples(out)
    assert len(report.written) == len(examples) == 5 * 2 * 2 and not report.dropped
    assert {m["instrument_str"] for m in examples.values()} == {f"vocal_acoustic_festival_lj_{v}" for v in "aeiou"}
    assert {m["instrument_family_str"] for m in examples.values()} == {"vocal"}
    assert {source_of(m) for m in examples.values()} == {"suo_fi_lj_diphone"}
    assert all(50 <= m["pitch"] <= 70 for m in examples.values())
    meta = examples["vocal_acoustic_festival_lj_a-" + next(iter(examples)).split("-", 1)[1]]
    assert "Leena" in meta["instrument_name"] and "“a”" in meta["instrument_name"]
    assert has_voices(examples) and not has_voices({"x": {"synth": "timbral-synth"}})


def test_a_sung_note_holds_its_pitch_for_3_s_then_is_silent(sung):
    out, _ = sung
    for name, meta in list(read_examples(out).items())[::5]:
        y, sr = sf.read(audio_path(out, name), dtype="float32")
        assert sr == SAMPLE_RATE and len(y) == 4 * SAMPLE_RATE
        f0, voiced, _ = librosa.pyin(y[: 2 * sr], fmin=80, fmax=600, sr=sr, frame_length=4096, hop_length=1024)
        assert voiced.mean() > 0.8
        assert abs(float(np.median(librosa.hz_to_midi(f0[voiced]))) - meta["pitch"]) < 0.25
        assert np.abs(y[int(3.05 * sr):]).max() < 1e-3  # released: nothing after the vowel
        assert np.abs(y[: int(2.5 * sr)]).max() > 0.05  # sounding for most of its 3 s


def test_velocity_sets_the_level_on_a_velocity_curve(sung):
    out, _ = sung
    examples = read_examples(out)
    for name in [n for n in examples if n.endswith("-100")][:3]:
        loud = sf.read(audio_path(out, name), dtype="float32")[0]
        soft = sf.read(audio_path(out, name[:-3] + "050"), dtype="float32")[0]
        assert _sounding_rms_db(loud) == pytest.approx(LOUD_RMS_DB + 40 * np.log10(100 / 127), abs=0.5)
        assert _sounding_rms_db(loud) - _sounding_rms_db(soft) == pytest.approx(40 * np.log10(100 / 50), abs=0.5)


def test_a_pitch_festival_cannot_sing_is_left_out_and_the_rest_sung(tmp_path):
    folder = tmp_path / 'it\'s "quoted" \\ here'  # the folder's name goes into Festival's script as text
    folder.mkdir()
    files = sing(VOICES["kal"], "o", [30, 48, 52], folder)
    assert sorted(files) == [48, 52]  # MIDI 30 lies below what the singing mode renders
    y = voice_note(files[48], 100)
    assert y.dtype == np.float32 and len(y) == 4 * SAMPLE_RATE and np.abs(y).max() < 0.99


def test_bad_arguments_are_refused_with_a_clear_error(tmp_path):
    with pytest.raises(ValueError, match="unknown voices"):
        render_voices(tmp_path, voices=["nobody"])
    with pytest.raises(ValueError, match="pitches_per_instrument"):
        render_voices(tmp_path, voices=["kal"], pitches_per_instrument=0)
    with pytest.raises(ValueError, match="audio format"):
        render_voices(tmp_path, voices=["kal"], audio_format="mp3")
    with pytest.raises(ValueError, match="velocities"):
        render_voices(tmp_path, voices=["kal"], velocities="0")
    assert not (tmp_path / "examples.json").exists()


def test_a_missing_festival_names_the_package_to_install(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(VoiceError, match="install Debian's festival"):
        check_voices(["kal"])
    assert main(["data", "voices", "--out", str(tmp_path / "v")]) == 2
    assert "install Debian's festival" in capsys.readouterr().err and not (tmp_path / "v").exists()


def test_the_library_has_voices_and_the_training_dataset_has_them_on_request():
    assert "voices" not in default_sources(10) and "voices" in default_sources(10, voices=True)


def test_cli_renders_voices_with_one_held_out(tmp_path, capsys):
    out = tmp_path / "voices"
    assert main(["data", "voices", "--out", str(out), "--voices", "kal,lp", "--pitches-per-instrument", "1",
                 "--velocities", "100", "--hold-out-voice", "lp", "--workers", "1"]) == 0
    assert "test: all of lp" in capsys.readouterr().out
    split = json.loads((out / "split.json").read_text())
    examples = read_examples(out)
    assert sorted(split["test"]) == sorted({m["instrument_str"] for m in examples.values() if m["voice"] == "lp_diphone"})
    assert len(examples) == 10


@pytest.mark.parametrize("argv, message", [
    (["--voices", "nobody"], "voices must be some of"),
    (["--voices", ","], "voices must be some of"),
    (["--hold-out-voice", "zz"], "invalid choice"),
    (["--pitches-per-instrument", "many"], "invalid int value"),
])
def test_cli_refuses_bad_voices_arguments(tmp_path, capsys, argv, message):
    with pytest.raises(SystemExit) as e:
        main(["data", "voices", "--out", str(tmp_path / "v"), *argv])
    assert e.value.code == 2 and message in capsys.readouterr().err
    assert not (tmp_path / "v").exists()


def test_setup_installs_every_voice():
    from pathlib import Path

    from timbral.data.voices import VOICE_PACKAGES

    setup = (Path(__file__).parent.parent / "scripts" / "setup").read_text()
    assert all(package in setup for package in VOICE_PACKAGES)


def test_a_default_library_built_before_the_voices_gets_them(sung, tiny_dataset, tmp_path, monkeypatch):
    from types import SimpleNamespace

    from timbral.studio import prepare

    preparation = prepare.Preparation(SimpleNamespace(library_dir=tiny_dataset), sounds=None)
    monkeypatch.setattr(prepare, "default_library_dir", lambda: tmp_path)
    assert not preparation._lacks_voices()  # a library the user named is theirs: nothing is added to it
    monkeypatch.setattr(prepare, "default_library_dir", lambda: tiny_dataset)
    assert preparation._lacks_voices()
    with_voices = SimpleNamespace(library_dir=sung[0])
    monkeypatch.setattr(prepare, "default_library_dir", lambda: sung[0])
    assert not prepare.Preparation(with_voices, sounds=None)._lacks_voices()

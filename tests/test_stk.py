"""Physical models: the Synthesis ToolKit's instruments rendered through stk-demo as a source of notes."""

import librosa
import numpy as np
import pytest
import soundfile as sf

from timbral.cli import main
from timbral.data.nsynth import audio_path, read_examples, source_of
from timbral.data.stk import MODELS, PEAK, make_stk_instruments, render_stk, render_stk_notes
from timbral.settings import SAMPLE_RATE


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    out = tmp_path_factory.mktemp("stk")
    report = render_stk(out, models=["Clarinet", "Bowed", "ModalBar"], instruments_per_model=2, pitches_per_instrument=2,
                        velocities="50,100", workers=1, progress=False)
    return out, report


def test_each_model_gives_instruments_of_its_family_with_their_own_controls():
    instruments = make_stk_instruments(instruments_per_model=3)
    by_model = {m: [i for i in instruments if i.model == m] for m in MODELS}
    assert len(by_model["Clarinet"]) == 3 and len(by_model["Sitar"]) == 1  # Sitar has no controls to draw
    assert by_model["Clarinet"][0].controls == ()  # the first plays STK's own settings
    assert len({i.controls for i in by_model["Clarinet"]}) == 3
    assert {i.controls[0] for i in by_model["ModalBar"]} == {(16, 0), (16, 1), (16, 4)}  # marimba, vibraphone, reso
    assert make_stk_instruments(3) == make_stk_instruments(3)  # seeded
    assert make_stk_instruments(3, seed=1) != make_stk_instruments(3)


def test_notes_play_in_tune_for_3_s_then_release(rendered):
    out, report = rendered
    examples = read_examples(out)
    assert len(examples) == len(report.written) == 3 * 2 * 2 * 2 and not report.dropped
    assert {source_of(m) for m in examples.values()} == {"stk"}
    assert {m["instrument_family_str"] for m in examples.values()} == {"reed", "string", "mallet"}
    for name, meta in examples.items():
        y, sr = sf.read(audio_path(out, name), dtype="float32")
        assert sr == SAMPLE_RATE and len(y) == 4 * sr
        if meta["engine"] == "Clarinet" and meta["velocity"] == 100:
            f0, voiced, _ = librosa.pyin(y[sr // 2: 2 * sr], fmin=100, fmax=2000, sr=sr, frame_length=4096, hop_length=1024)
            assert abs(float(np.median(librosa.hz_to_midi(f0[voiced]))) - meta["pitch"]) < 0.3
            assert np.abs(y[int(3.5 * sr):]).max() < 0.1 * np.abs(y[: 3 * sr]).max()  # released


def test_an_instruments_loudest_note_sets_its_level_and_velocity_is_kept(rendered):
    out, _ = rendered
    examples = read_examples(out)
    peaks = {n: float(np.abs(sf.read(audio_path(out, n), dtype="float32")[0]).max()) for n in examples}
    for instrument in {m["instrument_str"] for m in examples.values()}:
        loud = [p for n, p in peaks.items() if examples[n]["instrument_str"] == instrument and n.endswith("-100")]
        soft = [p for n, p in peaks.items() if examples[n]["instrument_str"] == instrument and n.endswith("-050")]
        assert max(loud) == pytest.approx(PEAK, abs=2e-4)  # 16-bit rounding
        assert np.mean(soft) < np.mean(loud)


def test_a_score_renders_one_clip_per_note():
    # Rhodey (FM) draws no noise: Plucked's noise burst, seeded by STK from the clock, made a soft pluck's peak
    # reach a loud one's in one CI run
    clips = render_stk_notes(make_stk_instruments(1, models=["Rhodey"])[0], [(48, 100), (60, 100), (72, 20)])
    assert len(clips) == 3 and all(c.shape == (4 * SAMPLE_RATE,) and c.dtype == np.float32 for c in clips)
    assert np.abs(clips[2]).max() < np.abs(clips[1]).max()  # the soft one is softer


def test_bad_arguments_are_refused(tmp_path):
    with pytest.raises(ValueError, match="unknown STK models"):
        render_stk(tmp_path, models=["Theremin"])
    with pytest.raises(ValueError, match="instruments_per_model"):
        render_stk(tmp_path, instruments_per_model=0)
    with pytest.raises(ValueError, match="pitches_per_instrument"):
        render_stk(tmp_path, pitches_per_instrument=200)
    with pytest.raises(ValueError, match="velocities"):
        render_stk(tmp_path, velocities="0,300")
    assert not (tmp_path / "examples.json").exists()


def test_missing_stk_names_the_package(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("PATH", "/nonexistent")
    assert main(["data", "stk", "--out", str(tmp_path / "s"), "--models", "Sitar"]) == 2
    assert "install Debian's stk" in capsys.readouterr().err and not (tmp_path / "s").exists()


def test_cli_renders_chosen_models(tmp_path, capsys):
    assert main(["data", "stk", "--out", str(tmp_path / "s"), "--models", "Sitar,Plucked", "--pitches-per-instrument", "1",
                 "--velocities", "100", "--workers", "1"]) == 0
    assert "guitar" in capsys.readouterr().out and len(read_examples(tmp_path / "s")) == 2


@pytest.mark.parametrize("argv, message", [
    (["--models", "Theremin"], "models must be some of"),
    (["--instruments-per-model", "x"], "invalid int value"),
])
def test_cli_refuses_bad_arguments(tmp_path, capsys, argv, message):
    with pytest.raises(SystemExit) as e:
        main(["data", "stk", "--out", str(tmp_path / "s"), *argv])
    assert e.value.code == 2 and message in capsys.readouterr().err

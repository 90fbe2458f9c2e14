from pathlib import Path

import numpy as np
import pytest

from timbral.phase import METHODS, pghi, reconstruct, spectral_convergence
from timbral.settings import SAMPLE_RATE
from timbral.spectral import SpectralSettings, stft

SR = SAMPLE_RATE
T = np.arange(4 * SR) / SR


def harmonic(f0=220.0):
    y = sum(np.sin(2 * np.pi * k * f0 * T + k) / k for k in range(1, 8)) * np.exp(-0.7 * T)
    return (0.3 * y).astype(np.float32)


SIGNALS = {
    "sinusoid": (0.5 * np.sin(2 * np.pi * 440 * T)).astype(np.float32),
    "chord": sum(0.2 * np.sin(2 * np.pi * f * T) for f in (261.6, 329.6, 392.0)).astype(np.float32),
    "chirp": (0.5 * np.sin(2 * np.pi * (100 * T + 400 * T**2))).astype(np.float32),
    "impulses": np.where(np.arange(4 * SR) % 2400 == 0, 0.9, 0.0).astype(np.float32),
    "noise": np.random.default_rng(0).uniform(-0.3, 0.3, 4 * SR).astype(np.float32),
    "harmonic": harmonic(),
}


def mag(y):
    return stft(y).abs().numpy()


@pytest.mark.parametrize("name", SIGNALS)
@pytest.mark.parametrize("method", METHODS)
def test_every_method_returns_audio_of_the_right_shape(name, method):
    y = reconstruct(mag(SIGNALS[name]), method=method, n_iter=4)
    assert y.shape == (4 * SR,) and y.dtype == np.float32 and np.all(np.isfinite(y))


def test_pghi_fgla_rebuilds_a_harmonic_tone_well():
    S = mag(harmonic())
    sc = {m: float(spectral_convergence(reconstruct(S, method=m), S)) for m in METHODS}
    assert sc["pghi+fgla"] < -35
    assert sc["pghi"] < sc["zero"] - 15  # PGHI alone is far better than zero phase
    assert sc["pghi+fgla"] < sc["griffinlim"] - 5  # a good start beats a random one


def test_pghi_phase_matches_the_true_phase_derivative():
    X = stft(SIGNALS["chirp"]).numpy()
    phase = pghi(np.abs(X)[None])[0]
    loud = np.abs(X) > np.abs(X).max() * 0.1
    true_step = np.angle(X[:, 1:] * np.conj(X[:, :-1]))  # phase advance per frame
    our_step = np.angle(np.exp(1j * (phase[:, 1:] - phase[:, :-1])))
    err = np.abs(np.angle(np.exp(1j * (true_step - our_step))))[loud[:, 1:] & loud[:, :-1]]
    assert np.median(err) < 0.15


def test_batches_match_single_items_and_are_deterministic():
    S = np.stack([mag(SIGNALS["harmonic"]), mag(SIGNALS["chord"])])
    batch = reconstruct(S)
    assert batch.shape == (2, 4 * SR)
    single = reconstruct(S[1])
    # the same to rounding: a batched FFT rounds differently from a single one on some CPUs, and 32 passes of fast
    # Griffin-Lim (momentum 0.99) carry that to -73 dB; a batch that mixed its notes would be at 0 dB
    assert np.linalg.norm(batch[1] - single) < 1e-3 * np.linalg.norm(single)
    a, b = reconstruct(S, method="griffinlim", seed=3, n_iter=4), reconstruct(S, method="griffinlim", seed=3, n_iter=4)
    assert np.array_equal(a, b)
    assert not np.array_equal(a, reconstruct(S, method="griffinlim", seed=4, n_iter=4))
    assert np.array_equal(reconstruct(S), batch)


def test_silence_and_very_short_input():
    assert np.all(reconstruct(np.zeros((1537, 251), np.float32)) == 0)
    short = mag(SIGNALS["harmonic"][:900])  # 2 frames
    for method in METHODS:
        y = reconstruct(short, method=method, n_iter=2)
        assert y.ndim == 1 and y.size >= 1 and np.all(np.isfinite(y))
    one = reconstruct(np.ones((1537, 1), np.float32))
    assert one.size >= 1 and np.all(np.isfinite(one))


def test_torch_input_and_other_settings():
    s = SpectralSettings(n_fft=2048, hop_length=512)
    S = stft(SIGNALS["harmonic"], s).abs()
    y = reconstruct(S, s)
    assert float(spectral_convergence(y, S, s)) < -30


@pytest.mark.parametrize("bad,message", [
    (np.full((1537, 10), np.nan, np.float32), "NaN"),
    (np.full((1537, 10), np.inf, np.float32), "NaN or infinite"),
    (-np.ones((1537, 10), np.float32), "non-negative"),
    (np.ones((100, 10), np.float32), "bins"),
    (np.ones(1537, np.float32), "shape"),
    (np.ones((1537, 0), np.float32), "no frames"),
    ([["a"]], "numbers"),
])
def test_bad_magnitudes_raise_clear_errors(bad, message):
    with pytest.raises(ValueError, match=message):
        reconstruct(bad)


def test_unknown_method():
    with pytest.raises(ValueError, match="method must be one of"):
        reconstruct(np.ones((1537, 4), np.float32), method="magic")


def test_resynth_cli_rebuilds_any_file(tmp_path, capsys):
    import json

    import soundfile as sf

    from timbral.cli import main

    src = tmp_path / "in"
    src.mkdir()
    sf.write(src / "tone.flac", SIGNALS["harmonic"], SR, format="FLAC")
    sf.write(src / "tone.mp3", np.stack([SIGNALS["harmonic"]] * 2, axis=1), 44100, format="MP3", subtype="MPEG_LAYER_III")
    assert main(["resynth", str(src / "tone.flac"), str(src / "tone.mp3"), "--out", str(tmp_path / "out"), "--json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [Path(r["out"]).name for r in rows] == ["tone.wav", "tone_.wav"]  # same stem, no overwrite
    assert all(r["spectral_convergence_db"] < -25 and r["seconds"] > 0 and r["method"] == "pghi+fgla" for r in rows)
    assert sf.info(rows[0]["out"]).frames == 4 * SR
    assert main(["resynth", str(src / "tone.flac"), "--out", str(tmp_path / "z"), "--method", "zero", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["spectral_convergence_db"] > -5


def test_resynth_cli_bad_input_writes_nothing(tmp_path, capsys):
    from timbral.cli import main

    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"RIFF....WAVEnot really")
    good = tmp_path / "good.wav"
    import soundfile as sf

    sf.write(good, SIGNALS["harmonic"], SR)
    assert main(["resynth", str(good), str(bad), "--out", str(tmp_path / "out")]) == 2
    assert "bad.wav" in capsys.readouterr().err and not (tmp_path / "out").exists()


@pytest.mark.parametrize("semitones", [7, -5, -12, 19])
def test_a_transposed_note_is_in_tune_at_its_level_and_keeps_its_timing(semitones):
    from timbral.phase import transposed

    y = harmonic(220.0)
    moved = transposed(mag(y)[None], semitones, n_iter=4)[0]
    assert moved.shape == y.shape
    peak_hz = np.argmax(np.abs(np.fft.rfft(moved[: 2 * SR]))) / 2  # the fundamental, at 0.5 Hz
    assert 1200 * abs(np.log2(peak_hz / (220 * 2 ** (semitones / 12)))) < 5  # cents
    rms = lambda v: np.sqrt(np.mean(v.reshape(40, -1) ** 2, axis=1))  # noqa: E731  (per 100 ms)
    assert np.corrcoef(rms(moved), rms(y))[0, 1] > 0.99  # it decays as the original did, not faster or slower
    assert abs(20 * np.log10(rms(moved)[5:20].mean() / rms(y)[5:20].mean())) < 1.5  # at its level (dB)

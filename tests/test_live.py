"""The live instrument for nn~: the TorchScript file read back as nn~'s backend reads it (methods and their
``_params``, attributes, their getters and setters, the sample rate) and played as nn~ plays it, buffer by
buffer under inference mode, one voice and four, at nn~'s buffer sizes."""

import numpy as np
import pytest
import torch

from timbral.exports.nn import GAIN_DB, MAX_ITERATIONS, MAX_TIMBRES, RELEASE, export_live
from timbral.model import load_model
from timbral.phase import PLAY_ITERATIONS

LATENT = 8  # the tiny model's
CONTROLS = 3  # pitch, velocity, gate


@pytest.fixture(scope="module")
def model(tiny_model):
    return load_model(tiny_model)


@pytest.fixture(scope="module")
def timbres():
    return torch.randn(2, LATENT, generator=torch.Generator().manual_seed(1))


@pytest.fixture(scope="module")
def file(model, timbres, tmp_path_factory):
    return export_live(model, tmp_path_factory.mktemp("live") / "tiny.ts", timbres, iterations=2)


@pytest.fixture
def live(file):
    return torch.jit.load(str(file))


def signals(samples: int, voices: int = 1, *, pitch=60.0, velocity=100.0, gate=(), latent=None) -> torch.Tensor:
    """What nn~ hands a method: ``(voices, channels, samples)``; ``gate`` holds each voice's (on, off) samples."""
    x = torch.zeros(voices, CONTROLS + LATENT, samples)
    x[:, 0], x[:, 1] = pitch, velocity
    for voice, (on, off) in enumerate(gate):
        x[voice, 2, on:off] = 1.0
    if latent is not None:
        x[:, CONTROLS:] = torch.as_tensor(latent, dtype=torch.float32)[None, :, None]
    return x


def perform(live, x: torch.Tensor, buffer: int, method: str = "decode") -> np.ndarray:
    """Play ``x`` through ``live`` from silence as nn~ does: a buffer at a time, under inference mode; ``(voices, samples)``."""
    live.reset(0)
    out = []
    with torch.inference_mode():
        for start in range(0, x.shape[-1], buffer):
            y = getattr(live, method)(x[..., start : start + buffer])
            assert y.dtype == torch.float32 and y.shape == (x.shape[0], 1, min(buffer, x.shape[-1] - start))
            out.append(y[:, 0])
    return torch.cat(out, -1).numpy()


def test_methods_and_their_params_as_nn_tilde_reads_them(live):
    assert live.get_methods() == ["decode", "forward"]
    for method in ("decode", "forward"):
        assert getattr(live, f"{method}_params").tolist() == [CONTROLS + LATENT, 1, 1, 1]  # channels, ratio in and out
        labels = getattr(live, f"{method}_input_labels")
        assert len(labels) == CONTROLS + LATENT and "pitch" in labels[0] and "gate" in labels[2]
        assert getattr(live, f"{method}_output_labels") == ["(signal) audio"]


def test_attributes_typed_read_and_set_as_nn_tilde_does(live):
    assert live.get_attributes() == ["timbre", "release", "gain", "iterations", "rate"]
    types = {"timbre": 2, "release": 2, "gain": 2, "iterations": 1, "rate": 1}  # nn~'s type ids: 1 int, 2 float
    for name, type_id in types.items():
        assert getattr(live, f"{name}_params").tolist() == [type_id]
    assert live.get_timbre() == [0.0] and live.get_release() == [RELEASE] and live.get_gain() == [GAIN_DB]
    assert live.get_iterations() == [2]
    assert live.set_timbre(0.5) == 0 and live.get_timbre() == [0.5]
    assert live.set_release(1.5) == 0 and live.get_release() == [1.5]
    assert live.set_gain(-12.0) == 0 and live.get_gain() == [-12.0]
    assert live.set_iterations(4) == 0 and live.get_iterations() == [4]
    for setter, bad in (("set_timbre", 1.5), ("set_timbre", -0.1), ("set_timbre", float("nan")), ("set_release", -1.0),
                        ("set_release", float("inf")), ("set_gain", 100.0), ("set_gain", float("nan")),
                        ("set_iterations", -1), ("set_iterations", MAX_ITERATIONS + 1)):
        assert getattr(live, setter)(bad) == -1, (setter, bad)  # nn~ reports "setter returned -1"
    assert live.get_timbre() == [0.5] and live.get_release() == [1.5] and live.get_gain() == [-12.0]
    assert live.get_iterations() == [4]


def test_the_sample_rate_nn_tilde_announces(live):
    assert live.get_sample_rate() == 48000  # the model's own, until nn~ says
    live.set_sample_rate(44100)
    assert live.get_sample_rate() == 44100
    for bad in (0, -48000, 10**7):
        live.set_sample_rate(bad)
        assert live.get_sample_rate() == 44100  # ignored: nothing nn~ could report
    y = perform(live, signals(8192, gate=[(0, 8192)]), 4096)
    assert np.abs(y).max() > 0


@pytest.mark.parametrize("buffer", [512, 2048, 4096, 8192])
def test_one_voice_and_four_at_nn_tilde_buffer_sizes(live, buffer):
    live.set_sample_rate(48000)
    edges = [(100, None), (1000, 9000), (5000, None)]
    y = perform(live, signals(16384, voices=4, gate=edges), buffer)
    assert y.shape == (4, 16384) and np.isfinite(y).all()
    for voice, (on, _) in enumerate(edges):
        assert not y[voice, :on].any() and np.abs(y[voice, on : on + 256]).max() > 0  # the note starts at its gate's sample
    assert not y[3].any()  # a voice never gated stays silent
    one = perform(live, signals(16384, gate=edges[:1]), buffer)
    np.testing.assert_array_equal(one[0], y[0])  # voices are independent


def test_a_note_is_the_same_whatever_the_buffer_size(live):
    live.set_sample_rate(44100)
    x = signals(3 * 4096, voices=2, gate=[(300, 9000), (4100, None)])
    whole = perform(live, x, 4096)
    np.testing.assert_allclose(perform(live, x, 512), whole, atol=1e-6)  # a release's ramp, summed in other steps
    np.testing.assert_allclose(perform(live, x, 2048, method="forward"), whole, atol=1e-6)


def test_a_falling_gate_fades_the_note_over_the_release(live):
    live.set_sample_rate(48000)
    assert live.set_release(0.1) == 0
    held, released = (perform(live, signals(48000, gate=[(0, off)]), 2048)[0] for off in (48000, 12000))
    np.testing.assert_array_equal(released[:12000], held[:12000])
    assert np.abs(released[12000:16800]).max() > 0 and not released[16801:].any()  # 0.1 s at 48 kHz
    fade = released[12000:16800] / np.where(held[12000:16800] == 0, 1, held[12000:16800])
    assert np.all(np.diff(fade[held[12000:16800] != 0]) <= 1e-6)


def test_a_new_note_starts_afresh_while_the_old_one_fades_out(live):
    live.set_sample_rate(48000)
    fresh = perform(live, signals(24000, gate=[(0, 24000)]), 2048)[0]
    x = signals(36000, gate=[(0, 9000)])
    x[0, 2, 12000:] = 1.0
    again = perform(live, x, 2048)[0]
    fade = 240  # 5 ms at 48 kHz: the first note's tail, crossfading into the new one
    np.testing.assert_allclose(again[12000 + fade : 36000], fresh[fade:24000], atol=1e-6)
    assert np.abs(again[12000 : 12000 + fade] - fresh[:fade]).max() > 0


def test_the_timbre_attribute_moves_between_the_timbres_as_the_latent_inlets_do(live, timbres):
    live.set_sample_rate(48000)
    x = signals(4096, gate=[(0, 4096)])
    assert live.set_timbre(0.5) == 0
    halfway = perform(live, x, 4096)[0]
    assert live.set_timbre(0.0) == 0
    first = perform(live, x, 4096)[0]
    moved = perform(live, signals(4096, gate=[(0, 4096)], latent=(timbres[1] - timbres[0]) / 2), 4096)[0]
    np.testing.assert_allclose(moved, halfway, atol=1e-4)
    assert np.abs(first - halfway).max() > 1e-3


def test_wild_signals_play_safe_numbers(live):
    live.set_sample_rate(48000)
    x = signals(4096, gate=[(0, 4096)], pitch=127.0, velocity=1.0)
    reference = perform(live, x, 4096)
    x[:, 0], x[:, 1] = 1000.0, -5.0  # pitch above MIDI's range, velocity below it
    np.testing.assert_array_equal(perform(live, x, 4096), reference)
    x[:, CONTROLS:, :10] = float("nan")
    x[:, 0, :10], x[:, 1, :10], x[:, 2, 5] = float("inf"), float("nan"), float("nan")
    y = perform(live, x, 4096)
    assert np.isfinite(y).all() and np.abs(y).max() > 0


def test_a_model_that_renders_audio_plays_its_own_audio(timbres, tmp_path):
    from timbral.model import ModelConfig, TimbreVAE

    torch.manual_seed(0)
    voice = TimbreVAE(ModelConfig(latent_dim=LATENT, channels=32, synthesis="audio")).eval()
    live = torch.jit.load(str(export_live(voice, tmp_path / "voice.ts", timbres)))
    live.set_sample_rate(48000)
    played = perform(live, signals(8192, pitch=57.0, velocity=90.0, gate=[(0, 8192)]), 2048)[0]
    own = voice.rendered(timbres[:1], torch.tensor([57.0]), torch.tensor([90.0]))[0, :8192] * 10.0 ** (GAIN_DB / 20.0)
    assert np.abs(own).max() > 1e-3  # a note, not silence
    np.testing.assert_allclose(played, own, atol=1e-5)  # the decoder's audio itself, no phase rebuilt


def test_export_refuses_what_nn_tilde_could_not_play(model, tmp_path):
    with pytest.raises(ValueError, match=r"\.ts"):
        export_live(model, tmp_path / "x.pt", torch.zeros(1, LATENT))
    for bad in (torch.zeros(0, LATENT), torch.full((1, LATENT), float("nan")), torch.zeros(MAX_TIMBRES + 1, LATENT)):
        with pytest.raises(ValueError, match="timbres"):
            export_live(model, tmp_path / "x.ts", bad)
    with pytest.raises(ValueError, match="iterations"):
        export_live(model, tmp_path / "x.ts", torch.zeros(1, LATENT), iterations=MAX_ITERATIONS + 1)
    assert not list(tmp_path.iterdir())


def test_export_nn_from_the_command_line(run, tmp_path, tiny_library):
    from timbral import Timbral

    names = [s.name for s in Timbral.load(library=tiny_library).library.sounds[:2]]
    out = tmp_path / "we ird; $(name) ✓" / "live.ts"
    code, stdout, _ = run("export-nn", *names, "--out", out)
    assert code == 0 and out.is_file() and "timbre 1: " + names[1] in stdout and "set timbre" in stdout
    live = torch.jit.load(str(out))
    assert live.timbres.shape == (2, LATENT) and live.get_iterations() == [PLAY_ITERATIONS]
    code, stdout, _ = run("export-nn", "--out", tmp_path / "centre.ts", "--iterations", "0")
    assert code == 0 and "centre of the timbre space" in stdout
    assert not torch.jit.load(str(tmp_path / "centre.ts")).timbres.any()
    for argv, message in ((["--out", tmp_path / "x.wav"], ".ts"), (["no_such_sound", "--out", tmp_path / "x.ts"], "no_such_sound"),
                          (["--out", tmp_path / "x.ts", "--iterations", "65"], "iterations"),
                          ([tmp_path / "missing.wav", "--out", tmp_path / "x.ts"], "missing.wav")):
        code, _, stderr = run("export-nn", *argv)
        assert code == 2 and message in stderr, stderr
    assert not (tmp_path / "x.ts").exists()


def in_tune_model(tmp_path):
    """A tiny model whose decoder plays a plain harmonic tone at whatever pitch it is asked (its first three
    harmonics loud, everything else silent), so what a host hears can be tuned to the cent."""
    from timbral.model import ModelConfig, TimbreVAE

    torch.manual_seed(0)
    model = TimbreVAE(ModelConfig(latent_dim=LATENT, channels=32, harmonic_noise=True, bounds={"lo": -80.0, "hi": 40.0})).eval()
    core = model.config.spectral_settings.core_bins
    with torch.no_grad():
        for head in (model.decoder.out, model.decoder.high):
            head.weight.zero_()
            head.bias.fill_(-30.0)
        model.decoder.out.bias[core : core + 3] = 8.0
    return model


def heard_hz(y: np.ndarray, sr: int) -> float:
    """The fundamental of a steady tone: the spectral peak of a second of it, refined by a parabola in log magnitude."""
    seg = y[sr // 4 : sr // 4 + sr] * np.hanning(sr)
    spectrum = np.log(np.abs(np.fft.rfft(seg, 8 * sr)) + 1e-12)
    k = int(np.argmax(spectrum[8 * 150 : 8 * 400])) + 8 * 150  # 150-400 Hz: where the fundamental of middle C lies
    a, b, c = spectrum[k - 1 : k + 2]
    return (k + 0.5 * (a - c) / (a - 2 * b + c)) * sr / (8 * sr)


@pytest.mark.parametrize("host", [44100, 48000])
def test_in_tune_and_as_long_in_nn_tildes_own_call_order(tmp_path, host):
    """nn~ 1.6 loads a module and calls set_sample_rate before it counts the model as loaded, so the call never
    arrives: exported for the host's rate, the module plays in tune and 4 s long without it; exported for another
    rate it plays wrong until told with 'set rate' (an attribute nn~ sets), then in tune."""
    model = in_tune_model(tmp_path)
    x = signals(int(4.5 * host), gate=[(0, 3 * host)])  # middle C, held 3 s
    c4 = 440.0 * 2 ** (-9 / 12)
    for exported, told in ((host, False), (48000 if host == 44100 else 44100, True)):
        live = torch.jit.load(str(export_live(model, tmp_path / f"m{exported}.ts", torch.zeros(1, LATENT), sample_rate=exported)))
        # nn~'s order: load (set_sample_rate not called: nn~ is not yet "loaded"), methods and attributes read, then play
        assert live.get_methods() == ["decode", "forward"] and "rate" in live.get_attributes()
        if told:
            assert abs(1200 * np.log2(heard_hz(perform(live, x, 2048)[0], host) / c4)) > 100  # played for another rate: wrong
            assert live.set_rate(host) == 0 and live.get_rate() == [host]  # 'set rate <host>' in Pd or Max
        y = perform(live, x, 2048)[0]
        assert abs(1200 * np.log2(heard_hz(y, host) / c4)) < 5, (exported, told)  # within 5 cents
        sounding = np.flatnonzero(np.abs(y) > 1e-4 * np.abs(y).max())
        assert sounding[0] < host // 100 and abs(sounding[-1] / host - 3.25) < 0.2  # starts at the gate, ends after the release
    with pytest.raises(ValueError, match="host's rate"):
        export_live(model, tmp_path / "bad.ts", torch.zeros(1, LATENT), sample_rate=1000)

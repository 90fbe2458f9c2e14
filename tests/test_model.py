import json

import numpy as np
import pytest
import torch

from timbral.losses import reconstruction_losses
from timbral.model import (
    ENCODER_RANGE_DB,
    MAX_FIT_STEPS,
    ModelConfig,
    TimbreVAE,
    fit_latents,
    harmonic_comb,
    harmonic_lobes,
    level_ramp,
    load_model,
    normalise_level,
    pitch_relative,
    save_model,
)
from timbral.model_folder import ModelError
from timbral.spectral import SpectralSettings, heard_of, log_magnitude, shift_heard

TINY = dict(latent_dim=8, channels=32)
S = SpectralSettings()
HEARD, BINS, FRAMES, CORE = S.heard_rows, S.n_bins, S.n_frames, S.core_bins  # 529 rows heard, 1537 bins played, 251 frames


def heard(note: np.ndarray, scale) -> torch.Tensor:
    """What a model with ``scale`` hears of a note at 48 kHz."""
    return scale.scale(torch.from_numpy(heard_of(log_magnitude(note), S))).clamp(0, 1)


def seconds() -> torch.Tensor:
    return torch.arange(S.n_samples) / S.sr


@torch.no_grad()
def test_shapes_and_decoding_at_any_pitch():
    torch.manual_seed(0)
    model = TimbreVAE(ModelConfig(**TINY)).eval()
    x = torch.rand(3, HEARD, FRAMES)
    x_hat, mu, logvar = model(x, torch.tensor([24, 60, 96]), torch.tensor([50, 100, 127]))
    assert x_hat.shape == x.shape and mu.shape == logvar.shape == (3, 8)
    assert 0 <= float(x_hat.min()) and float(x_hat.max()) <= 1
    z = torch.zeros(128, 8)
    every_pitch = model.decoder(z, torch.arange(128), torch.full((128,), 100))
    assert every_pitch.shape == (128, BINS, FRAMES) and torch.isfinite(every_pitch).all()  # every bin to 24 kHz
    assert not torch.allclose(every_pitch[60], every_pitch[61])  # pitch changes the sound


def test_without_pitch_conditioning_pitch_is_ignored():
    model = TimbreVAE(ModelConfig(**TINY, pitch_conditioning=False, harmonic_template=False)).eval()
    z = torch.randn(1, 8)
    a = model.decoder(z, torch.tensor([40]), torch.tensor([100]))
    b = model.decoder(z, torch.tensor([80]), torch.tensor([20]))
    assert torch.equal(a, b)


def test_harmonic_comb_peaks_on_harmonics():
    comb = harmonic_comb(torch.tensor([69]), S.sr, S.n_fft, CORE)[0]  # A4 = 440 Hz, bins of 15.625 Hz
    for k in (1, 2, 3, 5):
        assert comb[round(k * 440 / 15.625)] > 0.6
    assert comb[round(1.5 * 440 / 15.625)] < 0.01


def test_save_load_round_trip(tmp_path):
    model = TimbreVAE(ModelConfig(**TINY, n_families=12)).eval()
    save_model(model, tmp_path / "m", card="# card\n")
    loaded = load_model(tmp_path / "m")
    x, p, v = torch.rand(2, HEARD, FRAMES), torch.tensor([50, 70]), torch.tensor([100, 100])
    assert torch.equal(model(x, p, v)[0], loaded(x, p, v)[0])
    assert (tmp_path / "m" / "card.md").read_text() == "# card\n"
    weights = (tmp_path / "m" / "weights.safetensors").read_bytes()
    header = json.loads(weights[8 : 8 + int.from_bytes(weights[:8], "little")])
    assert header["__metadata__"]["format"] == "timbral"  # safetensors: tensors only, nothing to unpickle


def test_bad_model_folders(tmp_path):
    model = TimbreVAE(ModelConfig(**TINY))
    good = save_model(model, tmp_path / "good")
    with pytest.raises(ModelError, match="no such model folder"):
        load_model(tmp_path / "missing")

    def broken(name, change):
        d = tmp_path / name
        d.mkdir()
        for f in good.iterdir():
            (d / f.name).write_bytes(f.read_bytes())
        change(d)
        return d

    cases = [
        (broken("noweights", lambda d: (d / "weights.safetensors").unlink()), "missing weights.safetensors"),
        (broken("noconfig", lambda d: (d / "config.json").unlink()), "missing config.json"),
        (broken("truncated", lambda d: (d / "weights.safetensors").write_bytes((good / "weights.safetensors").read_bytes()[:5000])),
         "truncated or corrupt"),
        (broken("badjson", lambda d: (d / "config.json").write_text("{oops")), "bad config.json"),
        (broken("version", lambda d: (d / "config.json").write_text('{"format_version": 99, "model": {}}')), "format_version"),
        (broken("unknown", lambda d: (d / "config.json").write_text('{"format_version": 1, "model": {"colour": 1}}')),
         "unknown model settings"),
        (broken("mismatch", lambda d: (d / "config.json").write_text(
            json.dumps({"format_version": 1, "model": {"latent_dim": 16, "channels": 32}}))), "do not match"),
        (broken("shifts", lambda d: (d / "config.json").write_text(
            json.dumps({"format_version": 1, "model": {**TINY, "encode_shifts": [0, 40]}}))), "encode_shifts"),
    ]
    for path, message in cases:
        with pytest.raises(ModelError, match=message):
            load_model(path)


@torch.no_grad()
def test_level_normalised_encoder_ignores_recording_level():

    torch.manual_seed(0)
    config = ModelConfig(**TINY, level_normalise=True, encoder_pitch=True)
    model = TimbreVAE(config).eval()
    t = seconds()
    note = (torch.sin(2 * torch.pi * 220 * t) * torch.exp(-t) + 0.3 * torch.sin(2 * torch.pi * 660 * t) * torch.exp(-2 * t)).numpy()
    loud, quiet = (heard(note * g, config.scale) for g in (0.9, 0.03))
    pitch = torch.tensor([57, 57])
    mu, _ = model.encoder(torch.stack([loud, quiet]), pitch)
    assert torch.allclose(mu[0], mu[1], atol=0.02 * float(mu[0].abs().max()))
    raw, _ = TimbreVAE(ModelConfig(**TINY)).eval().encoder(torch.stack([loud, quiet]), pitch)
    assert not torch.allclose(raw[0], raw[1], atol=0.02 * float(raw[0].abs().max()))  # without it, level moves it
    floor = torch.zeros(1, HEARD, FRAMES)
    assert torch.equal(normalise_level(floor, 30.0, config.scale), floor)  # silence stays silence


@torch.no_grad()
def test_a_narrower_encoder_window_does_not_hear_a_quiet_files_rounding():
    from timbral.audio import quantised

    t = seconds()
    note = (torch.sin(2 * torch.pi * 220 * t) * torch.exp(-2 * t)).numpy()  # decays 70 dB in 4 s
    scale = ModelConfig().scale
    x = torch.stack([heard(y, scale) for y in (note, quantised(note, -30.0))])
    change = {}  # what the encoder hears of a 16-bit take at -30 dBFS peak, against the clean note
    for window in (75.0, 55.0):
        level = normalise_level(x, 30.0, scale, window, CORE)
        change[window] = float((level[0] - level[1]).abs().mean() / level[0].abs().mean())
    assert change[75.0] > 0.05 and change[55.0] < 0.01
    narrow = TimbreVAE(ModelConfig(**TINY, level_normalise=True, encoder_range_db=55.0)).eval()
    plain = TimbreVAE(ModelConfig(**TINY))
    plain.load_state_dict(narrow.state_dict())  # the same weights, fed by hand
    pitch = torch.tensor([57, 57])
    by_hand = plain.encoder(normalise_level(x, narrow.config.input_level_db, scale, 55.0, CORE), pitch)[0]
    assert torch.allclose(narrow.encoder(x, pitch)[0], by_hand, atol=1e-6)  # the model's window is the one it was given


@torch.no_grad()
def test_level_ramp_has_no_step_at_the_bottom_of_the_window():

    scale = ModelConfig().scale
    t = seconds()
    note = (torch.sin(2 * torch.pi * 220 * t) * torch.exp(-3 * t)).numpy()
    loud, quiet = (heard(note * g, scale) for g in (0.1, 0.01))  # both under the bounds' top
    ramp = level_ramp(torch.stack([loud, quiet]), scale, core_bins=CORE)
    kept = (ramp[0] > 0) & (ramp[1] > 0)
    assert kept.sum() > 1000 and torch.allclose(ramp[0][kept], ramp[1][kept], atol=1e-3)  # level changes nothing
    assert 0.95 <= float(ramp.max()) <= 1.0
    edge = torch.zeros(1, HEARD, FRAMES)
    edge[0, 0, 0], edge[0, 10, 0] = scale.scale(torch.tensor(40.0)), scale.scale(torch.tensor(40.0 - ENCODER_RANGE_DB + 1.0))
    assert float(level_ramp(edge, scale)[0, 10, 0]) < 0.02  # a bin a hair above the window's bottom is heard as almost nothing
    assert float(normalise_level(edge, 40.0, scale)[0, 10, 0]) > 0.3  # where the plain window has a step
    floor = torch.zeros(1, HEARD, FRAMES)
    assert torch.equal(level_ramp(floor, scale), floor)  # silence stays silence
    model = TimbreVAE(ModelConfig(**TINY, level_normalise=True, level_ramp=True)).eval()
    mu, _ = model.encoder(torch.stack([loud, quiet]), torch.tensor([57, 57]))
    assert torch.allclose(mu[0], mu[1], atol=0.02 * float(mu[0].abs().max()))


@torch.no_grad()
def test_encoder_pitch_is_heard_only_when_on():
    x = torch.rand(1, HEARD, FRAMES).repeat(2, 1, 1)
    pitch = torch.tensor([40, 80])
    with_pitch, _ = TimbreVAE(ModelConfig(**TINY, encoder_pitch=True)).eval().encoder(x, pitch)
    without, _ = TimbreVAE(ModelConfig(**TINY)).eval().encoder(x, pitch)
    assert not torch.allclose(with_pitch[0], with_pitch[1]) and torch.equal(without[0], without[1])


@torch.no_grad()
def test_a_note_can_be_rebuilt_from_another_notes_latent():
    model = TimbreVAE(ModelConfig(**TINY)).eval()
    x, p, v = torch.rand(2, HEARD, FRAMES), torch.tensor([50, 70]), torch.tensor([100, 100])
    own, mu, _ = model(x, p, v)
    swapped, _, _ = model(x, p, v, torch.tensor([1, 0]))
    assert torch.allclose(swapped[0], model.decoder.heard(mu[1:2], p[:1], v[:1])[0], atol=1e-6)
    assert not torch.equal(own[0], swapped[0])


def test_fitting_latents_brings_the_rebuild_closer_and_leaves_the_model_alone():
    torch.manual_seed(0)
    model = TimbreVAE(ModelConfig(**TINY)).eval()
    p, v = torch.tensor([50, 70]), torch.tensor([100, 100])
    with torch.no_grad():
        x = model.decoder.heard(2 * torch.randn(2, 8), p, v)  # notes this decoder can make exactly
        mu, _ = model.encoder(x, p)
    weights = [w.clone() for w in model.parameters()]
    z = fit_latents(model, x, p, v, mu, steps=30)
    with torch.no_grad():
        loss = lambda z: sum(reconstruction_losses(model.decoder.heard(z, p, v), x, model.config.scale, CORE))  # noqa: E731
        assert loss(z) < 0.8 * loss(mu)
    assert all(torch.equal(a, b) for a, b in zip(weights, model.parameters()))
    assert all(w.grad is None for w in model.parameters()) and not z.requires_grad
    assert torch.equal(fit_latents(model, x, p, v, mu, steps=0), mu)
    for steps in (-1, 1.5, True, "10", MAX_FIT_STEPS + 1):
        with pytest.raises(ValueError, match="fit steps"):
            fit_latents(model, x, p, v, mu, steps=steps)


def test_pitch_relative_axis_puts_an_instruments_harmonics_on_the_same_rows():
    settings = SpectralSettings()
    bin_hz = settings.sr / settings.n_fft
    rows = []
    for pitch in (45.0, 57.0, 62.5):  # an octave apart, and a quarter-tone off the grid
        f0 = 440.0 * 2 ** ((pitch - 69) / 12)
        spec = torch.zeros(1, settings.n_bins, 4)
        for k in (1, 2, 3, 5):
            position = k * f0 / bin_hz
            low = int(position)
            spec[0, low, :] += 1 - (position - low)  # a partial between two bins, as an STFT spreads it
            spec[0, low + 1, :] += position - low
        rows.append(pitch_relative(spec, torch.tensor([pitch]), settings)[0, :, 0])
    for k in (1, 2, 3, 5):
        row = (1 + np.log2(k)) * 24  # an octave below the fundamental is row 0, 24 rows an octave
        for r in rows:
            near = r[int(row) - 3 : int(row) + 5]
            assert near.max() > 0.45 and abs(int(row) - 3 + int(near.argmax()) - row) <= 1, (k, near)
    assert (rows[0][:12] == 0).all() and (rows[2][:12] == 0).all()  # nothing half an octave below the fundamental
    high = pitch_relative(torch.ones(1, settings.n_bins, 2), torch.tensor([96]), settings)[0, :, 0]
    assert high[-1] == 0 and high[0] == 1  # above Nyquist the axis holds nothing


def test_an_encoder_that_hears_the_pitch_relative_axis_too_trains_and_reloads(tmp_path):
    model = TimbreVAE(ModelConfig(**TINY, encoder_relative=True, encoder_pitch=True))
    x, p, v = torch.rand(2, HEARD, FRAMES), torch.tensor([40, 71]), torch.tensor([100, 100])
    x_hat, mu, _ = model(x, p, v)
    assert x_hat.shape == x.shape and mu.shape == (2, 8)
    save_model(model, tmp_path / "m")
    again = load_model(tmp_path / "m")
    assert again.config.encoder_relative and torch.allclose(again.encoder(x, p)[0], model.eval().encoder(x, p)[0], atol=1e-6)


@torch.no_grad()
def test_the_harmonic_plus_noise_stage_places_partials_at_multiples_of_the_pitch_and_reaches_silence(tmp_path):
    model = TimbreVAE(ModelConfig(**TINY, harmonic_noise=True, bounds={"lo": -80.0, "hi": 40.0})).eval()
    decoder = model.decoder
    assert torch.allclose(harmonic_lobes(torch.tensor([69]), S.sr, S.n_fft, CORE, 3)[0].argmax(-1).float(),
                          torch.tensor([28.0, 56.0, 84.0]))  # 440, 880, 1320 Hz in bins of 15.625 Hz
    for head in (decoder.out, decoder.high):
        head.weight.zero_()
        head.bias.fill_(-30.0)  # every head silent, the high band's too
    z, p, v = torch.zeros(1, 8), torch.tensor([69]), torch.tensor([100])
    assert torch.allclose(decoder(z, p, v), torch.zeros(1, BINS, FRAMES), atol=1e-12)  # the floor: -80 dB
    decoder.out.bias[CORE : CORE + 3] = 30.0  # the first three harmonics at the top of the range
    frame = decoder.heard(z, p, v)[0, :, 100]
    assert all(frame[b] > 0.98 for b in (28, 56, 84)) and frame[42] < 0.2 and frame[200] == 0
    decoder.out.bias[:] = -30.0
    decoder.out.bias[-1] = 30.0  # the noise filter's top band alone: loud at the core's top (8 kHz), fading below
    frame = decoder.heard(z, p, v)[0, :, 100]
    assert frame[CORE - 1] > 0.99 and frame[CORE - 2] > frame[CORE - 6] > frame[CORE - 12] == frame[200] == 0
    save_model(model, tmp_path / "m")
    x = torch.rand(2, HEARD, FRAMES)
    assert torch.equal(load_model(tmp_path / "m")(x, torch.tensor([30, 90]), torch.tensor([100, 100]))[0],
                       model(x, torch.tensor([30, 90]), torch.tensor([100, 100]))[0])
    scripted = torch.jit.script(decoder)  # the live instrument compiles it
    assert torch.equal(scripted(z, p, v), decoder(z, p, v))


@torch.no_grad()
def test_the_high_band_takes_its_bands_levels_and_continues_the_harmonics_of_the_core():
    """Above 8 kHz each bin has its band's level, and the core's fine structure from whole harmonic steps lower:
    a harmonic tone's partials go on at multiples of its pitch, a smooth (noise-like) core gives a smooth band."""
    decoder = TimbreVAE(ModelConfig(**TINY)).eval().decoder
    pitch = torch.tensor([69.0])  # 440 Hz: partials every 28.16 bins
    partials = torch.arange(1, 19) * 440 / S.bin_hz  # up to 7.9 kHz, each a window's lobe over a flat floor
    lobes = torch.exp(-0.5 * ((torch.arange(CORE)[:, None] - partials[None, :]) / 1.2) ** 2).sum(1)
    core = (0.5 + 0.3 * lobes)[None, :, None].expand(1, -1, 4).clone()  # peaks 0.3 (38 dB) high
    bands = torch.linspace(0.3, 0.6, S.n_high_bands)[None, :, None].expand(1, -1, 4)
    full = decoder.full(torch.cat([core, bands], 1), pitch)[0, :, 0]
    assert full.shape == (BINS,) and torch.equal(full[:CORE], core[0, :, 0])
    high = full[CORE:]
    above = torch.arange(19, 54) * 440 / S.bin_hz  # the partials from 8.4 to 23.3 kHz
    on = high[(above.round().long() - CORE)]
    between = high[((above + 14).round().long() - CORE).clamp(max=BINS - CORE - 1)]
    assert (on - between).min() > 0.1  # harmonics continue at multiples of the pitch
    flat = decoder.full(torch.cat([torch.full((1, CORE, 4), 0.5), bands], 1), pitch)[0, CORE:, 0]
    edges = np.log(np.arange(CORE, BINS) * S.bin_hz)  # a smooth core: the bands' own levels, rising as they do
    assert torch.all(flat[1:] >= flat[:-1] - 1e-6) and abs(float(flat[0]) - 0.3) < 0.02 and abs(float(flat[-1]) - 0.6) < 0.02
    assert edges[0] < edges[-1]
    assert torch.equal(torch.jit.script(decoder).full(torch.cat([core, bands], 1), pitch)[0, :, 0], full)


@torch.no_grad()
def test_a_deeper_decoders_blocks_add_to_what_it_had_and_it_saves_and_compiles(tmp_path):
    torch.manual_seed(0)
    plain = TimbreVAE(ModelConfig(**TINY, harmonic_noise=True)).eval()
    deeper = TimbreVAE(ModelConfig(**TINY, harmonic_noise=True, decoder_blocks=2)).eval()
    missing = deeper.load_state_dict(plain.state_dict(), strict=False).missing_keys
    assert sorted({k.split(".")[2] for k in missing}) == ["0", "1"] and all(k.startswith("decoder.blocks.") for k in missing)
    z, p, v = torch.randn(2, 8), torch.tensor([40, 80]), torch.tensor([100, 60])
    assert not torch.allclose(deeper.decoder(z, p, v), plain.decoder(z, p, v))
    for block in deeper.decoder.blocks:
        block[-1].weight.zero_()
        block[-1].bias.zero_()
    assert torch.allclose(deeper.decoder(z, p, v), plain.decoder(z, p, v))  # residual: a silent block changes nothing
    torch.nn.init.normal_(deeper.decoder.blocks[1][-1].weight)
    save_model(deeper, tmp_path / "m")
    again = load_model(tmp_path / "m")
    assert again.config.decoder_blocks == 2 and torch.equal(again.decoder(z, p, v), deeper.decoder(z, p, v))
    assert torch.equal(torch.jit.script(deeper.decoder)(z, p, v), deeper.decoder(z, p, v))


@torch.no_grad()
def test_a_note_is_heard_over_its_resampled_neighbours():
    torch.manual_seed(0)
    model = TimbreVAE(ModelConfig(**TINY)).eval()
    spec, pitch = torch.rand(3, HEARD, FRAMES), torch.tensor([40, 60, 80])
    views = [model.encoder(shift_heard(spec, torch.full((3,), s), S), pitch + s)[0] for s in (-2.0, 0.0, 2.0)]
    mu, logvar = model.encode(spec, pitch)
    assert model.config.encode_shifts == (-2.0, 0.0, 2.0) and logvar.shape == mu.shape == (3, 8)
    assert torch.allclose(mu, torch.stack(views).mean(0), atol=1e-6)
    assert not torch.allclose(mu, model.encoder(spec, pitch)[0], atol=1e-3)  # not the single hearing training uses
    once = TimbreVAE(ModelConfig(**TINY, encode_shifts=[0]))
    once.load_state_dict(model.state_dict())
    assert torch.equal(once.eval().encode(spec, pitch)[0], model.encoder(spec, pitch)[0])
    assert once.fingerprint() != model.fingerprint()  # a library's stored latents know how they were heard
    for bad in ([], [13.0], [float("nan")], ["2"], [True], 2.0, None):
        with pytest.raises(ValueError, match="encode_shifts"):
            ModelConfig(encode_shifts=bad)


@torch.no_grad()
def test_the_high_band_can_be_played_as_its_envelope_alone_or_not_at_all():
    """The ablation's arms on the same weights: the core's harmonics continued (the recipe), the bands' levels as
    shaped noise, nothing above 8 kHz (what a 16 kHz model plays)."""
    torch.manual_seed(0)
    model = TimbreVAE(ModelConfig(**TINY)).eval()
    z, p, v = torch.randn(1, 8), torch.tensor([62]), torch.tensor([100])
    played = {}
    for arm in ("continued", "envelope", "none"):
        other = TimbreVAE(ModelConfig(**TINY, high_band=arm)).eval()
        other.load_state_dict(model.state_dict())
        played[arm] = other.decoder(z, p, v)[0]
        assert torch.equal(played[arm][:CORE], played["continued"][:CORE])  # the core is the same in every arm
        assert torch.equal(torch.jit.script(other.decoder)(z, p, v)[0], played[arm])
    assert (played["none"][CORE:] == 0).all() and (played["envelope"][CORE:] > 0).any()
    assert not torch.equal(played["envelope"][CORE:], played["continued"][CORE:])
    with pytest.raises(ValueError, match="high_band"):
        ModelConfig(high_band="sparkle")


@torch.no_grad()
def test_an_encoder_on_the_mel_axis_hears_a_tone_in_its_band_and_a_flat_spectrum_flat(tmp_path):
    from timbral.spectral import mel_means

    weights = mel_means(S, 96)
    assert weights.shape == (96, CORE) and np.allclose(weights.sum(axis=1), 1.0) and (weights > 0).sum(axis=1).min() >= 2
    model = TimbreVAE(ModelConfig(**TINY, encoder_mel=96, level_normalise=True, encoder_pitch=True)).eval()
    assert model.encoder.convs[0].in_channels == 96 + S.n_high_bands
    flat = model.encoder.on_mel(torch.full((1, CORE, 3), 0.4))
    assert flat.shape == (1, 96, 3) and torch.allclose(flat, torch.tensor(0.4), atol=1e-5)  # a band is its bins' mean power
    tone = heard(np.sin(2 * np.pi * 1000.0 * seconds().numpy()).astype(np.float32) * 0.5, model.config.scale)
    bands = model.encoder.on_mel(tone[None, :CORE])[0, :, 100]
    centre = np.argmax(weights @ (np.arange(CORE) * S.bin_hz == 1000.0))  # the band weighing the 1 kHz bin most
    assert abs(int(bands.argmax()) - int(centre)) <= 1 and bands.max() - bands[[0, -1]].max() > 0.3
    x, p = torch.rand(2, HEARD, FRAMES), torch.tensor([40, 71])
    save_model(model, tmp_path / "m")
    again = load_model(tmp_path / "m")
    assert again.config.encoder_mel == 96 and torch.allclose(again.encoder(x, p)[0], model.encoder(x, p)[0], atol=1e-6)
    loud = heard(np.sin(2 * np.pi * 440.0 * seconds().numpy()).astype(np.float32) * 0.5, model.config.scale)[None]
    quiet = heard(np.sin(2 * np.pi * 440.0 * seconds().numpy()).astype(np.float32) * 0.05, model.config.scale)[None]
    mu_loud, mu_quiet = model.encoder(loud, p[:1])[0], model.encoder(quiet, p[:1])[0]
    assert (mu_loud - mu_quiet).norm() < 0.05 * mu_loud.norm()  # 20 dB quieter: the floor's bins move a band a little


@pytest.mark.parametrize("bad", [-1, 129, True, 2.5, "96"])
def test_mel_bands_out_of_range_are_refused(bad):
    from timbral.train import TrainConfig

    with pytest.raises(ValueError, match="encoder_mel"):
        ModelConfig(**TINY, encoder_mel=bad)
    with pytest.raises(ValueError, match="encoder_mel"):
        TrainConfig.from_dict({"encoder_mel": bad})


def test_the_mel_axis_and_the_pitch_relative_axis_are_not_mixed():
    from timbral.train import TrainConfig

    with pytest.raises(ValueError, match="leave it off with encoder_mel"):
        ModelConfig(**TINY, encoder_mel=96, encoder_relative=True)
    with pytest.raises(ValueError, match="leave it off with encoder_mel"):
        TrainConfig.from_dict({"encoder_mel": 96, "encoder_relative": True})

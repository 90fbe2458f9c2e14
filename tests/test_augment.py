"""The augmentations of a training batch: what each changes, and what it leaves alone."""

import pytest
import torch

from timbral.augment import pitch_shifted, recoloured, with_noise_floor
from timbral.spectral import Bounds, SpectralSettings


def test_noise_floor_lies_far_below_the_note():
    from timbral.model import spectrogram_level

    bounds = Bounds(-80.0, 40.0)
    spec = torch.zeros(4, 513, 251)
    spec[:, 40, :100] = bounds.scale(torch.tensor(20.0))  # one loud partial, then silence
    torch.manual_seed(0)
    assert torch.equal(with_noise_floor(spec, bounds, 0.0), spec)
    noisy = with_noise_floor(spec, bounds, 1.0)
    assert torch.allclose(spectrogram_level(noisy, bounds), spectrogram_level(spec, bounds), atol=0.1)
    tail = bounds.unscale(noisy[:, 100:, 200:])
    assert (tail > -80).float().mean() > 0.5 and tail.median() < 20.0 - 55  # a floor, 60-85 dB under the note


def test_recolouring_is_one_smooth_eq_per_instrument():
    bounds = Bounds(-80.0, 40.0)
    spec = torch.full((6, 513, 251), float(bounds.scale(torch.tensor(-20.0))))
    spec[:, :, 200:] = 0.0  # the dB floor after the note
    torch.manual_seed(0)
    assert torch.equal(recoloured(spec, bounds, SpectralSettings(), 0.0, pairs=3), spec)
    out = recoloured(spec, bounds, SpectralSettings(), 1.0, pairs=3)
    curve = bounds.unscale(out[:, :, 0]) - bounds.unscale(spec[:, :, 0])  # dB, (notes, bins)
    assert torch.allclose(curve[:3], curve[3:], atol=1e-4)  # both notes of a pair: one instrument
    assert not torch.allclose(curve[0], curve[1], atol=0.5)  # pairs: different instruments
    assert curve.abs().max() < 3.0 * 12 + 3.0 * 4 and curve.abs().max() > 1.0
    assert curve.diff(dim=1).abs().max() < 4.0  # smooth: no bin jumps more than 4 dB from its neighbour
    assert torch.equal(out[:, :, 200:], spec[:, :, 200:])  # the floor stays the floor


def harmonic_note(f0_bin: float, n: int = 1) -> torch.Tensor:
    """Scaled spectrograms of ``n`` notes whose partials lie at multiples of bin ``f0_bin``."""
    spec = torch.zeros(n, 513, 251)
    for k in range(1, 8):
        spec[:, round(k * f0_bin), :] = 0.8
    return spec


def test_pitch_shift_moves_partials_and_label_together():
    torch.manual_seed(0)
    spec, pitch = harmonic_note(16.0, 6), torch.full((6,), 60)
    shifted, moved = pitch_shifted(spec, pitch, 3.0)
    shift = moved - 60
    assert moved.dtype == torch.float32 and shift.abs().max() <= 3.0 and shift.std() > 0.3  # each its own shift
    for note in range(6):
        column = shifted[note, :, 0]
        peak = int(column[24:40].argmax()) + 24  # the second harmonic, 32 bins at the note's own pitch
        assert abs(peak - 32 * 2 ** (float(shift[note]) / 12)) <= 1.0
    assert torch.equal(pitch_shifted(spec, pitch, 0.0)[0], spec)
    assert shifted.min() >= 0 and shifted.max() <= 0.8 + 1e-6  # interpolated, never beyond the note


@pytest.mark.parametrize("semitones", [0.5, 2.0])
def test_pitch_shift_is_drawn_from_torch_generator(semitones):
    spec, pitch = harmonic_note(20.0, 4), torch.full((4,), 50)
    torch.manual_seed(7)
    a = pitch_shifted(spec, pitch, semitones)
    torch.manual_seed(7)
    b = pitch_shifted(spec, pitch, semitones)
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])  # a resumed run draws the same

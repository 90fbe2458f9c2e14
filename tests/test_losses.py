"""The losses: each rewards what it should."""

import torch

from timbral.losses import kl_per_dim, multiresolution_loss, paired_contrastive, reconstruction_losses
from timbral.spectral import Bounds


def test_contrastive_loss_rewards_matching_pairs():
    a = torch.randn(8, 4)
    assert paired_contrastive(a, a + 0.01 * torch.randn(8, 4)) < paired_contrastive(a, torch.randn(8, 4))


def test_reconstruction_losses_are_zero_only_for_the_note_itself():
    bounds = Bounds(-80.0, 40.0)
    x = torch.rand(2, 513, 251)
    l1, sc = reconstruction_losses(x, x, bounds)
    assert l1 == 0 and sc == 0
    l1, sc = reconstruction_losses((x + 0.1).clamp(0, 1), x, bounds)
    assert 0.05 < l1 < 0.1 and sc > 0.5  # 12 dB louder: the linear magnitude is four times as large


def test_the_high_bands_levels_count_in_l1_at_their_weight_and_not_in_spectral_convergence():
    from timbral.losses import HIGH_BAND_WEIGHT

    bounds = Bounds(-80.0, 40.0)
    x = torch.rand(2, 529, 251)
    louder_bands = torch.cat([x[:, :513], (x[:, 513:] + 0.1).clamp(0, 1)], dim=1)
    l1, sc = reconstruction_losses(louder_bands, x, bounds, core_bins=513)
    expected = HIGH_BAND_WEIGHT * (louder_bands[:, 513:] - x[:, 513:]).abs().mean()
    assert torch.allclose(l1, expected) and sc == 0  # spectral convergence is the core's alone


def test_the_multiresolution_loss_weighs_the_envelope_beside_the_detail():
    bounds = Bounds(-80.0, 40.0)
    x = torch.rand(2, 513, 251)
    assert multiresolution_loss(x, x, bounds) == 0
    shuffled = x[:, torch.randperm(513)]  # every value kept, the spectral envelope scrambled
    pairs_swapped = x[:, :512].reshape(2, 256, 2, 251).flip(2).reshape(2, 512, 251)
    local = torch.cat([pairs_swapped, x[:, 512:]], dim=1)  # neighbouring bins swapped: the envelope kept
    assert multiresolution_loss(local, x, bounds) < 0.5 * multiresolution_loss(shuffled, x, bounds)
    assert sum(reconstruction_losses(local, x, bounds)) > 0.5 * sum(reconstruction_losses(shuffled, x, bounds))


def test_kl_is_zero_at_the_prior_and_grows_away_from_it():
    zero = torch.zeros(3, 4)
    assert torch.equal(kl_per_dim(zero, zero), zero)
    assert (kl_per_dim(zero + 1, zero) == 0.5).all() and (kl_per_dim(zero, zero - 2) > 0).all()

"""The losses: each rewards what it should."""

import torch

from timbral.losses import kl_per_dim, paired_contrastive, reconstruction_losses
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


def test_kl_is_zero_at_the_prior_and_grows_away_from_it():
    zero = torch.zeros(3, 4)
    assert torch.equal(kl_per_dim(zero, zero), zero)
    assert (kl_per_dim(zero + 1, zero) == 0.5).all() and (kl_per_dim(zero, zero - 2) > 0).all()

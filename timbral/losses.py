"""Every loss Timbral trains with, and how they add up (as DDSP's ``losses.py``): reconstruction
(L1 on the scaled dB spectrogram and spectral convergence on linear magnitude, optionally the same at
coarser time-frequency resolutions too), the KL divergence
to the prior (with free bits), the auxiliary family classifier and the contrastive loss between
two notes of one instrument.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from .spectral import Bounds, db_to_magnitude, db_to_power, power_to_db

HIGH_BAND_WEIGHT = 0.5  # the high band's band levels (L1) against the core's bins (L1 and spectral convergence)
TEMPERATURE = 0.1  # of the contrastive loss, on cosine similarities
# (bins, frames) pooled together by the multi-resolution loss: a longer window's finer frequencies cannot be
# had from magnitudes, so each resolution trades frequency detail for time detail or gives up both
RESOLUTIONS = ((4, 1), (1, 4), (4, 4), (16, 16))


def kl_per_dim(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(q(z|x) ‖ N(0, I)) per example and latent dimension, in nats."""
    return 0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar)


def reconstruction_losses(x_hat: torch.Tensor, x: torch.Tensor, bounds: Bounds, core_bins: int = -1) -> tuple[torch.Tensor, torch.Tensor]:
    """The two halves of the reconstruction loss of heard spectrograms ``(batch, rows, frames)``, each a mean over
    the batch: L1 on the scaled dB of the core's first ``core_bins`` rows (every bin alike, quiet ones too; -1: all
    rows are the core), plus :data:`HIGH_BAND_WEIGHT` × L1 on the high band's band levels after them, and
    spectral convergence on the core's linear magnitude (the loud partials)."""
    core = core_bins if 0 < core_bins < x.shape[1] else x.shape[1]
    mag, mag_hat = (db_to_magnitude(bounds.unscale(v[:, :core])) for v in (x, x_hat))
    sc = torch.linalg.vector_norm(mag_hat - mag, dim=(1, 2)) / torch.linalg.vector_norm(mag, dim=(1, 2)).clamp(min=1e-6)
    l1 = (x_hat[:, :core] - x[:, :core]).abs().mean()
    if core < x.shape[1]:
        l1 = l1 + HIGH_BAND_WEIGHT * (x_hat[:, core:] - x[:, core:]).abs().mean()
    return l1, sc.mean()


def multiresolution_loss(x_hat: torch.Tensor, x: torch.Tensor, bounds: Bounds) -> torch.Tensor:
    """The reconstruction loss (:func:`reconstruction_losses`, its two halves added) at each of
    :data:`RESOLUTIONS`, averaged: as auraloss's multi-resolution STFT loss compares spectrograms of
    several window sizes, this compares the power pooled over neighbouring bins and frames, so the
    envelope over time and over frequency count beside the finest detail."""
    def pooled(s: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
        db = power_to_db(F.avg_pool2d(db_to_power(bounds.unscale(s))[:, None], size, ceil_mode=True)[:, 0], -120.0)
        return bounds.scale(db).clamp(0.0, 1.0)

    return sum(sum(reconstruction_losses(pooled(x_hat, r), pooled(x, r), bounds)) for r in RESOLUTIONS) / len(RESOLUTIONS)


def training_losses(model, batch: dict, cfg, bounds: Bounds, beta: float) -> dict[str, torch.Tensor]:
    """The training objective of a batch and its parts: reconstruction (L1 on scaled dB + ``cfg.sc_weight``
    × spectral convergence on linear magnitude + ``cfg.multires_weight`` × both at coarser resolutions), ``beta`` × KL
    (free bits), ``cfg.family_weight`` × the family head's cross-entropy, ``cfg.contrastive_weight`` × the
    contrastive loss between pairs."""
    x = batch["spec"]
    x_hat, mu, logvar = model(batch.get("heard", x), batch["pitch"], batch["velocity"], batch.get("source"))
    head = getattr(model, "module", model).family_head
    core = getattr(model, "module", model).config.spectral_settings.core_bins
    l1, sc = reconstruction_losses(x_hat.float(), x, bounds, core)
    multires = multiresolution_loss(x_hat[:, :core].float(), x[:, :core], bounds) if cfg.multires_weight else torch.zeros(())
    kl_dims = kl_per_dim(mu.float(), logvar.float()).mean(0)
    kl = kl_dims.sum()
    kl_penalty = torch.clamp(kl_dims, min=cfg.free_bits).sum()
    family = F.cross_entropy(head(mu.float()), batch["family"], ignore_index=-1) if head else torch.zeros(())
    pairs = batch.get("pairs", 0)
    contrastive = paired_contrastive(mu[:pairs].float(), mu[pairs : 2 * pairs].float()) if pairs else torch.zeros(())
    total = (l1 + cfg.sc_weight * sc + cfg.multires_weight * multires + beta * kl_penalty + cfg.family_weight * family
             + cfg.contrastive_weight * contrastive)
    high = (x_hat[:, core:].float() - x[:, core:]).abs().mean() if core < x.shape[1] else torch.zeros(())  # within l1, logged alone
    return {"loss": total, "l1": l1, "sc": sc, "multires": multires, "kl": kl, "family": family, "contrastive": contrastive,
            "high": high}


def paired_contrastive(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """InfoNCE both ways: ``a[i]`` must find ``b[i]`` (another note of its instrument) among all of ``b``."""
    logits = F.normalize(a, dim=-1) @ F.normalize(b, dim=-1).T / TEMPERATURE
    target = torch.arange(len(a), device=a.device)
    return 0.5 * (F.cross_entropy(logits, target) + F.cross_entropy(logits.T, target))

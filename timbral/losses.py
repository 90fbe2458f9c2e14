"""Every loss Timbral trains with, and how they add up (as DDSP's ``losses.py``): reconstruction
(L1 on the scaled dB spectrogram and spectral convergence on linear magnitude, optionally the same at
coarser time-frequency resolutions too; for a model that renders audio, a multi-resolution STFT distance
between its audio and the note's), the KL divergence
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
AUDIO_FFTS = (4096, 2048, 1024, 512, 256)  # the FFT sizes of the distance between two audio signals


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


def audio_distance(y_hat: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Spectral convergence plus L1 of log magnitudes, summed over :data:`AUDIO_FFTS` (a multi-resolution STFT
    distance, as DDSP's and auraloss's), over the whole batch."""
    total = y.new_zeros(())
    for n_fft in AUDIO_FFTS:
        window = torch.hann_window(n_fft, device=y.device)
        s, s_hat = (torch.stft(v, n_fft, n_fft // 4, window=window, return_complex=True).abs() for v in (y, y_hat))
        # over the whole batch: a crop where a short note has ended would blow up a note's own ratio
        sc = torch.linalg.vector_norm(s - s_hat) / torch.linalg.vector_norm(s).clamp(min=1e-7)
        total = total + sc + (torch.log(s + 1e-5) - torch.log(s_hat + 1e-5)).abs().mean()
    return total


def training_losses(model, batch: dict, cfg, bounds: Bounds, beta: float) -> dict[str, torch.Tensor]:
    """The training objective of a batch and its parts: reconstruction (L1 on scaled dB + ``cfg.sc_weight``
    × spectral convergence on linear magnitude + ``cfg.multires_weight`` × both at coarser resolutions; with the
    batch's ``audio``, :func:`audio_distance` of the model's crop from frame ``first`` instead), ``beta`` × KL
    (free bits), ``cfg.family_weight`` × the family head's cross-entropy, ``cfg.contrastive_weight`` × the
    contrastive loss between pairs."""
    x = batch["spec"]
    head = getattr(model, "module", model).family_head
    settings = getattr(model, "module", model).config.spectral_settings
    core = settings.core_bins
    if "audio" in batch:  # a model that renders audio, heard against the note's own over a crop
        y_hat, mu, logvar = model(batch.get("heard", x), batch["pitch"], batch["velocity"], batch.get("source"), batch["first"])
        at = batch["first"] * settings.hop_length
        audio = audio_distance(y_hat.float(), batch["audio"][:, at : at + y_hat.shape[-1]])
        l1 = sc = multires = high = torch.zeros(())
    else:
        x_hat, mu, logvar = model(batch.get("heard", x), batch["pitch"], batch["velocity"], batch.get("source"))
        l1, sc = reconstruction_losses(x_hat.float(), x, bounds, core)
        multires = multiresolution_loss(x_hat[:, :core].float(), x[:, :core], bounds) if cfg.multires_weight else torch.zeros(())
        audio = torch.zeros(())
        high = (x_hat[:, core:].float() - x[:, core:]).abs().mean() if core < x.shape[1] else torch.zeros(())  # within l1, logged alone
    kl_dims = kl_per_dim(mu.float(), logvar.float()).mean(0)
    kl = kl_dims.sum()
    kl_penalty = torch.clamp(kl_dims, min=cfg.free_bits).sum()
    family = F.cross_entropy(head(mu.float()), batch["family"], ignore_index=-1) if head else torch.zeros(())
    pairs = batch.get("pairs", 0)
    contrastive = paired_contrastive(mu[:pairs].float(), mu[pairs : 2 * pairs].float()) if pairs else torch.zeros(())
    total = (l1 + cfg.sc_weight * sc + cfg.multires_weight * multires + audio + beta * kl_penalty + cfg.family_weight * family
             + cfg.contrastive_weight * contrastive)
    return {"loss": total, "l1": l1, "sc": sc, "multires": multires, "audio": audio, "kl": kl, "family": family,
            "contrastive": contrastive, "high": high}


def paired_contrastive(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """InfoNCE both ways: ``a[i]`` must find ``b[i]`` (another note of its instrument) among all of ``b``."""
    logits = F.normalize(a, dim=-1) @ F.normalize(b, dim=-1).T / TEMPERATURE
    target = torch.arange(len(a), device=a.device)
    return 0.5 * (F.cross_entropy(logits, target) + F.cross_entropy(logits.T, target))

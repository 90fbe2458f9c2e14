"""Phase reconstruction: turn magnitude spectrograms back into audio.

Methods
-------
``pghi+fgla`` (default)
    Phase Gradient Heuristic Integration as the starting phase, refined by fast Griffin-Lim.
``pghi``
    Phase Gradient Heuristic Integration alone (Průša, Balazs & Søndergaard 2017): the phase
    derivatives follow from the log-magnitude of a Gaussian-like window (Hann,
    γ = 0.25645·L²) and are integrated outwards from the loudest coefficients with a heap.
``griffinlim``
    Fast Griffin-Lim from a random (seeded) phase: the usual baseline.
``zero``
    Zero phase, for comparison only.

All methods take a linear magnitude ``(n_bins, n_frames)`` or ``(batch, n_bins, n_frames)`` in
the project's STFT convention (librosa's: ``center=True``, frames referenced to their start)
and return float32 audio of shape ``(n,)`` or ``(batch, n)``.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numba
import numpy as np
import torch
import torch.nn.functional as F

from .spectral import SpectralSettings, stft

METHODS = ("pghi+fgla", "pghi", "griffinlim", "zero")
DEFAULT_METHOD = "pghi+fgla"
HANN_GAMMA = 0.25645  # γ / L² for a Hann window (Průša et al. 2017)
N_ITER = 32  # reconstruct's default: a rebuild measured for itself (resynth, benchmarks)
PLAY_ITERATIONS = 4  # what Timbral plays with (studio, API, exports, live): as good as 8 to a listener, 40 ms sooner
MOMENTUM = 0.99
FGLA_CHUNK = 4  # notes per fast Griffin-Lim batch: larger batches fall out of the CPU caches and run slower per note
MOST_TRANSPOSED = 24.0  # semitones a note is transposed over, its timing kept (further, resampled the rest of the way)
TOL_DB = -60.0  # coefficients quieter than this (relative to the loudest) get no integrated phase


def reconstruct(
    magnitude,
    settings: SpectralSettings = SpectralSettings(),
    method: str = DEFAULT_METHOD,
    *,
    n_iter: int = N_ITER,
    momentum: float = MOMENTUM,
    seed: int = 0,
    length: int | None = None,
    initial_phase: np.ndarray | None = None,
) -> np.ndarray:
    """Rebuild audio from a linear magnitude spectrogram.

    Parameters
    ----------
    magnitude : array ``(n_bins, n_frames)`` or ``(batch, n_bins, n_frames)``, non-negative.
    settings : the STFT settings the magnitude was computed with.
    method : one of :data:`METHODS`.
    n_iter, momentum : fast Griffin-Lim iterations and momentum (``pghi+fgla``, ``griffinlim``).
    seed : random start phase of ``griffinlim`` (same seed, same audio).
    length : samples to return (default: ``(n_frames - 1) * hop_length``).
    initial_phase : with ``pghi+fgla`` or ``pghi``, start every spectrogram from this phase
        ``(n_bins, n_frames)`` instead of its own PGHI phase (layers that must add where they overlap).

    Returns
    -------
    float32 audio, ``(n,)`` or ``(batch, n)``.

    Examples
    --------
    >>> y = reconstruct(np.abs(stft(x).numpy()))  # doctest: +SKIP
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}, got {method!r}")
    mag = _check_magnitude(magnitude, settings)
    single = mag.ndim == 2
    if single:
        mag = mag[None]
    if length is None:
        length = max(1, (mag.shape[-1] - 1) * settings.hop_length)
    if method == "zero":
        phase = np.zeros_like(mag)
    elif method == "griffinlim":
        phase = np.random.default_rng(seed).uniform(-np.pi, np.pi, mag.shape).astype(np.float32)
    elif initial_phase is not None:  # several spectrograms that must add where they overlap start from one phase
        phase = np.broadcast_to(np.asarray(initial_phase, np.float32), mag.shape).copy()
    else:
        phase = pghi(mag, settings)
    passes = 0 if method in ("zero", "pghi") else n_iter  # no pass: the phase as it starts
    y = torch.cat([fast_griffin_lim(torch.from_numpy(mag[i : i + FGLA_CHUNK]), torch.from_numpy(phase[i : i + FGLA_CHUNK]),
                                    settings.n_fft, settings.hop_length, length, passes, momentum)
                   for i in range(0, len(mag), FGLA_CHUNK)])
    y = y.numpy().astype(np.float32, copy=False)
    return y[0] if single else y


def transposed(magnitude: np.ndarray, semitones: float, settings: SpectralSettings = SpectralSettings(), *,
               aligned: bool = False, **kwargs) -> np.ndarray:
    """Audio ``(batch, settings.n_samples)`` of magnitudes ``(batch, n_bins, n_frames)`` played ``semitones`` higher,
    their timing kept, as a phase vocoder transposes. Rebuilt (:func:`reconstruct` with ``kwargs``; ``aligned``:
    every row from one starting phase, PGHI of their mean magnitude, so that they add where they overlap) with
    an STFT whose window and hop are the pitch ratio shorter: there bin ``k`` lies at the ratio times bin ``k``'s
    frequency, so the bins are read as they are, each frame from the note's moment it stands for (its level
    interpolated in dB), at the cost of one note at any key. The window's length rounds to a multiple of 4
    samples; what that leaves of the ratio, and what lies beyond :data:`MOST_TRANSPOSED` semitones, is resampled
    as a sampler would (faster and shorter going up). Moving the bins instead would widen or narrow each
    partial's peak, whose shape is where PGHI reads its frequency from: a note moved five semitones down came
    out a semitone flat."""
    from .audio import repitched

    magnitude = np.asarray(magnitude, np.float32)
    if semitones == 0:
        moved, window = settings, settings.n_fft
    else:
        ratio = 2.0 ** (float(np.clip(semitones, -MOST_TRANSPOSED, MOST_TRANSPOSED)) / 12)
        window = 4 * round(settings.n_fft / ratio / 4)
        hop = min(window // 4, max(1, round(settings.hop_length * window / settings.n_fft)))
        moved = replace(settings, n_fft=window, hop_length=hop)
        bins = np.arange(moved.n_bins)
        at = np.minimum(np.arange(1 + settings.n_samples // hop) * hop / settings.hop_length, magnitude.shape[-1] - 1)
        low = np.minimum(at.astype(int), magnitude.shape[-1] - 2)
        frac = (at - low).astype(np.float32)
        log = np.log(np.maximum(magnitude[..., np.minimum(bins, settings.n_bins - 1), :], 1e-12))
        magnitude = np.exp(log[..., low] * (1 - frac) + log[..., low + 1] * frac)
        magnitude *= (bins < settings.n_bins)[:, None] * window / settings.n_fft  # a partial's peak scales with the window
    start = pghi(np.sqrt(np.mean(magnitude**2, axis=0))[None], moved)[0] if aligned else None
    audio = reconstruct(magnitude, moved, length=settings.n_samples, initial_phase=start, **kwargs)
    return repitched(audio, semitones - 12 * np.log2(settings.n_fft / window), settings.sr)


def pghi(magnitude: np.ndarray, settings: SpectralSettings = SpectralSettings(), tol_db: float = TOL_DB) -> np.ndarray:
    """PGHI phase (radians, float32) for ``(batch, n_bins, n_frames)`` linear magnitudes."""
    mag = np.ascontiguousarray(magnitude, dtype=np.float64)
    log_mag = np.log(np.maximum(mag, 1e-12))
    a, M = settings.hop_length, settings.n_fft
    gamma = HANN_GAMMA * M**2
    bins = np.arange(mag.shape[1], dtype=np.float64)[None, :, None]
    # time-invariant STFT with the phase referenced to the window centre (Gaussian-window relations)
    dphi_dn = a * M / gamma * _gradient(log_mag, axis=1) + 2 * np.pi * a * bins / M
    dphi_dm = -gamma / (a * M) * _gradient(log_mag, axis=2)
    phase = _integrate(log_mag, dphi_dn, dphi_dm, tol_db / 20 * np.log(10))
    # librosa references frames to their start, half a window before the centre: shift by π·m
    return (phase - np.pi * bins).astype(np.float32)


def _gradient(x: np.ndarray, axis: int) -> np.ndarray:
    return np.gradient(x, axis=axis) if x.shape[axis] > 1 else np.zeros_like(x)


@numba.njit(cache=True, parallel=True)
def _integrate(log_mag, dphi_dn, dphi_dm, log_tol):
    batch, n_bins, n_frames = log_mag.shape
    phase = np.zeros(log_mag.shape)
    for b in numba.prange(batch):
        _integrate_one(log_mag[b], dphi_dn[b], dphi_dm[b], log_tol, phase[b])
    return phase


@numba.njit(cache=True)
def _integrate_one(s, dn, dm, log_tol, phase):
    """Heap integration: always extend from the loudest coefficient whose phase is known."""
    n_bins, n_frames = s.shape
    size = n_bins * n_frames
    flat = s.ravel()
    threshold = flat.max() + log_tol
    done = flat < threshold  # too quiet: leave at zero phase
    loud = np.nonzero(~done)[0]
    order = loud[np.argsort(-flat[loud])]  # sorting only the loud coefficients halves the time of a note
    heap_val = np.empty(size)
    heap_idx = np.empty(size, np.int64)
    n_heap = 0
    for start in order:
        if done[start]:
            continue
        done[start] = True
        n_heap = _push(heap_val, heap_idx, n_heap, flat[start], start)
        while n_heap > 0:
            idx = heap_idx[0]
            n_heap = _pop(heap_val, heap_idx, n_heap)
            m, n = idx // n_frames, idx % n_frames
            p = phase[m, n]
            if n + 1 < n_frames and not done[idx + 1]:
                phase[m, n + 1] = p + 0.5 * (dn[m, n] + dn[m, n + 1])
                done[idx + 1] = True
                n_heap = _push(heap_val, heap_idx, n_heap, flat[idx + 1], idx + 1)
            if n > 0 and not done[idx - 1]:
                phase[m, n - 1] = p - 0.5 * (dn[m, n] + dn[m, n - 1])
                done[idx - 1] = True
                n_heap = _push(heap_val, heap_idx, n_heap, flat[idx - 1], idx - 1)
            if m + 1 < n_bins and not done[idx + n_frames]:
                phase[m + 1, n] = p + 0.5 * (dm[m, n] + dm[m + 1, n])
                done[idx + n_frames] = True
                n_heap = _push(heap_val, heap_idx, n_heap, flat[idx + n_frames], idx + n_frames)
            if m > 0 and not done[idx - n_frames]:
                phase[m - 1, n] = p - 0.5 * (dm[m, n] + dm[m - 1, n])
                done[idx - n_frames] = True
                n_heap = _push(heap_val, heap_idx, n_heap, flat[idx - n_frames], idx - n_frames)


@numba.njit(cache=True, inline="always")
def _push(vals, idxs, n, val, idx):
    i = n
    while i > 0:
        parent = (i - 1) // 2
        if vals[parent] >= val:
            break
        vals[i], idxs[i] = vals[parent], idxs[parent]
        i = parent
    vals[i], idxs[i] = val, idx
    return n + 1


@numba.njit(cache=True, inline="always")
def _pop(vals, idxs, n):
    n -= 1
    val, idx = vals[n], idxs[n]
    i = 0
    while True:
        child = 2 * i + 1
        if child >= n:
            break
        if child + 1 < n and vals[child + 1] > vals[child]:
            child += 1
        if vals[child] <= val:
            break
        vals[i], idxs[i] = vals[child], idxs[child]
        i = child
    vals[i], idxs[i] = val, idx
    return n


def fast_griffin_lim(magnitude: torch.Tensor, phase: torch.Tensor, n_fft: int, hop_length: int, length: int, n_iter: int,
                     momentum: float = MOMENTUM) -> torch.Tensor:
    """Fast Griffin-Lim (Perraudin, Balazs & Søndergaard 2013) from ``phase``: audio ``(batch, length)``
    of ``(batch, bins, frames)`` magnitudes, in the project's STFT convention. It compiles with TorchScript
    into calls an nn~ built on libtorch 2.5 knows (framed FFTs, not ``torch.stft``, whose saved call
    carries an argument added after it)."""
    window = torch.hann_window(n_fft, dtype=magnitude.dtype, device=magnitude.device)
    positions = _frame_positions(window, hop_length, magnitude.shape[-1])
    target = torch.polar(magnitude, phase)
    previous = target
    coefficients = target
    for _ in range(n_iter):
        rebuilt = framed_stft(_overlap_added(coefficients, window, hop_length, length, positions), window, hop_length)
        target = magnitude * rebuilt / torch.clamp(rebuilt.abs(), min=1e-12)
        coefficients = target + momentum * (target - previous)
        previous = target
    return _overlap_added(target, window, hop_length, length, positions)


def framed_stft(audio: torch.Tensor, window: torch.Tensor, hop_length: int) -> torch.Tensor:
    """``torch.stft(audio, center=True, pad_mode="constant")`` of ``(batch, samples)`` from frames and an FFT."""
    n_fft = window.shape[0]
    frames = F.pad(audio, [n_fft // 2, n_fft // 2]).unfold(-1, n_fft, hop_length) * window
    return torch.fft.rfft(frames, dim=-1).transpose(1, 2)


def _frame_positions(window: torch.Tensor, hop_length: int, n_frames: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Where each frame's samples land in the overlap-add, and the summed squared window there."""
    starts = torch.arange(n_frames, device=window.device)[:, None] * hop_length
    at = (starts + torch.arange(window.shape[0], device=window.device)).flatten()
    weight = torch.zeros(window.shape[0] + hop_length * (n_frames - 1), dtype=window.dtype, device=window.device)
    return at, weight.index_add_(0, at, window.square().repeat(n_frames)).clamp(min=1e-11)


def _overlap_added(spec: torch.Tensor, window: torch.Tensor, hop_length: int, length: int,
                   positions: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
    at, weight = positions
    n_fft = window.shape[0]
    frames = torch.fft.irfft(spec.transpose(1, 2), n=n_fft, dim=-1) * window
    added = torch.zeros(spec.shape[0], weight.shape[0], dtype=frames.dtype, device=spec.device)
    audio = (added.index_add_(1, at, frames.reshape(spec.shape[0], -1)) / weight)[:, n_fft // 2 :]
    if audio.shape[1] < length:
        audio = F.pad(audio, [0, length - audio.shape[1]])
    return audio[:, :length]


def pghi_along_time(magnitude: torch.Tensor, n_fft: int, hop_length: int, gamma: float = HANN_GAMMA) -> torch.Tensor:
    """PGHI's phase integrated along time only, every bin from zero phase at the first frame: no heap,
    so it compiles with TorchScript and costs a cumulative sum (:mod:`~timbral.exports.nn`). Alone it is far
    from :func:`pghi`, but as the start of :func:`fast_griffin_lim` it ends within about half a dB of it
    (``benchmarks/live.py``). ``(batch, bins, frames)`` linear magnitudes → radians."""
    log_mag = torch.log(magnitude.clamp(min=1e-12))
    gamma = gamma * n_fft * n_fft
    bins = torch.arange(magnitude.shape[1], dtype=magnitude.dtype, device=magnitude.device)[None, :, None]
    slope = torch.cat([log_mag[:, 1:2] - log_mag[:, :1], 0.5 * (log_mag[:, 2:] - log_mag[:, :-2]), log_mag[:, -1:] - log_mag[:, -2:-1]], 1)
    advance = hop_length * n_fft / gamma * slope + 2 * math.pi * hop_length * bins / n_fft  # radians per hop
    steps = 0.5 * (advance[..., 1:] + advance[..., :-1])
    return torch.cat([torch.zeros_like(advance[..., :1]), torch.cumsum(steps, -1)], -1) - math.pi * bins


def spectral_convergence(y, magnitude, settings: SpectralSettings = SpectralSettings()) -> np.ndarray:
    """``20·log10(‖|STFT(y)| − S‖ / ‖S‖)`` in dB, per item: lower is better."""
    mag = torch.as_tensor(np.asarray(magnitude, dtype=np.float32))
    rebuilt = stft(y, settings).abs()
    frames = min(rebuilt.shape[-1], mag.shape[-1])
    err = torch.linalg.vector_norm(rebuilt[..., :frames] - mag[..., :frames], dim=(-2, -1))
    ref = torch.clamp(torch.linalg.vector_norm(mag[..., :frames], dim=(-2, -1)), min=1e-12)
    return (20 * torch.log10(torch.clamp(err, min=1e-12) / ref)).numpy()


def _check_magnitude(magnitude, settings: SpectralSettings) -> np.ndarray:
    if torch.is_tensor(magnitude):
        magnitude = magnitude.detach().cpu().numpy()
    try:
        mag = np.asarray(magnitude, dtype=np.float32)
    except (TypeError, ValueError) as e:
        raise ValueError(f"magnitude must be an array of numbers ({e})") from None
    if mag.ndim not in (2, 3):
        raise ValueError(f"magnitude must be (n_bins, n_frames) or (batch, n_bins, n_frames), got shape {mag.shape}")
    if mag.shape[-2] != settings.n_bins:
        raise ValueError(f"magnitude has {mag.shape[-2]} bins; n_fft={settings.n_fft} needs {settings.n_bins}")
    if mag.shape[-1] < 1 or mag.size == 0:
        raise ValueError("magnitude has no frames")
    if not np.all(np.isfinite(mag)):
        raise ValueError("magnitude contains NaN or infinite values")
    if np.any(mag < 0):
        raise ValueError("magnitude must be non-negative (pass |STFT|, not dB)")
    return np.ascontiguousarray(mag)

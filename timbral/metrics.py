"""The figures a timbre space and a rebuild are judged by: pure functions over numpy arrays (latents, labels,
magnitudes), with no model and no dataset in them (:mod:`~timbral.evaluate` feeds them).

- where a note lands: :func:`knn_predict` / :func:`knn_accuracy`, :func:`placement_accuracy` (the family vote of
  its nearest references, with its chance level) and :func:`placement_by_family`;
- whether a latent holds the instrument rather than the pitch: :func:`cross_pitch_retrieval`,
  :func:`explained_variance`, :func:`same_instrument_distances`, and all of them at pitches the training heard
  and did not (:func:`heard_pitches`, :func:`by_heard_pitch`);
- how close a rebuild is: :func:`gain_matched` (spectral convergence after the best gain),
  :func:`log_spectral_distance` and, above 8 kHz, :func:`high_band_level_error`.

>>> float(explained_variance(np.array([[0.0], [0.0], [1.0], [1.0]]), np.array([0, 0, 1, 1])))
1.0
"""

from __future__ import annotations

import numpy as np
import torch

from .data.nsynth import source_of
from .spectral import db_to_power, magnitude_to_db, power_to_db

K = 5
KNN_CHUNK = 1024  # queries per distance matrix
def knn_predict(query: np.ndarray, ref: np.ndarray, ref_labels: np.ndarray, k: int = K, groups: np.ndarray | None = None,
                ref_groups: np.ndarray | None = None) -> np.ndarray:
    """The label the ``k`` nearest references (Euclidean) vote for, per query (-1 when none is left);
    a reference in the query's group (``ref_groups`` against ``groups``, such as its instrument) is passed over."""
    r = torch.from_numpy(ref).float()
    predicted = np.empty(len(query), int)
    for start in range(0, len(query), KNN_CHUNK):  # bounded memory on large sets
        d = torch.cdist(torch.from_numpy(query[start : start + KNN_CHUNK]).float(), r)
        if groups is not None and ref_groups is not None:
            d[torch.from_numpy(groups[start : start + KNN_CHUNK, None] == ref_groups[None, :])] = float("inf")
        nearest = d.topk(min(k, len(ref)), largest=False)
        for i, (dist, at) in enumerate(zip(nearest.values.numpy(), nearest.indices.numpy())):
            votes = ref_labels[at[np.isfinite(dist)]]
            predicted[start + i] = np.bincount(votes).argmax() if len(votes) else -1
    return predicted


def knn_accuracy(query: np.ndarray, query_labels: np.ndarray, ref: np.ndarray | None = None,
                 ref_labels: np.ndarray | None = None, k: int = K, groups: np.ndarray | None = None,
                 ref_groups: np.ndarray | None = None) -> float:
    """Share of queries whose k nearest references vote for their label (see :func:`knn_predict`).

    Without references it is leave-one-out among the queries (each query its own group unless
    ``groups`` says otherwise).
    """
    if ref is None:
        ref, ref_labels = query, query_labels
        groups = ref_groups = np.arange(len(query)) if groups is None else groups
    predicted = knn_predict(query, ref, ref_labels, k, groups, ref_groups)
    return float(np.mean(predicted == query_labels)) if len(query) else float("nan")


def placement_accuracy(query: np.ndarray, query_families: np.ndarray, ref: np.ndarray | None = None,
                       ref_families: np.ndarray | None = None, k: int = K, shuffles: int = 10,
                       groups: np.ndarray | None = None) -> tuple[float, float]:
    """Family vote of the ``k`` nearest references, and its chance level: the same vote with the
    references' families shuffled. Without references it is leave-one-out among the queries,
    leaving out each query's whole group (its instrument, say) when ``groups`` is given.

    Families are labels of any kind (strings work): they are coded together first.
    """
    _, q_codes, r_codes = family_codes(query_families, ref_families)
    ref_groups = None
    if ref is None:
        ref, r_codes = query, q_codes
        groups = ref_groups = np.arange(len(query)) if groups is None else groups
    accuracy = knn_accuracy(query, q_codes, ref, r_codes, k, groups, ref_groups)
    rng = np.random.default_rng(0)
    chance = [knn_accuracy(query, q_codes, ref, rng.permutation(r_codes), k, groups, ref_groups) for _ in range(shuffles)]
    return accuracy, float(np.mean(chance)) if chance else float("nan")


def placement_by_family(query: np.ndarray, query_families: np.ndarray, ref: np.ndarray | None = None,
                        ref_families: np.ndarray | None = None, k: int = K) -> dict[str, float]:
    """:func:`placement_accuracy` for each family of the queries on its own: which families a space
    places among their kind, and which it mistakes for another."""
    names, q_codes, r_codes = family_codes(query_families, ref_families)
    if ref is None:
        every = np.arange(len(query))
        predicted = knn_predict(query, query, q_codes, k, every, every)
    else:
        predicted = knn_predict(query, ref, r_codes, k)
    return {str(names[c]): float(np.mean(predicted[q_codes == c] == c)) for c in np.unique(q_codes)}


def family_codes(query_families: np.ndarray, ref_families: np.ndarray | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The family names, and the queries' and references' families coded together as their indices."""
    labels = np.concatenate([query_families, [] if ref_families is None else ref_families])
    names, codes = np.unique(labels, return_inverse=True)
    return names, codes[: len(query_families)], codes[len(query_families) :]


def cross_pitch_hits(z: np.ndarray, instruments: np.ndarray, pitches: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per note: whether its nearest note at another pitch is of the same instrument (NaN where no note
    is at another pitch), and the chance of that (the share of its instrument among those notes)."""
    other_pitch = pitches[:, None] != pitches[None, :]
    d = torch.cdist(torch.from_numpy(z).float(), torch.from_numpy(z).float()).numpy()
    d[~other_pitch] = np.inf
    usable = other_pitch.any(axis=1)
    same = instruments[:, None] == instruments[None, :]
    hit = same[np.arange(len(z)), d.argmin(axis=1)].astype(float)
    chance = (same & other_pitch).sum(axis=1) / np.maximum(other_pitch.sum(axis=1), 1)
    return np.where(usable, hit, np.nan), np.where(usable, chance, np.nan)


def cross_pitch_retrieval(z: np.ndarray, instruments: np.ndarray, pitches: np.ndarray) -> tuple[float, float]:
    """Share of notes whose nearest note at another pitch is of the same instrument, and its chance level."""
    hit, chance = cross_pitch_hits(z, instruments, pitches)
    if np.isnan(hit).all():
        return float("nan"), float("nan")
    return float(np.nanmean(hit)), float(np.nanmean(chance))


def explained_variance(z: np.ndarray, groups: np.ndarray, adjusted: bool = False) -> float:
    """R²: the share of the latent's total variance that the per-group means explain. ``adjusted`` takes
    out what many small groups explain by chance (R² is about (groups - 1) / (notes - 1) even for a latent
    that knows nothing of them), so notes at 73 pitches and notes at 8 compare fairly."""
    total = ((z - z.mean(axis=0)) ** 2).sum()
    if total == 0:
        return float("nan")
    within = sum(((z[groups == g] - z[groups == g].mean(axis=0)) ** 2).sum() for g in np.unique(groups))
    n, k = len(z), len(np.unique(groups))
    if adjusted:
        return float(1 - (within / max(n - k, 1)) / (total / max(n - 1, 1)))
    return float(1 - within / total)


def gain_matched(mag_hat: np.ndarray, mag: np.ndarray, settings=None) -> tuple[np.ndarray, np.ndarray | None]:
    """Spectral convergence (dB) per note after the best gain on ``mag_hat``, and with ``settings``
    the log-spectral distance (dB) too."""
    gain = (mag_hat * mag).sum(axis=(-2, -1)) / np.maximum((mag_hat**2).sum(axis=(-2, -1)), 1e-12)
    scaled = mag_hat * gain[..., None, None]
    err = np.linalg.norm(scaled - mag, axis=(-2, -1)) / np.maximum(np.linalg.norm(mag, axis=(-2, -1)), 1e-12)
    sc = 20 * np.log10(np.maximum(err, 1e-12))
    return sc, (log_spectral_distance(scaled, mag, settings) if settings is not None else None)


def heard_pitches(notes: list[dict], reference: list[dict]) -> np.ndarray:
    """Per note: whether the reference (the training notes) holds notes at its pitch from its source,
    or, for a source the reference does not hold (one held out), from any source."""
    by_source: dict[str, set[int]] = {}
    for m in reference:
        by_source.setdefault(source_of(m), set()).add(int(m["pitch"]))
    every = set().union(*by_source.values()) if by_source else set()
    return np.array([int(m["pitch"]) in by_source.get(source_of(m), every) for m in notes], bool)


def same_instrument_distances(z: np.ndarray, instruments: np.ndarray, pitches: np.ndarray, velocities: np.ndarray,
                              heard: np.ndarray) -> tuple[float, float]:
    """Median latent distance between two notes of one instrument at one velocity and different pitches,
    both at heard pitches, and from a note at an unheard pitch to one at a heard pitch: the second
    should be no larger (a timbre does not move at a pitch the training never heard)."""
    among_heard, to_unheard = [], []
    for name in np.unique(instruments):
        at = np.flatnonzero(instruments == name)
        d = np.linalg.norm(z[at, None] - z[None, at], axis=-1)
        pair = (velocities[at, None] == velocities[None, at]) & (pitches[at, None] != pitches[None, at])
        h = heard[at]
        among_heard.extend(d[pair & h[:, None] & h[None, :] & np.triu(np.ones_like(pair), 1)])
        to_unheard.extend(d[pair & ~h[:, None] & h[None, :]])
    median = lambda v: float(np.median(v)) if len(v) else float("nan")  # noqa: E731
    return median(among_heard), median(to_unheard)


def by_heard_pitch(mu: np.ndarray, families: np.ndarray, instruments: np.ndarray, pitches: np.ndarray,
                   velocities: np.ndarray, heard: np.ndarray, placed: np.ndarray | None) -> dict:
    """The generalisation figures for the notes at pitches the training heard (``..._heard_pitch``) and at
    those it did not (``..._unheard_pitch``), the same-instrument distance ratio unheard / heard, and
    the placement at each MIDI pitch (``placement_by_pitch``: pitch -> [accuracy, notes, heard])."""
    hits, _ = cross_pitch_hits(mu, instruments, pitches)
    out: dict = {"notes_heard_pitch": int(heard.sum()), "notes_unheard_pitch": int((~heard).sum())}
    for name, mask in (("heard_pitch", heard), ("unheard_pitch", ~heard)):
        if not mask.any():
            continue
        if placed is not None:
            out[f"placement_family_accuracy_{name}"] = float(placed[mask].mean())
        out[f"cross_pitch_instrument_retrieval_{name}"] = float(np.nanmean(hits[mask])) if np.isfinite(hits[mask]).any() else float("nan")
        out[f"pitch_explained_variance_{name}"] = explained_variance(mu[mask], pitches[mask], adjusted=True)
    among_heard, to_unheard = same_instrument_distances(mu, instruments, pitches, velocities, heard)
    out.update(same_instrument_distance_heard_pitch=among_heard, same_instrument_distance_unheard_pitch=to_unheard,
               same_instrument_distance_ratio=to_unheard / among_heard if among_heard > 0 else float("nan"))
    if placed is not None:
        out["placement_by_pitch"] = {int(p): [float(placed[pitches == p].mean()), int((pitches == p).sum()),
                                              bool(heard[pitches == p].all())] for p in np.unique(pitches)}
    return out


def high_band_level_error(heard_hat: np.ndarray, heard: np.ndarray, settings) -> np.ndarray:
    """Per note: the mean over the high band's bands of |level of ``heard_hat`` − level of ``heard``| in dB, each
    band's level its power over the whole note, ``heard_hat`` first brought to ``heard``'s level below 8 kHz; a
    band 60 dB under the note's whole power counts as that (so silence against silence is no error).
    ``heard_hat``/``heard``: heard dB spectrograms ``(n, heard_rows, frames)``. NaN without a high band."""
    core = settings.core_bins
    if heard.shape[-2] == core:
        return np.full(len(heard), np.nan)
    power_hat, power = (db_to_power(np.asarray(h, np.float64)) for h in (heard_hat, heard))
    gain = power[:, :core].sum(axis=(1, 2)) / np.maximum(power_hat[:, :core].sum(axis=(1, 2)), 1e-30)
    floor = 1e-6 * power.sum(axis=(1, 2))[:, None]
    level_hat = power_to_db(power_hat[:, core:].sum(axis=2) * gain[:, None] + floor)
    level = power_to_db(power[:, core:].sum(axis=2) + floor)
    return np.abs(level_hat - level).mean(axis=1)


def log_spectral_distance(mag_hat: np.ndarray, mag: np.ndarray, settings) -> np.ndarray:
    """Per note: mean over frames of sqrt(mean over bins of (dB difference)²)."""
    diff = magnitude_to_db(mag_hat, settings) - magnitude_to_db(mag, settings)
    return np.sqrt((diff**2).mean(axis=-2)).mean(axis=-1)

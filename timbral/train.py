"""Training: ``timbral train DATA --out RUN``, on a CPU, a GPU, or many under ``torchrun``.

Read top to bottom: settings → data → model → one step → the loop → the outputs.
The recipe is made for a timbre space that generalises: a batch is pairs of notes of one
instrument at different pitches; part of the notes are rebuilt from their partner's latent
(so the latent must hold what the instrument's notes share, not the pitch) and a contrastive
loss pulls a pair's latents together; the encoder hears every note at one level and is told
its pitch (:class:`~timbral.model.ModelConfig`). Batches are drawn from a seeded permutation per epoch and indexed by the step number, so a
resumed run (``--resume``) and a run under DistributedDataParallel see exactly the batches an
uninterrupted single-process run would. The run folder holds ``checkpoint.pt`` (written
atomically), ``log.csv``, ``loss.png`` and, at the end, the exported model in ``model/``.
"""

from __future__ import annotations

import csv
import ctypes
import json
import os
import time
import warnings
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist

from .atomic import atomic_path, write_json
from .augment import pitch_shifted, recoloured, with_noise_floor
from .card import plot_losses, training_card
from .data.features import FeatureStore, feature_store, note_audio
from .losses import training_losses
from .model import ENCODER_SETTINGS, MAX_MEL_BANDS, SYNTHESES, ModelConfig, TimbreVAE, load_model, save_model
from .progress import Bar
from .spectral import SpectralSettings, level_db
from .synthesis import CROP_FRAMES

COMPILE_FROM_STEPS = 1000  # torch.compile takes half a minute to a minute to start: longer runs win it back
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3  # glibc's mallopt parameters (malloc.h)
CHECKPOINT = "checkpoint.pt"
ENCODER_STAGE = "encoder"  # the run folder of the first stage of a run with encoder_steps, inside its own
LOG = "log.csv"
LOG_FIELDS = ("step", "epoch", "seconds", "examples_per_s", "lr", "beta", "loss", "l1", "sc", "audio", "kl", "family",
              "contrastive", "high", "valid_l1", "valid_sc", "valid_kl", "valid_high")


def setting(default, help: str, *, kind: str = "", model: bool = False, choices: tuple[str, ...] = ()):
    """One training setting, declared once: its default, its ``--help`` text, its ``kind`` (what
    :meth:`TrainConfig.from_dict` accepts: see :data:`KINDS`; bools and free ints need none; a word takes one of
    its ``choices``; ``model_folder``, a path or None) and whether the model keeps it (``model``:
    :class:`~timbral.model.ModelConfig`'s field of the same name)."""
    return field(default=default, metadata={"help": help, "kind": kind, "model": model, "choices": choices})


# kind: (lowest, highest, what a bad value is told); a bound of None is open
KINDS = {
    "count": (1, None, "must be a positive integer"),
    "amount": (0, None, "must be a finite non-negative number"),
    "positive": (0, None, "must be positive"),
    "share": (0, 1, "is a share of the batch, at most 1"),
    "window_db": (20, 120, "must be 20-120 dB"),
    "semitones": (0, 12, "must be 0-12 semitones"),
    "mel_bands": (0, MAX_MEL_BANDS, f"must be 0 (the bins) or up to {MAX_MEL_BANDS} mel bands"),
}


@dataclass
class TrainConfig:
    """Every training setting; ``timbral train`` flags and ``--config FILE`` (JSON) fill it."""

    steps: int = setting(3600, "optimiser steps (of the audio decoder, after encoder_steps; together about 70 min on 2 CPU "
                                "cores)", kind="count")
    batch_size: int = setting(16, "notes per step (global, split among torchrun processes)", kind="count")
    lr: float = setting(1e-3, "learning rate (AdamW; warm-up, then cosine decay to a tenth)", kind="positive")
    beta: float = setting(3e-4, "KL weight against the per-element reconstruction losses", kind="amount")
    kl_warmup: int = setting(3000, "steps over which the KL weight rises from 0", kind="amount")
    free_bits: float = setting(0.05, "nats per latent dimension the KL does not penalise", kind="amount")
    sc_weight: float = setting(1.0, "weight of the spectral convergence loss on linear magnitude", kind="amount")
    multires_weight: float = setting(0.0, "weight of the same reconstruction loss on the spectrogram pooled to coarser "
                                          "time-frequency resolutions, as a multi-resolution STFT loss (0: off)", kind="amount")
    family_weight: float = setting(0.05, "weight of the auxiliary family classifier on the latent mean (0: off)", kind="amount")
    cross_pitch: float = setting(0.5, "share of notes rebuilt from the latent of another note (other pitch) of their "
                                      "instrument, so the latent holds the instrument, not the pitch (0: off)", kind="share")
    contrastive_weight: float = setting(0.1, "weight of a contrastive loss pulling the latents of one instrument's notes "
                                             "together (0: off)", kind="amount")
    noise_floor: float = setting(0.0, "share of notes the encoder hears over a random noise floor 60-85 dB below them, as "
                                      "in a quiet 16-bit take or a noisy room (0: off)", kind="share")
    colour: float = setting(0.0, "share of instruments recoloured by a random smooth EQ (tilt and broad resonances) into "
                                 "new instruments of their family, so the space learns families rather than the "
                                 "SoundFonts' colours (0: off)", kind="share")
    pitch_shift: float = setting(0.0, "move every note by a random shift of up to this many semitones, up or down, its "
                                      "partials and spectral envelope together and its pitch label with them, so the "
                                      "encoder hears every instrument at pitches between those it was rendered at (0: off)",
                                 kind="semitones")
    seed: int = setting(0, "seed of the weights, the batches and every random draw")
    checkpoint_every: int = setting(500, "steps between checkpoints", kind="count")
    valid_every: int = setting(500, "steps between validation rows of the log", kind="count")
    log_every: int = setting(50, "steps between log rows", kind="count")
    max_minutes: float = setting(0.0, "stop after this many minutes with a checkpoint and a model (0: no limit)", kind="amount")
    latent_dim: int = setting(32, "numbers in the timbre latent", kind="count", model=True)
    channels: int = setting(256, "channels of the encoder's and decoder's convolutions", kind="count", model=True)
    pitch_conditioning: bool = setting(True, "condition the decoder on pitch and velocity", model=True)
    harmonic_template: bool = setting(True, "without harmonic_noise: gate the free head with a comb at the pitch's harmonics",
                                       model=True)
    harmonic_noise: bool = setting(True, "the decoder adds harmonics at exact multiples of the pitch, each with its own "
                                          "level over time, and filtered noise (DDSP-style) to its free head", model=True)
    decoder_blocks: int = setting(0, "residual dilated convolutions added where the decoder shapes a note's course over "
                                      "time (more depth for the same width; 0: none; an experiment: in the ablation four "
                                      "changed nothing a listener hears)", kind="amount", model=True)
    level_normalise: bool = setting(True, "the encoder hears every note at one level, so recording level cannot move a "
                                          "sound", model=True)
    level_ramp: bool = setting(False, "with level normalisation, the encoder hears each frequency as its height above the "
                                      "bottom of its window, with no step there (an experiment: in the ablation it did not "
                                      "keep a quiet 16-bit take any closer to a loud one)", model=True)
    encoder_range_db: float = setting(55.0, "with level normalisation, how many dB below the note's level the encoder "
                                            "hears: less keeps the noise and rounding of a quiet 16-bit file out of the "
                                            "timbre, more keeps softer detail", kind="window_db", model=True)
    encoder_pitch: bool = setting(True, "tell the encoder the note's pitch, so it can take out what pitch alone explains",
                                  model=True)
    synthesis: str = setting("audio", "how the decoder makes a note: 'audio' (harmonics and noise over the whole band "
                                      "rendered straight to audio, trained on each note's own audio by a multi-resolution "
                                      "STFT distance; a step of 16 takes about 0.45 s on 2 CPU cores) or 'spectrogram' (its "
                                      "magnitudes to 8 kHz and the high band's levels, the phase rebuilt when played: the "
                                      "encoder's stage, and the default model until 2026-12-08)", model=True,
                             choices=SYNTHESES)
    encoder_relative: bool = setting(False, "the encoder also hears the spectrum on a log-frequency axis that starts at "
                                            "the note's pitch, where an instrument's harmonics sit at the same place "
                                            "whatever it plays", model=True)
    encoder_mel: int = setting(0, "the encoder hears the band to 8 kHz as this many mel bands (0: its 513 bins), a "
                                  "note's broad shape rather than where its pitch puts each partial", kind="mel_bands",
                               model=True)
    encoder_from: str | None = setting(None, "a model folder whose encoder this run keeps as it is, training only the "
                                             "decoder: a new voice for the same timbre space, where every sound keeps its "
                                             "place on the map (the encoder's hearing settings are taken over)",
                                       kind="model_folder")
    encoder_steps: int = setting(9000, "with synthesis 'audio' and no encoder_from, train the timbre space first: this many "
                                       "steps of a spectrogram model with the latent terms (its run in the run folder's "
                                       "encoder/), whose encoder the audio decoder is then trained on for --steps, kept as "
                                       "it is: the spectrogram model's placement with the audio decoder's sound, in one run "
                                       "(0: the audio model trains its own encoder)", kind="amount")
    encoder_batch_size: int = setting(32, "notes per step of the encoder's stage (encoder_steps)", kind="count")

    @classmethod
    def from_dict(cls, d: dict) -> TrainConfig:
        """The settings ``d`` names over the defaults; a ValueError says which one is wrong and what it takes."""
        unknown = set(d) - {f.name for f in fields(cls)}
        if unknown:
            raise ValueError(f"unknown training settings: {', '.join(sorted(unknown))}")
        cfg = cls(**d)
        for f in fields(cls):
            problem = _problem(f, getattr(cfg, f.name))
            if problem:
                raise ValueError(f"{f.name} {problem}, got {getattr(cfg, f.name)!r}")
        ModelConfig(**cfg.model_settings())  # what the model refuses of its settings together, said before any work
        if cfg.renders_audio and (cfg.pitch_shift or cfg.colour or cfg.noise_floor):
            raise ValueError("pitch_shift, colour and noise_floor change the spectrograms a note is heard by, not its "
                             "audio: leave them off with synthesis 'audio'")
        return cfg

    def __post_init__(self):
        if not self.renders_audio or self.encoder_from is not None:  # the run has its encoder, or is one
            self.encoder_steps = 0

    def encoder_stage(self) -> TrainConfig:
        """The settings of the first stage of a run with ``encoder_steps``: a spectrogram model, bounded by its steps
        alone (``max_minutes`` bounds the whole run, and is spent by the second stage)."""
        return replace(self, synthesis="spectrogram", steps=self.encoder_steps, batch_size=self.encoder_batch_size,
                       encoder_steps=0, max_minutes=0.0)

    @property
    def renders_audio(self) -> bool:
        """The model renders audio, and trains on the notes' own audio."""
        return self.synthesis == "audio"

    @property
    def paired(self) -> bool:
        """Batches of instrument pairs: half the notes, and for each another note of its instrument."""
        return self.cross_pitch > 0 or self.contrastive_weight > 0

    def model_settings(self) -> dict:
        """The settings the model keeps (:class:`~timbral.model.ModelConfig` fields of the same name)."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.metadata["model"]}


def _problem(f, value) -> str | None:
    """What is wrong with ``value`` for the setting ``f`` (None: nothing)."""
    if f.type in (bool, "bool"):
        return None if isinstance(value, bool) else "must be true or false"
    if f.metadata["kind"] == "model_folder":
        return None if value is None or isinstance(value, str) else "must be a model folder's path"
    if f.metadata["choices"]:
        return None if value in f.metadata["choices"] else f"must be one of {', '.join(f.metadata['choices'])}"
    whole = f.type in (int, "int")
    if isinstance(value, bool) or not isinstance(value, int if whole else (int, float)) or not np.isfinite(value):
        return "must be a whole number" if whole else "must be a finite number"
    if not f.metadata["kind"]:
        return None
    lo, hi, told = KINDS[f.metadata["kind"]]
    too_low = value <= lo if f.metadata["kind"] == "positive" else value < lo
    if too_low and f.metadata["kind"] == "share":
        return KINDS["amount"][2]
    return told if too_low or (hi is not None and value > hi) else None


# --- distributed -----------------------------------------------------------------------------

def _setup_distributed() -> tuple[int, int, torch.device]:
    world = int(os.environ.get("WORLD_SIZE", "1"))
    cuda = torch.cuda.is_available()
    if world > 1 and not dist.is_initialized():
        dist.init_process_group("nccl" if cuda else "gloo")
    rank = dist.get_rank() if dist.is_initialized() else 0
    if cuda:
        local = int(os.environ.get("LOCAL_RANK", "0"))
        torch.cuda.set_device(local)
        return rank, world, torch.device("cuda", local)
    return rank, world, torch.device("cpu")


def _agree(flag: bool, device) -> bool:
    """Rank 0's answer, on every rank (so all processes stop at the same step)."""
    if not dist.is_initialized():
        return flag
    t = torch.tensor([float(flag)], device=device)
    dist.broadcast(t, src=0)
    return bool(t.item())


def _barrier() -> None:
    if dist.is_initialized():
        dist.barrier()


# --- data ------------------------------------------------------------------------------------

def batch_rows(rows: np.ndarray, step: int, batch_size: int, seed: int, rank: int = 0, world: int = 1) -> np.ndarray:
    """This rank's share of the global batch of ``step``: a seeded permutation per epoch."""
    n = len(rows)
    start = step * batch_size
    picked = []
    for position in range(start, start + batch_size):
        epoch, offset = divmod(position, n)
        picked.append(_permutation(n, seed, epoch)[offset])
    return rows[np.array(picked[rank::world])]


_PERMUTATIONS: dict[tuple[int, int, int], np.ndarray] = {}


def _permutation(n: int, seed: int, epoch: int) -> np.ndarray:
    key = (n, seed, epoch)
    if key not in _PERMUTATIONS:
        _PERMUTATIONS.clear()
        _PERMUTATIONS[key] = np.random.default_rng([seed, epoch]).permutation(n)
    return _PERMUTATIONS[key]


class Partners:
    """For a note, another note of the same instrument, at another pitch when it has one."""

    def __init__(self, store: FeatureStore, rows: np.ndarray):
        meta = [store.index[r] for r in rows]
        self.rows, self.pitch = np.asarray(rows), np.array([m["pitch"] for m in meta])
        _, groups = np.unique([m["instrument_str"] for m in meta], return_inverse=True)
        self.members = [np.flatnonzero(groups == g) for g in range(groups.max() + 1)]
        self.group_of = dict(zip(self.rows.tolist(), groups.tolist()))
        self.position = {r: i for i, r in enumerate(self.rows.tolist())}

    def pick(self, rows: np.ndarray, seed: int, step: int) -> np.ndarray:
        """A partner for each of ``rows``, drawn with ``(seed, step)``: a resumed run draws the same."""
        rng = np.random.default_rng([seed, step, 1])
        partners = []
        for r in rows.tolist():
            members = self.members[self.group_of[r]]
            other = members[self.pitch[members] != self.pitch[self.position[r]]]
            pool = other if len(other) else members
            partners.append(self.rows[pool[rng.integers(len(pool))]])
        return np.array(partners)


def paired_batch(store: FeatureStore, rows: np.ndarray, bounds, device, share: float) -> dict:
    """``rows``: anchors, then their partners; a ``share`` of the notes (drawn with torch's generator) is rebuilt
    from its partner's latent."""
    batch = store.load_batch(rows, bounds, device)
    m = len(rows) // 2
    own = torch.arange(2 * m, device=device)
    swapped = torch.cat([own[m:], own[:m]])
    batch["source"] = torch.where(torch.rand(2 * m, device=device) < share, swapped, own)
    batch["pairs"] = m
    return batch


def step_batch(store: FeatureStore, rows: np.ndarray, partners: Partners | None, cfg: TrainConfig, step: int,
               device, rank: int = 0, world: int = 1) -> dict[str, torch.Tensor]:
    """This rank's batch of ``step``: plain, or instrument pairs when ``partners`` is given; with
    ``cfg.pitch_shift`` every note is moved by a random fraction of semitones up or down, with
    ``cfg.colour`` part of its instruments are recoloured, with ``cfg.noise_floor`` what the encoder
    hears of it (``heard``) has noise floors added (:mod:`~timbral.augment`)."""
    if partners is None:
        chosen = batch_rows(rows, step, cfg.batch_size, cfg.seed, rank, world)
        batch = store.load_batch(chosen, store.bounds, device)
    else:
        anchors = batch_rows(rows, step, cfg.batch_size // 2, cfg.seed, rank, world)
        chosen = np.concatenate([anchors, partners.pick(anchors, cfg.seed, step)])
        batch = paired_batch(store, chosen, store.bounds, device, cfg.cross_pitch)
    if cfg.pitch_shift:
        batch["spec"], batch["pitch"] = pitch_shifted(batch["spec"], batch["pitch"], cfg.pitch_shift)
    if cfg.colour:
        batch["spec"] = recoloured(batch["spec"], store.bounds, store.settings, cfg.colour, batch.get("pairs", 0))
    if cfg.noise_floor:
        batch["heard"] = with_noise_floor(batch["spec"], store.bounds, cfg.noise_floor)
    if cfg.renders_audio:
        with_audio(batch, store, chosen, cfg.seed, step)
    return batch


def with_audio(batch: dict, store: FeatureStore, rows: np.ndarray, seed: int, step: int) -> None:
    """Add the notes' own audio (``audio``, ``(batch, samples)``) and where the crop the model renders begins
    (``first``, a frame drawn with ``(seed, step)``: half the time the note's start, where its attack is)."""
    names = [store.index[r]["note_str"] for r in rows.tolist()]
    batch["audio"] = torch.from_numpy(note_audio(store.dataset, names, store.settings)).to(batch["spec"].device)
    rng = np.random.default_rng([seed, step, 2])
    batch["first"] = 0 if rng.random() < 0.5 else int(rng.integers(0, store.settings.n_frames - CROP_FRAMES))


# --- one step --------------------------------------------------------------------------------

def learning_rate(cfg: TrainConfig, step: int) -> float:
    """Linear warm-up over 200 steps, then cosine decay to a tenth."""
    warm = min(1.0, (step + 1) / 200)
    progress = step / max(1, cfg.steps)
    return float(cfg.lr * warm * (0.1 + 0.9 * 0.5 * (1 + np.cos(np.pi * progress))))


# --- the loop --------------------------------------------------------------------------------

def saved_config(out: str | os.PathLike) -> TrainConfig:
    """The settings of the run in ``out`` (from its checkpoint, or from its ``config.json`` while its first stage,
    ``encoder_steps``, is under way)."""
    out = Path(out)
    if (out / CHECKPOINT).is_file():
        return TrainConfig.from_dict(torch.load(out / CHECKPOINT, map_location="cpu", weights_only=True)["config"])
    if (out / ENCODER_STAGE / CHECKPOINT).is_file() and (out / "config.json").is_file():
        return TrainConfig.from_dict(json.loads((out / "config.json").read_text())["train"])
    raise FileNotFoundError(f"{out / CHECKPOINT}: nothing to resume")


def train(data_dir: str | os.PathLike, out: str | os.PathLike, cfg: TrainConfig | None = None,
          *, resume: bool = False, progress: bool = True, compile: bool = True) -> TimbreVAE:
    """Train a model on ``data_dir`` into the run folder ``out`` (exported to ``out/model``); returns it.

    With ``resume`` the run continues from its checkpoint with its own settings; ``cfg`` may
    only change ``steps`` and ``max_minutes``. With ``compile`` a single-process CPU run of
    :data:`COMPILE_FROM_STEPS` steps or more runs the model through ``torch.compile``: the same
    numbers to rounding, each step faster (it needs a C++ compiler; without one the run goes on uncompiled).
    With ``encoder_steps`` the run has two stages: a spectrogram model in ``out/encoder``, then the audio
    decoder on its encoder (:meth:`TrainConfig.encoder_stage`).
    """
    out = Path(out)
    # denormal numbers in the gradients make a CPU step up to 5x slower; torch's worker threads inherit
    # this setting when they start, so it takes full effect when training is a process's first torch work
    torch.set_flush_denormal(True)
    keep_freed_memory()
    rank, world, device = _setup_distributed()
    cfg, checkpoint = _settings(out, cfg, resume, world)
    kept = load_model(cfg.encoder_from) if cfg.encoder_from is not None else None  # a wrong folder is told before any work
    store, train_rows, valid_rows = _data(data_dir, cfg, rank, world, progress)
    shared = _Shared(Path(data_dir), store, train_rows, valid_rows, rank, world, device, progress, compile)
    if rank == 0:
        out.mkdir(parents=True, exist_ok=True)
        write_json(out / "config.json", {"train": asdict(cfg), "data": str(Path(data_dir).resolve())})
    before = 0.0  # seconds the first stage took
    if cfg.encoder_steps:
        kept, before = _encoder_stage(shared, out / ENCODER_STAGE, cfg.encoder_stage(), resume)
    model = _stage(shared, out, cfg, checkpoint, kept, before)
    if dist.is_initialized():
        dist.destroy_process_group()
    return model.cpu().eval()


@dataclass
class _Shared:
    """What the stages of one run share: the data and the processes."""

    data_dir: Path
    store: FeatureStore
    train_rows: np.ndarray
    valid_rows: np.ndarray
    rank: int
    world: int
    device: torch.device
    progress: bool
    compile: bool


def _encoder_stage(shared: _Shared, out: Path, cfg: TrainConfig, resume: bool) -> tuple[TimbreVAE, float]:
    """The first stage of a run with ``encoder_steps`` (resumed or, once done, read back): its model and seconds."""
    if not (resume and (out / "model" / "config.json").is_file()):
        cfg, checkpoint = _settings(out, cfg, resume and (out / CHECKPOINT).is_file(), shared.world)
        _stage(shared, out, cfg, checkpoint, None)
    seconds = torch.load(out / CHECKPOINT, map_location="cpu", weights_only=True)["elapsed"]
    return load_model(out / "model"), float(seconds)


def _stage(shared: _Shared, out: Path, cfg: TrainConfig, checkpoint: dict | None, kept: TimbreVAE | None,
           before: float = 0.0) -> TimbreVAE:
    """Train one model into the run folder ``out`` (its checkpoint's, when resuming) and export it to ``out/model``;
    ``kept``: the model whose encoder it keeps; ``before``: seconds an earlier stage took, counted in its time."""
    model, optimizer, start, elapsed = _model(cfg, shared.store, shared.train_rows, checkpoint, shared.device, kept)
    if shared.rank == 0:
        out.mkdir(parents=True, exist_ok=True)
        _trim_log(out / LOG, start)
    # an audio-rendering model is not compiled: each crop's start would compile the model again
    compiled = (shared.compile and shared.device.type == "cpu" and shared.world == 1 and not cfg.renders_audio
                and cfg.steps - start >= COMPILE_FROM_STEPS)
    run = _Run(**vars(shared), cfg=cfg, out=out, model=model, optimizer=optimizer, compiled=compiled)
    step, seconds = _loop(run, start, elapsed if checkpoint is not None else before, shared.progress)
    _barrier()
    if shared.rank == 0:
        plot_losses(out / LOG, out / "loss.png")
        card = training_card(cfg, shared.data_dir, out, shared.store, shared.train_rows, step, seconds, shared.device,
                             shared.world, run.compiled)
        save_model(model.cpu(), out / "model", card=card)
    _barrier()
    return model


def _settings(out: Path, cfg: TrainConfig | None, resume: bool, world: int) -> tuple[TrainConfig, dict | None]:
    """The run's settings and, when it resumes, its checkpoint (None while its first stage is under way); refuses a
    run folder already in use."""
    checkpoint = None
    if resume:
        saved = saved_config(out)
        cfg = cfg or saved
        changed = [k for k, v in asdict(cfg).items() if k not in ("steps", "max_minutes") and asdict(saved)[k] != v]
        if changed:
            raise ValueError(f"{out}: a resumed run keeps its settings; these differ: {', '.join(changed)}")
        if (out / CHECKPOINT).is_file():
            checkpoint = torch.load(out / CHECKPOINT, map_location="cpu", weights_only=True)
    elif (out / CHECKPOINT).exists() or (out / ENCODER_STAGE / CHECKPOINT).exists():
        raise FileExistsError(f"{out} already holds a run; pass --resume to continue it or choose another --out")
    cfg = cfg or TrainConfig()
    share = 2 * world if cfg.paired else world
    if cfg.batch_size % share:
        raise ValueError(f"batch_size {cfg.batch_size} must divide among {world} processes" + (" in pairs" if cfg.paired else ""))
    return cfg, checkpoint


def _data(data_dir, cfg: TrainConfig, rank: int, world: int, progress: bool) -> tuple[FeatureStore, np.ndarray, np.ndarray]:
    """The feature store (built by rank 0 while the others wait; the rows trained on held in memory when a copy
    for each process fits), its train rows and up to 256 valid rows."""
    settings = SpectralSettings()  # the one declaration (timbral.settings): rate, STFT and the core/high-band split
    if rank == 0:
        store = feature_store(data_dir, settings, progress=progress)
    _barrier()
    if rank != 0:
        store = feature_store(data_dir, settings, progress=False)
    train_rows = np.array(store.positions("train") if _has_split(store) else store.positions())
    valid_rows = np.array(store.positions("valid") if _has_split(store) else [], dtype=int)[:256]
    if len(train_rows) < cfg.batch_size:
        raise ValueError(f"{data_dir}: {len(train_rows)} training notes, fewer than one batch of {cfg.batch_size}")
    held = store.holding(np.concatenate([train_rows, valid_rows]), progress and rank == 0, copies=world)
    return held, train_rows, valid_rows


def _model(cfg: TrainConfig, store: FeatureStore, train_rows: np.ndarray, checkpoint: dict | None, device,
           kept: TimbreVAE | None = None):
    """A new model and its optimiser (the checkpoint's, when resuming), with the step and seconds done; with
    ``kept``, the model whose encoder it keeps fixed (``encoder_from``)."""
    model_cfg = ModelConfig(
        **cfg.model_settings(), spectral=store.settings.to_dict(), bounds=vars(store.bounds),
        n_families=1 + max(m.get("instrument_family", -1) for m in store.index) if cfg.family_weight else 0,
        input_level_db=kept.config.input_level_db if kept is not None else input_level(store, train_rows),
    )
    if kept is not None:
        model_cfg = _hearing_of(kept, model_cfg, cfg.encoder_from)
    torch.manual_seed(cfg.seed)
    model = TimbreVAE(model_cfg).to(device)
    if kept is not None:
        model.encoder.load_state_dict(kept.encoder.state_dict())
        model.encoder.requires_grad_(False)
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=cfg.lr, weight_decay=1e-4)
    if checkpoint is None:
        return model, optimizer, 0, 0.0
    model.load_state_dict(checkpoint["model"])
    optimizer.load_state_dict(checkpoint["optimizer"])
    return model, optimizer, int(checkpoint["step"]), float(checkpoint["elapsed"])


def _hearing_of(kept: TimbreVAE, model_cfg: ModelConfig, path: str) -> ModelConfig:
    """``model_cfg`` with the kept encoder's settings (:data:`~timbral.model.ENCODER_SETTINGS`); a ValueError where
    this run's settings or data would have it hear notes otherwise (another rate, other bounds, another latent)."""
    theirs = kept.config
    chosen = set(TrainConfig().model_settings()) | {"spectral", "bounds"}  # set by this run's flags and data
    differ = [f"{k} ({getattr(theirs, k)!r} there, {getattr(model_cfg, k)!r} here)"
              for k in ENCODER_SETTINGS if k in chosen and getattr(theirs, k) != getattr(model_cfg, k)]
    if differ:
        raise ValueError(f"{path}: its encoder heard notes otherwise than this run would: {'; '.join(differ)}")
    return replace(model_cfg, **{k: getattr(theirs, k) for k in ENCODER_SETTINGS})


@dataclass
class _Run(_Shared):
    """What the loop of one training stage works with."""

    cfg: TrainConfig
    out: Path
    model: TimbreVAE
    optimizer: torch.optim.Optimizer
    compiled: bool  # the model runs through torch.compile (until it fails to compile)


def _loop(run: _Run, start: int, elapsed: float, progress: bool) -> tuple[int, float]:
    """Steps from ``start`` to ``cfg.steps`` (or until ``max_minutes``), logging, validating and
    checkpointing on the way; returns the last step and the seconds the run took in all."""
    cfg = run.cfg
    net = _network(run)
    partners = Partners(run.store, run.train_rows) if cfg.paired else None
    bar = Bar(total=cfg.steps, initial=start, unit="step", desc="training", disable=run.rank != 0 or not progress or None)
    began, window = time.perf_counter() - elapsed, [time.perf_counter(), 0]  # [start, examples] of the log window
    step = start
    while step < cfg.steps:
        torch.manual_seed(cfg.seed * 1_000_003 + step * 17 + run.rank)  # the same draws after a resume
        batch = step_batch(run.store, run.train_rows, partners, cfg, step, run.device, run.rank, run.world)
        try:
            parts, lr, beta = _step(net, run, batch, step)
        except Exception as e:  # a compiled model may fail to compile: no C++ compiler, or one torch cannot use
            if not run.compiled or not isinstance(e, torch._dynamo.exc.TorchDynamoException):
                raise
            warnings.warn(f"torch.compile failed ({str(e).strip().splitlines()[0][:200]}): training goes on uncompiled, "
                          "each step slower; install a C++ compiler (Debian: g++) to train faster", stacklevel=2)
            run.compiled, net = False, run.model
            parts, lr, beta = _step(net, run, batch, step)
        step += 1
        window[1] += cfg.batch_size
        bar.update(1)
        bar.set_postfix(loss=f"{parts['loss'].item():.4f}", sc=f"{parts['sc'].item():.3f}", kl=f"{parts['kl'].item():.1f}")
        out_of_time = bool(cfg.max_minutes) and _agree(time.perf_counter() - began > 60 * cfg.max_minutes, run.device)
        row = None
        if step % cfg.log_every == 0 or step == cfg.steps or out_of_time:  # a run stopped early logs its last step
            row = _log_row(run, step, began, window, lr, beta, parts)
        if len(run.valid_rows) and (step % cfg.valid_every == 0 or step == cfg.steps):
            row = (row or {"step": step}) | _validate(run.model, run.store, run.valid_rows, cfg, run.store.bounds, run.device)
        if row is not None and run.rank == 0:
            _append_log(run.out / LOG, row)
        if run.rank == 0 and (step % cfg.checkpoint_every == 0 or step == cfg.steps or out_of_time):
            _save_checkpoint(run.out / CHECKPOINT, run.model, run.optimizer, step, cfg, time.perf_counter() - began)
        if out_of_time:
            break
    bar.close()
    return step, time.perf_counter() - began


def _network(run: _Run) -> torch.nn.Module:
    """What the loop steps: the model, under DDP across processes, or compiled."""
    if run.world > 1:
        return torch.nn.parallel.DistributedDataParallel(run.model)
    return compile_model(run.model) if run.compiled else run.model


def compile_model(model: torch.nn.Module) -> torch.nn.Module:
    """``model`` through ``torch.compile``, drawing its random numbers as the uncompiled model does (inductor's
    ``fallback_random``), so a compiled run trains what an uncompiled one would."""
    from torch._inductor import config as inductor

    inductor.fallback_random = True
    return torch.compile(model)


def keep_freed_memory() -> None:
    """Let glibc keep the memory a step frees for the next step, not hand it back to the system and fault it
    in again: on the CPU a step's large tensors otherwise cost a tenth of its time in the kernel."""
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:  # not glibc
        return
    libc.mallopt(M_TRIM_THRESHOLD, 1 << 30)
    libc.mallopt(M_MMAP_THRESHOLD, 32 << 20)  # glibc's largest: tensors under 32 MB come from the heap


def _step(net, run: _Run, batch: dict, step: int) -> tuple[dict[str, torch.Tensor], float, float]:
    """One optimiser step on ``batch``: (the loss and its parts, the learning rate, β)."""
    cfg = run.cfg
    net.train()
    beta = cfg.beta * min(1.0, step / max(1, cfg.kl_warmup))
    lr = learning_rate(cfg, step)
    for group in run.optimizer.param_groups:
        group["lr"] = lr
    amp = torch.autocast("cuda", dtype=torch.bfloat16) if run.device.type == "cuda" else torch.autocast("cpu", enabled=False)
    with amp:
        parts = training_losses(net, batch, cfg, run.store.bounds, beta)
    if not torch.isfinite(parts["loss"]):
        raise FloatingPointError(f"loss became {parts['loss'].item()} at step {step}; lower --lr")
    run.optimizer.zero_grad(set_to_none=True)
    parts["loss"].backward()
    torch.nn.utils.clip_grad_norm_(run.model.parameters(), 1.0)
    run.optimizer.step()
    return parts, lr, beta


def _log_row(run: _Run, step: int, began: float, window: list, lr: float, beta: float, parts: dict) -> dict:
    """A row of ``log.csv``; starts the next throughput window."""
    now = time.perf_counter()
    row = {"step": step, "epoch": round(step * run.cfg.batch_size / len(run.train_rows), 3), "seconds": round(now - began, 1),
           "examples_per_s": round(window[1] / max(now - window[0], 1e-9), 1), "lr": lr, "beta": beta,
           **{k: round(v.item(), 5) for k, v in parts.items()}}
    window[:] = [now, 0]
    return row


def input_level(store: FeatureStore, rows: np.ndarray, limit: int = 2000) -> float:
    """The median level (:func:`~timbral.spectral.level_db`) of the loud notes among ``rows``
    (velocity 80 and up; all of them if none is): the level a user's sound is brought to."""
    loud = np.array([r for r in rows if store.index[r].get("velocity", 100) >= 80], dtype=int)
    chosen = loud if len(loud) else np.asarray(rows, dtype=int)
    chosen = chosen[np.linspace(0, len(chosen) - 1, min(limit, len(chosen))).astype(int)]
    core = store.settings.core_bins  # a note's level is measured where every note has sound
    return round(float(np.median([level_db(store.specs[r][:core]) for r in chosen])), 2)


def _has_split(store: FeatureStore) -> bool:
    return (store.dataset / "split.json").is_file()


@torch.no_grad()
def _validate(model, store, rows, cfg, bounds, device) -> dict[str, float]:
    model.eval()
    totals = {"l1": 0.0, "sc": 0.0, "kl": 0.0, "high": 0.0}
    for i in range(0, len(rows), 64):
        batch = store.load_batch(rows[i : i + 64], bounds, device)
        parts = training_losses(model, batch, cfg, bounds, 0.0)
        for k in totals:
            totals[k] += parts[k].item() * len(batch["pitch"])
    return {f"valid_{k}": round(v / len(rows), 5) for k, v in totals.items()}


def _save_checkpoint(path: Path, model, optimizer, step: int, cfg: TrainConfig, elapsed: float) -> None:
    """Write the checkpoint atomically: never a half-written file."""
    state = {"model": model.state_dict(), "optimizer": optimizer.state_dict(), "step": step,
             "config": asdict(cfg), "elapsed": elapsed}
    with atomic_path(path) as tmp:
        torch.save(state, tmp)


def _append_log(path: Path, row: dict) -> None:
    new = not path.exists()
    with path.open("a", newline="") as f:
        writer = csv.DictWriter(f, LOG_FIELDS)
        if new:
            writer.writeheader()
        writer.writerow({k: row.get(k, "") for k in LOG_FIELDS})


def _trim_log(path: Path, step: int) -> None:
    """Drop log rows past ``step`` (written after the checkpoint a resumed run starts from)."""
    if not path.exists():
        return
    with path.open() as f:
        rows = [r for r in csv.DictReader(f) if int(r["step"]) <= step]
    path.unlink()
    for row in rows:
        _append_log(path, row)


__all__ = ["TrainConfig", "train", "batch_rows"]

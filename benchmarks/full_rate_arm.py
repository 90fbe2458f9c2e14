"""Issue 42's design (b) as an ablation arm against the recipe's design (a), on the same data and time budget.

(a) The recipe (``timbral train``): a 16 kHz-wide timbre core of STFT bins plus 16 high-band levels, harmonics
    and noise rendered to a spectrogram, the phase rebuilt (PGHI + fast Griffin-Lim) when it is played.
(b) The whole band at full rate on a compact representation, rendered straight to audio: a VAE of the same shape
    (convolutions over time, a 32-number latent, pitch and velocity into the decoder) hears a note's 128-band
    log-mel spectrogram (20 Hz-24 kHz) and predicts per 16 ms frame a level, the share of each of 96
    harmonics at exactly k times the note's pitch (those above Nyquist silenced) and 64 mel-spaced noise bands;
    the harmonics (phase-coherent, as an oscillator bank's) and noise (random phase) render the audio through
    one inverse STFT, DDSP-style, and the loss is a multi-resolution STFT distance (log and linear magnitudes,
    5 FFT sizes) on 0.77 s crops of the note (half of them from its start, where the attack is). No phase to
    rebuild.

Both train on the default dataset's train split for ``--minutes`` each (arm (a) for the steps the recipe's pace
fits in them, its KL warm-up a third of them; or ``--recipe MODEL`` is design (a), e.g. the shipped model). Both
are then heard on the same notes, as ``quality.py`` picks them: at their own pitch, the model alone (the
encoder's latent), ViSQOL at 48 kHz against the full-rate note (:mod:`timbral.listening`), with the high band's
level error; on ``--instruments`` of the test split (OPL3, never trained on; a quarter of them bright or noisy,
also reported apart), on as many training instruments (how well each arm fits what it heard) and on as many
test notes at the pitches training never heard (the default split's ``HELD_OUT_PITCHES``). Calibration
rows in the same run: the 16 kHz copy and the shipped model. Beside them each arm's placement: the family vote
of the 5 nearest training notes for every test note.

Run:  .venv/bin/python benchmarks/full_rate_arm.py [--data data/default] [--minutes 20] [--instruments 32]
      [--runs runs/full-rate-arm] [--recipe MODEL] [--json]
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import torch
from quality import chosen_instruments
from torch import nn

from timbral import synthesis
from timbral.losses import audio_distance
from timbral.synthesis import CROP_FRAMES, HARMONICS, NOISE_BANDS, NOISE_START, noise_bands, scaled_sigmoid

N_MELS, MEL_FFT, LATENT, CHANNELS = 128, 2048, 32, 256
PEAK_LR = 1e-3
PARTS = {"test": "the test split (OPL3, never trained on)", "train": "training notes",
         "unheard": "the test split at the pitches training never heard"}
RECIPE_EXAMPLES_PER_SECOND = 130.0  # the recipe's pace on this CPU today (its steps stop at --minutes if slower)


class FullRateVAE(nn.Module):
    """Design (b): log-mel in, harmonic-plus-noise parameters per frame out, rendered to audio."""

    def __init__(self, sr: int, hop: int, frames: int):
        super().__init__()
        import librosa

        self.sr, self.hop, self.frames = sr, hop, frames
        self.register_buffer("mel", torch.from_numpy(librosa.filters.mel(sr=sr, n_fft=MEL_FFT, n_mels=N_MELS, fmin=20.0)))
        self.register_buffer("noise_bins", noise_bands(sr, 4 * hop))
        c = CHANNELS
        self.encoder = nn.Sequential(
            nn.Conv1d(N_MELS, c, 8, stride=4, padding=2), nn.GELU(),
            nn.Conv1d(c, c, 3, stride=2, padding=1), nn.GELU(),
            nn.Conv1d(c, c, 3, stride=2, padding=1), nn.GELU())
        with torch.no_grad():
            steps = self.encoder(torch.zeros(1, N_MELS, frames)).shape[-1]
        self.to_latent = nn.Linear(c * steps + 17, 2 * LATENT)
        self.steps = math.ceil(frames / 16)
        self.start = nn.Sequential(nn.Linear(LATENT + 18, 512), nn.GELU(), nn.Linear(512, c * self.steps))
        self.up = nn.Sequential(
            nn.ConvTranspose1d(c, c, 4, stride=2, padding=1), nn.GELU(), nn.Conv1d(c, c, 3, padding=1), nn.GELU(),
            nn.ConvTranspose1d(c, c, 4, stride=2, padding=1), nn.GELU(), nn.Conv1d(c, c, 3, padding=1), nn.GELU(),
            nn.ConvTranspose1d(c, c, 4, stride=4), nn.GELU())
        self.out = nn.Conv1d(c, 1 + HARMONICS + NOISE_BANDS, 1)
        with torch.no_grad():  # the noise starts near silence, as DDSP's filtered noise does
            self.out.bias[1 + HARMONICS :] = NOISE_START

    def log_mel(self, audio: torch.Tensor) -> torch.Tensor:
        """``(batch, samples)`` → dB mel spectrogram under the note's loudest, scaled to 0..1 over 80 dB."""
        window = torch.hann_window(MEL_FFT, device=audio.device)
        power = torch.stft(audio, MEL_FFT, self.hop, window=window, return_complex=True).abs() ** 2
        db = 10 * torch.log10(self.mel @ power + 1e-10)
        db = db - db.amax(dim=(1, 2), keepdim=True)
        return (db.clamp(min=-80.0) + 80.0) / 80.0

    def encode(self, audio: torch.Tensor, pitch: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        from timbral.model import pitch_features

        h = torch.cat([self.encoder(self.log_mel(audio)).flatten(1), pitch_features(pitch, 16)], dim=-1)
        mu, logvar = self.to_latent(h).chunk(2, dim=-1)
        return mu, logvar.clamp(-12.0, 8.0)

    def parameters_of(self, z: torch.Tensor, pitch: torch.Tensor, velocity: torch.Tensor) -> torch.Tensor:
        """Latent, pitch and velocity → ``(batch, 1 + harmonics + noise bands, frames)``, positive."""
        from timbral.model import pitch_features

        cond = torch.cat([z, pitch_features(pitch, 16), velocity.float().unsqueeze(-1) / 127.0], dim=-1)
        h = self.start(cond).view(len(z), CHANNELS, self.steps)
        return scaled_sigmoid(self.out(self.up(h))[..., : self.frames])

    def render(self, params: torch.Tensor, pitch: torch.Tensor, first: int, count: int) -> torch.Tensor:
        """Audio of frames ``first``..``first + count`` (:func:`timbral.synthesis.render`, the noise's phases random)."""
        phases = torch.rand(len(params), self.noise_bins.shape[0], count + 1) * (2 * math.pi)
        return synthesis.render(params, pitch, self.noise_bins, phases, self.sr, self.hop, first, count)


def peak_normalised(audio: np.ndarray) -> np.ndarray:
    """Each note with its peak at half of full scale, as both arms' training and hearing take it."""
    from timbral.latent import normalise_peak

    return normalise_peak(audio, 20 * math.log10(0.5))


def train_full_rate(data: Path, names: list[str], meta: dict, minutes: float, batch: int, out: Path) -> FullRateVAE:
    """Design (b) trained for ``minutes`` on the notes ``names``; saved to ``out``/weights.pt (reused if there)."""
    from timbral.data.features import note_audio
    from timbral.losses import kl_per_dim
    from timbral.progress import Bar
    from timbral.settings import SpectralSettings

    s = SpectralSettings()
    model = FullRateVAE(s.sr, s.hop_length, s.n_frames)
    weights = out / "weights.pt"
    if weights.is_file():
        model.load_state_dict(torch.load(weights))
        return model.eval()
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    optimiser = torch.optim.Adam(model.parameters(), lr=PEAK_LR)
    began, step, log = time.perf_counter(), 0, []

    def write_log() -> None:
        (out / "log.json").write_text(json.dumps({"steps": step, "batch": batch, "log": log[::10]}))

    bar = Bar(total=int(minutes * 60), desc="training design (b)", unit="s")
    while (elapsed := time.perf_counter() - began) < minutes * 60:
        for group in optimiser.param_groups:
            group["lr"] = learning_rate(elapsed / (minutes * 60))
        chosen = [names[i] for i in rng.integers(0, len(names), batch)]
        audio = torch.from_numpy(peak_normalised(note_audio(data, chosen, s)))
        pitch = torch.tensor([float(meta[n]["pitch"]) for n in chosen])
        velocity = torch.tensor([int(meta[n]["velocity"]) for n in chosen])
        mu, logvar = model.encode(audio, pitch)
        z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)
        params = model.parameters_of(z, pitch, velocity)
        first = 0 if rng.random() < 0.5 else int(rng.integers(0, s.n_frames - CROP_FRAMES))
        y_hat = model.render(params, pitch, first, CROP_FRAMES)
        y = audio[:, first * s.hop_length : (first + CROP_FRAMES) * s.hop_length]
        kl = kl_per_dim(mu, logvar).clamp(min=0.05).sum(-1).mean()
        beta = 3e-4 * min(1.0, elapsed / (minutes * 20))  # warm-up over the first third
        loss = audio_distance(y_hat, y) + beta * kl
        optimiser.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimiser.step()
        step += 1
        log.append((step, round(elapsed, 1), float(loss)))
        bar.update(int(time.perf_counter() - began) - bar.n)
        if step % 100 == 0:  # to watch a long run
            write_log()
    bar.close()
    torch.save(model.state_dict(), weights)
    write_log()
    return model.eval()


def learning_rate(fraction: float) -> float:
    """Design (b)'s learning rate at ``fraction`` of its time: a linear warm-up over the first 2 %, then a cosine
    decay to 5 % of :data:`PEAK_LR` (the recipe's shape; a constant rate drove the 60-min run into saturation)."""
    return PEAK_LR * min(1.0, fraction / 0.02) * (0.05 + 0.95 * 0.5 * (1.0 + math.cos(math.pi * min(fraction, 1.0))))


def train_recipe(data: Path, minutes: float, out: Path) -> Path:
    """Design (a): ``timbral train`` for the steps its pace fits in ``minutes`` (stopped there at the latest)."""
    if not (out / "model" / "config.json").is_file():
        steps = int(RECIPE_EXAMPLES_PER_SECOND * 60 * minutes / 32)
        subprocess.run([sys.executable, "-m", "timbral.cli", "train", str(data), "--out", str(out), f"--steps={steps}",
                        "--synthesis=spectrogram", "--batch-size=32",
                        f"--kl-warmup={steps // 3}", f"--valid-every={steps // 3}", f"--checkpoint-every={steps}",
                        f"--max-minutes={minutes}"], check=True, stdout=sys.stderr)
    return out / "model"


def full_rate_latents(model: FullRateVAE, data: Path, names: list[str], meta: dict, chunk: int = 64) -> np.ndarray:
    """Design (b)'s latent means of the notes ``names``."""
    from timbral.data.features import note_audio
    from timbral.progress import Bar
    from timbral.settings import SpectralSettings

    s, out = SpectralSettings(), []
    with torch.no_grad():
        for at in Bar(range(0, len(names), chunk), desc="hearing notes by design (b)", unit="chunk"):
            part = names[at : at + chunk]
            audio = torch.from_numpy(peak_normalised(note_audio(data, part, s)))
            out.append(model.encode(audio, torch.tensor([float(meta[n]["pitch"]) for n in part]))[0].numpy())
    return np.concatenate(out)


def placements(recipe, full_rate: FullRateVAE, shipped, data: Path, meta: dict) -> dict:
    """Family vote of the 5 nearest training notes for the test split's notes, in each arm's latent space."""
    from timbral.data.features import feature_store
    from timbral.metrics import placement_accuracy
    from timbral.model import encode_rows

    store = feature_store(data, shipped.model.config.spectral_settings)
    rows = {part: np.array(store.positions(part)) for part in ("test", "train")}
    names = {part: [store.index[r]["note_str"] for r in rows[part]] for part in rows}
    families = {part: np.array([meta[n]["instrument_family_str"] for n in names[part]]) for part in rows}
    figures = {}
    for arm, latents in (("shipped", lambda part: encode_rows(shipped.model, store, rows[part])[0]),
                         ("design_a", lambda part: encode_rows(recipe.model, store, rows[part])[0]),
                         ("design_b", lambda part: full_rate_latents(full_rate, data, names[part], meta))):
        if arm == "design_a" and recipe is shipped:
            figures[arm] = figures["shipped"]
            continue
        figures[arm] = placement_accuracy(latents("test"), families["test"], latents("train"), families["train"], shuffles=0)[0]
    return figures


def full_rate_rendition(model: FullRateVAE, audio: np.ndarray, pitch: int, velocity: int) -> np.ndarray:
    """The model alone: the note's latent mean decoded and rendered over the whole note."""
    with torch.no_grad():
        x = torch.from_numpy(peak_normalised(audio[None].astype(np.float32)))
        p, v = torch.tensor([float(pitch)]), torch.tensor([velocity])
        mu, _ = model.encode(x, p)
        return model.render(model.parameters_of(mu, p, v), p, 0, model.frames - 1)[0].numpy()


def heard(notes: list[tuple[np.ndarray, int, int]], bright: np.ndarray, play: dict) -> dict:
    """ViSQOL and high-band error medians (all, bright) of each way of playing ``notes``."""
    from timbral.listening import high_band_error, mos

    figures, heard_by = {}, {}  # one render heard once, under every name it has
    for name, render in play.items():
        if render in heard_by:
            figures[name] = figures[heard_by[render]]
            continue
        heard_by[render] = name
        scores, errors = [], []
        for y, pitch, velocity in notes:
            out = render(y, pitch, velocity)
            scores.append(mos(y, out))
            errors.append(float(high_band_error(y, out).mean()))
        scores, errors = np.array(scores), np.array(errors)
        figures[name] = {"visqol": float(np.median(scores)), "high_band_db": float(np.median(errors)),
                         "visqol_bright": float(np.median(scores[bright])) if bright.any() else None,
                         "high_band_db_bright": float(np.median(errors[bright])) if bright.any() else None}
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=Path("data/default"))
    parser.add_argument("--runs", type=Path, default=Path("runs/full-rate-arm"), help="where both arms are trained "
                        "(a finished arm there is reused: delete it to train it again)")
    parser.add_argument("--minutes", type=float, default=20.0, help="training time of each arm (default 20)")
    parser.add_argument("--recipe", type=Path, metavar="MODEL", help="take this model folder as design (a) instead of "
                        "training one for --minutes (e.g. models/default, the recipe's whole budget)")
    parser.add_argument("--batch", type=int, default=16, help="design (b)'s batch (default 16)")
    parser.add_argument("--instruments", type=int, default=32)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.minutes <= 0 or args.instruments < 1 or args.batch < 1:
        parser.error("--minutes, --instruments and --batch must be positive")
    torch.manual_seed(0)

    from timbral.audio import load_note
    from timbral.data.default import HELD_OUT_PITCHES
    from timbral.data.nsynth import audio_path, read_examples
    from timbral.data.split import notes_in_split, read_split
    from timbral.latent import Timbral
    from timbral.listening import is_bright, sixteen_khz_copy
    from timbral.model import load_model
    from timbral.model_folder import default_model_path

    examples = read_examples(args.data)
    split = read_split(args.data)
    if not split or not split.get("test"):
        raise SystemExit(f"{args.data} has no test split: hold a source out (timbral data split --hold-out-source NAME)")
    train_names = notes_in_split(examples, split, "train")
    shipped = Timbral(load_model())
    if args.recipe is not None and args.recipe.resolve() == default_model_path().resolve():
        recipe = shipped  # heard and encoded once
    else:
        recipe = Timbral(load_model(args.recipe or train_recipe(args.data, args.minutes, args.runs / "a")))
    full_rate = train_full_rate(args.data, train_names, examples, args.minutes, args.batch, args.runs / "b")
    load = lambda name: load_note(audio_path(args.data, name), sr=shipped.settings.sr, trim=False)  # noqa: E731

    def model_alone(t):
        return lambda y, pitch, velocity: t.decode(t.hear(y, pitch, velocity), pitch, velocity, recorded=False)

    shipped_alone = model_alone(shipped)
    play = {"copy_16k": lambda y, pitch, velocity: sixteen_khz_copy(y), "shipped": shipped_alone,
            "design_a": shipped_alone if recipe is shipped else model_alone(recipe),
            "design_b": lambda y, pitch, velocity: full_rate_rendition(full_rate, y, pitch, velocity)}
    figures = {"minutes": args.minutes, "design_b_steps": json.loads((args.runs / "b" / "log.json").read_text())["steps"]}
    test_names = notes_in_split(examples, split, "test")
    parts = {"test": test_names, "train": train_names,
             "unheard": [n for n in test_names if int(examples[n]["pitch"]) in HELD_OUT_PITCHES]}
    for part, names in parts.items():
        if not names:
            continue
        instruments = chosen_instruments([examples[k] for k in names], load, args.instruments)
        picked = [v[len(v) // 2] for v in instruments]
        notes = [(load(m["note_str"]), int(m["pitch"]), int(m["velocity"])) for m in picked]
        bright = np.array([is_bright(y) for y, _, _ in notes], bool)
        figures[part] = {"notes": len(notes), "bright": int(bright.sum()), **heard(notes, bright, play)}
    figures["placement"] = placements(recipe, full_rate, shipped, args.data, examples)
    if args.json:
        print(json.dumps(figures))
        return
    print(f"the model alone at its own pitch, ViSQOL at 48 kHz / high band's level error, each arm {args.minutes:g} min "
          f"(design (b): {figures['design_b_steps']} steps of {args.batch})")
    for part, what in PARTS.items():
        if part not in figures:
            continue
        f = figures[part]
        print(f"{what}: {f['notes']} notes ({f['bright']} bright)")
        for name in play:
            r = f[name]
            print(f"  {name:10s} {r['visqol']:.2f} / {r['high_band_db']:.1f} dB   bright {r['visqol_bright'] or float('nan'):.2f} / "
                  f"{r['high_band_db_bright'] or float('nan'):.1f} dB")
    print("placement of the test split's notes (family vote of the 5 nearest training notes): "
          + ", ".join(f"{arm} {value:.3f}" for arm, value in figures["placement"].items()))


if __name__ == "__main__":
    main()

"""The live instrument (nn~): how long nn~'s calls take against the time their buffers last, and what the
TorchScript phase rebuild gives up against the studio's.

Exports the model (timbre: the centre of the space, the latent coming in on its inlets) and plays it as nn~
does, a buffer per call under inference mode, at host rates of 48 and 44.1 kHz. For each rate and buffer size (nn~'s default 4096, 2048,
8192) the median and worst call of several notes: a buffer in which a note plays on, one in which a note
starts (one voice), one in which four voices start notes together (mc.nn~ with four channels), each also as
a share of the buffer's duration (below 1 keeps up); the first call after loading is given apart. The
baseline, timed in the same run: one note through the studio's path (decoder, PGHI by heap, 16 fast
Griffin-Lim passes). Quality, on notes of the dataset's test split (a source the model never trained on),
each decoded from its encoder latent at its own pitch: spectral convergence of the audio against the decoded
magnitude and ViSQOL MOS (audio mode) against the recording, live (PGHI along time, 8 passes) beside the
studio's path, with the recording low-passed at 4 kHz as calibration. With ``--python PATH`` another
interpreter's torch (say one with torch 2.5.1, the libtorch nn~ 1.6 is built on) loads and plays the file too,
and the largest difference from this torch's output is given.
Run:  .venv/bin/python benchmarks/live.py [--data data/default] [--notes 16] [--iterations 4] [--python PATH] [--picture PNG] [--json]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

RATE = 48000
RATES = (48000, 44100)  # the host rates timed
BUFFERS = (2048, 4096, 8192)
PLAY = """
import sys, torch, numpy as np
live = torch.jit.load(sys.argv[1])
live.set_sample_rate(48000)
x = torch.from_numpy(np.load(sys.argv[2]))
with torch.inference_mode():
    y = torch.cat([live.decode(x[..., i : i + 4096]) for i in range(0, x.shape[-1], 4096)], -1)
np.save(sys.argv[3], y.numpy())
print(torch.__version__)
"""


def played(live, x: torch.Tensor, buffer: int) -> list[float]:
    """Seconds of each call playing ``x`` (voices, channels, samples) a buffer at a time."""
    times = []
    with torch.inference_mode():
        for i in range(0, x.shape[-1], buffer):
            start = time.perf_counter()
            live.decode(x[..., i : i + buffer])
            times.append(time.perf_counter() - start)
    return times


def performed(live, x: torch.Tensor) -> np.ndarray:
    """``x`` played through ``live`` from silence, 4096 samples a call as nn~ does: ``(voices, samples)``."""
    live.reset(0)
    with torch.inference_mode():
        return torch.cat([live.decode(x[..., i : i + 4096]) for i in range(0, x.shape[-1], 4096)], -1)[:, 0].numpy()


def call_times(live, latent_dim: int, buffer: int, notes: int) -> dict[str, list[float]]:
    """Per call: a buffer starting one voice's note, four voices' notes, and buffers of a note playing on."""
    out: dict[str, list[float]] = {"note_on_1": [], "note_on_4": [], "playing": []}
    for n in range(notes):
        for voices, key in ((1, "note_on_1"), (4, "note_on_4")):
            x = torch.zeros(voices, 3 + latent_dim, 4 * buffer)
            x[:, 0] = (torch.linspace(40, 80, voices) + n)[:, None]
            x[:, 1], x[:, 2, buffer:] = 100.0, 1.0  # silent, then the gate rises at the second buffer's first sample
            x[:, 3:] = torch.randn(voices, latent_dim, 1)
            times = played(live, x, buffer)
            out[key].append(times[1])
            if voices == 1:
                out["playing"] += times[2:]
    return out


def live_audio(live, latent: np.ndarray, pitch: int, velocity: int, samples: int) -> np.ndarray:
    """One note of ``live`` (at the model's 48 kHz, from silence) with ``latent`` on its inlets."""
    x = torch.zeros(1, 3 + len(latent), samples)
    x[:, 0], x[:, 1], x[:, 2] = float(pitch), float(velocity), 1.0
    x[:, 3:] = torch.from_numpy(latent)[None, :, None]
    return performed(live, x)[0]


def quality(t, live, data: Path, notes: int) -> dict:
    """SC against the decoded magnitude and ViSQOL against the recording, live and the studio's path."""
    from timbral.audio import load_note
    from timbral.data.nsynth import audio_path, read_examples
    from timbral.data.split import notes_in_split, read_split
    from timbral.listening import lowpass, mos
    from timbral.phase import spectral_convergence

    examples = read_examples(data)
    test = sorted((examples[k] for k in notes_in_split(examples, read_split(data), "test")), key=lambda m: m["note_str"])
    loud = [m for m in test if m["velocity"] == 100]
    picked = loud[:: max(1, len(loud) // notes)][:notes]
    s = t.settings
    rows: dict[str, list[float]] = {k: [] for k in ("sc_live", "sc_studio", "mos_live", "mos_studio", "mos_lowpass_4k")}
    live.set_sample_rate(s.sr)
    live.set_gain(0.0)  # the model's own level, as the studio's path plays it
    for m in picked:
        y = load_note(audio_path(data, m["note_str"]), trim=False)
        pitch, velocity = int(m["pitch"]), int(m["velocity"])
        with torch.no_grad():
            z = t.model.encoder(t.model.spectrogram_of(y), torch.tensor([pitch]))[0]
            spec = t.model.decode(z, torch.tensor([pitch]), torch.tensor([velocity]))
        magnitude = t.model.magnitude_of(spec)[0]
        ours = live_audio(live, z[0].numpy(), pitch, velocity, s.n_samples)
        studio = t.model.audio_of(spec, n_iter=16)[0]
        rows["sc_live"].append(float(spectral_convergence(ours, magnitude, s)))
        rows["sc_studio"].append(float(spectral_convergence(studio, magnitude, s)))
        rows["mos_live"].append(mos(y, ours))
        rows["mos_studio"].append(mos(y, studio))
        rows["mos_lowpass_4k"].append(mos(y, lowpass(y, 4000)))
    return {"quality_notes": len(picked), **{k: float(np.median(v)) for k, v in rows.items()}}


def other_torch(python: str, path: Path, live, latent_dim: int) -> dict:
    """Play one note through ``path`` in another interpreter; its torch version and the largest difference."""
    x = torch.zeros(2, 3 + latent_dim, 3 * 4096)
    x[:, 0], x[:, 1], x[0, 2, 100:], x[1, 2, 5000:9000] = torch.tensor([[57.0], [64.5]]), 100.0, 1.0, 1.0
    x[:, 3:] = torch.randn(2, latent_dim, 1, generator=torch.Generator().manual_seed(0))
    live.set_sample_rate(48000)
    ours = performed(live, x)[:, None]
    with tempfile.TemporaryDirectory() as tmp:
        np.save(f"{tmp}/x.npy", x.numpy())
        done = subprocess.run([python, "-c", PLAY, str(path), f"{tmp}/x.npy", f"{tmp}/y.npy"], capture_output=True, text=True)
        if done.returncode:
            return {"other_torch": "failed", "other_torch_error": done.stderr.strip().splitlines()[-1]}
        theirs = np.load(f"{tmp}/y.npy")
    return {"other_torch": done.stdout.strip(), "other_torch_max_difference": float(np.abs(theirs - ours).max()),
            "other_torch_peak": float(np.abs(ours).max())}


def picture(live, latent_dim: int, path: Path) -> None:
    """A phrase played through ``live`` at 48 kHz as a picture: the four voices' gates, the summed audio and its
    spectrogram (an arpeggio, one timbre a note from the latent inlets, then the four held as a chord)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    seconds = 3.0
    x = torch.zeros(4, 3 + latent_dim, int(seconds * RATE))
    for voice, (pitch, on) in enumerate(zip((48, 55, 60, 64), (0.1, 0.45, 0.8, 1.15))):
        x[voice, 0], x[voice, 1] = float(pitch), 100.0
        x[voice, 2, int(on * RATE) : int(2.4 * RATE)] = 1.0
        x[voice, 3:] = torch.randn(latent_dim, 1, generator=torch.Generator().manual_seed(voice))
    live.set_sample_rate(RATE)
    y = performed(live, x).sum(0)
    fig = Figure(figsize=(8, 5.2), dpi=100)
    gates, wave, spec = fig.subplots(3, 1, sharex=True, gridspec_kw={"height_ratios": [1, 1, 2.2]})
    time_axis = np.arange(x.shape[-1]) / RATE
    for voice in range(4):
        gates.fill_between(time_axis, voice, voice + 0.8 * x[voice, 2].numpy(), step="pre", alpha=0.7)
    gates.set_yticks([0.4, 1.4, 2.4, 3.4], ["C3", "G3", "C4", "E4"])
    gates.set_ylabel("gates")
    gates.set_title("timbral.ts in mc.nn~: four voices, a timbre each from the latent inlets")
    wave.plot(time_axis, y, lw=0.4, color="k")
    wave.set_ylabel("audio")
    spec.specgram(y, NFFT=2048, noverlap=1536, Fs=RATE, cmap="magma", vmin=-120)
    spec.set_yscale("symlog", linthresh=200)
    spec.set_ylim(40, 12000)
    spec.set_ylabel("Hz")
    spec.set_xlabel("seconds")
    fig.tight_layout()
    fig.savefig(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, help="model folder (default: the shipped model)")
    parser.add_argument("--data", type=Path, default=Path("data/default"), help="dataset whose test split is listened to")
    parser.add_argument("--notes", type=int, default=16, help="notes timed per buffer size, and listened to")
    parser.add_argument("--iterations", type=int, help="phase rebuilding passes per note (default: the export's default)")
    parser.add_argument("--python", help="another interpreter whose torch loads and plays the file too")
    parser.add_argument("--picture", type=Path, help="also draw a phrase played through the file (PNG)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    from timbral.exports.nn import export_live
    from timbral.latent import Timbral
    from timbral.model import load_model
    from timbral.phase import PLAY_ITERATIONS

    t = Timbral(load_model(args.model))
    d = t.latent_dim
    t.decode_batch(np.zeros((1, d), np.float32), [60])  # warm-up: compiled PGHI, torch kernels
    studio = []
    for i in range(args.notes):
        start = time.perf_counter()
        t.decode_batch(np.random.default_rng(i).standard_normal((1, d)).astype(np.float32), [60])
        studio.append(time.perf_counter() - start)
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        iterations = PLAY_ITERATIONS if args.iterations is None else args.iterations
        path = export_live(t.model, Path(tmp) / "timbral.ts", torch.zeros(1, d), iterations=iterations)
        figures = {"torch": torch.__version__, "threads": torch.get_num_threads(), "iterations": iterations,
                   "export_seconds": time.perf_counter() - start, "file_mb": path.stat().st_size / 2**20,
                   "studio_note_ms": 1000 * float(np.median(studio))}
        live = torch.jit.load(str(path))
        live.set_sample_rate(RATE)
        first = torch.zeros(1, 3 + d, 4096)
        first[:, 0], first[:, 1], first[:, 2] = 60.0, 100.0, 1.0
        figures["first_call_ms"] = 1000 * played(live, first, 4096)[0]
        for rate in RATES:  # the host's rate: at 44.1 kHz each note is also resampled
            live.set_sample_rate(rate)
            for buffer in BUFFERS:
                duration = buffer / rate
                call_times(live, d, buffer, 2)  # warm-up: TorchScript's profiling runs
                for key, times in call_times(live, d, buffer, args.notes).items():
                    figures[f"{key}_{rate}_{buffer}_ms"] = 1000 * float(np.median(times))
                    figures[f"{key}_{rate}_{buffer}_worst_ms"] = 1000 * float(np.max(times))
                    figures[f"{key}_{rate}_{buffer}_worst_share"] = float(np.max(times)) / duration
        live.set_sample_rate(RATE)
        if args.picture:
            picture(live, d, args.picture)
        if args.python:
            figures |= other_torch(args.python, path, live, d)
        if args.data.is_dir():
            figures |= quality(t, live, args.data, args.notes)
    if args.json:
        print(json.dumps(figures))
        return
    f = figures
    print(f"torch {f['torch']}, {f['threads']} threads, {f['iterations']} phase passes; "
          f"export {f['export_seconds']:.1f} s, {f['file_mb']:.1f} MB; "
          f"first call after loading {f['first_call_ms']:.0f} ms (a note starting, buffer 4096)")
    print(f"baseline: one note through the studio's path {f['studio_note_ms']:.0f} ms")
    print("| host rate | buffer | lasts | note plays on | a note starts (1 voice) | 4 voices start | worst / buffer |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for rate in RATES:
        for b in BUFFERS:
            k = f"{rate}_{b}"
            print(f"| {rate} | {b} | {1000 * b / rate:.0f} ms | {f[f'playing_{k}_ms']:.1f} ms | {f[f'note_on_1_{k}_ms']:.0f} ms "
                  f"(worst {f[f'note_on_1_{k}_worst_ms']:.0f}) | {f[f'note_on_4_{k}_ms']:.0f} ms "
                  f"(worst {f[f'note_on_4_{k}_worst_ms']:.0f}) | "
                  f"{f[f'note_on_1_{k}_worst_share']:.2f} / {f[f'note_on_4_{k}_worst_share']:.2f} |")
    if "other_torch" in f:
        print(f"other torch {f['other_torch']}: " + (f"largest difference {f['other_torch_max_difference']:.2e} "
              f"(peak {f['other_torch_peak']:.2f})" if "other_torch_max_difference" in f else f["other_torch_error"]))
    if "quality_notes" in f:
        print(f"quality, {f['quality_notes']} test notes at their own pitch: SC against the decoded magnitude live "
              f"{f['sc_live']:.1f} dB, studio {f['sc_studio']:.1f} dB; ViSQOL live {f['mos_live']:.2f}, studio "
              f"{f['mos_studio']:.2f}, recording low-passed at 4 kHz {f['mos_lowpass_4k']:.2f}")


if __name__ == "__main__":
    main()

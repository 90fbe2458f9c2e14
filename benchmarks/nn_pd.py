"""The live instrument in real Pure Data: nn~ (built from IRCAM's nn_tilde, which this project does not ship) loads
``timbral export-nn``'s file and plays notes in ``pd -nogui -batch``; what comes out is written to a WAV by
``writesf~`` and measured: each note's pitch (cents off the note asked for), how long it sounds, and how many
samples after its gate rose it starts (nn~'s own buffering included), at 44.1 and 48 kHz and at nn~ buffers of
2048 and 4096. The module is exported for each host rate (``--sr``), as the README says to; the baseline, played in
the same run, is the module exported for 48 kHz in a 44.1 kHz Pd and told nothing (what a user who skips that step
hears), then told with ``set rate 44100``.

You need Pd (Debian ``puredata``) and a built nn~ for it: ``--nn DIR``, the folder holding ``nn~.pd_linux`` (built
against the libtorch inside the torch wheel, as nn_tilde's README describes).
Run:  .venv/bin/python benchmarks/nn_pd.py --nn DIR [--model DIR] [--json]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np

NOTES = ((60, 0.5, 2.0), (69, 3.5, 1.0), (48, 5.5, 1.5))  # (MIDI pitch, gate up at s, held for s)
SECONDS = 8.5
PD_SECONDS = 60  # a set-up whose Pd has not quit by then is reported as hung (one that plays quits within seconds)


def patch(model: str, buffer: int, told: int | None) -> str:
    """A Pd patch: nn~ fed a pitch, a velocity and a gate that step through NOTES, recorded to out.wav, then quit.

    Commas and semicolons inside boxes are escaped, as Pd saves them."""
    pitches = " \\, ".join(f"{pitch} 0 {at * 1000 - 5:.0f}" for pitch, at, _ in NOTES)  # the pitch settles just before the gate
    gates = " \\, ".join(f"1 0 {at * 1000:.0f} \\, 0 0 {(at + held) * 1000:.0f}" for _, at, held in NOTES)
    boxes = {  # name: (Pd box line, [(outlet, destination, inlet)])
        "start": ("obj 10 10 loadbang", [(0, "dsp", 0), (0, "record", 0), (0, "gates", 0), (0, "pitches", 0), (0, "stop", 0)]),
        "dsp": ("msg 10 40 \\; pd dsp 1", []),
        "gates": (f"msg 10 70 {gates}", [(0, "gate", 0)]),
        "pitches": (f"msg 200 70 {pitches}", [(0, "pitch", 0)]),
        "gate": ("obj 10 110 vline~", [(0, "nn", 2)]),
        "pitch": ("obj 200 110 vline~", [(0, "nn", 0)]),
        "velocity": ("obj 400 110 sig~ 100", [(0, "nn", 1)]),
        "nn": (f"obj 10 160 nn~ {model} decode {buffer}", [(0, "out", 0)]),
        "record": ("msg 10 200 open -bytes 4 out.wav \\, start", [(0, "out", 0)]),
        "out": ("obj 10 240 writesf~ 1", []),
        "stop": (f"obj 400 10 delay {SECONDS * 1000:.0f}", [(0, "quit", 0)]),
        "quit": ("msg 400 40 stop \\; pd quit", [(0, "out", 0)]),
    }
    if told:
        boxes["tell"] = (f"msg 400 70 set rate {told}", [(0, "nn", 0)])
        boxes["start"][1].append((0, "tell", 0))
    index = {name: i for i, name in enumerate(boxes)}
    lines = ["#N canvas 0 0 800 400 12;"] + [f"#X {line};" for line, _ in boxes.values()]
    lines += [f"#X connect {index[name]} {outlet} {index[to]} {inlet};"
              for name, (_, wires) in boxes.items() for outlet, to, inlet in wires]
    return "\n".join(lines) + "\n"


def heard_hz(y: np.ndarray, sr: int, near: float) -> float:
    """The frequency of the spectral peak within a fifth of ``near``, refined by a parabola on the log magnitude."""
    n = len(y)
    spectrum = np.log(np.abs(np.fft.rfft(y * np.hanning(n), 8 * n)) + 1e-12)
    freqs = np.fft.rfftfreq(8 * n, 1 / sr)
    band = np.flatnonzero((freqs > near / 1.5) & (freqs < near * 1.5))
    k = band[np.argmax(spectrum[band])]
    a, b, c = spectrum[k - 1 : k + 2]
    return float(freqs[k] + 0.5 * (a - c) / (a - 2 * b + c) * sr / (8 * n))


def measure(y: np.ndarray, sr: int) -> list[dict]:
    """Per note: cents off, the delay from the gate to its first sound (samples), and how long it sounds."""
    out = []
    for pitch, at, held in NOTES:
        window = y[int(at * sr) : int((at + held + 0.6) * sr)]
        level = np.abs(window)
        loud = np.flatnonzero(level > 0.01 * level.max())
        start = int(loud[0]) if len(loud) else -1
        steady = window[start + sr // 10 : start + sr // 10 + sr // 2] if start >= 0 else window
        want = 440.0 * 2 ** ((pitch - 69) / 12)
        hz = heard_hz(steady, sr, want)
        out.append({"pitch": pitch, "cents": round(1200 * np.log2(hz / want), 2), "start_samples": start,
                    "sounds_s": round((loud[-1] - loud[0]) / sr, 3) if len(loud) else 0.0})
    return out


def play(pd: str, nn: Path, ts: Path, sr: int, buffer: int, told: int | None = None) -> list[dict]:
    import soundfile as sf

    with tempfile.TemporaryDirectory() as tmp:
        shutil.copy(ts, Path(tmp) / "timbral.ts")
        (Path(tmp) / "play.pd").write_text(patch("timbral.ts", buffer, told))
        out, quit_hung = Path(tmp) / "out.wav", False
        try:
            done = subprocess.run([pd, "-nogui", "-batch", "-noprefs", "-r", str(sr), "-path", str(nn), "-lib", "nn~", "-open", "play.pd"],
                                  cwd=tmp, capture_output=True, text=True, timeout=PD_SECONDS)
        except subprocess.TimeoutExpired:  # reported; the other set-ups are still measured
            if not out.is_file() or sf.info(out).frames < (SECONDS - 0.1) * sr:  # it never played the phrase through
                return [{"pitch": pitch, "hung": True} for pitch, _, _ in NOTES]
            quit_hung = True  # the phrase was recorded whole and Pd stuck on its way out (nn~ tearing down)
        else:
            if not out.is_file():
                raise RuntimeError(f"Pd wrote nothing: {done.stdout[-500:]} {done.stderr[-500:]}")
        y, rate = sf.read(out)
    return [{**note, "quit_hung": quit_hung} for note in measure(y, rate)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--nn", type=Path, required=True, help="the folder holding nn~.pd_linux")
    parser.add_argument("--model", type=Path, help="model folder (default: the shipped model)")
    parser.add_argument("--pd", default=shutil.which("pd") or "pd", help="the pd binary (default: pd on the PATH)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    import torch

    from timbral.exports.nn import export_live
    from timbral.model import load_model

    model = load_model(args.model)
    rows = {}
    with tempfile.TemporaryDirectory() as tmp:
        files = {sr: export_live(model, Path(tmp) / f"t{sr}.ts", torch.zeros(1, model.config.latent_dim), sample_rate=sr)
                 for sr in (44100, 48000)}
        for sr in (44100, 48000):
            for buffer in (2048, 4096):
                rows[f"{sr} Hz, buffer {buffer}, exported for {sr}"] = play(args.pd, args.nn, files[sr], sr, buffer)
        rows["44100 Hz, buffer 4096, exported for 48000, told nothing"] = play(args.pd, args.nn, files[48000], 44100, 4096)
        rows["44100 Hz, buffer 4096, exported for 48000, then 'set rate 44100'"] = play(args.pd, args.nn, files[48000], 44100, 4096, 44100)
    if args.json:
        print(json.dumps(rows))
        return
    for name, notes in rows.items():
        print(f"{name}: " + "; ".join(f"MIDI {n['pitch']} hung: Pd never played it through" if n.get("hung") else
                                     f"MIDI {n['pitch']} {n['cents']:+.1f} cents, starts {n['start_samples']} samples after "
                                     f"its gate, sounds {n['sounds_s']} s" + (" (Pd stuck quitting)" if n["quit_hung"] else "")
                                     for n in notes))


if __name__ == "__main__":
    main()

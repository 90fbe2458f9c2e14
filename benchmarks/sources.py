"""Does hearing more sources lift how a bank never trained on is placed? Two arms, same recipe and budget.

- ``default sources``: the default dataset (DATA) as it is: four SoundFonts, their drum kits, the synth engine;
- ``+ voices and physical models``: the same notes (hard links, no copy) plus Festival's singing voices
  (:mod:`timbral.data.voices`; Leena held out whole, in the test split) and the Synthesis ToolKit's physical models
  (:mod:`timbral.data.stk`, 6 instruments per model), all in training; the split is otherwise DATA's, so both arms
  train on the same SoundFont and synth instruments and are tested on the same held-out bank (OPL3).

Each arm is trained by ``timbral train`` in its own process and evaluated as ``benchmarks/ablation.py`` does
(a finished arm in RUNS is reused). Reported: the family vote of the held-out notes' nearest training notes
(placement) overall, for the held-out bank, for its drums and for the held-out voice, with the rebuild and
retrieval figures beside it.
Run:  .venv/bin/python benchmarks/sources.py [--data data/default] [--steps 3000] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

from ablation import run_arm

HELD_OUT_VOICE = "lj"
STK_INSTRUMENTS = 6
FIGURES = ("placement_family_accuracy", "cross_pitch_instrument_retrieval", "reconstruction_gain_matched_sc_db",
           "reconstruction_gain_matched_lsd_db", "pitch_error_cents")


def build_plus(data: Path, out: Path) -> Path:
    """DATA's notes linked into ``out``, with the voices and STK's models rendered beside them and DATA's split
    extended: the new instruments train, the held-out voice tests."""
    from timbral.atomic import write_json
    from timbral.data.nsynth import AUDIO_DIR, read_examples, write_examples
    from timbral.data.split import read_split, write_split
    from timbral.data.stk import render_stk
    from timbral.data.voices import VOICES, render_voices

    if (out / "split.json").is_file():
        return out
    (out / AUDIO_DIR).mkdir(parents=True, exist_ok=True)
    examples = read_examples(data)
    for file in (data / AUDIO_DIR).iterdir():
        if not (out / AUDIO_DIR / file.name).exists():
            os.link(file, out / AUDIO_DIR / file.name)
    write_examples(out, examples)
    render_voices(out, audio_format="flac")
    render_stk(out, instruments_per_model=STK_INSTRUMENTS, audio_format="flac")
    split = read_split(data)
    added = {m["instrument_str"]: m for m in read_examples(out).values() if m["note_str"] not in examples}
    held = VOICES[HELD_OUT_VOICE].festival
    split["test"] += sorted(i for i, m in added.items() if m.get("voice") == held)
    split["train"] += sorted(i for i, m in added.items() if m.get("voice") != held)
    write_split(out, split)
    write_json(out / "sources.json", {"from": str(data), "added_instruments": len(added), "held_out_voice": held})
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=Path("data/default"))
    parser.add_argument("--plus", type=Path, default=Path("data/default_plus_voices_stk"))
    parser.add_argument("--runs", type=Path, default=Path("runs/sources"))
    parser.add_argument("--steps", type=int, default=3000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    plus = build_plus(args.data, args.plus)
    arms = {"default sources": args.data, "+ voices and physical models": plus}
    results = {name: run_arm(name, {}, data, args.runs, args.steps) for name, data in arms.items()}
    if args.json:
        print(json.dumps({"steps": args.steps, "arms": results}))
        return
    print(f"{args.steps} steps per arm; placement by source of the test split (vote, notes):")
    for name, r in results.items():
        by_source = ", ".join(f"{s} {v[0]:.3f} ({v[1]})" for s, v in r.get("placement_by_source", {}).items())
        print(f"| {name} | " + " | ".join(f"{k} {r.get(k, float('nan')):.3f}" for k in FIGURES) + f" | {by_source} |")
        print(f"|   by family | {json.dumps(r.get('placement_by_family', {}))} |")


if __name__ == "__main__":
    main()

import argparse
import json
import shutil
import subprocess
import sys

import pytest

from timbral.cli import build_parser, main

WORKFLOW = {"render", "import", "data", "resynth", "train", "evaluate", "encode", "interpolate", "mix", "random", "map",
            "library", "export-sfz", "export-morph", "export-nn", "reconstruct", "studio"}


def parser_choices(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    return next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices


VERBS = list(parser_choices(build_parser()))
DATA_ACTIONS = list(parser_choices(parser_choices(build_parser())["data"]))


def test_every_step_of_the_workflow_is_a_verb_and_help_lists_each_with_a_line():
    assert WORKFLOW <= set(VERBS) and {"default", "split", "info", "features"} <= set(DATA_ACTIONS)
    out = subprocess.run([sys.executable, "-m", "timbral.cli", "--help"], capture_output=True, text=True, check=True).stdout
    for verb in VERBS:
        assert any(line.split()[:1] == [verb] for line in out.splitlines()), verb


@pytest.mark.parametrize("argv", [[v] for v in VERBS if v != "data"] + [["data", a] for a in DATA_ACTIONS])
def test_every_verb_has_help_with_an_example(argv, capsys):
    with pytest.raises(SystemExit) as info:
        build_parser().parse_args([*argv, "--help"])
    assert info.value.code == 0
    assert "example:" in capsys.readouterr().out


def test_data_split_info_and_features(tiny_dataset, tmp_path, capsys):
    data = tmp_path / "data"
    shutil.copytree(tiny_dataset, data, ignore=shutil.ignore_patterns("features"))  # the shared fixture stays as it is
    assert main(["data", "split", str(data), "--seed", "1", "--hold-out-pitches", "C4"]) == 0
    assert "never trained on: pitches 60" in capsys.readouterr().out
    assert main(["data", "info", str(data), "--json"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    info = json.loads(lines[-1])
    assert info["n_notes"] == 15 and sum(info["split_instruments"].values()) == 5 and info["held_out_pitches"] == [60]
    coverage = info["pitch_coverage"]["sources"]["TimGM6mb.sf2"]
    assert coverage["lowest"] == 48 and coverage["highest"] == 72 and coverage["semitones"] == 3
    assert coverage["notes_per_semitone"]["most"] == 5 and set(info["pitch_coverage"]["families"]) >= {"keyboard", "guitar"}
    assert main(["data", "info", str(data)]) == 0
    assert "pitches by source" in capsys.readouterr().out
    assert main(["data", "features", str(data), "--cache", str(tmp_path / "cache")]) == 0
    assert "15 notes, 529 rows (513 bins to 8 kHz and 16 bands above) x 251 frames" in capsys.readouterr().out


@pytest.mark.parametrize("argv,message", [
    (["data", "info", "/nonexistent"], "not an NSynth-layout folder"),
    (["data", "split", "/nonexistent"], "not an NSynth-layout folder"),
    (["data", "features", "/nonexistent"], "not an NSynth-layout folder"),
    (["data", "split", ".", "--valid", "2"], ""),
])
def test_bad_input_exits_2_with_a_message(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("timbral: error:") and message in err


def test_unknown_verb_and_bad_types_are_usage_errors(capsys):
    for argv in (["fly"], ["render"], ["data", "split", "x", "--seed", "abc"], ["data", "split", "x", "--hold-out-pitches", "300"],
                 ["render", "x.sf2", "--out", "o", "--workers", "two"]):
        with pytest.raises(SystemExit) as info:
            main(argv)
        assert info.value.code == 2

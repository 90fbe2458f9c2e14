"""The real default dataset, built end to end at its loud velocity, as the studio's first start builds its library
(about 2.5 min on 2 cores; both velocities take twice as long and twice the notes)."""

import json

import pytest

from timbral.cli import main
from timbral.data.default import default_soundfonts
from timbral.data.nsynth import source_of


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_default_dataset_builds_with_its_split(tmp_path, capsys):
    out = tmp_path / "default"
    assert main(["data", "default", "--out", str(out), "--velocities", "100"]) == 0
    printed = capsys.readouterr().out
    assert "total" in printed and "split by instrument: train" in printed
    examples = json.loads((out / "examples.json").read_text())
    assert 10000 <= len(examples) <= 20000 and {m["velocity"] for m in examples.values()} == {100}
    split = json.loads((out / "split.json").read_text())
    train, valid, test = (set(split[s]) for s in ("train", "valid", "test"))
    assert not (train & test or train & valid or valid & test) and split["by"] == "instrument"
    instruments = {m["instrument_str"] for m in examples.values()}
    assert train | valid | test == instruments
    assert split["hold_out_source"] == "OPL-3_FM_128M.sf2"  # test: a whole source never trained on
    assert {source_of(m) for m in examples.values() if m["instrument_str"] in test} == {"OPL-3_FM_128M.sf2"}
    families = {m["instrument_family_str"] for m in examples.values() if m["instrument_str"] in valid}
    assert len(families) == 13  # every family is heard in valid, percussion included
    assert {m["sample_rate"] for m in examples.values()} == {48000}
    assert len(list((out / "audio").iterdir())) == len(examples)

    assert main(["data", "info", str(out), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["n_instruments"] >= 2000 and info["n_sources"] >= 6 and info["build_seconds"] > 0
    assert info["sources"]["timbral-synth"]["instruments"] == 1000
    per_instrument = {}
    for m in examples.values():
        per_instrument.setdefault(m["instrument_str"], set()).add(m["pitch"])
    assert min(len(p) for p in per_instrument.values()) >= 2  # spread over a range, not one key
    assert [p.name for p in default_soundfonts()] == ["FluidR3_GM.sf2", "FluidR3_GS.sf2", "TimGM6mb.sf2",
                                                      "sf_GMbank.sf2", "OPL-3_FM_128M.sf2"]

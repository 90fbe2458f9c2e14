"""The real default dataset, built end to end (about 25 s on 2 cores)."""

import json

from timbral.cli import main
from timbral.data.default import default_soundfonts


def test_default_dataset_builds_with_its_split(tmp_path, capsys):
    out = tmp_path / "default"
    assert main(["data", "default", "--out", str(out)]) == 0
    examples = json.loads((out / "examples.json").read_text())
    assert 8000 <= len(examples) <= 15000
    split = json.loads((out / "split.json").read_text())
    train, valid, test = (set(split[s]) for s in ("train", "valid", "test"))
    assert not (train & test or train & valid or valid & test) and split["by"] == "instrument"
    instruments = {m["instrument_str"] for m in examples.values()}
    assert train | valid | test == instruments and len(instruments) == 230
    families = {m["instrument_family_str"] for m in examples.values() if m["instrument_str"] in test}
    assert len(families) == 12  # every family is heard in test
    assert len(list((out / "audio").iterdir())) == len(examples)
    printed = capsys.readouterr().out
    assert "total" in printed and "split by instrument: train" in printed
    assert [p.name for p in default_soundfonts()] == ["FluidR3_GM.sf2", "TimGM6mb.sf2"]

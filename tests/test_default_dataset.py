"""The real default dataset, built end to end at its loud velocity as the studio's first start builds its library,
with 20 of the synth engine's 1,000 instruments (about a minute on 2 cores; the whole library takes 2.5 min, both
velocities twice as long)."""

import json

import pytest

from timbral.cli import main
from timbral.data.default import default_soundfonts
from timbral.data.nsynth import source_of


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_default_dataset_builds_with_its_split(tmp_path, capsys):
    out = tmp_path / "default"
    assert main(["data", "default", "--out", str(out), "--velocities", "100", "--synth-instruments", "20"]) == 0
    printed = capsys.readouterr().out
    assert "total" in printed and "split by instrument: train" in printed
    examples = json.loads((out / "examples.json").read_text())
    assert 6000 <= len(examples) <= 9000 and {m["velocity"] for m in examples.values()} == {100}
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
    assert info["n_instruments"] >= 1290 and info["n_sources"] >= 6 and info["build_seconds"] > 0
    assert info["sources"]["timbral-synth"]["instruments"] == 20
    per_instrument, drums = {}, set()
    for m in examples.values():
        per_instrument.setdefault(m["instrument_str"], set()).add(m["pitch"])
        if m.get("pitched") is False:
            drums.add(m["instrument_str"])
    assert len(drums) >= 200 and all(len(per_instrument[d]) == 1 for d in drums)  # a drum sounds at its own key only
    assert min(len(p) for i, p in per_instrument.items() if i not in drums) >= 2  # a pitched one spread over a range
    assert [p.name for p in default_soundfonts()] == ["FluidR3_GM.sf2", "FluidR3_GS.sf2", "TimGM6mb.sf2",
                                                      "sf_GMbank.sf2", "OPL-3_FM_128M.sf2"]


@pytest.mark.parametrize("count", ["0", "many", "100001", "-5"])
def test_a_wrong_number_of_synth_instruments_is_refused_before_anything_is_written(tmp_path, capsys, count):
    out = tmp_path / "default"
    with pytest.raises(SystemExit) as e:
        main(["data", "default", "--out", str(out), "--synth-instruments", count])
    assert e.value.code == 2 and "is not a number of instruments from 1 to 100000" in capsys.readouterr().err
    assert not out.exists()


def _linked(folder, names):
    folder.mkdir()
    for path in default_soundfonts():
        if path.name in names:
            (folder / path.name).symlink_to(path)
    return folder


def test_the_soundfonts_can_come_from_a_folder_sf3_or_not_the_held_out_one_optional(tmp_path):
    """What scripts/gpu pack sends a GPU machine: the SoundFonts training hears, compressed or not, in one folder."""
    names = ["FluidR3_GM.sf2", "FluidR3_GS.sf2", "TimGM6mb.sf2", "sf_GMbank.sf2"]
    folder = _linked(tmp_path / "fonts", names[:2] + names[3:])
    (folder / "TimGM6mb.sf3").symlink_to(default_soundfonts(["TimGM6mb.sf2"])[0])  # any file of that name will do here
    assert [p.name for p in default_soundfonts(folder=folder)] == ["FluidR3_GM.sf2", "FluidR3_GS.sf2", "TimGM6mb.sf3",
                                                                   "sf_GMbank.sf2"]
    (folder / "OPL-3_FM_128M.sf2").symlink_to(default_soundfonts(["OPL-3_FM_128M.sf2"])[0])
    assert [p.name for p in default_soundfonts(folder=folder)][-1] == "OPL-3_FM_128M.sf2"


def test_a_folder_without_a_soundfont_training_needs_is_refused_before_anything_is_written(tmp_path, capsys):
    folder = _linked(tmp_path / "fonts", ["FluidR3_GS.sf2", "OPL-3_FM_128M.sf2"])
    out = tmp_path / "default"
    missing = "missing from " + str(folder) + ": FluidR3_GM.sf2 (or .sf3), TimGM6mb.sf2 (or .sf3), sf_GMbank.sf2 (or .sf3)"
    for fonts, said in ((folder, missing), (tmp_path / "nowhere", "nowhere: no such folder of SoundFonts")):
        assert main(["data", "default", "--out", str(out), "--soundfonts", str(fonts)]) == 2
        assert said in capsys.readouterr().err and not out.exists()

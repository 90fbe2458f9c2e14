import json

import pytest

from timbral.data.nsynth import DatasetError, note_metadata
from timbral.data.split import make_split, notes_in_split, read_split, write_split


def examples(n_per_family=10, families=("bass", "brass", "vocal"), notes=3):
    out = {}
    for family in families:
        for i in range(n_per_family):
            for pitch in range(60, 60 + notes):
                m = note_metadata(f"{family}_acoustic_{i:03d}", family, "acoustic", pitch, 100)
                out[m["note_str"]] = m
    return out


def test_split_is_by_instrument_stratified_and_seeded():
    ex = examples()
    split = make_split(ex, seed=3)
    sets = [set(split[s]) for s in ("train", "valid", "test")]
    assert not (sets[0] & sets[1] or sets[0] & sets[2] or sets[1] & sets[2])
    assert set.union(*sets) == {m["instrument_str"] for m in ex.values()}
    for family in ("bass", "brass", "vocal"):  # every family is represented in test
        assert any(i.startswith(family) for i in split["test"])
    assert make_split(ex, seed=3) == split and make_split(ex, seed=4) != split
    test_notes = notes_in_split(ex, split, "test")
    assert {ex[k]["instrument_str"] for k in test_notes} == set(split["test"])
    assert len(notes_in_split(ex, split, None)) == len(ex)


def test_small_families_stay_in_train():
    split = make_split(examples(n_per_family=2))
    assert split["test"] == [] and len(split["train"]) == 6


def test_split_file_round_trip_and_errors(tmp_path):
    assert read_split(tmp_path) is None
    split = make_split(examples())
    write_split(tmp_path, split)
    assert read_split(tmp_path) == json.loads(json.dumps(split))
    (tmp_path / "split.json").write_text("{broken")
    with pytest.raises(DatasetError, match="corrupt"):
        read_split(tmp_path)
    (tmp_path / "split.json").write_text('{"train": []}')
    with pytest.raises(DatasetError, match="lists"):
        read_split(tmp_path)
    with pytest.raises(ValueError, match="fractions"):
        make_split(examples(), valid=0.6, test=0.5)
    with pytest.raises(ValueError, match="split must be one of"):
        notes_in_split(examples(), split, "holdout")
    with pytest.raises(ValueError, match="no split.json"):
        notes_in_split(examples(), None, "test")


def test_held_out_pitches_never_reach_training():
    ex = examples(notes=5)  # pitches 60-64
    split = make_split(ex, seed=3, hold_out_pitches=[61, 63])
    train = notes_in_split(ex, split, "train")
    assert train and {ex[k]["pitch"] for k in train} == {60, 62, 64}
    assert {ex[k]["pitch"] for k in notes_in_split(ex, split, "valid")} == {60, 61, 62, 63, 64}  # measured there
    assert split["hold_out_pitches"] == [61, 63] and make_split(ex, seed=3)["hold_out_pitches"] == []
    with pytest.raises(ValueError, match="MIDI numbers"):
        make_split(ex, hold_out_pitches=[200])


def test_a_split_file_with_bad_held_out_pitches_is_refused(tmp_path):
    split = make_split(examples())
    split["hold_out_pitches"] = "61"
    write_split(tmp_path, split)
    with pytest.raises(DatasetError, match="hold_out_pitches"):
        read_split(tmp_path)

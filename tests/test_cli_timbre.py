"""The timbre verbs end to end: files and library names in, audio files, archives and pictures out."""

import json
import zipfile

import librosa
import numpy as np
import pytest
import soundfile as sf
from conftest import SR, tone, write

from timbral import Timbral


@pytest.fixture
def names(tiny_model, tiny_library):
    lib = Timbral.load(tiny_model, library=tiny_library).library
    return [s.name for s in lib.search(pitch=60)]


@pytest.mark.slow
def test_interpolate_writes_steps_path_originals_and_zip(run, names, tmp_path, tiny_model, tiny_library):
    mine = write(tmp_path / "mine_A3.wav", tone(220, 3))
    code, out, _ = run("interpolate", names[0], mine, "--steps", 4, "--out", tmp_path / "blend", "--zip", "--bits", 24)
    assert code == 0, out
    files = sorted(p.name for p in (tmp_path / "blend").iterdir())
    assert files == ["all.wav", "interpolation.zip", f"sound1_{names[0].replace('-', '_')}.wav", "sound2_mine_a3.wav",
                     "step_00.wav", "step_01.wav", "step_02.wav", "step_03.wav"]
    assert sf.info(tmp_path / "blend" / "all.wav").frames == 4 * 4 * SR
    assert sf.info(tmp_path / "blend" / "step_00.wav").subtype == "PCM_24"
    assert len(zipfile.ZipFile(tmp_path / "blend" / "interpolation.zip").namelist()) == 7
    t = Timbral.load(tiny_model, library=tiny_library)
    step0, _ = sf.read(tmp_path / "blend" / "step_00.wav", dtype="float32")
    alone = t.decode(names[0], 60)
    mag = lambda y: np.abs(librosa.stft(y, n_fft=1024, hop_length=256))  # noqa: E731 (phase: batching moves PGHI ties)
    assert np.linalg.norm(mag(step0) - mag(alone)) / np.linalg.norm(mag(alone)) < 0.05  # step 0 is Sound 1


def test_mix_weights_pad_and_bad_weights(run, names, tmp_path):
    assert run("mix", *names[:3], "--weights", "1,2,0", "--out", tmp_path / "m.flac")[0] == 0
    assert sf.info(tmp_path / "m.flac").format == "FLAC"
    assert run("mix", *names[:4], "--pad", "0.2,0.9", "--pitch", "C3", "--out", tmp_path / "p.wav")[0] == 0
    for argv, message in [(["--weights", "1,-1,1"], "non-negative"), (["--weights", "0,0,0"], "not all zero"),
                          (["--weights", "1,2"], "expected 3"), (["--weights", "a,b,c"], "numbers"),
                          (["--weights", "nan,1,1"], "finite"), (["--pad", "0.5"], "expected 2")]:
        code, _, err = run("mix", *names[:3], *argv, "--out", tmp_path / "bad.wav")
        assert code == 2 and message in err, (argv, err)
    assert not (tmp_path / "bad.wav").exists()


def test_random_is_repeatable(run, tmp_path):
    for out in ("r1", "r2"):
        assert run("random", "-n", 2, "--seed", 3, "--temperature", 0.5, "--out", tmp_path / out, "--format", "flac")[0] == 0
    a, b = (sorted((tmp_path / o).iterdir()) for o in ("r1", "r2"))
    assert [p.name for p in a] == ["random_t0.5_s3_00.flac", "random_t0.5_s3_01.flac"]
    assert all(x.read_bytes() == y.read_bytes() for x, y in zip(a, b))
    assert run("random", "-n", 0, "--out", tmp_path / "r3")[0] == 2


@pytest.mark.slow
def test_encode_library_map_sfz_reconstruct(run, names, tmp_path):
    mine = write(tmp_path / "mine_C4.wav", tone(262, 3))
    code, out, _ = run("encode", mine, names[0], "--json")
    rows = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and rows[0]["pitch"] == 60 and len(rows[1]["latent"]) == 8 and 0 <= rows[0]["x"] <= 1
    code, out, _ = run("library", "--pitch", "C4", "--json")
    assert code == 0 and {json.loads(line)["name"] for line in out.splitlines()} == set(names)
    code, out, _ = run("map", "--out", tmp_path / "map.html", "--add", mine, "--json")
    assert code == 0 and json.loads(out)["n_sounds"] == 15 and "mine_c4" in json.loads(out)["added"]
    assert run("map", "--out", tmp_path / "map.png")[0] == 0 and (tmp_path / "map.png").stat().st_size > 10_000
    code, out, _ = run("export-sfz", mine, "--out", tmp_path / "mine.zip", "--pitches", "48:72:12", "--velocities", "100")
    assert code == 0 and sorted(zipfile.ZipFile(tmp_path / "mine.zip").namelist()) == [
        "mine_c4.sfz", "samples/048_v100.wav", "samples/060_v100.wav", "samples/072_v100.wav"]
    code, out, _ = run("reconstruct", mine, tmp_path / "rec.wav", "--json")
    rebuilt = json.loads(out)
    assert code == 0 and rebuilt["pitch"] == 60 and sf.info(tmp_path / "rec.wav").duration == 4.0
    code, out, _ = run("reconstruct", mine, tmp_path / "fit.wav", "--fit", "40", "--json")
    fitted = json.loads(out)
    assert code == 0 and "latent fitted to the sound (40 steps)" in fitted["remarks"]
    assert fitted["spectral_convergence_db"] < rebuilt["spectral_convergence_db"]  # closer to your sound
    code, out, _ = run("encode", mine, "--fit", "--json")
    assert code == 0 and "latent fitted to the sound (100 steps)" in json.loads(out)["remarks"]


@pytest.mark.parametrize("argv,message", [
    (["encode", "nowhere.wav"], "nowhere.wav"),
    (["encode", "../../etc/passwd"], "passwd"),
    (["interpolate", "no_such-060-100", "x", "--out", "o"], "no_such-060-100"),
    (["interpolate", "a", "b", "--steps", "1", "--out", "o"], None),
    (["map", "--out", "map.jpg"], ".png or .html"),
    (["export-sfz", "x.wav", "--out", "x.sfz"], ".zip"),
    (["export-sfz", "x.wav", "--out", "x.zip", "--pitches", "200"], "--pitches"),
    (["random", "--temperature", "nan", "--out", "o"], "temperature"),
    (["random", "--pitch", "H9", "--out", "o"], "note name"),
    (["encode", "no_such-060-100", "--fit", "-3"], "fit steps"),
    (["reconstruct", "x.wav", "o", "--fit", "many"], None),
    (["encode", "--fit", "cello.wav"], "put --fit after your sounds"),
])
def test_bad_input_is_a_clear_error(run, argv, message, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    try:
        code, _, err = run(*argv)
    except SystemExit as e:  # argparse rejects it before anything runs
        code, err = e.code, capsys.readouterr().err
    assert code == 2 and (message is None or message in err), err
    assert not (tmp_path / "o").exists()


def test_silent_corrupt_and_nan_files(run, tmp_path):
    silent = write(tmp_path / "silent_C4.wav", np.zeros(SR, np.float32))
    corrupt = tmp_path / "broken.wav"
    corrupt.write_bytes(b"RIFF\x00\x00\x00\x00WAVEfmt garbage")
    nan = write(tmp_path / "nan_C4.wav", np.full(SR, np.nan, np.float32), subtype="FLOAT")
    for f, message in ((silent, "silent"), (corrupt, "broken.wav"), (nan, "nan_C4.wav")):
        code, _, err = run("reconstruct", f, tmp_path / "out.wav")
        assert code == 2 and message in err, err
    assert not (tmp_path / "out.wav").exists()

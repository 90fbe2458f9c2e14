"""Your own sounds as they really come: twelve kinds of one-shot, any level, long takes, note names everywhere.

Through the Python API, the command line and the studio's HTTP API (the page's own test is in
test_studio_browser.py).
"""

import io
import json
import sqlite3

import numpy as np
import pytest
import soundfile as sf
from conftest import SR, tone, write
from oneshots import KINDS

from timbral.cli import main
from timbral.studio import create_app

# the relative latent change allowed between -1 dBFS and -30 dBFS copies of one sound (24-bit files)
LEVEL_TOLERANCE = 0.01


@pytest.fixture(scope="module")
def kit(tmp_path_factory):
    """The twelve kinds as 16-bit WAV files near 0 dBFS, named without any pitch."""
    folder = tmp_path_factory.mktemp("kit")
    return {kind: write(folder / f"{kind}.wav", make()) for kind, (make, _) in KINDS.items()}


@pytest.fixture
def client(t, tmp_path):
    return create_app({"TIMBRAL": t, "INSTANCE": tmp_path / "instance"}).test_client()


def upload(client, path, **form):
    return client.post("/api/sounds", data={"file": (io.BytesIO(path.read_bytes()), path.name), **form},
                       content_type="multipart/form-data")


# --- the Python API ---------------------------------------------------------------------------

@pytest.mark.slow
def test_level_does_not_move_a_sound(t, tmp_path):
    for kind in ("piano", "cymbal", "voice"):
        y = KINDS[kind][0]()
        y = y / np.max(np.abs(y))
        loud = write(tmp_path / f"{kind}_loud.wav", y * 10 ** (-1 / 20), subtype="PCM_24")
        quiet = write(tmp_path / f"{kind}_quiet.wav", y * 10 ** (-30 / 20), subtype="PCM_24")
        a, b = t.encode(loud), t.encode(quiet)
        assert np.linalg.norm(a.latent - b.latent) <= LEVEL_TOLERANCE * np.linalg.norm(a.latent), kind
        assert a.pitch == b.pitch and a.pitched == b.pitched
        quiet_float = t.encode(y * 0.001).latent  # float input 60 dB down: no quantisation, so only rounding differs
        assert np.linalg.norm(quiet_float - t.encode(y).latent) <= 1e-3 * np.linalg.norm(a.latent), kind


def test_long_take_starts_at_its_onset_and_says_so(t, kit):
    e = t.encode(kit["noisy_take"])
    assert (e.pitch, e.pitched) == (74, True)
    assert any("the note starts at 1.49 s" in r for r in e.remarks), e.remarks
    a = t.analyse(kit["noisy_take"])
    assert 1.45 <= a.onset_s <= 1.5 and a.note.shape == (4 * SR,)


def test_unpitched_and_nsynth_named_files(t, kit, tmp_path):
    cymbal = t.encode(kit["cymbal"])
    assert (cymbal.pitch, cymbal.pitched) == (60, False) and "no clear pitch" in cymbal.remarks[0]
    assert t.encode(kit["cymbal"], pitch="D3").pitch == 50
    nsynth = write(tmp_path / "keyboard_acoustic_fluidr3_gm_107-051-050.wav", tone(1000, 3))
    assert t.encode(nsynth).pitch == 51  # the name's pitch, not its instrument number nor the tone heard
    assert t.decode(cymbal, "C#5").shape == (4 * SR,)


# --- the command line -------------------------------------------------------------------------

@pytest.mark.slow
def test_cli_encodes_every_kind_without_a_pitch(run, kit):
    code, out, err = run("encode", *kit.values(), "--json")
    assert code == 0, err
    rows = {json.loads(line)["sound"]: json.loads(line) for line in out.splitlines()}
    for kind, path in kit.items():
        expected = KINDS[kind][1]
        row = rows[str(path)]
        assert row["pitched"] is (expected is not None) and row["pitch"] == (60 if expected is None else expected), row
    code, out, _ = run("encode", kit["cymbal"])
    assert code == 0 and "unpitched, played at C4" in out and "no clear pitch" in out


@pytest.mark.slow
def test_cli_pitch_flags_take_note_names(run, kit, tmp_path, capsys):
    code, out, err = run("interpolate", kit["cymbal"], kit["snare"], "--steps", 3, "--pitch", 60, "--out", tmp_path / "b")
    assert code == 0 and "at pitch 60" in out, err
    code, out, err = run("interpolate", kit["cymbal"], kit["piano"], "--steps", 3, "--pitch", "F#2", "--out", tmp_path / "c")
    assert code == 0 and "at pitch 42" in out, err
    code, out, err = run("export-sfz", kit["glass_hum"], "--out", tmp_path / "g.zip", "--pitches", "C3:C5:12", "--velocities", "100")
    assert code == 0 and "3 pitches" in out, err
    code, out, err = run("random", "-n", 1, "--pitch", "Bb2", "--seed", 1, "--out", tmp_path / "r")
    assert code == 0 and "at pitch 46" in out, err
    with pytest.raises(SystemExit):  # no silent prefix match: --pitch is not --pitches
        run("export-sfz", kit["piano"], "--out", tmp_path / "p.zip", "--pitch", 60)
    assert "unrecognized arguments: --pitch" in capsys.readouterr().err


def test_cli_refuses_bad_pitches_clearly(tiny_model, tiny_library, kit, tmp_path, capsys):
    for bad in ("H2", "C#", "200"):
        with pytest.raises(SystemExit) as stop:
            main(["encode", str(kit["piano"]), "--pitch", bad, "--model", str(tiny_model), "--library", str(tiny_library)])
        assert stop.value.code == 2 and "note name like C4" in capsys.readouterr().err


def test_cli_map_add_is_repeatable(run, kit, tmp_path):
    code, out, err = run("map", "--out", tmp_path / "m.html", "--add", kit["piano"], "--add", kit["cymbal"], kit["voice"], "--json")
    assert code == 0, err
    assert set(json.loads(out)["added"]) == {"piano", "cymbal", "voice"}


# --- the studio's HTTP API --------------------------------------------------------------------

@pytest.mark.slow
def test_studio_accepts_every_kind_and_flags_unpitched_ones(client, kit):
    for kind, path in kit.items():
        r = upload(client, path, fit="0")  # what is found of each kind is the point here, not fitting
        assert r.status_code == 201, (kind, r.get_json())
        entry, expected = r.get_json(), KINDS[kind][1]
        assert entry["pitched"] is (expected is not None) and entry["pitch"] == (60 if expected is None else expected)
        assert entry["remarks"] and entry["note"]
    yours = client.get("/api/sounds?source=yours").get_json()["sounds"]
    assert len(yours) == 12 and sum(not s["pitched"] for s in yours) == 2


@pytest.mark.slow
def test_studio_pitch_fields_take_note_names(client, kit):
    cymbal = upload(client, kit["cymbal"]).get_json()
    assert upload(client, kit["piano"], pitch="A2").get_json()["pitch"] == 45
    r = client.patch(f"/api/sounds/{cymbal['id']}", json={"pitch": "D3"})
    assert r.status_code == 200 and (r.get_json()["pitch"], r.get_json()["pitched"], r.get_json()["note"]) == (50, True, "D3")
    assert client.patch(f"/api/sounds/{cymbal['id']}", json={"pitch": "H3"}).status_code == 400
    assert client.patch(f"/api/sounds/{cymbal['id']}", json={}).status_code == 400
    ids = [s["id"] for s in client.get("/api/sounds?pitch=C4&source=library").get_json()["sounds"]]
    assert ids and client.get("/api/sounds?pitch=60&source=library").get_json()["total"] == len(ids)
    assert client.post("/api/blend", json={"a": ids[0], "b": cymbal["id"], "steps": 2, "pitch": "C3"}).get_json()["pitch"] == 48
    assert client.post("/api/mix", json={"sources": [ids[0], cymbal["id"]], "pitch": "Bb2"}).get_json()["pitch"] == 46
    assert client.post("/api/random", json={"n": 1, "seed": 1, "pitch": "F#3"}).get_json()["pitch"] == 54
    assert client.get("/api/map/decode?x=0.5&y=0.5&pitch=A4").get_json()["pitch"] == 69
    assert client.get(f"/api/play?sound={cymbal['id']}&pitch=C%235").status_code == 200
    r = client.get(f"/api/play?sound={cymbal['id']}&pitch=C%23")
    assert r.status_code == 400 and "note name like C4" in r.get_json()["error"]


@pytest.mark.slow
def test_store_made_before_the_pitched_column_still_opens(tiny_model, tiny_library, tmp_path, kit):
    instance = tmp_path / "old"
    (instance / "sounds").mkdir(parents=True)
    with sqlite3.connect(instance / "studio.sqlite3") as db:
        db.execute("CREATE TABLE sounds (id TEXT PRIMARY KEY, name TEXT NOT NULL, source TEXT NOT NULL, pitch INTEGER NOT NULL,"
                   " velocity INTEGER NOT NULL, x REAL NOT NULL, y REAL NOT NULL, latent BLOB NOT NULL, created REAL NOT NULL)")
        db.execute("INSERT INTO sounds VALUES ('u0123456789abcdef', 'old', 'upload', 57, 100, 0.5, 0.5, ?, 0)",
                   (np.zeros(8, np.float32).tobytes(),))
    sf.write(instance / "sounds" / "u0123456789abcdef.wav", tone(220), SR)
    client = create_app({"MODEL": tiny_model, "LIBRARY": tiny_library, "INSTANCE": instance}).test_client()
    old = client.get("/api/sounds/u0123456789abcdef").get_json()
    assert (old["pitch"], old["pitched"], old["note"]) == (57, True, "A3")
    assert upload(client, kit["snare"]).get_json()["pitched"] is False

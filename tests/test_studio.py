"""Every studio route through Flask's test client, bad input included, and persistence across restarts."""

import io
import threading
import zipfile

import numpy as np
import pytest
import soundfile as sf
from conftest import SR, tone

from timbral.studio import MAX_UPLOAD_BYTES, create_app


def wav(y, sr=SR, fmt="WAV") -> io.BytesIO:
    buf = io.BytesIO()
    sf.write(buf, y, sr, format=fmt)
    buf.seek(0)
    return buf


@pytest.fixture
def make_app(t, tmp_path):
    """A studio on the tiny model and library (one Timbral for the module, as one server holds one), its own instance."""
    return lambda: create_app({"TIMBRAL": t, "INSTANCE": tmp_path / "instance", "TESTING": True})


@pytest.fixture
def client(make_app):
    return make_app().test_client()


@pytest.fixture
def ids(client):
    return [s["id"] for s in client.get("/api/sounds?source=library").get_json()["sounds"]]


@pytest.fixture(scope="module")
def unchanged(t, tmp_path_factory):
    """One studio and its library's ids, shared by the many requests that must change nothing it keeps."""
    app = create_app({"TIMBRAL": t, "INSTANCE": tmp_path_factory.mktemp("instance"), "TESTING": True})
    client = app.test_client()
    return client, [s["id"] for s in client.get("/api/sounds?source=library").get_json()["sounds"]]


def upload(client, data, filename="voice_A3.wav", **form):
    return client.post("/api/sounds", data={"file": (data, filename), **form}, content_type="multipart/form-data")


def test_page_and_assets_are_local(client):
    page = client.get("/").get_data(as_text=True)
    assert "Generate random sounds!" in page and "Generate sounds!" in page and "Sound 1" in page and "Sound 2" in page
    assert "http://" not in page and "https://" not in page
    for asset in ("app.js", "map.js", "style.css"):
        assert client.get(f"/static/{asset}").status_code == 200


def test_list_and_filter_sounds(client, ids):
    data = client.get("/api/sounds").get_json()
    assert data["total"] == 15 and set(data["sounds"][0]) >= {"id", "name", "family", "pitch", "source", "x", "y"}
    guitar = client.get("/api/sounds?family=guitar").get_json()["sounds"]
    assert guitar and all(s["family"] == "guitar" for s in guitar)
    assert client.get("/api/sounds?q=-060-").get_json()["total"] == 5
    assert client.get("/api/sounds?pitch=72&limit=2").get_json()["total"] == 5
    assert len(client.get("/api/sounds?pitch=72&limit=2").get_json()["sounds"]) == 2
    assert client.get(f"/api/sounds/{ids[0]}").get_json()["id"] == ids[0]
    r = client.get(f"/api/sounds/{ids[0]}/audio")
    assert r.status_code == 200 and r.mimetype == "audio/wav"
    assert client.get("/api/families").get_json()["colours"]["yours"]


def test_blend_returns_every_step_the_path_and_a_zip(client, ids):
    r = client.post("/api/blend", json={"a": ids[0], "b": ids[5], "steps": 5, "method": "slerp", "pitch": 60})
    assert r.status_code == 200, r.get_json()
    res = r.get_json()
    assert len(res["steps"]) == 5 and res["pitch"] == 60 and res["id"] in res["zip"]
    step = client.get(res["steps"][2]["audio"])
    assert step.mimetype == "audio/wav" and sf.info(io.BytesIO(step.data)).duration == 4.0
    assert client.get(res["steps"][2]["spectrogram"]).data[:4] == b"\x89PNG"
    assert sf.info(io.BytesIO(client.get(res["all"]).data)).duration == 20.0
    names = zipfile.ZipFile(io.BytesIO(client.get(res["zip"]).data)).namelist()
    assert sorted(names) == ["all.wav", "sound1.wav", "sound2.wav"] + [f"step_{i:02d}.wav" for i in range(5)]
    again = client.post("/api/blend", json={"a": ids[0], "b": ids[5], "steps": 5, "method": "slerp", "pitch": 60}).get_json()
    assert again["id"] != res["id"]  # every request gets its own result folder


@pytest.mark.slow
def test_mix_random_map_play_sfz_keep(client, ids):
    r = client.post("/api/mix", json={"sources": ids[:3], "weights": [1, 1, 2], "pitch": 55}).get_json()
    assert r["weights"] == [0.25, 0.25, 0.5] and client.get(r["audio"]).mimetype == "audio/wav"
    r = client.post("/api/mix", json={"sources": ids[:4], "pad": {"x": 1, "y": 1}}).get_json()
    assert r["weights"] == [0, 0, 0, 1]
    a = client.post("/api/random", json={"n": 3, "temperature": 0.7, "seed": 4}).get_json()
    b = client.post("/api/random", json={"n": 3, "temperature": 0.7, "seed": 4}).get_json()
    assert len(a["sounds"]) == 3 and client.get(a["sounds"][1]["audio"]).data == client.get(b["sounds"][1]["audio"]).data
    assert client.get(a["sounds"][2]["spectrogram"]).data[:4] == b"\x89PNG"  # random sounds have pictures too
    assert sorted(zipfile.ZipFile(io.BytesIO(client.get(a["zip"]).data)).namelist()) == ["all.wav"] + [f"random_0{i}.wav" for i in range(3)]
    assert client.get(a["sounds"][0]["audio"].replace("random_00", "random_07")).status_code == 404  # no such index
    assert client.get(a["sounds"][0]["audio"].replace("random_00", "step_00")).status_code == 404  # nor such a name
    here = client.get("/api/map/decode?x=0.5&y=0.5&pitch=48").get_json()
    assert client.get(here["audio"]).mimetype == "audio/wav"
    played = client.get(f"/api/play?sound={ids[0]}&pitch=40")
    assert played.mimetype == "audio/wav" and sf.info(io.BytesIO(played.data)).duration == 4.0
    assert client.get(f"/api/play?result={a['id']}&index=2&pitch=90&velocity=50").status_code == 200
    sfz = client.post("/api/sfz", json={"result": here["id"], "index": 0, "name": "../../evil name"}).get_json()
    z = zipfile.ZipFile(io.BytesIO(client.get(sfz["zip"]).data))
    assert sfz["samples"] == 50 and any(n.endswith(".sfz") and "/" not in n for n in z.namelist())
    kept = client.post("/api/keep", json={"result": a["id"], "index": 0, "name": "bright one"})
    assert kept.status_code == 201 and kept.get_json()["source"] == "kept"


@pytest.mark.slow
def test_upload_rename_delete_and_persistence(make_app, tmp_path):
    client = make_app().test_client()
    r = upload(client, wav(tone(220, 3)))
    assert r.status_code == 201, r.get_json()
    sound = r.get_json()
    assert sound["pitch"] == 57 and sound["family"] == "yours" and 0 <= sound["x"] <= 1
    assert upload(client, wav(tone(330, 3), fmt="FLAC"), "no note here.flac", name="fifth").get_json()["pitch"] == 64  # pYIN
    assert "latent fitted to the sound (100 steps)" in sound["remarks"]  # by default
    odd = upload(client, wav(tone(330, 3)), "odd.wav", pitch="70", fit="0").get_json()
    assert odd["pitch"] == 70 and not any("fitted" in r for r in odd["remarks"])
    assert client.patch(f"/api/sounds/{sound['id']}", json={"name": "my voice"}).get_json()["name"] == "my voice"
    blend = client.post("/api/blend", json={"a": sound["id"], "b": client.get("/api/sounds").get_json()["sounds"][0]["id"], "steps": 2})
    assert blend.status_code == 200

    restarted = make_app().test_client()  # a new app on the same instance folder: nothing is lost
    yours = restarted.get("/api/sounds?source=yours").get_json()["sounds"]
    assert len(yours) == 3 and yours[0]["name"] == "my voice" and yours[0]["pitch"] == 57
    assert restarted.get(f"/api/sounds/{sound['id']}/audio").status_code == 200
    assert restarted.delete(f"/api/sounds/{sound['id']}").status_code == 204
    assert restarted.get(f"/api/sounds/{sound['id']}").status_code == 404
    assert not (tmp_path / "instance" / "sounds" / f"{sound['id']}.wav").exists()


def test_an_upload_given_its_true_pitch_is_heard_again_at_it(make_app, tmp_path):
    from timbral.studio.store import SoundStore

    client = make_app().test_client()
    store = SoundStore(tmp_path / "instance")
    sound = upload(client, wav(tone(220, 3)), "hum.wav", fit="20").get_json()  # pYIN: A3 (57)
    before = store.get(sound["id"]).latent
    assert client.patch(f"/api/sounds/{sound['id']}", json={"pitch": "A3", "fit": "many"}).status_code == 400
    assert np.array_equal(store.get(sound["id"]).latent, before)  # a refused edit changes nothing
    patched = client.patch(f"/api/sounds/{sound['id']}", json={"pitch": "A2", "fit": 20}).get_json()
    assert patched["pitch"] == 45 and patched["pitched"]
    again = upload(client, wav(tone(220, 3)), "hum.wav", pitch="A2", fit="20").get_json()  # as if it came in as A2
    after, fresh = store.get(sound["id"]).latent, store.get(again["id"]).latent
    assert not np.allclose(after, before, atol=1e-3)  # heard again at its pitch ...
    assert np.linalg.norm(after - fresh) < 0.1 * np.linalg.norm(after - before)  # ... as a fresh upload at A2 is
    assert (patched["x"], patched["y"]) == pytest.approx((again["x"], again["y"]), abs=1e-3)
    kept = client.post("/api/keep", json={"result": client.post("/api/random", json={"count": 1}).get_json()["id"],
                                          "index": 0}).get_json()
    kept_latent = store.get(kept["id"]).latent
    assert client.patch(f"/api/sounds/{kept['id']}", json={"pitch": 40}).get_json()["pitch"] == 40
    assert np.array_equal(store.get(kept["id"]).latent, kept_latent)  # a made sound's timbre is its latent: kept
    store.audio_path(sound["id"]).write_bytes(b"not audio")
    lost = client.patch(f"/api/sounds/{sound['id']}", json={"pitch": 50})
    assert lost.status_code == 409 and "cannot be read" in lost.get_json()["error"]
    assert store.get(sound["id"]).pitch == 45


@pytest.mark.slow
def test_your_sounds_are_heard_again_when_the_studio_starts_with_another_model(make_app, tiny_model, tmp_path, capsys):
    """A latent means something only to the model that made it: at the next start, sounds made under
    another model are heard again from their audio; one whose audio is lost keeps its timbre and is named."""
    from timbral.latent import Timbral
    from timbral.studio.store import SoundStore

    client = make_app().test_client()
    store = SoundStore(tmp_path / "instance")
    ids = {name: upload(client, wav(tone(hz, 3)), f"{name}.wav").get_json()["id"]  # fitted as by default
           for name, hz in (("hum", 220), ("lost", 330), ("current", 440))}
    kept = client.post("/api/keep", json={"result": client.post("/api/random", json={"count": 1}).get_json()["id"],
                                          "index": 0}).get_json()["id"]
    fingerprint = Timbral.load(tiny_model).fingerprint
    assert {store.get(i).model for i in [*ids.values(), kept]} == {fingerprint}
    heard = store.get(ids["hum"])
    store.update(ids["hum"], latent=np.full(8, 3.0), xy=(0.0, 0.0), model="0123456789abcdef")  # another model's
    store.update(kept, latent=np.full(8, -3.0), model="")  # a database from before fingerprints
    store.update(ids["lost"], latent=np.full(8, 2.0), model="0123456789abcdef")
    store.audio_path(ids["lost"]).write_bytes(b"not audio")
    store.update(ids["current"], latent=np.full(8, 1.0))  # this model's: left alone
    capsys.readouterr()

    make_app()  # the next start
    said = capsys.readouterr().err
    assert "2 of your sounds, made with another model, were heard again with this one" in said
    assert "could not be read" in said and "lost" in said
    again = store.get(ids["hum"])
    assert again.model == fingerprint and np.linalg.norm(again.latent - heard.latent) < 0.01 * np.linalg.norm(heard.latent)
    assert (again.x, again.y) == pytest.approx((heard.x, heard.y), abs=1e-3)
    assert store.get(kept).model == fingerprint and not np.allclose(store.get(kept).latent, -3.0)
    assert store.get(ids["lost"]).model == "0123456789abcdef" and np.allclose(store.get(ids["lost"]).latent, 2.0)
    assert np.allclose(store.get(ids["current"]).latent, 1.0)


@pytest.mark.parametrize("data,filename,message", [
    (b"", "empty.wav", "empty"),
    (b"this is not audio at all" * 50, "notes.wav", "notes"),
    (None, "truncated.wav", "truncated"),
    (None, "silent.wav", "silent"),
    (None, "loud.wav", "pitch must be a MIDI note"),
    (None, "fit.wav", "fit must be a whole number from 0 to 2000"),
])
def test_bad_uploads_are_422_or_400_and_store_nothing(unchanged, data, filename, message):
    client, _ = unchanged
    if filename == "truncated.wav":
        data = wav(tone(220, 3)).getvalue()[:50]  # the header and not one whole frame
    elif filename == "silent.wav":
        data = wav(np.zeros(SR * 2, np.float32)).getvalue()
    elif filename in ("loud.wav", "fit.wav"):
        data = wav(tone(220, 2)).getvalue()
    form = {"loud.wav": {"pitch": "H9"}, "fit.wav": {"fit": "-5"}}.get(filename, {})
    r = upload(client, io.BytesIO(data), filename, **form)
    assert r.status_code in (400, 422) and message in r.get_json()["error"], r.get_json()
    assert client.get("/api/sounds?source=yours").get_json()["total"] == 0


@pytest.mark.slow
def test_huge_and_missing_uploads(client):
    r = upload(client, io.BytesIO(b"\0" * (MAX_UPLOAD_BYTES + 1)), "huge.wav")
    assert r.status_code == 413 and "too large" in r.get_json()["error"] and "up to 20 MB" in r.get_json()["error"]
    r = client.post("/api/sounds", data={}, content_type="multipart/form-data")
    assert r.status_code == 400 and "'file'" in r.get_json()["error"]
    r = upload(client, wav(tone(220, 70)), "long_A3.wav")  # only the first 60 s are ever decoded; the note is its first 4 s
    assert r.status_code == 201 and sf.info(io.BytesIO(client.get(f"/api/sounds/{r.get_json()['id']}/audio").data)).duration == 4.0


@pytest.mark.slow
def test_a_30_mb_upload_through_the_real_server_is_refused_in_json_naming_the_limit(make_app):
    import json
    import urllib.error
    import urllib.request

    from timbral.studio import serving

    body = b"--x\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.wav\"\r\n\r\n" + b"\0" * (30 * 2**20) + b"\r\n--x--\r\n"
    with serving(make_app()) as url:
        request = urllib.request.Request(url + "api/sounds", data=body, headers={"Content-Type": "multipart/form-data; boundary=x"})
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request)
    assert refused.value.code == 413
    error = json.loads(refused.value.read())["error"]
    assert "30.0 MB" in error and "up to 20 MB" in error


def test_a_file_that_is_not_audio_is_named_as_the_user_sent_it(client):
    r = upload(client, io.BytesIO(b"<html>not a sound</html>" * 40), "page.wav")
    error = r.get_json()["error"]
    assert r.status_code == 422 and error.startswith("page: not a readable audio file") and "/tmp" not in error and "upload" not in error


@pytest.mark.slow
def test_a_library_stored_as_flac_is_served_as_wav(tiny_model, tmp_path):
    from conftest import TIMGM

    from timbral.data.render import render_soundfonts

    render_soundfonts([TIMGM], tmp_path / "lib", programs="0,24,40", pitches="48,60", velocities="100", audio_format="flac",
                      progress=False)
    client = create_app({"MODEL": tiny_model, "LIBRARY": tmp_path / "lib", "INSTANCE": tmp_path / "i", "TESTING": True}).test_client()
    ids = [s["id"] for s in client.get("/api/sounds").get_json()["sounds"]]
    r = client.get(f"/api/sounds/{ids[0]}/audio")
    assert r.status_code == 200 and r.mimetype == "audio/wav" and sf.info(io.BytesIO(r.data)).format == "WAV"
    blend = client.post("/api/blend", json={"a": ids[0], "b": ids[1], "steps": 2}).get_json()
    original = client.get(blend["sound1"])
    assert sf.info(io.BytesIO(original.data)).format == "WAV" and sf.info(io.BytesIO(original.data)).duration == 4.0


def test_first_start_estimates_scale_with_the_cores():
    from timbral.studio.prepare import minutes

    assert minutes(150, cores=2) == "2 min" and minutes(150, cores=4) == "75 s" and minutes(150, cores=64) == "38 s"


def test_the_first_starts_overall_progress_and_time_left_follow_the_pace_kept():
    from timbral.studio.prepare import overall

    plan = {"render": 100.0, "encode": 250.0, "map": 50.0}
    assert overall(plan, {}, 0.0) == (0.0, 400.0)  # nothing counted: the plan's own time
    share, left = overall(plan, {"render": (100, 100), "encode": (50, 100)}, 450.0)  # twice as slow as planned
    assert share == pytest.approx(225 / 400) and left == pytest.approx(175 * 2)
    share, left = overall(plan, {"render": (30, 100), "encode": (0, None)}, 30.0)  # a later step began: render is done
    assert share == pytest.approx((100 + 125) / 400) and left == pytest.approx(175 * 30 / 225)


def test_sounds_play_as_recorded_or_as_the_model_makes_them(client, ids):
    def audio(url):
        r = client.get(url)
        assert r.status_code == 200 and r.mimetype == "audio/wav", r.get_data(as_text=True)
        return sf.read(io.BytesIO(r.data))[0]

    own = audio(f"/api/sounds/{ids[0]}/audio")
    recorded, model = audio(f"/api/play?sound={ids[0]}"), audio(f"/api/play?sound={ids[0]}&recorded=0")
    assert np.corrcoef(np.abs(np.fft.rfft(recorded)), np.abs(np.fft.rfft(own)))[0, 1] > \
        np.corrcoef(np.abs(np.fft.rfft(model)), np.abs(np.fft.rfft(own)))[0, 1]  # the recording's own spectrum
    assert client.get(f"/api/play?sound={ids[0]}&recorded=maybe").status_code == 400
    blend = client.post("/api/blend", json={"a": ids[0], "b": ids[1], "steps": 3}).get_json()
    plain = client.post("/api/blend", json={"a": ids[0], "b": ids[1], "steps": 3, "recorded": False}).get_json()
    first, first_plain = audio(blend["steps"][0]["audio"]), audio(plain["steps"][0]["audio"])
    assert np.allclose(first, recorded, atol=1e-3) and np.allclose(first_plain, model, atol=1e-3)  # the ends are the sounds
    mix = client.post("/api/mix", json={"sources": ids[:3], "weights": [1, 0, 0]}).get_json()
    assert np.allclose(audio(mix["audio"]), recorded, atol=1e-3)
    played = audio(f"/api/play?result={blend['id']}&index=2")
    assert played.shape == (4 * 48000,) and np.isfinite(played).all()


@pytest.mark.slow
def test_a_blend_or_the_pad_exports_as_a_morph_instrument(client, ids):
    blend = client.post("/api/blend", json={"a": ids[0], "b": ids[1], "steps": 3}).get_json()
    r = client.post("/api/morph", json={"result": blend["id"], "layers": 3, "step": 12, "name": "My morph"})
    assert r.status_code == 200, r.get_json()
    made = r.get_json()
    assert made["layers"] == 3 and made["pitches"] == [36, 48, 60, 72, 84]
    assert sorted(f["name"] for f in made["files"]) == ["my_morph-sfz.zip", "my_morph.dslibrary", "my_morph.multisample"]
    for f in made["files"]:
        got = client.get(f["url"])
        assert got.status_code == 200 and got.mimetype == "application/zip" and len(got.data) == f["bytes"]
        assert zipfile.ZipFile(io.BytesIO(got.data)).testzip() is None
    pad = client.post("/api/morph", json={"sources": ids[:3], "layers": 4, "step": 12, "recorded": False})
    assert pad.status_code == 200 and pad.get_json()["layers"] == 4
    random = client.post("/api/random", json={"n": 1}).get_json()
    for body, status in (({"result": random["id"]}, 404), ({"sources": ids[:1]}, 400), ({"sources": ids[:2], "layers": 40}, 400),
                         ({"sources": [ids[0], "../x"]}, 400)):
        assert client.post("/api/morph", json=body).status_code == status, body


def test_what_is_allowed_is_said(client):
    r = client.get("/api/play")
    assert r.status_code == 400 and "'sound'" in r.get_json()["error"] and "'result'" in r.get_json()["error"]
    r = client.get("/api/sounds?source=bogus")
    assert r.status_code == 400 and "library, yours, upload, kept" in r.get_json()["error"]
    r = client.get("/api/sounds?family=cello")
    assert r.status_code == 400 and "keyboard" in r.get_json()["error"] and "yours" in r.get_json()["error"]


@pytest.mark.slow
def test_an_upload_remembers_what_was_found_and_its_nearest_library_sounds(make_app):
    client = make_app().test_client()
    sound = upload(client, wav(tone(220, 3)), "hum.wav").get_json()
    assert any("A3" in r for r in sound["remarks"]) and any("fitted" in r for r in sound["remarks"])
    assert len(sound["nearest"]) == 5 and all(set(n) == {"id", "name"} for n in sound["nearest"])
    again = make_app().test_client().get(f"/api/sounds/{sound['id']}").get_json()  # after a restart
    assert again["remarks"] == sound["remarks"] and again["nearest"] == sound["nearest"]
    listed = client.get("/api/sounds?source=yours").get_json()["sounds"][0]
    assert listed["nearest"] == sound["nearest"]
    renamed = client.patch(f"/api/sounds/{sound['id']}", json={"pitch": "E3"}).get_json()
    assert any("E3" in r for r in renamed["remarks"]) and len(renamed["nearest"]) == 5


@pytest.mark.parametrize("method,url,body,status", [
    ("post", "/api/blend", {"a": "nope-060-100", "b": "nope-060-100"}, 404),
    ("post", "/api/blend", {"a": "../../etc/passwd", "b": "x"}, 400),
    ("post", "/api/blend", {"a": None, "b": 3}, 400),
    ("post", "/api/blend", "not an object", 400),
    ("post", "/api/blend", {"a": "ID", "b": "ID", "steps": 1000}, 400),
    ("post", "/api/blend", {"a": "ID", "b": "ID", "steps": "eleven"}, 400),
    ("post", "/api/blend", {"a": "ID", "b": "ID", "method": "cubic"}, 400),
    ("post", "/api/blend", {"a": "ID", "b": "ID", "pitch": 128}, 400),
    ("post", "/api/mix", {"sources": ["ID", "ID"], "weights": [1, -1]}, 400),
    ("post", "/api/mix", {"sources": ["ID", "ID"], "weights": [0, 0]}, 400),
    ("post", "/api/mix", {"sources": ["ID", "ID"], "weights": [1, "NaN"]}, 400),
    ("post", "/api/mix", {"sources": ["ID", "ID"], "weights": [1]}, 400),
    ("post", "/api/mix", {"sources": []}, 400),
    ("post", "/api/mix", {"sources": ["ID", "ID"], "pad": {"x": 0.5, "y": 0.5}}, 400),
    ("post", "/api/random", {"n": 0}, 400),
    ("post", "/api/random", {"n": 10**9}, 400),
    ("post", "/api/random", {"temperature": float("inf")}, 400),
    ("post", "/api/random", {"seed": -1}, 400),
    ("get", "/api/map/decode?x=abc&y=0.5", None, 400),
    ("get", "/api/map/decode?y=0.5", None, 400),
    ("get", "/api/map/decode?x=-0.87&y=0.5", None, 400),  # outside the map
    ("get", "/api/play?sound=ID&pitch=300", None, 400),
    ("get", "/api/play?result=00000000000000000000000000000000&index=0", None, 404),
    ("get", "/api/play?result=../../x&index=0", None, 404),
    ("get", "/api/results/00000000000000000000000000000000/step_00.wav", None, 404),
    ("get", "/api/results/..%2F..%2Fetc/passwd", None, 404),
    ("get", "/api/sounds/..%2F..%2Fetc%2Fpasswd", None, 404),
    ("get", "/api/sounds/a..b%20c/audio", None, 400),
    ("get", "/api/sounds/u0000000000000000", None, 404),
    ("delete", "/api/sounds/ID", None, 403),
    ("delete", "/api/sounds/u0000000000000000", None, 404),
    ("patch", "/api/sounds/ID", {"name": "x"}, 403),
    ("patch", "/api/sounds/u0000000000000000", {"name": ""}, 400),
    ("post", "/api/keep", {"index": 0}, 400),
    ("post", "/api/sfz", {"sound": "nope-060-100"}, 404),
    ("put", "/api/blend", {}, 405),
    ("get", "/api/blend", None, 405),
    ("get", "/api/nothing", None, 404),
])
def test_bad_requests_get_a_readable_json_error(unchanged, method, url, body, status):
    client, ids = unchanged
    url = url.replace("ID", ids[0])
    if isinstance(body, dict):
        body = {k: ([ids[0] if x == "ID" else x for x in v] if isinstance(v, list) else ids[0] if v == "ID" else v)
                for k, v in body.items()}
    kwargs = {"data": body, "content_type": "application/json"} if isinstance(body, str) else {"json": body} if body is not None else {}
    r = getattr(client, method)(url, **kwargs)
    assert r.status_code == status, (r.status_code, r.get_data(as_text=True))
    assert isinstance(r.get_json()["error"], str) and r.get_json()["error"]
    assert client.get("/api/sounds").status_code == 200  # and the studio keeps serving


def test_concurrent_requests_are_safe(client, ids):
    errors, statuses = [], []

    def work(i):
        try:
            r = client.post("/api/mix", json={"sources": ids[:3], "weights": [i % 3 + 1, 1, 1], "pitch": 50 + i})
            statuses.append(r.status_code)
        except Exception as e:  # noqa: BLE001 - any failure is the finding
            errors.append(e)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and statuses == [200] * 12


@pytest.mark.slow
def test_first_start_builds_in_the_background_and_says_so(tiny_model, tiny_library, tmp_path):
    import shutil
    import time

    library = tmp_path / "fresh-library"
    shutil.copytree(tiny_library, library, ignore=shutil.ignore_patterns("features", "library"))  # nothing cached yet
    client = create_app({"MODEL": tiny_model, "LIBRARY": library, "INSTANCE": tmp_path / "i", "PREPARE": "background"}).test_client()
    seen = []
    for _ in range(600):
        status = client.get("/api/status").get_json()
        seen.append(status)
        if status["ready"]:
            break
        r = client.get("/api/sounds")
        assert r.status_code == 503 and "still preparing" in r.get_json()["error"]
        time.sleep(0.05)
    assert seen[-1]["ready"] and seen[-1]["error"] is None and {"step", "done", "total", "seconds", "overall", "left"} <= set(seen[-1])
    shares = [s["overall"] for s in seen]
    assert shares == sorted(shares) and shares[-1] == 1.0 and seen[-1]["left"] == 0  # it only moves forward
    assert client.get("/api/sounds").get_json()["total"] == 15
    assert client.get("/").status_code == 200 and client.get("/favicon.ico").status_code == 200


def test_a_library_that_cannot_be_built_is_reported_not_hidden(tiny_model, tmp_path, capsys):
    from timbral.cli import main

    client = create_app({"MODEL": tiny_model, "LIBRARY": tmp_path / "nothing", "INSTANCE": tmp_path / "i",
                         "PREPARE": "background"}).test_client()
    for _ in range(100):
        if client.get("/api/status").get_json()["error"]:
            break
    assert "no dataset here" in client.get("/api/status").get_json()["error"]
    r = client.get("/api/sounds")
    assert r.status_code == 503 and "could not prepare its library" in r.get_json()["error"]
    assert main(["studio", "--library", str(tmp_path / "nothing"), "--model", str(tiny_model), "--port", "5999"]) == 2
    assert "no dataset here" in capsys.readouterr().err  # said before serving anything


def test_every_answer_forbids_inline_script_and_framing(client, ids):
    for url in ("/", "/static/app.js", "/api/sounds", f"/api/sounds/{ids[0]}/audio", "/api/nothing-here"):
        headers = client.get(url).headers
        policy = dict(part.strip().split(" ", 1) for part in headers["Content-Security-Policy"].split(";"))
        assert policy["script-src"] == "'self'" and policy["object-src"] == "'none'", url  # no 'unsafe-inline', no eval
        assert policy["frame-ancestors"] == "'none'" and headers["X-Content-Type-Options"] == "nosniff", url


def test_an_original_plays_at_the_level_of_what_is_made_from_it(client, ids):
    """A soft library note (velocity 50 renders quietly) and the blend steps made from it play at one peak level."""
    soft = wav(0.01 * tone(220, 3))
    quiet = upload(client, soft, "quiet_A3.wav", fit="0").get_json()["id"]
    r = client.post("/api/blend", json={"a": quiet, "b": ids[0], "steps": 3})
    peaks = []
    for url in (r.get_json()["sound1"], r.get_json()["sound2"], r.get_json()["steps"][1]["audio"], f"/api/sounds/{ids[0]}/audio"):
        y, _ = sf.read(io.BytesIO(client.get(url).data))
        peaks.append(20 * np.log10(np.abs(y).max()))
    assert np.allclose(peaks, -1.0, atol=0.1), peaks


def test_a_long_or_clipped_upload_says_what_was_used(client):
    long = np.tile(tone(220, 2), 35)  # 70 s: only the first 60 s are read
    remarks = upload(client, wav(long), "long_A3.wav", fit="0").get_json()["remarks"]
    assert any("70 s long: only its first 60 s were read" in r for r in remarks), remarks
    five = np.concatenate([tone(220, 2), tone(220, 3)])  # a note of 5 s: its last second is left out
    remarks = upload(client, wav(five), "five_A3.wav", fit="0").get_json()["remarks"]
    assert any("the last 1.0 s were left out" in r for r in remarks), remarks
    clipped = np.clip(3 * tone(220, 2), -1, 1)
    remarks = upload(client, wav(clipped), "loud_A3.wav", fit="0").get_json()["remarks"]
    assert any("clipped" in r for r in remarks), remarks
    remarks = upload(client, wav(tone(220, 3)), "fine_A3.wav", fit="0").get_json()["remarks"]
    assert not any("clipped" in r or "left out" in r for r in remarks), remarks


def test_an_upload_keeps_its_whole_band_and_a_low_rate_file_says_it_has_none(client):
    """A 96 kHz file keeps its air up to 24 kHz as it plays back; a 16 kHz file is taken, and told it has nothing
    above 8 kHz."""
    t = np.arange(4 * 96000) / 96000
    airy = (0.3 * np.sin(2 * np.pi * 220 * t) + 0.05 * np.sin(2 * np.pi * 15000 * t)) * np.exp(-t)
    rich = upload(client, wav(airy, 96000), "airy_A3.wav", fit="0").get_json()
    assert not any("nothing above" in r for r in rich["remarks"])
    y, sr = sf.read(io.BytesIO(client.get(f"/api/sounds/{rich['id']}/audio").data))
    spectrum = np.abs(np.fft.rfft(y)) ** 2
    assert sr == 48000 and spectrum[int(14500 * len(y) / sr) : int(15500 * len(y) / sr)].sum() > 1e-3 * spectrum.sum()
    played, _ = sf.read(io.BytesIO(client.get(f"/api/play?sound={rich['id']}&pitch=57").data))
    spectrum = np.abs(np.fft.rfft(played)) ** 2  # as recorded at its pitch: the air is played back too
    assert spectrum[int(14500 * len(played) / 48000) : int(15500 * len(played) / 48000)].sum() > 1e-4 * spectrum.sum()
    low = upload(client, wav(tone(220, 3, sr=16000), 16000), "low_A3.wav", fit="0").get_json()
    assert any("recorded at 16 kHz, it has nothing above 8 kHz" in r for r in low["remarks"]), low["remarks"]

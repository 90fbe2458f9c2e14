"""What the studio keeps: your sounds in SQLite with their audio, names as given, results made once and pruned."""

import os
import sqlite3
import threading
import time

import numpy as np

from timbral.studio.store import MAX_NAME, ResultStore, SoundStore, clean_name


def add(store: SoundStore, name: str = "mine", **kw):
    fields = dict(name=name, source="upload", pitch=60, velocity=100, xy=(0.25, 0.75), latent=np.arange(8, dtype=np.float32),
                  wav=b"RIFF....WAVE")
    return store.add(**{**fields, **kw})


def same(a, b) -> bool:
    return a.as_dict() == b.as_dict() and a.model == b.model and np.array_equal(a.latent, b.latent)


def test_sounds_last_across_a_reopen_and_every_field_comes_back(tmp_path):
    store = SoundStore(tmp_path)
    sound = add(store, "<img src=x onerror=alert(1)>", pitched=False, model="abc", remarks=("pitch: none found",),
                nearest=("a-060-100",))
    again = SoundStore(tmp_path).get(sound.id)  # a restart
    assert same(again, sound)
    assert again.name == "<img src=x onerror=alert(1)>" and not again.pitched and again.remarks == ("pitch: none found",)
    assert store.audio_path(sound.id).read_bytes() == b"RIFF....WAVE"
    assert store.audio_path(sound.id).name == f"{sound.id}.wav"  # a file's name is an id, never what was sent


def test_update_and_delete_change_only_what_they_name(tmp_path):
    store = SoundStore(tmp_path)
    one, two = add(store, "one", pitched=False), add(store, "two")
    moved = store.update(one.id, name="renamed", pitch=45, latent=np.ones(8), xy=(0.5, 0.5))
    assert moved.name == "renamed" and moved.pitch == 45 and moved.pitched and np.array_equal(moved.latent, np.ones(8))
    assert same(store.get(two.id), two)
    assert store.update("nope", name="x") is None
    assert store.delete(one.id) and not store.delete(one.id) and not store.audio_path(one.id).exists()
    assert [s.id for s in store.all()] == [two.id]


def test_an_older_database_gains_the_new_columns(tmp_path):
    with sqlite3.connect(tmp_path / "studio.sqlite3") as db:
        db.execute("CREATE TABLE sounds (id TEXT PRIMARY KEY, name TEXT NOT NULL, source TEXT NOT NULL, pitch INTEGER NOT NULL, "
                   "velocity INTEGER NOT NULL, x REAL NOT NULL, y REAL NOT NULL, latent BLOB NOT NULL, created REAL NOT NULL)")
        db.execute("INSERT INTO sounds VALUES ('u1', 'old', 'upload', 62, 100, 0.1, 0.2, ?, 1.0)", (np.zeros(8, np.float32).tobytes(),))
    old = SoundStore(tmp_path).get("u1")
    assert old.name == "old" and old.pitched and old.model == "" and old.remarks == () and old.nearest == ()


def test_names_are_printable_trimmed_and_never_empty():
    assert clean_name("  a\x00b\u202ec\n ", "Sound") == "abc"
    assert clean_name("", "Sound") == clean_name(None, "Sound") == clean_name(" \t", "Sound") == "Sound"
    assert len(clean_name("x" * 500, "Sound")) == MAX_NAME
    assert clean_name("ünï ☃ 名前", "Sound") == "ünï ☃ 名前"


def test_concurrent_adds_lose_nothing(tmp_path):
    store = SoundStore(tmp_path)
    threads = [threading.Thread(target=lambda i=i: add(store, f"s{i}")) for i in range(16)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert sorted(s.name for s in store.all()) == sorted(f"s{i}" for i in range(16))


def test_results_are_made_once_when_asked_for_and_pruned_after_a_day(tmp_path):
    store = ResultStore(tmp_path)
    made = []
    render = lambda name: made.append(name) or b"data"  # noqa: E731
    old = store.create(np.zeros((2, 8)), [60, 62], "step")
    assert store.file(old, "step_01.wav") is None  # not made until asked for with a way to make it
    assert store.file(old, "step_01.wav", render).read_bytes() == b"data" and made == ["step_01.wav"]
    store.file(old, "step_01.wav", render)
    assert made == ["step_01.wav"]  # made once
    assert store.file(old, "../x.wav", render) is None and store.file("nope", "step_01.wav", render) is None
    day_ago = time.time() - 25 * 3600
    os.utime(tmp_path / "results" / old, (day_ago, day_ago))
    store._pruned = 0.0
    new = store.create(np.zeros((1, 8)), [60], "mix")
    assert not (tmp_path / "results" / old).exists() and store.made(new).pitches[0] == 60

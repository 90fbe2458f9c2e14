"""What the studio keeps: your sounds (SQLite in WAL mode + audio files) and per-request results.

Everything lives in the instance folder. Names of files and folders are always generated ids,
never anything a request sent; each write is atomic.
"""

from __future__ import annotations

import json
import re
import secrets
import shutil
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..atomic import atomic_path
from ..pitch import note_name

ID = re.compile(r"^[A-Za-z0-9_\-]{1,160}$")
RESULT_ID = re.compile(r"^[0-9a-f]{32}$")
RESULT_FILE = re.compile(r"^[a-z0-9_][a-z0-9_\-]{0,47}\.(wav|png|zip|dslibrary|multisample)$")
RESULT_TTL_S = 24 * 3600
MAX_NAME = 80
# np.load parses each array's header with ast.literal_eval, which CPython 3.11 does not make thread-safe
# ("AST constructor recursion depth mismatch" under concurrent requests): one reader at a time
_NPZ_READ = threading.Lock()

SCHEMA = """
CREATE TABLE IF NOT EXISTS sounds (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    source TEXT NOT NULL,
    pitch INTEGER NOT NULL,
    velocity INTEGER NOT NULL,
    x REAL NOT NULL,
    y REAL NOT NULL,
    latent BLOB NOT NULL,
    created REAL NOT NULL,
    pitched INTEGER NOT NULL DEFAULT 1,
    model TEXT NOT NULL DEFAULT '',
    remarks TEXT NOT NULL DEFAULT '[]',
    nearest TEXT NOT NULL DEFAULT '[]'
)
"""
COLUMNS_ADDED = {"pitched": "INTEGER NOT NULL DEFAULT 1", "model": "TEXT NOT NULL DEFAULT ''",  # to older databases
                 "remarks": "TEXT NOT NULL DEFAULT '[]'", "nearest": "TEXT NOT NULL DEFAULT '[]'"}


@dataclass(frozen=True)
class UserSound:
    id: str
    name: str
    source: str  # "upload" or "kept" (a generated sound you kept)
    pitch: int
    velocity: int
    x: float
    y: float
    latent: np.ndarray
    pitched: bool = True  # False: no clear pitch was found; ``pitch`` is where it plays until you set one
    model: str = ""  # the fingerprint of the model whose latent this is ("": made before it was recorded)
    remarks: tuple[str, ...] = ()  # what was found and done when it was heard (pitch and how sure, onset, fitting)
    nearest: tuple[str, ...] = ()  # the library sounds nearest to it, nearest first

    def as_dict(self) -> dict:
        return {"id": self.id, "name": self.name, "family": "yours", "pitch": self.pitch, "note": note_name(self.pitch),
                "pitched": self.pitched, "velocity": self.velocity, "source": self.source,
                "x": round(self.x, 5), "y": round(self.y, 5), "remarks": list(self.remarks), "nearest": list(self.nearest)}


def clean_name(name: str | None, fallback: str) -> str:
    """A display name: printable, trimmed, at most 80 characters (it never becomes a path)."""
    name = "".join(ch for ch in (name or "") if ch.isprintable()).strip()[:MAX_NAME]
    return name or fallback


class SoundStore:
    """Your sounds: metadata and latents in ``studio.sqlite3``, audio in ``sounds/<id>.wav``."""

    def __init__(self, folder: Path):
        self.folder = folder
        (folder / "sounds").mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute(SCHEMA)
            present = {row["name"] for row in db.execute("PRAGMA table_info(sounds)")}
            for column, kind in COLUMNS_ADDED.items():
                if column not in present:
                    db.execute(f"ALTER TABLE sounds ADD COLUMN {column} {kind}")

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.folder / "studio.sqlite3", timeout=30)
        db.row_factory = sqlite3.Row
        return db

    def audio_path(self, sound_id: str) -> Path:
        return self.folder / "sounds" / f"{sound_id}.wav"

    def add(self, *, name: str, source: str, pitch: int, velocity: int, xy: tuple[float, float], latent: np.ndarray,
            wav: bytes, pitched: bool = True, model: str = "", remarks: tuple[str, ...] = (),
            nearest: tuple[str, ...] = ()) -> UserSound:
        sound = UserSound("u" + secrets.token_hex(8), name, source, pitch, velocity, float(xy[0]), float(xy[1]),
                          np.asarray(latent, np.float32), pitched, model, tuple(remarks), tuple(nearest))
        with atomic_path(self.audio_path(sound.id)) as tmp:
            tmp.write_bytes(wav)
        try:
            with self._connect() as db:
                db.execute("INSERT INTO sounds (id, name, source, pitch, velocity, x, y, latent, created, pitched, model, remarks, "
                           "nearest) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                           (sound.id, name, source, pitch, velocity, sound.x, sound.y, sound.latent.tobytes(), time.time(),
                            int(pitched), model, json.dumps(list(remarks)), json.dumps(list(nearest))))
        except sqlite3.Error:
            self.audio_path(sound.id).unlink(missing_ok=True)
            raise
        return sound

    def get(self, sound_id: str) -> UserSound | None:
        with self._connect() as db:
            row = db.execute("SELECT * FROM sounds WHERE id = ?", (sound_id,)).fetchone()
        return _sound(row) if row else None

    def all(self) -> list[UserSound]:
        with self._connect() as db:
            return [_sound(r) for r in db.execute("SELECT * FROM sounds ORDER BY created")]

    def update(self, sound_id: str, *, name: str | None = None, pitch: int | None = None, latent: np.ndarray | None = None,
               xy: tuple[float, float] | None = None, model: str | None = None, remarks: tuple[str, ...] | None = None,
               nearest: tuple[str, ...] | None = None) -> UserSound | None:
        """Rename a sound, set its pitch (a pitch set by you makes it pitched) and/or its timbre, place, the
        model they belong to, what was found when it was heard and its nearest library sounds, in one
        transaction; ``None`` if there is none."""
        with self._connect() as db:
            if name is not None:
                db.execute("UPDATE sounds SET name = ? WHERE id = ?", (name, sound_id))
            if pitch is not None:
                db.execute("UPDATE sounds SET pitch = ?, pitched = 1 WHERE id = ?", (pitch, sound_id))
            if latent is not None:
                db.execute("UPDATE sounds SET latent = ? WHERE id = ?", (np.asarray(latent, np.float32).tobytes(), sound_id))
            if xy is not None:
                db.execute("UPDATE sounds SET x = ?, y = ? WHERE id = ?", (float(xy[0]), float(xy[1]), sound_id))
            if model is not None:
                db.execute("UPDATE sounds SET model = ? WHERE id = ?", (model, sound_id))
            for column, values in (("remarks", remarks), ("nearest", nearest)):
                if values is not None:
                    db.execute(f"UPDATE sounds SET {column} = ? WHERE id = ?", (json.dumps(list(values)), sound_id))
        return self.get(sound_id)

    def delete(self, sound_id: str) -> bool:
        with self._connect() as db:
            deleted = db.execute("DELETE FROM sounds WHERE id = ?", (sound_id,)).rowcount
        self.audio_path(sound_id).unlink(missing_ok=True)
        return bool(deleted)


def _sound(row: sqlite3.Row) -> UserSound:
    return UserSound(row["id"], row["name"], row["source"], row["pitch"], row["velocity"], row["x"], row["y"],
                     np.frombuffer(row["latent"], np.float32).copy(), bool(row["pitched"]), row["model"],
                     tuple(json.loads(row["remarks"])), tuple(json.loads(row["nearest"])))


@dataclass(frozen=True)
class Made:
    """A result's sounds: latents and pitches, their name prefix, and for each the share of each source
    sound's recording it carries (``weights``: sounds x ``sources``; none for random sounds or map points)."""

    latents: np.ndarray
    pitches: np.ndarray
    prefix: str
    sources: list[str]
    weights: np.ndarray


class ResultStore:
    """One folder per request under ``results/<32 hex>``, with the latents it decoded; old ones are pruned.

    A result is created with its latents and pitches alone, so a request answers at once; each
    of its files (a sound's WAV, its spectrogram, the whole path, the ZIP) is made by the caller's
    ``render`` the first time it is asked for (:meth:`file`), once, and kept.
    """

    def __init__(self, folder: Path):
        self.folder = folder / "results"
        self.folder.mkdir(parents=True, exist_ok=True)
        self._locks: dict[str, threading.RLock] = {}
        self._locks_lock = threading.Lock()
        self._pruned = 0.0

    def create(self, latents: np.ndarray, pitches: list[int], prefix: str, files: dict[str, bytes] | None = None,
               sources: list[str] | None = None, weights: np.ndarray | None = None) -> str:
        """A new result of ``latents`` at ``pitches`` (its sounds named ``<prefix>_NN``), with any ``files`` already made;
        ``sources`` (sound ids) and ``weights`` (one row per sound) say how much of each source's recording
        each sound carries (a blend's steps, a mix; played "as recorded")."""
        self._prune()
        result_id = secrets.token_hex(16)
        path = self.folder / result_id
        tmp = self.folder / f".{result_id}"
        tmp.mkdir()
        try:
            for name, data in (files or {}).items():
                (tmp / name).write_bytes(data)
            np.savez(tmp / "latents.npz", latents=np.asarray(latents, np.float32), pitches=np.asarray(pitches),
                     prefix=np.array(prefix), sources=np.array(sources or [], dtype=str),
                     weights=np.zeros((len(latents), 0)) if weights is None else np.asarray(weights, np.float32))
            tmp.rename(path)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        return result_id

    def file(self, result_id: str, name: str, render: Callable[[str], bytes | None] | None = None) -> Path | None:
        """The file ``name`` of a result, made by ``render(name)`` if it is not there yet (``None``: no such file)."""
        if not RESULT_ID.match(result_id) or not RESULT_FILE.match(name) or not (self.folder / result_id).is_dir():
            return None
        path = self.folder / result_id / name
        if path.is_file() or render is None:
            return path if path.is_file() else None
        with self._lock(result_id):  # two requests for the same file make it once
            if not path.is_file():
                data = render(name)
                if data is None:
                    return None
                with atomic_path(path) as tmp:
                    tmp.write_bytes(data)
        return path

    def made(self, result_id: str) -> Made | None:
        """What a result holds: its latents, pitches, the sounds' name prefix, and its sources and their weights."""
        if not RESULT_ID.match(result_id) or not (self.folder / result_id / "latents.npz").is_file():
            return None
        with _NPZ_READ, np.load(self.folder / result_id / "latents.npz") as z:
            sources = z["sources"].tolist() if "sources" in z else []
            weights = z["weights"] if "weights" in z else np.zeros((len(z["latents"]), 0))
            return Made(z["latents"], z["pitches"], str(z["prefix"]), sources, weights)

    def _lock(self, result_id: str) -> threading.RLock:
        with self._locks_lock:  # re-entrant: a ZIP is made from files made under the same lock
            return self._locks.setdefault(result_id, threading.RLock())

    def _prune(self) -> None:
        """Remove results older than a day (looked for at most once a minute)."""
        now = time.time()
        with self._locks_lock:
            if now - self._pruned < 60:
                return
            self._pruned = now
        for path in self.folder.iterdir():
            try:
                old = RESULT_ID.match(path.name) and path.stat().st_mtime < now - RESULT_TTL_S
            except FileNotFoundError:  # removed meanwhile by another request
                continue
            if old:
                shutil.rmtree(path, ignore_errors=True)
                with self._locks_lock:
                    self._locks.pop(path.name, None)

"""What every route of the API shares: readiness, errors as JSON, reading a request's fields, and
finding the sound an id names."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from flask import current_app, jsonify, request

from ...audio import AudioError, load_note, read_audio
from ...detail import weighted
from ...exports.files import audio_bytes
from ...latent import Encoded, normalise_peak
from ...pitch import PitchError, parse_pitch
from ..store import ID, Made
from . import bp


class ApiError(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


@bp.before_request
def only_when_ready():
    """While the first start builds the library, every route but the status answers 503 with the progress."""
    preparation = current_app.extensions["preparation"]
    if preparation.ready or request.endpoint == "api.status":
        return None
    s = preparation.status()
    if s["error"]:
        return jsonify(error=f"the studio could not prepare its library: {s['error']}"), 503
    share = f" ({100 * s['done'] / s['total']:.0f} %)" if s["total"] else ""
    return jsonify(error=f"the studio is still preparing: {s['step']}{share}; try again in a moment"), 503


@bp.get("/status")
def status():
    """Whether the library is ready, and the progress of its first-start build."""
    return jsonify(current_app.extensions["preparation"].status())


@bp.errorhandler(ApiError)
def api_error(e: ApiError):
    return jsonify(error=str(e)), e.status


@bp.errorhandler(AudioError)
def audio_error(e: AudioError):
    return jsonify(error=str(e)), 422


def timbral():
    return current_app.extensions["timbral"]


def your_sounds():
    return current_app.extensions["sounds"]


def results_store():
    return current_app.extensions["results"]


# --- reading requests -------------------------------------------------------------------------

def json_body() -> dict:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ApiError(400, "send a JSON object (Content-Type: application/json)")
    return body


def number_field(value, name: str, lo: float, hi: float, *, whole: bool, default=None):
    if value is None or value == "":
        if default is None:
            raise ApiError(400, f"{name} is required")
        return default
    try:
        number = float(value) if not isinstance(value, bool) else float("nan")
    except (TypeError, ValueError):
        number = float("nan")
    if not np.isfinite(number) or (whole and number != int(number)) or not lo <= number <= hi:
        kind = "a whole number" if whole else "a number"
        raise ApiError(400, f"{name} must be {kind} from {lo:g} to {hi:g}, got {value!r}")
    return int(number) if whole else number


def pitch_field(value, default=None):
    """A pitch field: a MIDI number or a note name (C4, F#3, Bb2)."""
    if value is None or value == "":
        if default is None:
            raise ApiError(400, "pitch is required")
        return default
    try:
        return parse_pitch(value)
    except PitchError as e:
        raise ApiError(400, str(e)) from None


def sound_id_field(value) -> str:
    if not isinstance(value, str) or not ID.match(value):
        raise ApiError(400, f"not a sound id: {str(value)[:80]!r}")
    return value


def entry_of(sound_id: str) -> dict:
    """The listing entry of a library sound or one of yours."""
    lib = timbral().library
    if sound_id in lib:
        return library_entry(lib[sound_id])
    sound = your_sounds().get(sound_id)
    if sound is None:
        raise ApiError(404, f"no sound with id {sound_id!r}")
    return your_entry(sound)


def your_entry(sound) -> dict:
    """One of your sounds for the page, its nearest library sounds named as people read them."""
    lib = timbral().library
    return sound.as_dict() | {"nearest": [{"id": n, "name": lib[n].title} for n in sound.nearest if n in lib]}


def library_entry(s) -> dict:
    """A library sound for the page: its friendly ``name`` (instrument, note, dynamics, origin); ``id`` is its note id."""
    return {"id": s.name, **s.as_dict(), "name": s.title, "source": "library"}


def encoded(sound_id: str, detail: bool = True) -> Encoded:
    """A library sound or one of yours, with what the model cannot make of its recording (its detail;
    ``detail=False``: the latent alone, for what is decoded later)."""
    t = timbral()
    if sound_id in t.library:
        return t.encode(sound_id) if detail else Encoded(t.library.latent(sound_id), t.library[sound_id].pitch)
    sound = your_sounds().get(sound_id)
    if sound is None:
        raise ApiError(404, f"no sound with id {sound_id!r}")
    if not detail:
        return Encoded(sound.latent, sound.pitch)
    try:
        note = load_note(your_sounds().audio_path(sound_id), sr=t.settings.sr, trim=False)
    except AudioError:  # its audio is gone: the model's sound alone
        return Encoded(sound.latent, sound.pitch)
    return t.hear(note, sound.pitch, latent=sound.latent)


def made_sound(made: Made, index: int, cache: dict | None = None) -> Encoded:
    """Sound ``index`` of a result, with its share of its sources' details (``cache``: sources already heard)."""
    cache = {} if cache is None else cache
    parts = []
    for source, w in zip(made.sources, made.weights[index]):
        if w > 0:
            if source not in cache:
                cache[source] = encoded(source).details if ID.match(source) else ()
            parts.append((float(w), cache[source]))
    return Encoded(made.latents[index], int(made.pitches[index]), details=weighted(parts))


def requested_sound(body: dict) -> Encoded:
    """A sound named by ``{"sound": id}`` or by ``{"result": id, "index": i}``."""
    if body.get("result") is not None:
        made = results_store().made(str(body["result"]))
        index = number_field(body.get("index"), "index", 0, 100, whole=True, default=0)
        if made is None or index >= len(made.latents):
            raise ApiError(404, "no such result or index")
        return made_sound(made, index)
    if body.get("sound") is None:
        raise ApiError(400, "name the sound: 'sound' (a sound id), or 'result' and 'index' (a generated sound)")
    return encoded(sound_id_field(body.get("sound")))


def recorded_field(value) -> bool:
    """Whether a sound with audio plays "as recorded" (its detail) or as the model makes it: true unless 0/false."""
    if value is None or value == "" or value is True or str(value).lower() in ("1", "true", "yes"):
        return True
    if value is False or str(value).lower() in ("0", "false", "no"):
        return False
    raise ApiError(400, f"recorded must be true or false (1 or 0), got {str(value)[:20]!r}")


def audio_file(sound_id: str) -> Path:
    lib = timbral().library
    return lib.audio_path(sound_id) if sound_id in lib else your_sounds().audio_path(sound_id)


def wav_of(sound_id: str) -> bytes:
    """A sound's own audio as WAV at the level everything the studio makes plays at (its peak at
    :data:`~timbral.latent.PEAK_DBFS`: a soft library note is as loud as the blend steps made from it)."""
    y, sr = read_audio(audio_file(sound_id))
    return audio_bytes(normalise_peak(y.mean(axis=1)), sr=sr)

"""The studio's JSON API: every action of the page is one of these routes (documented in the README).

Sounds are named by id: a library sound by its note name, one of yours by ``u`` + 16 hex
digits. A generated sound is named by its result id and index. Every bad request is a 4xx
with ``{"error": "..."}``.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
from flask import Blueprint, Response, current_app, jsonify, request, send_file

from ..audio import AudioError
from ..data.families import FAMILIES, FAMILY_COLOURS
from ..data.nsynth import slug
from ..export import audio_bytes, sfz_instrument, spectrogram_png, zip_bytes
from ..latent import Encoded, interpolation_path, normalise_peak, square_weights, triangle_weights
from ..model import FIT_STEPS, MAX_FIT_STEPS
from ..pitch import PitchError, parse_pitch
from .store import ID, clean_name
from .timbre import timbre_of

bp = Blueprint("api", __name__, url_prefix="/api")
ZIP_NAMES = {"step": "blend.zip", "random": "random.zip"}  # results whose sounds also come as one ZIP
YOURS_COLOUR = "#111111"


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


def _timbral():
    return current_app.extensions["timbral"]


def _sounds():
    return current_app.extensions["sounds"]


def _results():
    return current_app.extensions["results"]


# --- reading requests -------------------------------------------------------------------------

def _body() -> dict:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ApiError(400, "send a JSON object (Content-Type: application/json)")
    return body


def _number(value, name: str, lo: float, hi: float, *, whole: bool, default=None):
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


def _pitch(value, default=None):
    """A pitch field: a MIDI number or a note name (C4, F#3, Bb2)."""
    if value is None or value == "":
        if default is None:
            raise ApiError(400, "pitch is required")
        return default
    try:
        return parse_pitch(value)
    except PitchError as e:
        raise ApiError(400, str(e)) from None


def _sound_id(value) -> str:
    if not isinstance(value, str) or not ID.match(value):
        raise ApiError(400, f"not a sound id: {str(value)[:80]!r}")
    return value


def _entry(sound_id: str) -> dict:
    """The listing entry of a library sound or one of yours."""
    lib = _timbral().library
    if sound_id in lib:
        return _library_entry(lib[sound_id])
    sound = _sounds().get(sound_id)
    if sound is None:
        raise ApiError(404, f"no sound with id {sound_id!r}")
    return sound.as_dict()


def _library_entry(s) -> dict:
    """A library sound for the page: its friendly ``name`` (instrument, note, dynamics, origin); ``id`` is its note id."""
    return {"id": s.name, **s.as_dict(), "name": s.title, "pitched": True, "source": "library"}


def _encoded(sound_id: str) -> Encoded:
    lib = _timbral().library
    if sound_id in lib:
        return Encoded(lib.latent(sound_id), lib[sound_id].pitch)
    sound = _sounds().get(sound_id)
    if sound is None:
        raise ApiError(404, f"no sound with id {sound_id!r}")
    return Encoded(sound.latent, sound.pitch)


def _source(body: dict) -> Encoded:
    """A sound named by ``{"sound": id}`` or by ``{"result": id, "index": i}``."""
    if body.get("result") is not None:
        found = _results().latent(str(body["result"]), _number(body.get("index"), "index", 0, 100, whole=True, default=0))
        if found is None:
            raise ApiError(404, "no such result or index")
        return Encoded(*found)
    return _encoded(_sound_id(body.get("sound")))


def _audio_file(sound_id: str) -> Path:
    lib = _timbral().library
    return lib.audio_path(sound_id) if sound_id in lib else _sounds().audio_path(sound_id)


def _result(latents, pitches, prefix: str, files: dict[str, bytes] | None = None) -> tuple[str, Callable[[str], str]]:
    """A new result; its files are made when first fetched (:func:`_render`). Returns its id and a URL maker."""
    result_id = _results().create(latents, pitches, prefix, files)
    return result_id, lambda name: f"/api/results/{result_id}/{name}"


def _render(result_id: str) -> Callable[[str], bytes | None]:
    """How each file of a result is made: ``<prefix>_NN.wav`` and ``.png`` (its spectrogram), ``all.wav``, the ZIP."""
    found = _results().latents(result_id)
    if found is None:
        return lambda name: None
    latents, pitches, prefix = found
    t = _timbral()

    def render(name: str) -> bytes | None:
        sound = re.fullmatch(rf"{prefix}_(\d{{2}})\.(wav|png)", name)
        if sound and int(sound[1]) < len(latents):
            y = t.decode(latents[int(sound[1])], int(pitches[int(sound[1])]))
            return audio_bytes(y) if sound[2] == "wav" else spectrogram_png(y, t.settings)
        if name == "all.wav" and len(latents) > 1:
            return audio_bytes(np.concatenate(t.decode_batch(latents, [int(p) for p in pitches])))
        if name == ZIP_NAMES.get(prefix):
            names = [f"{prefix}_{i:02d}.wav" for i in range(len(latents))] + ["all.wav"]
            made = {n: _results().file(result_id, n, render).read_bytes() for n in names}
            given = {p.name: p.read_bytes() for p in (_results().folder / result_id).glob("sound*.wav")}
            return zip_bytes(given | made)
        return None

    return render


# --- sounds -----------------------------------------------------------------------------------

@bp.get("/families")
def families():
    return jsonify(colours={**dict(zip(FAMILIES, FAMILY_COLOURS)), "yours": YOURS_COLOUR},
                   families=_timbral().library.families())


@bp.get("/sounds")
def list_sounds():
    family, q, source = request.args.get("family") or None, request.args.get("q") or None, request.args.get("source") or None
    pitch = _pitch(request.args.get("pitch"), default=-1)
    limit = _number(request.args.get("limit"), "limit", 0, 10**6, whole=True, default=0)
    found = []
    if source in (None, "library") and family != "yours":
        found = [_library_entry(s) for s in _timbral().library.search(family=family, q=q, pitch=None if pitch < 0 else pitch)]
    if source in (None, "upload", "kept", "yours") and family in (None, "yours"):
        found += [s.as_dict() for s in _sounds().all()
                  if (q is None or q.lower() in s.name.lower()) and pitch in (-1, s.pitch)
                  and source in (None, "yours", s.source)]
    return jsonify(total=len(found), sounds=found[:limit] if limit else found)


@bp.get("/sounds/<sound_id>")
def get_sound(sound_id: str):
    return jsonify(_entry(_sound_id(sound_id)))


@bp.get("/sounds/<sound_id>/audio")
def sound_audio(sound_id: str):
    _entry(_sound_id(sound_id))
    return send_file(_audio_file(sound_id), mimetype="audio/wav")


@bp.post("/sounds")
def upload_sound():
    upload = request.files.get("file")
    if upload is None:
        raise ApiError(400, "send the sound as the multipart field 'file'")
    filename = clean_name(Path(upload.filename or "").stem, "sound")
    data = upload.read()
    if not data:
        raise ApiError(400, f"{filename}: the file is empty")
    pitch = _pitch(request.form.get("pitch"), default=-1)
    fit = _number(request.form.get("fit"), "fit", 0, MAX_FIT_STEPS, whole=True, default=FIT_STEPS)
    t = _timbral()
    with tempfile.TemporaryDirectory() as tmp:  # decoded from content: the name and extension are not trusted
        path = Path(tmp) / "upload"
        path.write_bytes(data)
        try:
            analysis = t.analyse(path, None if pitch < 0 else pitch, name=filename)
        except AudioError as e:
            raise ApiError(422, f"{filename}: {e.reason}") from None
    e, xy = timbre_of(t, analysis, fit)
    sound = _sounds().add(name=clean_name(request.form.get("name"), filename), source="upload", pitch=e.pitch,
                          pitched=e.pitched, velocity=100, xy=xy, latent=e.latent, wav=audio_bytes(normalise_peak(analysis.note)),
                          model=t.fingerprint)
    return jsonify(sound.as_dict() | {"remarks": list(e.remarks)}), 201


@bp.patch("/sounds/<sound_id>")
def edit_sound(sound_id: str):
    """Rename one of your sounds (``{"name"}``) and/or set its pitch (``{"pitch"}``: a number or note name).

    An upload given a new pitch is heard again at it (the encoder and the fit depend on the pitch;
    ``{"fit"}`` steps as for an upload), so it plays and sits on the map as the note it is."""
    sound_id = _sound_id(sound_id)
    body = _body()
    name, pitch = body.get("name"), body.get("pitch")
    if name is None and pitch is None:
        raise ApiError(400, "send a new 'name', a 'pitch' (e.g. 60 or C4), or both")
    if name is not None and (not isinstance(name, str) or not clean_name(name, "")):
        raise ApiError(400, "a new 'name' must be non-empty text")
    pitch = None if pitch is None else _pitch(pitch)
    fit = _number(body.get("fit"), "fit", 0, MAX_FIT_STEPS, whole=True, default=FIT_STEPS)
    if sound_id in _timbral().library:
        raise ApiError(403, "library sounds cannot be changed; keep a copy to name it")
    sound = _sounds().get(sound_id)
    if sound is None:
        raise ApiError(404, f"no sound with id {sound_id!r}")
    latent = xy = model = None
    if pitch is not None and sound.source == "upload":
        t = _timbral()
        try:
            e, xy = timbre_of(t, t.analyse(_sounds().audio_path(sound_id), pitch), fit)
        except AudioError as err:  # its stored audio is gone or damaged: nothing is changed
            raise ApiError(409, f"{sound.name}: its audio cannot be read again ({err.reason})") from None
        latent, model = e.latent, t.fingerprint
    sound = _sounds().update(sound_id, name=None if name is None else clean_name(name, ""), pitch=pitch, latent=latent, xy=xy,
                             model=model)
    return jsonify(sound.as_dict())


@bp.delete("/sounds/<sound_id>")
def delete_sound(sound_id: str):
    sound_id = _sound_id(sound_id)
    if sound_id in _timbral().library:
        raise ApiError(403, "library sounds cannot be deleted")
    if not _sounds().delete(sound_id):
        raise ApiError(404, f"no sound with id {sound_id!r}")
    return "", 204


@bp.post("/keep")
def keep():
    """Keep a generated sound (``{"result", "index", "name"}``) among your sounds."""
    body = _body()
    if body.get("result") is None:
        raise ApiError(400, "send the 'result' id and 'index' of the sound to keep")
    e = _source(body)
    t = _timbral()
    sound = _sounds().add(name=clean_name(body.get("name") if isinstance(body.get("name"), str) else None, "kept sound"),
                          source="kept", pitch=e.pitch, velocity=100, xy=t.library.map.place(e.latent), latent=e.latent,
                          wav=audio_bytes(t.decode(e, e.pitch)), model=t.fingerprint)
    return jsonify(sound.as_dict()), 201


# --- making sounds ----------------------------------------------------------------------------

@bp.post("/blend")
def blend():
    body = _body()
    a, b = _encoded(_sound_id(body.get("a"))), _encoded(_sound_id(body.get("b")))
    steps = _number(body.get("steps"), "steps", 2, 33, whole=True, default=11)
    method = body.get("method", "linear")
    if method not in ("linear", "slerp"):
        raise ApiError(400, f"method must be linear or slerp, got {str(method)[:20]!r}")
    pitch = _pitch(body.get("pitch"), default=a.pitch)
    latents = interpolation_path(a.latent, b.latent, steps, method)
    originals = {"sound1.wav": _audio_file(body["a"]).read_bytes(), "sound2.wav": _audio_file(body["b"]).read_bytes()}
    result_id, url = _result(latents, [pitch] * steps, "step", originals)  # the steps are decoded as they are fetched
    return jsonify(id=result_id, pitch=pitch, method=method, sound1=url("sound1.wav"), sound2=url("sound2.wav"),
                   steps=[{"index": i, "audio": url(f"step_{i:02d}.wav"), "spectrogram": url(f"step_{i:02d}.png")}
                          for i in range(steps)],
                   all=url("all.wav"), zip=url(ZIP_NAMES["step"]))


@bp.post("/mix")
def mix():
    body = _body()
    sources, weights, pad = body.get("sources"), body.get("weights"), body.get("pad")
    if not isinstance(sources, list) or not 1 <= len(sources) <= 8:
        raise ApiError(400, "sources must be a list of 1 to 8 sound ids")
    if pad is not None:
        if not isinstance(pad, dict) or len(sources) not in (3, 4) or weights is not None:
            raise ApiError(400, 'pad is {"x": .., "y": ..} with 3 sources (triangle) or 4 (square), and no weights')
        x, y = (_number(pad.get(k), f"pad {k}", -1, 2, whole=False) for k in ("x", "y"))
        weights = list(triangle_weights(x, y) if len(sources) == 3 else square_weights(x, y))
    if weights is None:
        weights = [1.0] * len(sources)
    if not isinstance(weights, list) or len(weights) != len(sources):
        raise ApiError(400, f"weights must be a list of {len(sources)} numbers, one per source")
    w = np.array([_number(v, "weight", 0, 1e6, whole=False) for v in weights])
    if w.sum() <= 0:
        raise ApiError(400, "weights must not all be zero")
    mixed = _timbral().mixed([_encoded(_sound_id(s)) for s in sources], w)
    w = w / w.sum()
    pitch = _pitch(body.get("pitch"), default=mixed.pitch)
    result_id, url = _result(mixed.latent[None], [pitch], "mix")
    return jsonify(id=result_id, index=0, audio=url("mix_00.wav"), weights=[round(float(v), 4) for v in w], pitch=pitch)


@bp.post("/random")
def random_sounds():
    body = _body()
    n = _number(body.get("n"), "n", 1, 16, whole=True, default=4)
    temperature = _number(body.get("temperature"), "temperature", 0, 5, whole=False, default=1.0)
    seed = _number(body.get("seed"), "seed", 0, 2**32 - 1, whole=True, default=int(np.random.default_rng().integers(2**32)))
    pitch = _pitch(body.get("pitch"), default=60)
    t = _timbral()
    result_id, url = _result(t.random_latents(n, temperature, seed), [pitch] * n, "random")
    return jsonify(id=result_id, seed=seed, temperature=temperature, pitch=pitch, zip=url(ZIP_NAMES["random"]),
                   sounds=[{"index": i, "audio": url(f"random_{i:02d}.wav"), "spectrogram": url(f"random_{i:02d}.png")}
                           for i in range(n)])


@bp.get("/map/decode")
def map_decode():
    x = _number(request.args.get("x"), "x", 0, 1, whole=False)
    y = _number(request.args.get("y"), "y", 0, 1, whole=False)
    pitch = _pitch(request.args.get("pitch"), default=60)
    t = _timbral()
    result_id, url = _result(t.library.map.decode(x, y)[None], [pitch], "here")
    return jsonify(id=result_id, index=0, audio=url("here_00.wav"), x=x, y=y, pitch=pitch)


@bp.get("/play")
def play():
    """Any sound or generated sound at any pitch (and velocity), as WAV: the studio's keyboard."""
    args = request.args
    e = _source({"sound": args.get("sound"), "result": args.get("result"), "index": args.get("index")})
    pitch = _pitch(args.get("pitch"), default=e.pitch)
    velocity = _number(args.get("velocity"), "velocity", 1, 127, whole=True, default=100)
    return Response(audio_bytes(_timbral().decode(e, pitch, velocity)), mimetype="audio/wav")


@bp.post("/sfz")
def export_sfz():
    body = _body()
    e = _source(body)
    name = slug(clean_name(body.get("name") if isinstance(body.get("name"), str) else None, "timbral"))
    files = sfz_instrument(_timbral(), e, name=name)
    result_id, url = _result(e.latent[None], [e.pitch], "sfz", {f"{name}.zip": zip_bytes(files)})
    return jsonify(id=result_id, zip=url(f"{name}.zip"), samples=len(files) - 1)


@bp.get("/results/<result_id>/<name>")
def result_file(result_id: str, name: str):
    path = _results().file(result_id, name, _render(result_id))
    if path is None:
        raise ApiError(404, "no such result file")
    mimetypes = {".wav": "audio/wav", ".png": "image/png", ".zip": "application/zip"}
    return send_file(path, mimetype=mimetypes[path.suffix], as_attachment=path.suffix == ".zip", download_name=name)


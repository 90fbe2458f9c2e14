"""Sounds: the library's and yours (uploaded or kept), listed, fetched, uploaded, edited, deleted."""

from __future__ import annotations

import tempfile
from pathlib import Path

from flask import Response, jsonify, request

from ...audio import AudioError
from ...data.families import FAMILIES, FAMILY_COLOURS
from ...exports.files import audio_bytes
from ...latent import normalise_peak
from ...model import FIT_STEPS, MAX_FIT_STEPS
from ..store import clean_name
from ..timbre import NEAREST, timbre_of
from . import bp
from .common import (
    ApiError,
    entry_of,
    json_body,
    library_entry,
    number_field,
    pitch_field,
    requested_sound,
    sound_id_field,
    timbral,
    wav_of,
    your_entry,
    your_sounds,
)

YOURS_COLOUR = "#111111"
SOURCES = ("library", "yours", "upload", "kept")  # what ?source= takes: yours is uploads and kept sounds


@bp.get("/families")
def families():
    return jsonify(colours={**dict(zip(FAMILIES, FAMILY_COLOURS)), "yours": YOURS_COLOUR},
                   families=timbral().library.families())


@bp.get("/sounds")
def list_sounds():
    family, q, source = request.args.get("family") or None, request.args.get("q") or None, request.args.get("source") or None
    if source not in (None, *SOURCES):
        raise ApiError(400, f"source must be one of {', '.join(SOURCES)}, got {source[:40]!r}")
    if family not in (None, "yours", *FAMILIES):
        raise ApiError(400, f"family must be one of {', '.join(FAMILIES)} or yours, got {family[:40]!r}")
    pitch = pitch_field(request.args.get("pitch"), default=-1)
    limit = number_field(request.args.get("limit"), "limit", 0, 10**6, whole=True, default=0)
    found = []
    if source in (None, "library") and family != "yours":
        found = [library_entry(s) for s in timbral().library.search(family=family, q=q, pitch=None if pitch < 0 else pitch)]
    if source in (None, "upload", "kept", "yours") and family in (None, "yours"):
        found += [your_entry(s) for s in your_sounds().all()
                  if (q is None or q.lower() in s.name.lower()) and pitch in (-1, s.pitch)
                  and source in (None, "yours", s.source)]
    return jsonify(total=len(found), sounds=found[:limit] if limit else found)


@bp.get("/sounds/<sound_id>")
def get_sound(sound_id: str):
    return jsonify(entry_of(sound_id_field(sound_id)))


@bp.get("/sounds/<sound_id>/audio")
def sound_audio(sound_id: str):
    entry_of(sound_id_field(sound_id))
    return Response(wav_of(sound_id), mimetype="audio/wav")


@bp.post("/sounds")
def upload_sound():
    upload = request.files.get("file")
    if upload is None:
        raise ApiError(400, "send the sound as the multipart field 'file'")
    filename = clean_name(Path(upload.filename or "").stem, "sound")
    data = upload.read()
    if not data:
        raise ApiError(400, f"{filename}: the file is empty")
    pitch = pitch_field(request.form.get("pitch"), default=-1)
    fit = number_field(request.form.get("fit"), "fit", 0, MAX_FIT_STEPS, whole=True, default=FIT_STEPS)
    t = timbral()
    with tempfile.TemporaryDirectory() as tmp:  # decoded from content: the name and extension are not trusted
        path = Path(tmp) / "upload"
        path.write_bytes(data)
        try:
            analysis = t.analyse(path, None if pitch < 0 else pitch, name=filename)
        except AudioError as e:
            raise ApiError(422, f"{filename}: {e.reason}") from None
    heard = timbre_of(t, analysis, fit)
    e = heard.encoded
    sound = your_sounds().add(name=clean_name(request.form.get("name"), filename), source="upload", pitch=e.pitch,
                              pitched=e.pitched, velocity=100, wav=audio_bytes(normalise_peak(analysis.note)), **heard.fields(t))
    return jsonify(entry_of(sound.id)), 201


@bp.patch("/sounds/<sound_id>")
def edit_sound(sound_id: str):
    """Rename one of your sounds (``{"name"}``) and/or set its pitch (``{"pitch"}``: a number or note name).

    An upload given a new pitch is heard again at it (the encoder and the fit depend on the pitch;
    ``{"fit"}`` steps as for an upload), so it plays and sits on the map as the note it is."""
    sound_id = sound_id_field(sound_id)
    body = json_body()
    name, pitch = body.get("name"), body.get("pitch")
    if name is None and pitch is None:
        raise ApiError(400, "send a new 'name', a 'pitch' (e.g. 60 or C4), or both")
    if name is not None and (not isinstance(name, str) or not clean_name(name, "")):
        raise ApiError(400, "a new 'name' must be non-empty text")
    pitch = None if pitch is None else pitch_field(pitch)
    fit = number_field(body.get("fit"), "fit", 0, MAX_FIT_STEPS, whole=True, default=FIT_STEPS)
    if sound_id in timbral().library:
        raise ApiError(403, "library sounds cannot be changed; keep a copy to name it")
    sound = your_sounds().get(sound_id)
    if sound is None:
        raise ApiError(404, f"no sound with id {sound_id!r}")
    heard = {}
    if pitch is not None and sound.source == "upload":
        t = timbral()
        try:
            heard = timbre_of(t, t.analyse(your_sounds().audio_path(sound_id), pitch), fit).fields(t)
        except AudioError as err:  # its stored audio is gone or damaged: nothing is changed
            raise ApiError(409, f"{sound.name}: its audio cannot be read again ({err.reason})") from None
    your_sounds().update(sound_id, name=None if name is None else clean_name(name, ""), pitch=pitch, **heard)
    return jsonify(entry_of(sound_id))


@bp.delete("/sounds/<sound_id>")
def delete_sound(sound_id: str):
    sound_id = sound_id_field(sound_id)
    if sound_id in timbral().library:
        raise ApiError(403, "library sounds cannot be deleted")
    if not your_sounds().delete(sound_id):
        raise ApiError(404, f"no sound with id {sound_id!r}")
    return "", 204


@bp.post("/keep")
def keep():
    """Keep a generated sound (``{"result", "index", "name"}``) among your sounds."""
    body = json_body()
    if body.get("result") is None:
        raise ApiError(400, "send the 'result' id and 'index' of the sound to keep")
    e = requested_sound(body)
    t = timbral()
    nearest = tuple(s.name for s in t.library.nearest(e.latent, NEAREST))
    sound = your_sounds().add(name=clean_name(body.get("name") if isinstance(body.get("name"), str) else None, "kept sound"),
                              source="kept", pitch=e.pitch, velocity=100, xy=t.library.map.place(e.latent), latent=e.latent,
                              wav=audio_bytes(t.decode(e, e.pitch)), model=t.fingerprint, nearest=nearest)
    return jsonify(entry_of(sound.id)), 201

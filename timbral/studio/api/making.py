"""Making sounds: a blend of two, a mix of several (or a pad point), random ones, the sound at a map
point, any sound at any pitch, an SFZ instrument, a morph instrument."""

from __future__ import annotations

import numpy as np
from flask import Response, jsonify, request

from ...data.nsynth import slug
from ...exports.files import audio_bytes, sfz_instrument, zip_bytes
from ...exports.morph import render, written
from ...latent import interpolation_path, square_weights, triangle_weights
from ..store import clean_name
from . import bp
from .common import (
    ApiError,
    encoded,
    entry_of,
    json_body,
    number_field,
    pitch_field,
    recorded_field,
    requested_sound,
    results_store,
    sound_id_field,
    timbral,
    wav_of,
)
from .results import ZIP_NAMES, new_result


@bp.post("/blend")
def blend():
    body = json_body()
    ids = [sound_id_field(body.get("a")), sound_id_field(body.get("b"))]
    a, b = (encoded(i, detail=False) for i in ids)
    steps = number_field(body.get("steps"), "steps", 2, 33, whole=True, default=11)
    method = body.get("method", "linear")
    if method not in ("linear", "slerp"):
        raise ApiError(400, f"method must be linear or slerp, got {str(method)[:20]!r}")
    pitch = pitch_field(body.get("pitch"), default=a.pitch)
    latents = interpolation_path(a.latent, b.latent, steps, method)
    originals = {"sound1.wav": wav_of(ids[0]), "sound2.wav": wav_of(ids[1])}
    t = np.linspace(0.0, 1.0, steps)[:, None]  # each step carries the recordings as its latent carries the sounds
    weights = np.hstack([1 - t, t]) if recorded_field(body.get("recorded")) else None
    result_id, url = new_result(latents, [pitch] * steps, "step", originals, ids, weights)  # decoded as they are fetched
    return jsonify(id=result_id, pitch=pitch, method=method, sound1=url("sound1.wav"), sound2=url("sound2.wav"),
                   steps=[{"index": i, "audio": url(f"step_{i:02d}.wav"), "spectrogram": url(f"step_{i:02d}.png")}
                          for i in range(steps)],
                   all=url("all.wav"), zip=url(ZIP_NAMES["step"]))


@bp.post("/mix")
def mix():
    body = json_body()
    sources, weights, pad = body.get("sources"), body.get("weights"), body.get("pad")
    if not isinstance(sources, list) or not 1 <= len(sources) <= 8:
        raise ApiError(400, "sources must be a list of 1 to 8 sound ids")
    if pad is not None:
        if not isinstance(pad, dict) or len(sources) not in (3, 4) or weights is not None:
            raise ApiError(400, 'pad is {"x": .., "y": ..} with 3 sources (triangle) or 4 (square), and no weights')
        x, y = (number_field(pad.get(k), f"pad {k}", -1, 2, whole=False) for k in ("x", "y"))
        weights = list(triangle_weights(x, y) if len(sources) == 3 else square_weights(x, y))
    if weights is None:
        weights = [1.0] * len(sources)
    if not isinstance(weights, list) or len(weights) != len(sources):
        raise ApiError(400, f"weights must be a list of {len(sources)} numbers, one per source")
    w = np.array([number_field(v, "weight", 0, 1e6, whole=False) for v in weights])
    if w.sum() <= 0:
        raise ApiError(400, "weights must not all be zero")
    ids = [sound_id_field(s) for s in sources]
    mixed = timbral().mixed([encoded(i, detail=False) for i in ids], w)
    w = w / w.sum()
    pitch = pitch_field(body.get("pitch"), default=mixed.pitch)
    result_id, url = new_result(mixed.latent[None], [pitch], "mix", None, ids, w[None] if recorded_field(body.get("recorded")) else None)
    return jsonify(id=result_id, index=0, audio=url("mix_00.wav"), weights=[round(float(v), 4) for v in w], pitch=pitch)


@bp.post("/random")
def random_sounds():
    body = json_body()
    n = number_field(body.get("n"), "n", 1, 16, whole=True, default=4)
    temperature = number_field(body.get("temperature"), "temperature", 0, 5, whole=False, default=1.0)
    seed = number_field(body.get("seed"), "seed", 0, 2**32 - 1, whole=True, default=int(np.random.default_rng().integers(2**32)))
    pitch = pitch_field(body.get("pitch"), default=60)
    t = timbral()
    result_id, url = new_result(t.random_latents(n, temperature, seed), [pitch] * n, "random")
    return jsonify(id=result_id, seed=seed, temperature=temperature, pitch=pitch, zip=url(ZIP_NAMES["random"]),
                   sounds=[{"index": i, "audio": url(f"random_{i:02d}.wav"), "spectrogram": url(f"random_{i:02d}.png")}
                           for i in range(n)])


@bp.get("/map/decode")
def map_decode():
    x = number_field(request.args.get("x"), "x", 0, 1, whole=False)
    y = number_field(request.args.get("y"), "y", 0, 1, whole=False)
    pitch = pitch_field(request.args.get("pitch"), default=60)
    t = timbral()
    result_id, url = new_result(t.library.map.decode(x, y)[None], [pitch], "here")
    return jsonify(id=result_id, index=0, audio=url("here_00.wav"), x=x, y=y, pitch=pitch)


@bp.get("/play")
def play():
    """Any sound or generated sound at any pitch (and velocity), as WAV: the studio's keyboard."""
    args = request.args
    e = requested_sound({"sound": args.get("sound"), "result": args.get("result"), "index": args.get("index")})
    pitch = pitch_field(args.get("pitch"), default=e.pitch)
    velocity = number_field(args.get("velocity"), "velocity", 1, 127, whole=True, default=100)
    recorded = recorded_field(args.get("recorded"))
    return Response(audio_bytes(timbral().decode(e, pitch, velocity, recorded=recorded)), mimetype="audio/wav")


@bp.post("/sfz")
def export_sfz():
    body = json_body()
    e = requested_sound(body)
    name = slug(clean_name(body.get("name") if isinstance(body.get("name"), str) else None, "timbral"))
    files = sfz_instrument(timbral(), e, name=name)
    result_id, url = new_result(e.latent[None], [e.pitch], "sfz", {f"{name}.zip": zip_bytes(files)})
    return jsonify(id=result_id, zip=url(f"{name}.zip"), samples=len(files) - 1)


@bp.post("/morph")
def export_morph():
    """A morph instrument of the path through 2 to 8 sounds (``{"sources": [ids]}``, or a blend's ``{"result": id}``):
    ``layers`` steps, every ``step`` semitones from C2 to C6, as SFZ, DecentSampler and Bitwig files."""
    body = json_body()
    if body.get("result") is not None:
        made = results_store().made(str(body["result"]))
        if made is None or not made.sources:
            raise ApiError(404, "no such blend result (a morph follows the path between sounds)")
        ids = made.sources
    else:
        sources = body.get("sources")
        if not isinstance(sources, list) or not 2 <= len(sources) <= 8:
            raise ApiError(400, "sources must be a list of 2 to 8 sound ids, or give the 'result' of a blend")
        ids = [sound_id_field(s) for s in sources]
    layers = number_field(body.get("layers"), "layers", 3, 17, whole=True, default=7)
    step = number_field(body.get("step"), "step", 1, 12, whole=True, default=3)
    name = slug(clean_name(body.get("name") if isinstance(body.get("name"), str) else None, "timbral_morph"))
    t = timbral()
    sounds = [encoded(i, detail=recorded_field(body.get("recorded"))) for i in ids]
    labels = [entry_of(i)["name"] for i in ids]
    m = render(t, sounds, layers=layers, pitches=range(36, 85, step), name=name, labels=labels)
    files = written(m)
    result_id, url = new_result(np.stack([s.latent for s in sounds]), [s.pitch for s in sounds], "morph", files)
    return jsonify(id=result_id, layers=layers, pitches=m.pitches,
                   files=[{"name": n, "url": url(n), "bytes": len(d)} for n, d in files.items()])

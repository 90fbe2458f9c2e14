"""What was made: a result's latents are kept, its files (WAVs, spectrograms, the whole path, a ZIP)
are made when the page first asks for them."""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np
from flask import send_file

from ...exports.files import audio_bytes, zip_bytes
from ...exports.pictures import spectrogram_png
from . import bp
from .common import ApiError, made_sound, results_store, timbral

ZIP_NAMES = {"step": "blend.zip", "random": "random.zip"}  # results whose sounds also come as one ZIP


def new_result(latents, pitches, prefix: str, files: dict[str, bytes] | None = None, sources: list[str] | None = None,
               weights=None) -> tuple[str, Callable[[str], str]]:
    """A new result; its files are made when first fetched (:func:`renderer`). Returns its id and a URL maker.
    ``sources`` and ``weights``: how much of each source sound's recording each of its sounds carries."""
    result_id = results_store().create(latents, pitches, prefix, files, sources, weights)
    return result_id, lambda name: f"/api/results/{result_id}/{name}"


def renderer(result_id: str) -> Callable[[str], bytes | None]:
    """How each file of a result is made: ``<prefix>_NN.wav`` and ``.png`` (its spectrogram), ``all.wav``, the ZIP."""
    made = results_store().made(result_id)
    if made is None:
        return lambda name: None
    prefix, t, heard = made.prefix, timbral(), {}

    def render(name: str) -> bytes | None:
        sound = re.fullmatch(rf"{prefix}_(\d{{2}})\.(wav|png)", name)
        if sound and int(sound[1]) < len(made.latents):
            e = made_sound(made, int(sound[1]), heard)
            y = t.decode(e, e.pitch)
            return audio_bytes(y) if sound[2] == "wav" else spectrogram_png(y, t.settings)
        if name == "all.wav" and len(made.latents) > 1:
            sounds = [made_sound(made, i, heard) for i in range(len(made.latents))]
            audio = t.decode_batch(made.latents, [e.pitch for e in sounds], details=[e.details for e in sounds])
            return audio_bytes(np.concatenate(audio))
        if name == ZIP_NAMES.get(prefix):
            names = [f"{prefix}_{i:02d}.wav" for i in range(len(made.latents))] + ["all.wav"]
            files = {n: results_store().file(result_id, n, render).read_bytes() for n in names}
            given = {p.name: p.read_bytes() for p in (results_store().folder / result_id).glob("sound*.wav")}
            return zip_bytes(given | files)
        return None

    return render


@bp.get("/results/<result_id>/<name>")
def result_file(result_id: str, name: str):
    path = results_store().file(result_id, name, renderer(result_id))
    if path is None:
        raise ApiError(404, "no such result file")
    mimetypes = {".wav": "audio/wav", ".png": "image/png", ".zip": "application/zip", ".dslibrary": "application/zip",
                 ".multisample": "application/zip"}
    return send_file(path, mimetype=mimetypes[path.suffix], as_attachment=path.suffix not in (".wav", ".png"), download_name=name)

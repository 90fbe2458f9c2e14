"""The studio's JSON API: every action of the page is one of these routes (documented in the README).

Sounds are named by id: a library sound by its note name, one of yours by ``u`` + 16 hex
digits. A generated sound is named by its result id and index. Every bad request is a 4xx
with ``{"error": "..."}``.

One blueprint, its routes grouped by resource as Flask's tutorial groups them: what every route
shares (:mod:`.common`: readiness, errors, reading requests, finding sounds), your sounds and the
library's (:mod:`.sounds`), making sounds (:mod:`.making`) and the files of what was made
(:mod:`.results`).
"""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api")

from . import common, making, results, sounds  # noqa: E402,F401  each adds its routes to bp

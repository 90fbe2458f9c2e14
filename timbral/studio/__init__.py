"""The web studio: a Flask application over the timbre operations, served by waitress.

>>> app = create_app({"MODEL": None, "LIBRARY": "data/default", "INSTANCE": "instance"})  # doctest: +SKIP
>>> serve(app, host="127.0.0.1", port=5000)                                             # doctest: +SKIP

Your sounds and every result live in the instance folder (``INSTANCE``); see :mod:`.store`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from flask import Flask, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from ..paths import timbral_home

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
DEFAULT_INSTANCE = timbral_home() / "instance"
# every page and answer: scripts only from the studio's own files (no inline script, no event-handler attributes, no
# eval), nothing from elsewhere, no plugins, never framed; the page builds its elements as DOM, so none is needed
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                               "media-src 'self' blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
                               "form-action 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def create_app(config: dict | None = None) -> Flask:
    """The studio app. ``config``: ``MODEL`` and ``LIBRARY`` folders (default: the shipped model and
    data/default), ``INSTANCE`` (default: ``instance/``), or a ready ``TIMBRAL`` object; ``PREPARE``:
    ``"now"`` (default) builds what is missing before returning, ``"background"`` while serving."""
    from ..latent import Timbral
    from . import api
    from .prepare import Preparation
    from .store import ResultStore, SoundStore

    app = Flask(__name__)
    app.config.update(MAX_CONTENT_LENGTH=MAX_UPLOAD_BYTES, MODEL=None, LIBRARY=None, INSTANCE=DEFAULT_INSTANCE,
                      TIMBRAL=None, PREPARE="now")
    app.config.update(config or {})
    instance = Path(app.config["INSTANCE"])
    timbral = app.config["TIMBRAL"] or Timbral.load(app.config["MODEL"], library=app.config["LIBRARY"])
    sounds = SoundStore(instance)
    preparation = Preparation(timbral, sounds)
    if app.config["PREPARE"] == "background":
        preparation.start()
    else:
        preparation.run()  # built (or read from its cache) now, not during the first request
    app.extensions["timbral"] = timbral
    app.extensions["preparation"] = preparation
    app.extensions["sounds"] = sounds
    app.extensions["results"] = ResultStore(instance)
    app.register_blueprint(api.bp)

    @app.get("/")
    def index():
        return render_template("index.html")

    @app.get("/favicon.ico")
    def favicon():
        return app.send_static_file("favicon.svg")

    @app.after_request
    def secured(response):
        response.headers.update(SECURITY_HEADERS)
        return response

    @app.errorhandler(HTTPException)
    def http_error(e: HTTPException):
        if not request.path.startswith("/api/"):
            return e
        size = f"the file is {request.content_length / 2**20:.1f} MB; " if request.content_length else ""
        messages = {413: f"file too large: {size}the studio takes files up to {MAX_UPLOAD_BYTES // 2**20} MB",
                    405: f"{request.method} is not allowed on {request.path}", 404: "no such resource"}
        return jsonify(error=messages.get(e.code, e.description)), e.code

    @app.errorhandler(Exception)
    def internal_error(e: Exception):
        logging.getLogger("timbral.studio").exception("request failed: %s %s", request.method, request.path)
        return jsonify(error=f"internal error: {type(e).__name__}"), 500

    return app


# waitress takes bodies well over the studio's limit, so that Flask refuses them with a JSON error naming the limit
# (waitress's own refusal is plain text); only one over this reads as waitress's
WAITRESS_OPTIONS = {"max_request_body_size": 16 * MAX_UPLOAD_BYTES, "ident": "timbral"}


def serve(app: Flask, host: str = "127.0.0.1", port: int = 5000, threads: int = 8) -> None:
    """Serve with waitress, a production WSGI server."""
    from waitress import serve as waitress_serve

    print(f"Timbral studio: http://{host}:{port}/  (Ctrl+C to stop)", flush=True)
    waitress_serve(app, host=host, port=port, threads=threads, **WAITRESS_OPTIONS)


@contextmanager
def serving(app: Flask, threads: int = 4) -> Iterator[str]:
    """Serve ``app`` with waitress in a background thread on a free loopback port; yields its URL.

    On leaving, the serving loop stops before its sockets close, so no descriptor it polled
    can be reused by someone else (a pipe of a process pool) while it still reads it.
    """
    from waitress.server import create_server

    server = create_server(app, host="127.0.0.1", port=0, threads=threads, **WAITRESS_OPTIONS)
    stop = threading.Event()

    def loop() -> None:
        while not stop.is_set():
            server.asyncore.loop(timeout=0.05, map=server._map, count=1)

    thread = threading.Thread(target=loop, name="timbral-studio", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}/"
    finally:
        stop.set()
        thread.join()
        server.task_dispatcher.shutdown()
        server.asyncore.close_all(server._map)

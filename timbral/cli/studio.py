"""The verb that opens the web studio."""

from __future__ import annotations

from pathlib import Path

from .common import verb


def cmd_studio(args) -> None:
    from ..data.nsynth import DatasetError
    from ..studio import DEFAULT_INSTANCE, create_app, serve

    if not 0 < args.port < 65536:
        raise ValueError(f"--port must be 1-65535, got {args.port}")
    if args.library is not None and not (args.library / "examples.json").is_file():
        raise DatasetError(args.library, "no dataset here to serve as the library (build one with timbral render or import)")
    # the page opens at once; on a first start it shows the dataset and library being built
    app = create_app({"MODEL": args.model, "LIBRARY": args.library, "INSTANCE": args.data or DEFAULT_INSTANCE,
                      "PREPARE": "background"})
    serve(app, host=args.host, port=args.port, threads=args.threads)


def add_parsers(sub) -> None:
    p = verb(sub, "studio", "Open the web studio: explore the map, blend, mix on a pad, invent, bring your own sounds, play. "
             "The first start renders the default dataset and lays out its map (a few minutes, with progress here and "
             "in the page); later starts open in seconds. A start with another model than your sounds were made with "
             "hears them again from their audio first (about a second each).",
             "timbral studio --port 5000   # then open http://127.0.0.1:5000/", cmd_studio)
    p.add_argument("--model", type=Path, help="model folder (default: the shipped models/default)")
    p.add_argument("--library", type=Path, help="dataset whose notes are the library (default: data/library, the default "
                   "dataset's loud notes, built on the first start)")
    p.add_argument("--data", type=Path,
                   help="folder for your sounds and results (default: instance/ in the project, or ~/.local/share/timbral)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1: this computer only)")
    p.add_argument("--port", type=int, default=5000, help="port (default 5000)")
    p.add_argument("--threads", type=int, default=8, help="request threads (default 8)")

"""The ``timbral`` command line: one verb for each step of the workflow."""

from __future__ import annotations

import argparse
import sys

from . import data, model, studio, timbre
from .common import USER_ERRORS


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="timbral",
        description="Timbral: mix timbres like colours. A timbre space learnt from single instrument notes.",
    )
    sub = parser.add_subparsers(title="verbs", metavar="VERB", required=True)
    for group in (data, model, timbre, studio):
        group.add_parsers(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        args.run(args)
    except USER_ERRORS as e:
        print(f"timbral: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("timbral: interrupted", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""`mlproof` command line: one subcommand per engine.

Each engine owns a small `cli` module exposing `register(subparsers)`, which
adds its parser and sets `handler=` (a function taking the parsed args and
returning an exit code). Handlers import heavy libraries lazily so that
`mlproof --help` stays fast.

Exit codes: 0 ok, 1 a finding the caller asked to be alerted on (dataset
drift, gate BLOCKED, audit below --fail-under), 2 bad input or usage.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

from mlproof import __version__
from mlproof.errors import MlproofError

# Modules that contribute subcommands, in help order.
COMMAND_MODULES = [
    "mlproof.rubric.cli",
    "mlproof.drift.cli",
    "mlproof.tracking.cli",
    "mlproof.gate.cli",
    "mlproof.scaffold.cli",
    "mlproof.experiments.cli",
    "mlproof.performance.cli",
    "mlproof.lint.cli",
    "mlproof.schema_cli",
    "mlproof.server_cli",
    "mlproof.evals.cli",
    "mlproof.demo",
]


class _Parser(argparse.ArgumentParser):
    """argparse that exits with code 2 and one line, like every other bad input."""

    def error(self, message: str) -> None:  # noqa: D401 - argparse API
        self.print_usage(sys.stderr)
        self.exit(2, f"error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="mlproof", description="Evidence-backed MLOps checks: audit, drift, MLflow, done-gate, MCP server.")
    parser.add_argument("--version", action="version", version=f"mlproof {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    from mlproof.outputs import RedactingStream, safe_message

    parser = build_parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 2
    # Everything the CLI prints is masked on its way out; `serve` keeps stdout for the MCP protocol,
    # whose results the server masks itself.
    streams = (sys.stdout, sys.stderr)
    if args.command != "serve":
        sys.stdout, sys.stderr = RedactingStream(streams[0]), RedactingStream(streams[1])
    try:
        return int(handler(args) or 0)
    except MlproofError as err:
        print(f"error: {safe_message(str(err))}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("error: interrupted.", file=sys.stderr)
        return 130
    except Exception as err:  # last resort: one line, never a traceback unless asked
        if os.environ.get("MLPROOF_DEBUG"):
            raise
        print(f"error: unexpected {type(err).__name__}: {safe_message(str(err))[:200]} (set MLPROOF_DEBUG=1 for a traceback).", file=sys.stderr)
        return 2
    finally:
        if args.command != "serve":
            for stream in (sys.stdout, sys.stderr):
                try:
                    stream.flush()
                except (OSError, ValueError):
                    pass
            sys.stdout, sys.stderr = streams


if __name__ == "__main__":
    sys.exit(main())

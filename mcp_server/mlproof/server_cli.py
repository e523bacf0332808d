"""`mlproof serve`: run the MCP server over stdio (default) or streamable HTTP.

Over stdio, stdout carries the protocol, so everything else (logs, warnings)
goes to stderr.
"""

from __future__ import annotations

import argparse
import ipaddress
import logging
import sys

from mlproof.errors import MlproofError, quoted

LOOPBACK_NAMES = {"localhost"}


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "serve",
        help="Run the MCP server (stdio by default, or --http HOST:PORT) for Claude Code and other MCP clients.",
        description="Run the mlproof MCP server. It reads only inside the client's roots, the --allow folders "
        "and the working directory.",
    )
    parser.add_argument(
        "--http",
        metavar="HOST:PORT",
        help="serve streamable HTTP at http://HOST:PORT/mcp instead of stdio (e.g. 127.0.0.1:8765)",
    )
    parser.add_argument(
        "--allow",
        metavar="DIR",
        action="append",
        default=[],
        help="also allow reading inside DIR (repeatable)",
    )
    parser.add_argument("--log-level", default="WARNING", choices=["DEBUG", "INFO", "WARNING", "ERROR"],
                        help="log level for stderr (default WARNING)")
    parser.set_defaults(handler=run)


def parse_host_port(value: str) -> tuple[str, int]:
    """`127.0.0.1:8765`, `localhost:8765`, `[::1]:8765` or just `8765` (loopback)."""
    host, sep, port_text = value.rpartition(":")
    if not sep:
        host, port_text = "127.0.0.1", value
    host = host.strip("[]") or "127.0.0.1"
    try:
        port = int(port_text)
    except ValueError:
        raise MlproofError(f"--http {quoted(value, 60)} is not HOST:PORT (for example 127.0.0.1:8765).") from None
    if not 0 < port < 65536:
        raise MlproofError(f"--http port {port} is outside 1-65535.")
    return host, port


def is_loopback(host: str) -> bool:
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_can_listen(host: str, port: int) -> None:
    """A host that does not resolve or a port in use is one sentence and exit 2, before uvicorn logs anything."""
    import errno
    import socket

    try:
        addresses = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except (socket.gaierror, UnicodeError, ValueError):
        raise MlproofError(f"--http host {quoted(host, 60)} does not resolve to an address of this machine.") from None
    family, kind, proto, _, address = addresses[0]
    probe = socket.socket(family, kind, proto)
    try:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # uvicorn sets it too: a TIME_WAIT port is free
        probe.bind(address)
    except OSError as err:
        if err.errno == errno.EADDRINUSE:
            raise MlproofError(f"--http port {port} on {quoted(host, 60)} is already in use; pick another port.") from None
        if err.errno in (errno.EACCES, errno.EPERM):
            raise MlproofError(f"--http port {port} needs privileges this process does not have; use a port above 1024.") from None
        raise MlproofError(f"--http cannot listen on {quoted(host, 60)}:{port} ({err.strerror or type(err).__name__}).") from None
    finally:
        probe.close()


def run(args: argparse.Namespace) -> int:
    logging.basicConfig(stream=sys.stderr, level=args.log_level, format="mlproof %(levelname)s %(name)s: %(message)s")
    from mlproof.server import create_server

    server = create_server(allow=args.allow)
    if args.http:
        host, port = parse_host_port(args.http)
        check_can_listen(host, port)
        if not is_loopback(host):
            # The server has no authentication; say so loudly rather than refuse an explicit choice.
            logging.getLogger("mlproof.server").warning(
                "serving on %s, which is not loopback; the server has no authentication.", host
            )
        print(f"mlproof MCP server on http://{host}:{port}/mcp (Ctrl-C to stop)", file=sys.stderr)
        server.run("streamable-http", host=host, port=port)
    else:
        server.run("stdio")
    return 0


def main(argv: list[str] | None = None) -> int:
    """`python -m mlproof.server_cli [serve options]`: the server alone, without the other subcommands."""
    parser = argparse.ArgumentParser(prog="python -m mlproof.server_cli")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["serve", *(sys.argv[1:] if argv is None else argv)])
    try:
        return args.handler(args)
    except MlproofError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())

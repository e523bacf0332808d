"""A real MCP client for the server tests: the SDK's ClientSession over a stdio subprocess.

`mcp_session(...)` starts `python -m mlproof serve` as a child process, runs the
MCP handshake and yields the session; the server's stderr is kept in a file so
a test can check that tracebacks stay in the log and out of the results.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from contextlib import asynccontextmanager
from pathlib import Path

import mcp_types as types
from mcp.client.session import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client

REPO = Path(__file__).resolve().parents[1]
CHURN_FIXTURE = REPO / "evals" / "fixtures" / "churn-model"
SERVER_TIMEOUT_S = 120  # one tool call (an audit, a drift report) never takes this long


def server_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}
    env.update(extra or {})
    return env


@asynccontextmanager
async def mcp_session(*, cwd: Path, allow: list[Path] = (), roots: list[Path] | None = None,
                      env: dict[str, str] | None = None, command: list[str] | None = None):
    """A connected ClientSession; `roots` makes the client announce those folders via roots/list."""
    args = command or [sys.executable, "-m", "mlproof", "serve"]
    args = [*args, *[f"--allow={folder}" for folder in allow]]
    params = StdioServerParameters(command=args[0], args=args[1:], cwd=str(cwd), env=server_env(env))

    list_roots = None
    if roots is not None:
        async def list_roots(context):  # noqa: ARG001 - SDK callback signature
            return types.ListRootsResult(roots=[types.Root(uri=Path(r).resolve().as_uri(), name=Path(r).name) for r in roots])

    log = tempfile.NamedTemporaryFile("w+", prefix="mlproof-server-", suffix=".log", delete=False)
    try:
        async with stdio_client(params, errlog=log) as (read, write):
            async with ClientSession(read, write, read_timeout_seconds=SERVER_TIMEOUT_S, list_roots_callback=list_roots) as session:
                await session.initialize()
                session.server_log = Path(log.name)  # type: ignore[attr-defined]
                yield session
    finally:
        log.close()


def text_of(result) -> str:
    return "\n".join(block.text for block in result.content if getattr(block, "type", "") == "text")


def assert_tool_error(result, *fragments: str) -> str:
    """An isError result with one plain sentence (no traceback, no pydantic dump) containing fragments."""
    assert result.is_error, f"expected a tool error, got: {text_of(result)[:300]}"
    message = text_of(result)
    assert "Traceback" not in message and "pydantic" not in message.lower(), message
    assert "\n" not in message.strip(), f"not one line: {message!r}"
    assert message.rstrip().endswith((".", "?", ")")), message
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"
    return message


def structured(result) -> dict:
    """The structured output, checked to match the JSON text copy for text-only clients."""
    assert not result.is_error, text_of(result)
    assert result.structured_content is not None
    assert json.loads(text_of(result)) == result.structured_content
    return result.structured_content

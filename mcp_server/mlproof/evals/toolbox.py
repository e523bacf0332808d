"""Tools the model may call in the skill+tools condition, executed in-process.

The loop only needs two things from a toolbox: the tool specs (name,
description, input JSON schema) to advertise to the model, and a way to call
one tool and get text back. `McpToolbox` gets both from any MCP server through
the official in-process `mcp.Client`, so the eval exercises exactly what a
real MCP client sees; `mlproof_toolbox()` points it at mlproof's own server.
"""

from __future__ import annotations

import json
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from mlproof.errors import MlproofError

# Tool output is fed back to the model; keep each result bounded (a drift report on ~10 columns is ~40k).
MAX_RESULT_CHARS = 100_000


@dataclass
class ToolSpec:
    name: str
    description: str
    input_schema: dict[str, Any]


@dataclass
class ToolOutcome:
    text: str
    is_error: bool = False


class Toolbox(Protocol):
    async def specs(self) -> list[ToolSpec]: ...

    async def call(self, name: str, arguments: dict[str, Any]) -> ToolOutcome: ...


class NoTools:
    """The toolbox of the baseline and skill conditions."""

    async def specs(self) -> list[ToolSpec]:
        return []

    async def call(self, name: str, arguments: dict[str, Any]) -> ToolOutcome:
        return ToolOutcome(f"No tools are available in this condition (asked for {name}).", is_error=True)


def _result_text(result) -> str:
    """Join an MCP CallToolResult's text blocks (structured content as JSON when there is no text)."""
    parts = [block.text for block in result.content if getattr(block, "type", None) == "text"]
    if not parts and result.structured_content is not None:
        parts = [json.dumps(result.structured_content, indent=2, default=str)]
    text = "\n".join(parts)
    if len(text) > MAX_RESULT_CHARS:
        text = text[:MAX_RESULT_CHARS] + f"\n[... truncated {len(text) - MAX_RESULT_CHARS} characters]"
    return text


class McpToolbox:
    """Any MCP server (an `MCPServer` instance), reached through the real in-process MCP client.

    Use as an async context manager. `roots` are the directories advertised to
    the server as the client's roots (the fixture the scenario is about).
    """

    def __init__(self, server, roots: list[Path] | None = None):
        self._server = server
        self._roots = [Path(r).resolve() for r in (roots or [])]
        self._stack: AsyncExitStack | None = None
        self._client = None

    async def _list_roots(self, context):
        from mcp import types

        return types.ListRootsResult(roots=[types.Root(uri=root.as_uri(), name=root.name) for root in self._roots])

    async def __aenter__(self) -> "McpToolbox":
        from mcp import Client

        self._stack = AsyncExitStack()
        self._client = await self._stack.enter_async_context(
            Client(self._server, list_roots_callback=self._list_roots, read_timeout_seconds=300)
        )
        return self

    async def __aexit__(self, *exc) -> None:
        if self._stack is not None:
            await self._stack.aclose()
        self._stack = self._client = None

    async def specs(self) -> list[ToolSpec]:
        listing = await self._client.list_tools()
        return [ToolSpec(t.name, t.description or "", dict(t.input_schema or {"type": "object"})) for t in listing.tools]

    async def call(self, name: str, arguments: dict[str, Any]) -> ToolOutcome:
        try:
            result = await self._client.call_tool(name, arguments)
        except Exception as err:  # a protocol-level failure is still an answer the model must see
            return ToolOutcome(f"Tool call failed: {err}", is_error=True)
        return ToolOutcome(_result_text(result), is_error=bool(result.is_error))


def mlproof_server(roots: list[Path]):
    """mlproof's own MCP server with every tool, allowed to read the scenario's roots."""
    try:
        from mlproof.server import create_server
    except ImportError as err:
        raise MlproofError(f"The skill+tools condition needs mlproof's MCP server, which cannot be imported ({err}).") from err
    return create_server(allow=list(roots))


def mlproof_toolbox(roots: list[Path]) -> McpToolbox:
    return McpToolbox(mlproof_server(roots), roots=roots)

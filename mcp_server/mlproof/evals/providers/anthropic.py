"""Anthropic Messages API (`POST /v1/messages`) with tool_use / tool_result blocks."""

from __future__ import annotations

import os

import httpx

from mlproof.evals.models import Usage
from mlproof.evals.providers.base import ChatProvider, ChatSession, ModelTurn, ToolCall
from mlproof.evals.providers.http import EpisodeError, post_json, require_env
from mlproof.evals.toolbox import ToolOutcome, ToolSpec

DEFAULT_BASE_URL = "https://api.anthropic.com"
DEFAULT_MODEL = "claude-sonnet-4-5"
API_VERSION = "2023-06-01"


class AnthropicProvider(ChatProvider):
    name = "anthropic"

    def __init__(self, model: str | None = None, base_url: str | None = None, max_tokens: int = 4096, timeout: float = 300.0):
        self.api_key = require_env("ANTHROPIC_API_KEY", "anthropic")
        self.base_url = (base_url or os.environ.get("ANTHROPIC_BASE_URL") or DEFAULT_BASE_URL).rstrip("/")
        self.model = model or DEFAULT_MODEL
        self.max_tokens = max_tokens
        self.client = httpx.AsyncClient(timeout=timeout)

    def start(self, system: str, prompt: str, tools: list[ToolSpec]) -> ChatSession:
        return AnthropicSession(self, system, prompt, tools)

    async def aclose(self) -> None:
        await self.client.aclose()


class AnthropicSession(ChatSession):
    def __init__(self, provider: AnthropicProvider, system: str, prompt: str, tools: list[ToolSpec]):
        self.provider = provider
        self.system = system
        self.tools = [{"name": t.name, "description": t.description, "input_schema": t.input_schema} for t in tools]
        self.messages: list[dict] = [{"role": "user", "content": prompt}]

    async def next_turn(self) -> ModelTurn:
        p = self.provider
        body = {"model": p.model, "max_tokens": p.max_tokens, "messages": self.messages}
        if self.system:
            body["system"] = self.system
        if self.tools:
            body["tools"] = self.tools
        headers = {"x-api-key": p.api_key, "anthropic-version": API_VERSION, "content-type": "application/json"}
        reply = await post_json(p.client, f"{p.base_url}/v1/messages", headers, body, "anthropic")
        content = reply.get("content")
        if not isinstance(content, list):
            raise EpisodeError("anthropic returned a message without a content list.")
        self.messages.append({"role": "assistant", "content": content})
        text = "".join(block.get("text", "") for block in content if block.get("type") == "text")
        calls = [
            ToolCall(id=block["id"], name=block["name"], arguments=dict(block.get("input") or {}))
            for block in content
            if block.get("type") == "tool_use"
        ]
        usage = reply.get("usage") or {}
        return ModelTurn(
            text=text,
            tool_calls=calls,
            usage=Usage(input_tokens=int(usage.get("input_tokens", 0)), output_tokens=int(usage.get("output_tokens", 0))),
            stop_reason=reply.get("stop_reason"),
        )

    def add_tool_results(self, results: list[tuple[ToolCall, ToolOutcome]]) -> None:
        blocks = [
            {"type": "tool_result", "tool_use_id": call.id, "content": outcome.text, "is_error": outcome.is_error}
            for call, outcome in results
        ]
        self.messages.append({"role": "user", "content": blocks})

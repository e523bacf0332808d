"""OpenAI-compatible chat completions (`POST {base}/chat/completions`) with `tools` / `tool_calls`.

The base URL is configurable (OPENAI_BASE_URL or --base-url), so the same
provider speaks to OpenAI, vLLM, Ollama, LiteLLM or any compatible gateway.
"""

from __future__ import annotations

import json
import os

import httpx

from mlproof.evals.models import Usage
from mlproof.evals.providers.base import ChatProvider, ChatSession, ModelTurn, ToolCall
from mlproof.evals.providers.http import EpisodeError, post_json, require_env
from mlproof.evals.toolbox import ToolOutcome, ToolSpec

DEFAULT_BASE_URL = "https://api.openai.com/v1"
DEFAULT_MODEL = "gpt-4.1-mini"


class OpenAIProvider(ChatProvider):
    name = "openai"

    def __init__(self, model: str | None = None, base_url: str | None = None, max_tokens: int = 4096, timeout: float = 300.0):
        self.api_key = require_env("OPENAI_API_KEY", "openai")
        self.base_url = (base_url or os.environ.get("OPENAI_BASE_URL") or DEFAULT_BASE_URL).rstrip("/")
        self.model = model or DEFAULT_MODEL
        self.max_tokens = max_tokens
        self.client = httpx.AsyncClient(timeout=timeout)

    def start(self, system: str, prompt: str, tools: list[ToolSpec]) -> ChatSession:
        return OpenAISession(self, system, prompt, tools)

    async def aclose(self) -> None:
        await self.client.aclose()


class OpenAISession(ChatSession):
    def __init__(self, provider: OpenAIProvider, system: str, prompt: str, tools: list[ToolSpec]):
        self.provider = provider
        self.tools = [
            {"type": "function", "function": {"name": t.name, "description": t.description, "parameters": t.input_schema}}
            for t in tools
        ]
        self.messages: list[dict] = ([{"role": "system", "content": system}] if system else []) + [{"role": "user", "content": prompt}]

    async def next_turn(self) -> ModelTurn:
        p = self.provider
        # OpenAI's own API wants max_completion_tokens (reasoning models reject max_tokens); gateways know max_tokens.
        limit_key = "max_completion_tokens" if "api.openai.com" in p.base_url else "max_tokens"
        body = {"model": p.model, limit_key: p.max_tokens, "messages": self.messages}
        if self.tools:
            body["tools"] = self.tools
        headers = {"authorization": f"Bearer {p.api_key}", "content-type": "application/json"}
        reply = await post_json(p.client, f"{p.base_url}/chat/completions", headers, body, "openai")
        try:
            choice = reply["choices"][0]
            message = choice["message"]
        except (KeyError, IndexError, TypeError) as err:
            raise EpisodeError("openai returned a reply without choices[0].message.") from err
        self.messages.append({k: v for k, v in message.items() if k in ("role", "content", "tool_calls")})
        calls = []
        for raw in message.get("tool_calls") or []:
            function = raw.get("function") or {}
            try:
                arguments = json.loads(function.get("arguments") or "{}")
            except json.JSONDecodeError:
                arguments = {"_unparsed_arguments": function.get("arguments")}
            calls.append(ToolCall(id=raw.get("id", ""), name=function.get("name", ""), arguments=arguments if isinstance(arguments, dict) else {}))
        usage = reply.get("usage") or {}
        return ModelTurn(
            text=message.get("content") or "",
            tool_calls=calls,
            usage=Usage(input_tokens=int(usage.get("prompt_tokens", 0)), output_tokens=int(usage.get("completion_tokens", 0))),
            stop_reason=choice.get("finish_reason"),
        )

    def add_tool_results(self, results: list[tuple[ToolCall, ToolOutcome]]) -> None:
        for call, outcome in results:
            content = ("ERROR: " if outcome.is_error else "") + outcome.text
            self.messages.append({"role": "tool", "tool_call_id": call.id, "content": content})

"""Providers: who answers a scenario (a chat API, a CLI agent, or recorded transcripts)."""

from __future__ import annotations

import os
from pathlib import Path

from mlproof.errors import MlproofError
from mlproof.evals.providers.base import ChatProvider, Episode, Provider

PROVIDERS = ("anthropic", "openai", "command", "replay")


def make_provider(
    name: str,
    *,
    model: str | None = None,
    base_url: str | None = None,
    command: str | None = None,
    transcripts: Path | None = None,
) -> Provider:
    """Build the provider the CLI asked for; a missing key or option is one clear MlproofError."""
    if name == "anthropic":
        from mlproof.evals.providers.anthropic import AnthropicProvider

        return AnthropicProvider(model=model, base_url=base_url)
    if name == "openai":
        from mlproof.evals.providers.openai_chat import OpenAIProvider

        return OpenAIProvider(model=model, base_url=base_url)
    if name == "command":
        from mlproof.evals.providers.command import CommandProvider

        return CommandProvider(command or os.environ.get("MLPROOF_EVAL_COMMAND"), model=model)
    if name == "replay":
        from mlproof.evals.providers.replay import ReplayProvider

        return ReplayProvider(transcripts)
    raise MlproofError(f"Unknown provider {name!r}; choose one of {', '.join(PROVIDERS)}.")


__all__ = ["PROVIDERS", "ChatProvider", "Episode", "Provider", "make_provider"]

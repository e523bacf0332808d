"""What every provider does: turn (system text, prompt, toolbox) into a Transcript.

Chat providers (Anthropic, OpenAI-compatible) share the tool-use loop in
`mlproof.evals.loop` and only translate messages to and from their wire format
through a `ChatSession`. `command` and `replay` produce transcripts their own way.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlproof.evals.models import Scenario, Transcript, Usage
from mlproof.evals.toolbox import ToolOutcome, ToolSpec, Toolbox


@dataclass
class ToolCall:
    id: str
    name: str
    arguments: dict[str, Any]


@dataclass
class ModelTurn:
    """One reply of the model: text, the tools it asked for, and what it cost."""

    text: str
    tool_calls: list[ToolCall] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)
    stop_reason: str | None = None


class ChatSession(ABC):
    """One conversation in a provider's wire format."""

    @abstractmethod
    async def next_turn(self) -> ModelTurn:
        """Send the conversation so far and return the model's reply (already appended)."""

    @abstractmethod
    def add_tool_results(self, results: list[tuple[ToolCall, ToolOutcome]]) -> None:
        """Append the outcomes of the tools the last turn asked for."""


@dataclass
class Episode:
    """Everything a provider needs for one scenario run under one condition."""

    scenario: Scenario
    condition: str
    epoch: int
    system: str
    prompt: str
    toolbox: Toolbox
    workdir: Path | None = None


class Provider(ABC):
    name: str = "provider"
    model: str | None = None

    def skip_reason(self, scenario: Scenario, condition: str) -> str | None:
        """Why this provider cannot run the pair at all (e.g. nothing recorded); None when it can."""
        return None

    @abstractmethod
    async def run(self, episode: Episode) -> Transcript:
        """Produce the transcript of one episode."""

    async def aclose(self) -> None:
        return None


class ChatProvider(Provider):
    """A model behind an HTTP chat API; the tool-use loop lives in `loop.run_chat_episode`."""

    max_turns: int = 8

    @abstractmethod
    def start(self, system: str, prompt: str, tools: list[ToolSpec]) -> ChatSession:
        """Open a conversation holding the system text, the user prompt and the tool specs."""

    async def complete(self, system: str, prompt: str) -> ModelTurn:
        """A single tool-free exchange (used by the model-graded rubric)."""
        return await self.start(system, prompt, []).next_turn()

    async def run(self, episode: Episode) -> Transcript:
        from mlproof.evals.loop import run_chat_episode

        return await run_chat_episode(self, episode)

"""Data shapes shared by the eval harness: scenarios, transcripts, grades."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

Condition = Literal["baseline", "skill", "skill+tools"]


class AssertionSpec(BaseModel):
    """One graded assertion, as written in a scenario file.

    `type` picks the grader (see graders.GRADERS); the other keys are that
    grader's options, kept as data so adding an assertion touches YAML only.
    """

    model_config = {"extra": "allow"}

    type: str
    name: str | None = None

    def options(self) -> dict[str, Any]:
        return dict(self.model_extra or {})

    def label(self) -> str:
        return self.name or self.type


class Scenario(BaseModel):
    id: str
    title: str
    kind: Literal["open", "grounded"] = "open"
    skill: str = Field(description="skills/<skill>/SKILL.md is the text the skill conditions put in context.")
    fixture: str | None = Field(None, description="Directory name under evals/fixtures/.")
    mlflow: bool = Field(False, description="Seed a demo MLflow store for this scenario.")
    prompt: str
    assertions: list[AssertionSpec]
    rubric: list[str] = Field(default_factory=list, description="Criteria for the optional model-graded rubric.")
    source: str | None = Field(None, description="The scenario file it came from.")


class Usage(BaseModel):
    input_tokens: int = 0
    output_tokens: int = 0

    def add(self, other: "Usage") -> None:
        self.input_tokens += other.input_tokens
        self.output_tokens += other.output_tokens


class ToolCallRecord(BaseModel):
    """A tool the model asked for and what the tool answered."""

    name: str
    arguments: dict[str, Any] = Field(default_factory=dict)
    result: str = ""
    is_error: bool = False


class Transcript(BaseModel):
    """What one episode produced; also the on-disk format of recorded transcripts."""

    scenario: str
    condition: Condition
    provider: str = "replay"
    model: str | None = None
    label: str | None = Field(None, description="For recorded transcripts: good, weak or fabricated (documentation only).")
    answer: str
    tool_calls: list[ToolCallRecord] = Field(default_factory=list)
    usage: Usage = Field(default_factory=Usage)
    turns: int = 1
    duration_s: float = 0.0
    error: str | None = Field(None, description="Set when the episode could not produce an answer.")


class AssertionResult(BaseModel):
    name: str
    type: str
    passed: bool
    why: str


class EpisodeResult(BaseModel):
    scenario: str
    condition: Condition
    epoch: int
    passed: bool
    score: float = Field(description="Fraction of assertions passed.")
    assertions: list[AssertionResult]
    transcript: Transcript

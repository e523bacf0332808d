"""The one evidence shape every verdict carries.

A verdict without evidence is an opinion; each engine (repo audit, MLflow,
drift, gate) points at something real through this model.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class Link(BaseModel):
    """One hop of an indirect fact: a CI step, a Make target, a script line, the code it reaches."""

    path: str
    line: int | None = None
    snippet: str = ""
    relation: str = Field(description="What this hop does: runs, make target, script line, python module, calls ...")

    def location(self) -> str:
        return f"{self.path}:{self.line}" if self.line is not None else self.path


class Evidence(BaseModel):
    """Something real that supports (or refutes) a verdict."""

    kind: Literal["file", "mlflow", "statistic", "note"] = "file"
    path: str | None = Field(None, description="Repository-relative POSIX path of the file.")
    line: int | None = Field(None, description="1-based line number (inside the cell for notebooks).")
    cell: int | None = Field(None, description="1-based notebook cell number, for .ipynb files.")
    snippet: str = Field("", description="Short excerpt, with credentials redacted.")
    detector: str | None = Field(None, description="What matched: a pattern name or rule id.")
    ids: dict[str, str] = Field(default_factory=dict, description="MLflow ids: run_id, model, version, alias ...")
    context: str | None = Field(None, description="Where it sits: code, config, ci, docker, deps, docs, comment, path, job.")
    statement: str | None = Field(None, description="For docs and comments: affirm, plan, negate or name. Only affirm credits.")
    chain: list[Link] = Field(default_factory=list, description="For indirect facts: every hop from the trigger to the code.")

    def location(self) -> str:
        """`path:line`, `path#cell3:line`, or the ids for MLflow evidence."""
        if self.path is None:
            return ", ".join(f"{k}={v}" for k, v in self.ids.items()) or self.kind
        where = self.path
        if self.cell is not None:
            where += f"#cell{self.cell}"
        if self.line is not None:
            where += f":{self.line}"
        return where

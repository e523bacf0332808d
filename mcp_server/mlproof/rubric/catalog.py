"""The check catalog: `catalog.yaml` loaded into typed objects.

Adding a check means adding data to catalog.yaml (and, only when the generic
rule "best signal wins" is not enough, one grading rule in detectors.py).
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, Field, field_validator

from mlproof.errors import MlproofError

CATALOG_PATH = Path(__file__).with_name("catalog.yaml")
KINDS = {"code", "config", "ci", "docker", "deps", "docs", "any"}


class Signal(BaseModel):
    """One thing a detector looks for: a content pattern (`re`) or a path pattern (`path`)."""

    re: str | None = None
    path: str | None = None
    in_: list[str] = Field(default_factory=lambda: ["any"], alias="in")
    level: Literal["pass", "partial"] = "pass"
    role: str = "main"
    docs_ok: bool = False

    model_config = {"populate_by_name": True}

    @field_validator("in_")
    @classmethod
    def _known_kinds(cls, kinds: list[str]) -> list[str]:
        unknown = set(kinds) - KINDS
        if unknown:
            raise ValueError(f"unknown file kinds {sorted(unknown)}")
        return kinds

    def model_post_init(self, _context: object) -> None:
        if (self.re is None) == (self.path is None):
            raise ValueError("a signal needs exactly one of `re` or `path`")
        re.compile(self.re or self.path)

    @property
    def pattern(self) -> str:
        return self.re or self.path  # type: ignore[return-value]


class Check(BaseModel):
    """One graded practice."""

    id: str
    pillar: str
    title: str
    why: str
    detection: str
    fix: str
    ml_test_score: list[str] = Field(default_factory=list)
    weight: int = Field(ge=1, le=3)
    effort: Literal["small", "medium", "large"]
    impact: Literal["low", "medium", "high"]
    needs: Literal["model", "serving", "none"] = "none"
    signals: list[Signal] = Field(default_factory=list)


class Fact(Signal):
    """A repository fact (ML imports, training code, template markers) used to decide n/a."""


class Catalog(BaseModel):
    pillars: dict[str, str]
    facts: list[Fact]
    checks: list[Check]

    def by_id(self) -> dict[str, Check]:
        return {check.id: check for check in self.checks}


@lru_cache(maxsize=1)
def load_catalog() -> Catalog:
    """The catalog shipped with mlproof (parsed and validated once per process)."""
    data = yaml.safe_load(CATALOG_PATH.read_text(encoding="utf-8"))
    catalog = Catalog.model_validate(data)
    ids = [check.id for check in catalog.checks]
    if len(ids) != len(set(ids)):
        raise MlproofError("The check catalog lists a check id twice.")
    for check in catalog.checks:
        if check.pillar not in catalog.pillars or not check.id.startswith(check.pillar + "."):
            raise MlproofError(f"The check {check.id} names an unknown pillar {check.pillar}.")
    return catalog


def get_check(check_id: str) -> Check:
    """The catalog entry for `check_id`, or an MlproofError naming the closest ids."""
    checks = load_catalog().by_id()
    key = (check_id or "").strip().lower()
    if key in checks:
        return checks[key]
    close = [cid for cid in checks if key and (key in cid or cid.split(".")[-1] in key)]
    hint = f" Did you mean {', '.join(close[:3])}?" if close else " Run `mlproof checks` to list them."
    raise MlproofError(f"Unknown check id {check_id!r}.{hint}")


def pillar_ids() -> list[str]:
    return list(load_catalog().pillars)

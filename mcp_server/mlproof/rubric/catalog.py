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
from pydantic import BaseModel, Field, field_validator, model_serializer

from mlproof.errors import MlproofError

CATALOG_PATH = Path(__file__).with_name("catalog.yaml")
KINDS = {"code", "config", "ci", "docker", "deps", "docs", "any"}
TRIGGERS = {"push", "pull_request", "schedule", "manual", "upstream", "tag", "other", "any"}
SIGNAL_KEYS = ("re", "path", "call", "decorator", "import_", "base", "string", "route_param", "command", "reaches")


class Signal(BaseModel):
    """One thing a detector looks for.

    Text signals: `re` (a line pattern in file content) or `path` (a pattern on repository paths).
    Structural signals on parsed Python (see structural.py): `call`, `decorator`, `import`, `base`,
    `string`, with `kwarg`/`arg` refining calls. Job signals (see jobs.py): `command` (a pattern on
    a command a job reaches) and `reaches` (a job reaches a file that shows a check or fact), both
    filtered by the job's `trigger` kinds.
    """

    re: str | None = None
    path: str | None = None
    call: str | None = None
    decorator: str | None = None
    import_: str | None = Field(None, alias="import")
    base: str | None = None
    string: str | None = None
    route_param: str | None = None  # a parameter annotation (regex) of a function decorated as a web route
    command: str | None = None
    reaches: str | None = None
    kwarg: str | None = None
    arg: str | None = None
    with_call: str | None = None  # Python only: the same module must also call one of these (dotted globs)
    trigger: list[str] = Field(default_factory=lambda: ["any"])
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

    @field_validator("trigger")
    @classmethod
    def _known_triggers(cls, triggers: list[str]) -> list[str]:
        unknown = set(triggers) - TRIGGERS
        if unknown:
            raise ValueError(f"unknown trigger kinds {sorted(unknown)}")
        return triggers

    def model_post_init(self, _context: object) -> None:
        given = [key for key in SIGNAL_KEYS if getattr(self, key) is not None]
        if len(given) != 1:
            raise ValueError(f"a signal needs exactly one of {', '.join(SIGNAL_KEYS)} (got {given or 'none'})")
        if (self.kwarg or self.arg) and not (self.call or self.decorator):
            raise ValueError("`kwarg` and `arg` refine `call` or `decorator` signals only")
        for pattern in (self.re, self.path, self.string, self.route_param, self.command, self.arg):
            if pattern is not None:
                re.compile(pattern)

    @model_serializer(mode="wrap")
    def _without_unset_kinds(self, handler):
        """Only the fields a signal uses: a signal is one kind, the other eight keys stay out of the JSON."""
        data = handler(self)
        return {k: v for k, v in data.items() if v is not None and not (k == "trigger" and v == ["any"])}

    @property
    def key(self) -> str:
        """Which kind of signal this is: re, path, call, decorator, import_, base, string, command, reaches."""
        return next(key for key in SIGNAL_KEYS if getattr(self, key) is not None)

    @property
    def pattern(self) -> str:
        return getattr(self, self.key)

    @property
    def structural(self) -> bool:
        return self.key in {"call", "decorator", "import_", "base", "string", "route_param"}

    @property
    def job(self) -> bool:
        return self.key in {"command", "reaches"}


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
    needs: Literal["model", "training", "serving", "none"] = "none"
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

"""What `mlproof lint` reports: one finding per deprecated API use, with its replacement and why."""

from __future__ import annotations

from pydantic import BaseModel, Field

SCHEMA_VERSION = "1"


class LintFinding(BaseModel):
    rule: str = Field(description="Rule id from deprecated_apis.yaml, e.g. mlflow.stage_uri.")
    path: str = Field(description="The file, as given or relative to the folder given.")
    line: int = Field(description="1-based line (inside the cell for notebooks).")
    column: int = Field(description="1-based column.")
    cell: int | None = Field(None, description="1-based notebook cell, for .ipynb files.")
    match: str = Field(description="What matched, redacted and cut to 120 characters.")
    instead: str
    why: str

    def location(self) -> str:
        cell = f"#cell{self.cell}" if self.cell is not None else ""
        return f"{self.path}{cell}:{self.line}:{self.column}"

    def text(self) -> str:
        return f"{self.location()}: {self.rule} `{self.match}` -> {self.instead} ({self.why})"


class LintReport(BaseModel):
    schema_version: str = SCHEMA_VERSION
    tool: str = "mlproof lint"
    files_checked: int
    rules: int = Field(description="Rules applied (the shared deprecated-API list less --ignore).")
    findings: list[LintFinding]
    skipped: dict[str, int] = Field(default_factory=dict, description="Files not read, by reason.")

    @property
    def clean(self) -> bool:
        return not self.findings

    def summary(self) -> str:
        if not self.findings:
            return f"No deprecated MLOps API in {self.files_checked} file(s) ({self.rules} rules)."
        files = len({f.path for f in self.findings})
        return f"{len(self.findings)} deprecated MLOps API use(s) in {files} of {self.files_checked} file(s)."

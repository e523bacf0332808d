"""Facts read from MLflow, as plain pydantic models.

The same objects serve the CLI (Markdown or JSON), the MCP tools and the gate.
Timestamps are milliseconds since the epoch, as MLflow stores them.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, Field

from mlproof.evidence import Evidence

GIT_COMMIT_TAG = "mlflow.source.git.commit"


def _shown(uri: str) -> str:
    from mlproof.repo.redact import redact

    return redact(uri)


# A tracking URI as shown to people and agents: a password in it is masked.
ShownUri = Annotated[str, AfterValidator(_shown)]


def _fmt(value: float | None) -> str:
    return "—" if value is None else f"{value:.6g}"


def _cell(value: object) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def md_table(headers: list[str], rows: list[list[object]]) -> str:
    """A GitHub-flavoured Markdown table."""
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


class ExperimentFacts(BaseModel):
    experiment_id: str
    name: str
    lifecycle_stage: str
    artifact_location: ShownUri | None = None
    tags: dict[str, str] = Field(default_factory=dict)
    creation_time: int | None = None
    last_update_time: int | None = None


class ExperimentList(BaseModel):
    tracking_uri: ShownUri
    experiments: list[ExperimentFacts]

    def to_markdown(self) -> str:
        if not self.experiments:
            return f"No experiments in {self.tracking_uri}."
        rows = [[e.experiment_id, e.name, e.lifecycle_stage, e.artifact_location or ""] for e in self.experiments]
        return f"Experiments in `{self.tracking_uri}`\n\n" + md_table(["id", "name", "state", "artifacts"], rows)


class RunSummary(BaseModel):
    """A run as a search result: enough to pick one, not its whole history."""

    run_id: str
    run_name: str | None = None
    experiment_id: str
    status: str
    start_time: int | None = None
    end_time: int | None = None
    params: dict[str, str] = Field(default_factory=dict)
    metrics: dict[str, float] = Field(default_factory=dict, description="Latest value of each metric.")
    git_commit: str | None = None


class RunPage(BaseModel):
    tracking_uri: ShownUri
    experiment_ids: list[str]
    filter_string: str = ""
    order_by: list[str] = Field(default_factory=list)
    runs: list[RunSummary]
    next_page_token: str | None = Field(None, description="Pass back as page_token for the next page; None on the last page.")

    def to_markdown(self) -> str:
        if not self.runs:
            return f"No runs match `{self.filter_string or '(no filter)'}` in experiments {', '.join(self.experiment_ids) or '(none)'}."
        metric_keys = sorted({k for r in self.runs for k in r.metrics})[:6]
        rows = [[r.run_id, r.run_name or "", r.status] + [_fmt(r.metrics.get(k)) for k in metric_keys] for r in self.runs]
        text = md_table(["run_id", "name", "status", *metric_keys], rows)
        if self.next_page_token:
            text += f"\n\nMore runs: `--page-token {self.next_page_token}`"
        return text


class MetricFacts(BaseModel):
    key: str
    final: float = Field(description="Latest logged value (what MLflow shows and sorts by).")
    final_step: int = 0
    best: float | None = Field(None, description="Best value over the history, in the metric's direction.")
    best_step: int | None = None
    direction: Literal["max", "min"]
    history_length: int = 1
    min: float | None = None
    max: float | None = None


class DatasetFacts(BaseModel):
    name: str
    digest: str
    source_type: str
    source: ShownUri
    context: str | None = Field(None, description="mlflow.data.context tag: training, validation ...")
    dataset_schema: str | None = Field(None, description="MLflow's JSON schema of the dataset, as logged.")
    profile: str | None = None


class ArtifactFacts(BaseModel):
    path: str
    is_dir: bool
    file_size: int | None = None


class SignatureFacts(BaseModel):
    inputs: list[dict] | None = None
    outputs: list[dict] | None = None
    params: list[dict] | None = None


class LoggedModelFacts(BaseModel):
    """An MLflow 3 LoggedModel and the parts of its MLmodel file that matter for serving."""

    model_id: str
    name: str
    source_run_id: str | None = None
    artifact_location: ShownUri | None = None
    model_type: str | None = None
    status: str | None = None
    flavors: list[str] = Field(default_factory=list)
    signature: SignatureFacts | None = None
    has_input_example: bool = False
    metadata_error: str | None = Field(None, description="Why the MLmodel file could not be read, if it could not.")


class RunFacts(BaseModel):
    tracking_uri: ShownUri
    run_id: str
    run_name: str | None = None
    experiment_id: str
    status: str
    start_time: int | None = None
    end_time: int | None = None
    user_id: str | None = None
    artifact_uri: ShownUri | None = None
    lifecycle_stage: str | None = None
    params: dict[str, str] = Field(default_factory=dict)
    metrics: list[MetricFacts] = Field(default_factory=list)
    tags: dict[str, str] = Field(default_factory=dict, description="User tags plus mlflow.* system tags.")
    git_commit: str | None = None
    datasets: list[DatasetFacts] = Field(default_factory=list)
    artifacts: list[ArtifactFacts] = Field(default_factory=list)
    artifacts_truncated: bool = False
    artifacts_note: str | None = Field(None, description="Why the artifacts were not listed, when they were not.")
    logged_models: list[LoggedModelFacts] = Field(default_factory=list)

    def metric(self, key: str) -> MetricFacts | None:
        return next((m for m in self.metrics if m.key == key), None)

    def to_markdown(self) -> str:
        out = [f"## Run {self.run_id}" + (f" ({self.run_name})" if self.run_name else ""),
               f"- experiment {self.experiment_id}, status {self.status}, git commit {self.git_commit or 'not logged'}"]
        if self.params:
            out += ["", "**Params**", "", md_table(["param", "value"], [[k, v] for k, v in sorted(self.params.items())])]
        if self.metrics:
            rows = [[m.key, _fmt(m.final), _fmt(m.best), m.best_step if m.best_step is not None else "", m.direction, m.history_length] for m in self.metrics]
            out += ["", "**Metrics**", "", md_table(["metric", "final", "best", "best step", "better", "points"], rows)]
        if self.datasets:
            rows = [[d.name, d.context or "", d.digest, d.source_type, d.source] for d in self.datasets]
            out += ["", "**Dataset inputs**", "", md_table(["dataset", "context", "digest", "source type", "source"], rows)]
        else:
            out += ["", "**Dataset inputs**: none logged"]
        for lm in self.logged_models:
            sig = "present" if lm.signature and lm.signature.inputs else "MISSING"
            out += ["", f"**Logged model** {lm.model_id} ({lm.name}, flavors {', '.join(lm.flavors) or '?'}): signature {sig}, input example {'present' if lm.has_input_example else 'missing'}"]
        if self.artifacts:
            out += ["", "**Artifacts**: " + ", ".join(a.path + ("/" if a.is_dir else "") for a in self.artifacts) + (" …" if self.artifacts_truncated else "")]
        elif self.artifacts_note:
            out += ["", f"**Artifacts**: {self.artifacts_note}"]
        return "\n".join(out)


class RunComparison(BaseModel):
    tracking_uri: ShownUri
    run_ids: list[str]
    run_names: dict[str, str | None]
    param_differences: dict[str, dict[str, str | None]] = Field(description="param -> run_id -> value, only params that differ.")
    same_params: dict[str, str] = Field(default_factory=dict)
    metrics: dict[str, dict[str, float | None]] = Field(description="metric -> run_id -> latest value.")
    metric_leader: dict[str, str | None] = Field(default_factory=dict, description="metric -> run_id with the best value.")

    def to_markdown(self) -> str:
        headers = ["", *[f"{rid[:8]} {self.run_names.get(rid) or ''}".strip() for rid in self.run_ids]]
        rows = [[f"param {k}", *[v.get(r) if v.get(r) is not None else "—" for r in self.run_ids]] for k, v in sorted(self.param_differences.items())]
        rows += [[f"metric {k}", *[_fmt(v.get(r)) + (" ★" if self.metric_leader.get(k) == r else "") for r in self.run_ids]] for k, v in sorted(self.metrics.items())]
        text = md_table(headers, rows)
        if self.same_params:
            text += "\n\nIdentical params: " + ", ".join(f"{k}={v}" for k, v in sorted(self.same_params.items()))
        return text


class BestRun(BaseModel):
    tracking_uri: ShownUri
    metric: str
    direction: Literal["max", "min"]
    direction_guessed: bool = Field(False, description="True when no direction was given and it was guessed from the metric name.")
    experiment_ids: list[str]
    filter_string: str = ""
    tie_break: str = "earliest start_time, then smallest run_id"
    run: RunSummary
    value: float
    ties: list[str] = Field(default_factory=list, description="Other run ids with exactly the same value (lost the tie-break).")
    runs_with_metric_seen: int = Field(description="How many candidate runs were read to decide (pages are fetched lazily).")
    evidence: list[Evidence] = Field(default_factory=list)

    def to_markdown(self) -> str:
        text = (f"Best run by `{self.metric}` ({self.direction}): **{self.run.run_id}** ({self.run.run_name or 'unnamed'}) "
                f"with {self.metric} = {self.value:.6g}, experiment {self.run.experiment_id}, git commit {self.run.git_commit or 'not logged'}.")
        if self.direction_guessed:
            better = "lower" if self.direction == "min" else "higher"
            text += f"\nDirection guessed from the name `{self.metric}` ({better} is better); give the direction if that is wrong."
        if self.ties:
            text += f"\nTied with {', '.join(self.ties)}; tie-break: {self.tie_break}."
        return text


class ModelVersionFacts(BaseModel):
    name: str
    version: str
    aliases: list[str] = Field(default_factory=list)
    current_stage: str | None = Field(None, description="Deprecated registry stage (None/'None' when unused).")
    description: str | None = None
    tags: dict[str, str] = Field(default_factory=dict)
    source: ShownUri | None = None
    run_id: str | None = None
    model_id: str | None = None
    status: str | None = None
    creation_timestamp: int | None = None

    def uses_stage(self) -> bool:
        return bool(self.current_stage) and self.current_stage not in ("None", "")


class RegisteredModelFacts(BaseModel):
    name: str
    description: str | None = None
    tags: dict[str, str] = Field(default_factory=dict)
    aliases: dict[str, str] = Field(default_factory=dict, description="alias -> version")
    latest_version: str | None = None
    creation_timestamp: int | None = None
    last_updated_timestamp: int | None = None


class ModelList(BaseModel):
    tracking_uri: ShownUri
    models: list[RegisteredModelFacts]

    def to_markdown(self) -> str:
        if not self.models:
            return f"No registered models in {self.tracking_uri}."
        rows = [[m.name, m.latest_version or "", ", ".join(f"@{a}=v{v}" for a, v in sorted(m.aliases.items())) or "none", (m.description or "")[:60]] for m in self.models]
        return md_table(["model", "latest version", "aliases", "description"], rows)


class ModelDetails(BaseModel):
    tracking_uri: ShownUri
    model: RegisteredModelFacts
    versions: list[ModelVersionFacts]

    def to_markdown(self) -> str:
        m = self.model
        head = [f"## Model {m.name}", f"- description: {m.description or 'none'}",
                f"- aliases: {', '.join(f'@{a}=v{v}' for a, v in sorted(m.aliases.items())) or 'none'}",
                f"- tags: {', '.join(f'{k}={v}' for k, v in sorted(m.tags.items())) or 'none'}", ""]
        rows = [[v.version, ", ".join(v.aliases), v.current_stage or "None", v.run_id or "", v.source or "", v.status or ""] for v in self.versions]
        return "\n".join(head) + md_table(["version", "aliases", "stage (deprecated)", "run", "source", "status"], rows)


class Lineage(BaseModel):
    """version -> run -> datasets -> git commit, with a gap named when a link is missing."""

    tracking_uri: ShownUri
    model: str
    version: str
    alias: str | None = None
    model_version: ModelVersionFacts
    run: RunFacts | None = None
    logged_model: LoggedModelFacts | None = None
    gaps: list[str] = Field(default_factory=list)
    evidence: list[Evidence] = Field(default_factory=list)

    def to_markdown(self) -> str:
        head = f"{self.model} v{self.version}" + (f" (@{self.alias})" if self.alias else "")
        lines = [f"## Lineage of {head}", f"- source: {self.model_version.source}"]
        if self.run:
            lines.append(f"- run: {self.run.run_id} ({self.run.run_name or 'unnamed'}), status {self.run.status}")
            for d in self.run.datasets:
                lines.append(f"- dataset: {d.name} [{d.context or 'no context'}] digest {d.digest} from {d.source}")
            lines.append(f"- git commit: {self.run.git_commit or 'not logged'}")
        if self.logged_model:
            sig = "present" if self.logged_model.signature and self.logged_model.signature.inputs else "missing"
            lines.append(f"- logged model: {self.logged_model.model_id}, signature {sig}")
        if self.gaps:
            lines += ["", "**Gaps**: " + "; ".join(self.gaps)]
        return "\n".join(lines)


FindingStatus = Literal["ok", "warn", "fail", "info"]


class HygieneFinding(BaseModel):
    check: str = Field(description="Stable id, e.g. signature_present.")
    status: FindingStatus
    message: str
    evidence: list[Evidence] = Field(default_factory=list)
    fix: str | None = None


class HygieneReport(BaseModel):
    tracking_uri: ShownUri
    model: str
    alias: str
    version: str | None = Field(None, description="The version the alias points to (or the latest when the alias is missing).")
    findings: list[HygieneFinding]

    @property
    def failed(self) -> list[HygieneFinding]:
        return [f for f in self.findings if f.status == "fail"]

    def to_markdown(self) -> str:
        icon = {"ok": "✅", "warn": "⚠️", "fail": "❌", "info": "ℹ️"}
        lines = [f"## Registry hygiene: {self.model}" + (f" v{self.version}" if self.version else "") + f" (alias @{self.alias})", ""]
        for f in self.findings:
            where = "; ".join(e.location() + (f" `{e.snippet}`" if e.snippet else "") for e in f.evidence[:3])
            lines.append(f"- {icon[f.status]} **{f.check}**: {f.message}" + (f" — evidence: {where}" if where else "") + (f" — fix: {f.fix}" if f.fix and f.status in ("fail", "warn") else ""))
        return "\n".join(lines)

"""The mlproof MCP server: a thin translation layer over the engines.

Tools call the same engine functions as the CLI and return their pydantic
models as structured output (plus the same JSON as text for clients that only
read text). Resources serve the skill pack (skills, references, the check
catalog); prompts start the four main jobs.

Rules this module keeps:
- every path a client sends is resolved and checked against the allowed roots
  (see roots.py) before an engine sees it;
- a bad input comes back as a tool result with isError and one plain sentence,
  never a traceback; details of unexpected failures go to the log on stderr;
- heavy libraries (mlflow, pandas, scipy, pyarrow) are imported only when a
  tool that needs them runs, so `initialize` and `tools/list` stay fast;
- engines are synchronous, so they run in a worker thread and their
  `progress(done, total)` calls are forwarded to the client as notifications.

(No `from __future__ import annotations` here: the SDK reads the tool
signatures at registration time, and the output models are imported inside
the registration functions.)
"""

import functools
import json
import logging
import typing
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Literal

import anyio
import anyio.lowlevel
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ResourceNotFoundError, ToolError
from mcp_types import CallToolResult, TextContent, ToolAnnotations
from mcp_types import Resource as MCPResource
from pydantic import BaseModel, Field, ValidationError

from mlproof import __version__, content
from mlproof.errors import MlproofError, quoted
from mlproof.roots import AllowedRoots, resolve_inside

log = logging.getLogger("mlproof.server")

INSTRUCTIONS = """\
mlproof collects evidence for MLOps questions instead of answering from memory.
- audit_repo grades a repository on 34 checks in six pillars; every verdict cites file:line evidence.
- explain_check explains one check (why it matters, how it is detected, how to fix it).
- find_evidence searches a repository for one check or practice.
- drift_report compares two datasets column by column (method, statistic, threshold).
- search_runs, compare_runs, best_run, get_model, model_lineage, registry_hygiene read an MLflow store (read-only).
- gate_claim refuses a "done" claim unless the proofs exist.
- ab_test analyses or plans an A/B test (z-test, intervals, power, sample size, sequential bounds, Bayesian).
- model_performance joins logged predictions with late labels: quality per window and segment vs the champion.
- list_checks, list_experiments, get_run, list_models list what there is to drill into.
- lint_files finds deprecated MLOps APIs (registry stages, Evidently < 0.7, KFP v1 ...) with the replacement.
Outputs are compact by default; audit_repo(detail="full") and drift_report(detail="full") return everything.
Resources mlproof://skills/<name>, mlproof://references/<name> and mlproof://checks/<id> hold the
judgement frameworks; read the matching skill before judging. Paths must lie inside the client's roots.
"""

# Annotations tell clients what a tool may touch. Every mlproof tool only reads.
LOCAL_READ = ToolAnnotations(read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=False)
# MLflow tools may talk to a remote tracking server, so they reach outside the machine.
MLFLOW_READ = ToolAnnotations(read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=True)


# ---------------------------------------------------------------------------
# Results and errors
# ---------------------------------------------------------------------------

def tool_error(message: str) -> CallToolResult:
    """A tool error: one sentence, printable, quoted input bounded, credentials masked."""
    from mlproof.outputs import safe_message

    return CallToolResult(content=[TextContent(type="text", text=safe_message(message))], is_error=True)


def tool_result(model: BaseModel, text: str | None = None) -> CallToolResult:
    """Structured output from an engine model, with the same JSON as text (compact: agents pay per character).

    The last step of every tool's output: every string is masked here (mlproof.outputs)."""
    from mlproof.outputs import redact_data
    from mlproof.repo.redact import redact

    data = redact_data(model.model_dump(mode="json"))
    return CallToolResult(
        content=[TextContent(type="text", text=redact(text) if text is not None else json.dumps(data, separators=(",", ":")))],
        structured_content=data,
    )


def plain_validation_message(tool: str, err: ValidationError) -> str:
    """One sentence from pydantic's multi-line report, naming the first bad argument."""
    errors = err.errors()
    first = errors[0]
    argument = str(first["loc"][0]) if first["loc"] else "arguments"
    argument = quoted(argument, 40)[1:-1]
    if first["type"] == "missing":
        return f"{tool} needs the argument '{argument}'."
    if first["type"] == "extra_forbidden":
        return f"{tool} does not take an argument named '{argument}'."
    if sum(1 for e in errors if e["loc"][:1] == first["loc"][:1]) > 1:  # every member of a union refused it
        return f"The argument '{argument}' of {tool} has the wrong type ({type(first.get('input')).__name__})."
    reason = first["msg"][0].lower() + first["msg"][1:]
    return f"The argument '{argument}' of {tool} is invalid: {reason}."


def guarded(fn: Callable) -> Callable:
    """Turn MlproofError into a one-sentence tool error and hide unexpected tracebacks from the client."""

    @functools.wraps(fn)
    async def wrapper(*args, **kwargs):
        try:
            return await fn(*args, **kwargs)
        except MlproofError as err:
            log.info("%s refused: %s", fn.__name__, err)
            return tool_error(str(err))
        except Exception as err:  # the traceback stays in the server log on stderr
            log.exception("%s failed unexpectedly", fn.__name__)
            return tool_error(
                f"{fn.__name__} failed unexpectedly ({type(err).__name__}); the server log on stderr has the details."
            )

    return wrapper


async def run_engine(ctx: Context, fn: Callable, /, *args, **kwargs):
    """Run a synchronous engine call in a worker thread, forwarding its progress to the client.

    The engine calls `progress(done, total)` from its thread (or from a pool
    the engine starts itself); each call hops back to this event loop, named by
    its token, to send a progress notification (a no-op when the client did not
    ask for progress).
    """
    loop = anyio.lowlevel.current_token()

    def progress(done: int, total: int) -> None:
        try:
            anyio.from_thread.run(ctx.report_progress, done, total, token=loop)
        except Exception as err:  # progress is best effort; never fail the work for it
            log.debug("progress notification dropped: %s", err)

    return await anyio.to_thread.run_sync(functools.partial(fn, *args, progress=progress, **kwargs))


async def run_sync(fn: Callable, /, *args, **kwargs):
    """Run a synchronous engine call that has no progress hook in a worker thread."""
    return await anyio.to_thread.run_sync(functools.partial(fn, *args, **kwargs))


def return_model(fn: Callable) -> type[BaseModel]:
    """The pydantic model an engine function declares it returns (used as the tool's output schema)."""
    return typing.get_type_hints(fn)["return"]


# ---------------------------------------------------------------------------
# The server
# ---------------------------------------------------------------------------

class MlproofServer(MCPServer):
    """MCPServer plus mlproof's allowed roots, plain argument errors and a live resource list."""

    def __init__(self, roots: AllowedRoots):
        super().__init__(
            name="mlproof",
            title="mlproof — evidence-backed MLOps",
            version=__version__,
            instructions=INSTRUCTIONS,
            log_level="WARNING",
        )
        self.roots = roots

    async def allowed(self, ctx: Context | None) -> list[Path]:
        return await self.roots.current(ctx)

    async def path(self, ctx: Context, value: str, what: str) -> Path:
        """A client-supplied path, resolved and checked against the allowed roots."""
        return resolve_inside(value, await self.allowed(ctx), what=what)

    async def call_tool(self, name: str, arguments: dict[str, Any], context=None):
        try:
            return await super().call_tool(name, arguments, context)
        except ToolError as err:
            # Bad argument shapes: pydantic's report becomes one sentence.
            if isinstance(err.__cause__, ValidationError):
                return tool_error(plain_validation_message(name, err.__cause__))
            if self._tool_manager.get_tool(name) is None:
                return tool_error(f"There is no tool named {quoted(name, 40)}; tools/list shows the available ones.")
            raise

    async def list_resources(self) -> list[MCPResource]:
        """Static resources plus every skill, reference and check as it is on disk right now."""
        listed = await super().list_resources()
        for kind in ("skills", "references", "commands"):
            for doc in content.documents(kind):
                listed.append(
                    MCPResource(
                        uri=f"mlproof://{kind}/{doc.name}",
                        name=f"{kind[:-1]}-{doc.name}",
                        title=doc.name,
                        description=doc.summary(),
                        mime_type="text/markdown",
                    )
                )
        for check in _catalog_checks():
            listed.append(
                MCPResource(
                    uri=f"mlproof://checks/{check.id}",
                    name=f"check-{check.id}",
                    title=f"{check.id} {check.title}",
                    description=f"Audit check {check.id} ({check.pillar}): {check.title}",
                    mime_type="text/markdown",
                )
            )
        return listed


def create_server(allow: list[str | Path] | None = None, cwd: str | Path | None = None) -> MlproofServer:
    """The mlproof MCP server with every tool, resource and prompt registered."""
    server = MlproofServer(AllowedRoots(allow=allow, cwd=cwd))
    register_catalog_tools(server)
    register_audit_tools(server)
    register_drift_tools(server)
    register_mlflow_tools(server)
    register_gate_tools(server)
    register_experiment_tools(server)
    register_performance_tools(server)
    register_lint_tool(server)
    register_resources(server)
    register_prompts(server)
    return server


# ---------------------------------------------------------------------------
# Tools: repository audit
# ---------------------------------------------------------------------------

PathArg = Annotated[str, Field(description="Path to a repository or folder inside the client's roots (relative paths start at the first root).")]


Detail = Annotated[Literal["summary", "full"], Field(description="'summary' (default): the compact view; 'full': everything.")]


def register_catalog_tools(server: MlproofServer) -> None:
    from mlproof.rubric.catalog import get_check
    from mlproof.rubric.lookup import check_index

    Check = return_model(get_check)

    @server.tool(annotations=LOCAL_READ, title="List audit checks")
    @guarded
    async def list_checks(
        pillar: Annotated[str | None, Field(description="Only this pillar: data, dev, deploy, monitor, cicd or gov.")] = None,
    ) -> Annotated[CallToolResult, return_model(check_index)]:
        """The audit catalog as an index: every check id with its pillar, title, weight and ML Test
        Score mapping. explain_check gives one check in full."""
        return tool_result(check_index(pillar.strip() if pillar else None))

    @server.tool(annotations=LOCAL_READ, title="Explain an audit check")
    @guarded
    async def explain_check(
        check_id: Annotated[str, Field(description="A check id from the catalog (see the mlproof://checks/<id> resources).")],
    ) -> Annotated[CallToolResult, Check]:
        """Explain one audit check: what it verifies, why it matters, how mlproof detects it,
        how to fix a failure, and its ML Test Score / maturity mapping."""
        return tool_result(get_check(check_id.strip()))


def register_audit_tools(server: MlproofServer) -> None:
    from mlproof.rubric.audit import run_audit
    from mlproof.rubric.lookup import EvidenceFound, evidence_search
    from mlproof.rubric.summary import AuditSummary, audit_full, audit_summary

    @server.tool(annotations=LOCAL_READ, title="Audit a repository")
    @guarded
    async def audit_repo(
        ctx: Context,
        path: PathArg,
        only: Annotated[str | None, Field(description="Limit the audit to one pillar: data, dev, deploy, monitor, cicd or gov.")] = None,
        detail: Detail = "summary",
    ) -> Annotated[CallToolResult, AuditSummary]:
        """Grade an ML repository on mlproof's 34 checks in six pillars (data, training, serving,
        monitoring, governance, infrastructure). By default a compact summary (about 3k tokens):
        maturity level, pillar scores, every failing or partial check with its strongest evidence
        (path:line + snippet) and fix, the top risks and the roadmap. detail='full' adds the complete
        report; find_evidence and explain_check drill into one check. Read-only."""
        root = await server.path(ctx, path, "repository path")
        report = await run_engine(ctx, run_audit, str(root), only=only)
        return tool_result(audit_full(report) if detail == "full" else audit_summary(report))

    @server.tool(annotations=LOCAL_READ, title="Find evidence for a practice")
    @guarded
    async def find_evidence(
        ctx: Context,
        path: PathArg,
        query: Annotated[str, Field(description="A check id or a practice keyword such as 'data validation' or 'model registry'.")],
    ) -> Annotated[CallToolResult, EvidenceFound]:
        """Search a repository for evidence of one check or practice and return each hit as
        path:line with a redacted snippet. Says plainly when nothing was found."""
        root = await server.path(ctx, path, "repository path")
        if not query.strip():
            raise MlproofError("The query is empty; give a check id or a practice keyword.")
        return tool_result(await run_sync(evidence_search, root, query))


# ---------------------------------------------------------------------------
# Tools: drift
# ---------------------------------------------------------------------------

DatasetArg = str | dict[str, list[Any]]
FiniteFloat = Annotated[float, Field(allow_inf_nan=False)]  # NaN or infinity is refused, never replaced by a default
DATASET_HELP = (
    "A dataset file inside the client's roots (csv, parquet, jsonl or arrow), "
    "or inline columns as {\"column\": [values, ...]}."
)


def register_drift_tools(server: MlproofServer) -> None:
    # The schema comes from the model module; the engine (numpy, pyarrow) loads on the first call.
    from mlproof.drift.models import DriftReport

    async def dataset(ctx: Context, value: DatasetArg, what: str, engine: str = "local"):
        """A path checked against the roots, or inline columns checked for shape."""
        if isinstance(value, str) and engine == "spark" and value.startswith("table:"):
            return value  # a Spark catalog table, not a path
        if isinstance(value, str):
            return str(await server.path(ctx, value, f"{what} dataset"))
        if not value:
            raise MlproofError(f"The inline {what} dataset has no columns.")
        return value

    @server.tool(annotations=LOCAL_READ, title="Data drift report")
    @guarded
    async def drift_report(
        ctx: Context,
        reference: Annotated[DatasetArg, Field(description="Reference (training) data. " + DATASET_HELP)],
        current: Annotated[DatasetArg, Field(description="Current (production) data, same columns. " + DATASET_HELP)],
        columns: Annotated[list[str] | None, Field(description="Only these columns (default: every shared column).")] = None,
        column_types: Annotated[dict[str, str] | None, Field(description="Override the inferred type per column, e.g. {\"plan\": \"categorical\"}.")] = None,
        methods: Annotated[dict[str, str] | None, Field(description="Override the statistical test per column, e.g. {\"age\": \"psi\"}.")] = None,
        thresholds: Annotated[dict[str, FiniteFloat] | None, Field(description="Per-column drift thresholds for the chosen method.")] = None,
        threshold: Annotated[FiniteFloat | None, Field(description="One threshold for every column (the method's default otherwise).")] = None,
        drift_share: Annotated[float, Field(ge=0, le=1, allow_inf_nan=False, description="Share of drifted columns at which the whole dataset counts as drifted.")] = 0.5,
        detail: Detail = "summary",
        engine: Annotated[Literal["local", "spark"], Field(description="local, or spark (needs mlproof[spark] and Java; datasets may be Parquet folders or table:NAME).")] = "local",
    ) -> Annotated[CallToolResult, DriftReport]:
        """Compare a reference and a current dataset column by column. Each column gets a
        statistical test chosen for its type (e.g. Kolmogorov-Smirnov, PSI, chi-squared,
        Jensen-Shannon, Wasserstein), its statistic or p-value, the threshold and a drifted
        flag; the dataset drifts when the share of drifted columns reaches drift_share.
        detail='full' adds the binned distributions (chart data) and the evidence list."""
        from mlproof.compact import compact_drift
        from mlproof.drift.engine import drift_report as engine_drift_report

        report = await run_engine(
            ctx,
            engine_drift_report,
            await dataset(ctx, reference, "reference", engine),
            await dataset(ctx, current, "current", engine),
            columns=columns,
            column_types=column_types,
            methods=methods,
            thresholds=thresholds,
            threshold=threshold,
            drift_share=drift_share,
            engine=engine,
        )
        return tool_result(report if detail == "full" else compact_drift(report))


# ---------------------------------------------------------------------------
# Tools: MLflow (read-only; the store may be remote)
# ---------------------------------------------------------------------------

TrackingUriArg = Annotated[
    str | None,
    Field(description="MLflow tracking URI (http://host:5000, sqlite:///path/mlflow.db, ...). "
                      "Default: MLFLOW_TRACKING_URI, then the local demo store."),
]
ExperimentsArg = Annotated[
    list[str] | None, Field(description="Experiment names or ids (default: every active experiment).")
]


async def checked_tracking_uri(server: MlproofServer, ctx: Context, uri: str | None) -> str | None:
    """A client-given URI that points at local files must stay inside the roots; servers are fine.

    The URI is parsed (any case, any SQLite dialect), so no spelling slips past the roots check."""
    from mlproof.tracking.artifacts import use_roots
    from mlproof.tracking.uris import parse_tracking_uri

    use_roots(await server.allowed(ctx))  # files a store's records point at are read only inside the roots too
    if uri is None or not uri.strip():
        return None  # the operator's MLFLOW_TRACKING_URI or the demo store
    store = parse_tracking_uri(uri)
    if store.kind == "sqlite":
        real = resolve_inside(str(store.path), await server.allowed(ctx), what="MLflow database", must_exist=False)
        return f"sqlite:///{real}"
    if store.kind == "file":
        return str(resolve_inside(str(store.path), await server.allowed(ctx), what="MLflow store folder", must_exist=False))
    return store.uri


def register_mlflow_tools(server: MlproofServer) -> None:
    from mlproof import tracking

    @server.tool(annotations=MLFLOW_READ, title="Search MLflow runs")
    @guarded
    async def search_runs(
        ctx: Context,
        experiments: ExperimentsArg = None,
        filter_string: Annotated[str, Field(description="MLflow filter, e.g. \"metrics.auc > 0.8 and params.model = 'xgb'\".")] = "",
        order_by: Annotated[list[str] | None, Field(description="Sort keys, e.g. [\"metrics.auc DESC\"].")] = None,
        max_results: Annotated[int, Field(ge=1, le=1000, description="Runs per page.")] = 20,
        page_token: Annotated[str | None, Field(description="next_page_token of the previous page.")] = None,
        tracking_uri: TrackingUriArg = None,
    ) -> Annotated[CallToolResult, return_model(tracking.search_runs)]:
        """Find MLflow runs by experiment and filter; returns one page of run summaries (id,
        name, status, metrics, params, git commit) and a token for the next page. Read-only."""
        uri = await checked_tracking_uri(server, ctx, tracking_uri)
        page = await run_sync(tracking.search_runs, uri, experiments=experiments, filter_string=filter_string,
                              order_by=order_by, max_results=max_results, page_token=page_token)
        return tool_result(page)

    @server.tool(annotations=MLFLOW_READ, title="Compare MLflow runs")
    @guarded
    async def compare_runs(
        ctx: Context,
        run_ids: Annotated[list[str], Field(min_length=2, description="Two or more run ids.")],
        tracking_uri: TrackingUriArg = None,
    ) -> Annotated[CallToolResult, return_model(tracking.compare_runs)]:
        """Put runs side by side: the params that differ, every metric's latest value and the
        leading run per metric (respecting whether lower or higher is better). Read-only."""
        uri = await checked_tracking_uri(server, ctx, tracking_uri)
        return tool_result(await run_sync(tracking.compare_runs, run_ids, uri))

    @server.tool(annotations=MLFLOW_READ, title="Best MLflow run")
    @guarded
    async def best_run(
        ctx: Context,
        metric: Annotated[str, Field(description="Metric key, e.g. 'val_auc' or 'rmse'.")],
        direction: Annotated[Literal["max", "min"] | None, Field(description="'max' if higher is better, 'min' if lower is better; "
                             "omitted: guessed from the metric name (loss, error, rmse... are minimised) and flagged as guessed.")] = None,
        experiments: ExperimentsArg = None,
        filter_string: Annotated[str, Field(description="Optional MLflow filter to narrow the candidates.")] = "",
        tracking_uri: TrackingUriArg = None,
    ) -> Annotated[CallToolResult, return_model(tracking.best_run)]:
        """The run with the best latest value of a metric, with ties reported and the
        evidence (run id, value, direction). Read-only."""
        uri = await checked_tracking_uri(server, ctx, tracking_uri)
        result = await run_sync(tracking.best_run, uri, metric=metric, direction=direction,
                                experiments=experiments, filter_string=filter_string)
        return tool_result(result)

    @server.tool(annotations=MLFLOW_READ, title="List MLflow experiments")
    @guarded
    async def list_experiments(
        ctx: Context,
        filter_string: Annotated[str | None, Field(description="MLflow experiment filter, e.g. \"name LIKE 'churn%'\".")] = None,
        view: Annotated[Literal["active", "deleted", "all"], Field(description="Which lifecycle stage to list.")] = "active",
        tracking_uri: TrackingUriArg = None,
    ) -> Annotated[CallToolResult, return_model(tracking.list_experiments)]:
        """The experiments of an MLflow store: id, name, lifecycle stage, tags. Read-only."""
        uri = await checked_tracking_uri(server, ctx, tracking_uri)
        return tool_result(await run_sync(tracking.list_experiments, uri, filter_string=filter_string, view=view))

    @server.tool(annotations=MLFLOW_READ, title="One MLflow run")
    @guarded
    async def get_run(
        ctx: Context,
        run_id: Annotated[str, Field(min_length=1, description="The run id.")],
        history: Annotated[bool, Field(description="Include metric histories (best value and step per metric).")] = False,
        tracking_uri: TrackingUriArg = None,
    ) -> Annotated[CallToolResult, return_model(tracking.get_run)]:
        """One run: params, final (and with history, best) metrics, tags, git commit, logged
        datasets, artifacts and the logged model with its signature. Read-only."""
        uri = await checked_tracking_uri(server, ctx, tracking_uri)
        return tool_result(await run_sync(tracking.get_run, run_id.strip(), uri, history=history))

    register_registry_tools(server)


def register_registry_tools(server: MlproofServer) -> None:
    from mlproof import tracking

    ModelName = Annotated[str, Field(description="Registered model name.")]

    @server.tool(annotations=MLFLOW_READ, title="List registered models")
    @guarded
    async def list_models(
        ctx: Context,
        filter_string: Annotated[str | None, Field(description="MLflow filter, e.g. \"name LIKE 'churn%'\".")] = None,
        tracking_uri: TrackingUriArg = None,
    ) -> Annotated[CallToolResult, return_model(tracking.list_models)]:
        """Registered models with their aliases and latest version. Read-only."""
        uri = await checked_tracking_uri(server, ctx, tracking_uri)
        return tool_result(await run_sync(tracking.list_models, uri, filter_string=filter_string))

    @server.tool(annotations=MLFLOW_READ, title="Registered model")
    @guarded
    async def get_model(ctx: Context, name: ModelName, tracking_uri: TrackingUriArg = None) -> Annotated[CallToolResult, return_model(tracking.get_model)]:
        """A registered model with every version: aliases (@champion, @challenger ...), tags,
        descriptions, source runs, and any deprecated stages still set. Read-only."""
        uri = await checked_tracking_uri(server, ctx, tracking_uri)
        return tool_result(await run_sync(tracking.get_model, name, uri))

    @server.tool(annotations=MLFLOW_READ, title="Model lineage")
    @guarded
    async def model_lineage(
        ctx: Context,
        name: ModelName,
        version: Annotated[str | None, Field(description="Version number (default: the alias, else @champion, else the latest).")] = None,
        alias: Annotated[str | None, Field(description="Alias such as 'champion'.")] = None,
        tracking_uri: TrackingUriArg = None,
    ) -> Annotated[CallToolResult, return_model(tracking.model_lineage)]:
        """Trace a model version to its source run, logged datasets and git commit, naming every
        missing link (no dataset logged, no commit tag, source run deleted). Read-only."""
        uri = await checked_tracking_uri(server, ctx, tracking_uri)
        return tool_result(await run_sync(tracking.model_lineage, name, version=version, alias=alias, tracking_uri=uri))

    @server.tool(annotations=MLFLOW_READ, title="Registry hygiene")
    @guarded
    async def registry_hygiene(
        ctx: Context,
        model: ModelName,
        alias: Annotated[str, Field(description="Alias of the serving version.")] = "champion",
        challenger_alias: Annotated[str, Field(description="Alias of the candidate version.")] = "challenger",
        primary_metric: Annotated[str | None, Field(description="Metric the champion and challenger are compared on.")] = None,
        repo: Annotated[str | None, Field(description="Repository to scan for how serving code pins the model (inside the client's roots).")] = None,
        tracking_uri: TrackingUriArg = None,
    ) -> Annotated[CallToolResult, return_model(tracking.registry_hygiene)]:
        """Check a registered model's hygiene, each finding with MLflow ids as evidence: aliases
        instead of deprecated stages, signature and input example, source run with git commit and
        dataset inputs, challenger vs champion on the primary metric, and (with repo) whether
        serving code pins a version number instead of the alias. Read-only."""
        uri = await checked_tracking_uri(server, ctx, tracking_uri)
        repo_path = str(await server.path(ctx, repo, "repository path")) if repo else None
        report = await run_sync(tracking.registry_hygiene, uri, model=model, alias=alias, challenger_alias=challenger_alias,
                                primary_metric=primary_metric, repo=repo_path)
        return tool_result(report)


# ---------------------------------------------------------------------------
# Tools: the done-gate
# ---------------------------------------------------------------------------

def register_gate_tools(server: MlproofServer) -> None:
    from mlproof.gate import gate_claim as engine_gate_claim
    from mlproof.gate import load_claims

    claim_ids = ", ".join(load_claims()["claims"])

    @server.tool(annotations=MLFLOW_READ, title="Done-gate for a claim")
    @guarded
    async def gate_claim(
        ctx: Context,
        claim: Annotated[str, Field(min_length=1, description=f"The claim to verify, in words ('the model was promoted') or as one of: {claim_ids}.")],
        repo: Annotated[str | None, Field(description="Repository the claim is about, inside the client's roots.")] = None,
        model: Annotated[str | None, Field(description="Registered model name, when the claim is about a model (default: the one the served code loads).")] = None,
        alias: Annotated[str | None, Field(description="Alias of the model version the claim is about (default: the one the served code loads, else champion).")] = None,
        tracking_uri: TrackingUriArg = None,
    ) -> Annotated[CallToolResult, return_model(engine_gate_claim)]:
        """Refuse a "done" claim unless the proofs exist. Splits the claim into the proofs it needs
        (tests, evaluation run, registered version with alias, lineage, monitoring ...), checks each
        against the repository and MLflow, and answers PASS only when every proof is satisfied
        with evidence; otherwise BLOCKED with what is missing. Read-only."""
        repo_path = str(await server.path(ctx, repo, "repository path")) if repo else None
        uri = await checked_tracking_uri(server, ctx, tracking_uri)
        verdict = await run_sync(engine_gate_claim, claim, repo=repo_path, tracking_uri=uri, model=model, alias=alias)
        return tool_result(verdict)


def register_lint_tool(server: MlproofServer) -> None:
    from mlproof.lint.mcp_tool import register

    register(server)


# ---------------------------------------------------------------------------
# Tools: A/B tests and model performance
# ---------------------------------------------------------------------------

def register_experiment_tools(server: MlproofServer) -> None:
    from mlproof.experiments.models import ABReport

    Arm = Annotated[dict[str, float] | None, Field(description="{\"conversions\": x, \"users\": n} for a conversion "
                                                                "metric, or {\"mean\": m, \"sd\": s, \"n\": n} for a continuous one.")]

    @server.tool(annotations=LOCAL_READ, title="A/B test statistics")
    @guarded
    async def ab_test(
        ctx: Context,
        control: Arm = None,
        treatment: Arm = None,
        data: Annotated[str | None, Field(description="Instead of the arms: a file with one row per user (.csv, .parquet, .jsonl) inside the client's roots.")] = None,
        group_column: Annotated[str | None, Field(description="Column naming the arm in `data` (default: variant, group, arm or bucket).")] = None,
        value_column: Annotated[str | None, Field(description="Metric column in `data`: 0/1 for conversions, numbers for a continuous metric.")] = None,
        control_group: Annotated[str | None, Field(description="Which group in `data` is the control (default: one named control, a, baseline or champion).")] = None,
        baseline: Annotated[float | dict[str, float] | None, Field(description="Plan a test instead: the control conversion rate, or {\"mean\", \"sd\"}.")] = None,
        metric: Annotated[Literal["conversion", "continuous"] | None, Field(description="Force the metric type (default: from the input).")] = None,
        alpha: Annotated[float, Field(description="Two-sided significance level.")] = 0.05,
        power: Annotated[float, Field(description="Power for the minimum detectable effect and the sample size.")] = 0.8,
        target_lift: Annotated[float | None, Field(description="Smallest lift worth detecting (absolute: 0.01 = 1 point; see lift_type).")] = None,
        lift_type: Annotated[Literal["absolute", "relative"], Field(description="Whether target_lift is absolute or relative (0.05 = +5%).")] = "absolute",
        ratio: Annotated[float, Field(description="Planned treatment users per control user, for the sample size.")] = 1.0,
        looks: Annotated[int | None, Field(description="Planned number of analyses (group-sequential design, O'Brien-Fleming bounds).")] = None,
        look: Annotated[int | None, Field(description="Which of the planned looks this analysis is (1..looks).")] = None,
        information_fractions: Annotated[list[float] | None, Field(description="Information fraction of each look (default: equally spaced; the last is 1).")] = None,
        prior: Annotated[list[float], Field(description="Beta(a, b) prior of each arm's conversion rate.")] = [1.0, 1.0],
        expected_split: Annotated[float, Field(description="Planned share of control users, for the sample ratio mismatch check.")] = 0.5,
    ) -> Annotated[CallToolResult, ABReport]:
        """Analyse or plan an A/B test. Conversions: two-proportion z-test and chi-square, Newcombe
        interval for the absolute lift and delta-method (log) interval for the relative lift,
        achieved power, minimum detectable effect, sample size per arm for target_lift, a
        group-sequential design with Lan-DeMets O'Brien-Fleming bounds (looks, look), a
        Beta-Binomial probability to beat control with expected loss, and a sample ratio check.
        Continuous metrics: Welch's t-test from summary statistics or a data file. Every number
        names its method; the verdict says what to do about peeking."""
        from mlproof.experiments import ab_test as engine_ab_test

        path = str(await server.path(ctx, data, "data file")) if data is not None else None
        report = await run_sync(engine_ab_test, control, treatment, data=path, group_column=group_column,
                                value_column=value_column, control_group=control_group, baseline=baseline, metric=metric,
                                alpha=alpha, power=power, target_lift=target_lift, lift_type=lift_type, ratio=ratio,
                                looks=looks, look=look, information_fractions=information_fractions, prior=tuple(prior),
                                expected_split=expected_split)
        return tool_result(report)


def register_performance_tools(server: MlproofServer) -> None:
    from mlproof.performance.models import PerformanceReport

    @server.tool(annotations=MLFLOW_READ, title="Model performance with delayed labels")
    @guarded
    async def model_performance(
        ctx: Context,
        predictions: Annotated[str, Field(description="Prediction log (.csv, .parquet, .jsonl) in the prediction-log schema, inside the client's roots.")],
        labels: Annotated[str, Field(description="Labels file: request_id, label, optional labelled_at.")],
        task: Annotated[Literal["classification", "regression"] | None, Field(description="Default: detected from the data.")] = None,
        metric: Annotated[Literal["accuracy", "auc", "log_loss", "rmse", "mae"] | None, Field(description="Primary metric (default: auc with scores, else accuracy; rmse for regression).")] = None,
        window: Annotated[str, Field(description="Window length: 30m, 6h, 1d or 1w.")] = "1d",
        segment_by: Annotated[str | None, Field(description="Column or features.NAME to slice by (default: segment, when logged).")] = None,
        baseline: Annotated[float | None, Field(description="The champion's offline value of the primary metric.")] = None,
        baseline_run: Annotated[str | None, Field(description="Or: read the baseline from this MLflow run (with baseline_metric).")] = None,
        baseline_model: Annotated[str | None, Field(description="Or: from a model version, 'name@alias' or 'name/version' (with baseline_metric).")] = None,
        baseline_metric: Annotated[str | None, Field(description="MLflow metric key of the baseline, e.g. val_roc_auc.")] = None,
        tracking_uri: TrackingUriArg = None,
        tolerance: Annotated[float, Field(description="Relative tolerance around the baseline (0.05 = 5%).")] = 0.05,
        alpha: Annotated[float, Field(description="Level of the one-sided degradation test.")] = 0.05,
        min_labels: Annotated[int, Field(description="Labelled predictions a window or segment needs to be judged.")] = 100,
        positive_label: Annotated[str | None, Field(description="Positive class for AUC and log-loss (default: 1, True, or the larger label).")] = None,
        model_version: Annotated[str | None, Field(description="Only predictions of this model_version.")] = None,
        detail: Detail = "summary",
    ) -> Annotated[CallToolResult, PerformanceReport]:
        """Concept drift with delayed labels: join logged predictions with ground truth by
        request_id, compute accuracy / AUC / log-loss (classification) or RMSE / MAE (regression)
        per time window and per segment, report label coverage and delay, and flag windows
        significantly worse than the champion's offline metric (a number, or read from an MLflow run
        or model version) with the threshold and test named. 'summary' keeps the degraded and the 12
        most recent windows. Read-only."""
        from mlproof.performance import model_performance as engine_performance

        predictions_path = await server.path(ctx, predictions, "predictions file")
        labels_path = await server.path(ctx, labels, "labels file")
        uri = await checked_tracking_uri(server, ctx, tracking_uri)
        report = await run_sync(engine_performance, str(predictions_path), str(labels_path), task=task, metric=metric,
                                window=window, segment_by=segment_by, baseline=baseline, baseline_run=baseline_run,
                                baseline_model=baseline_model, baseline_metric=baseline_metric, tracking_uri=uri,
                                tolerance=tolerance, alpha=alpha, min_labels=min_labels, positive_label=positive_label,
                                model_version=model_version)
        return tool_result(report if detail == "full" else report.compact())


# ---------------------------------------------------------------------------
# Resources
# ---------------------------------------------------------------------------

def _catalog_checks() -> list:
    from mlproof.rubric.catalog import load_catalog

    return list(load_catalog().checks)


def register_resources(server: MlproofServer) -> None:
    def read_document(kind: str, name: str) -> str:
        try:
            return content.get_document(kind, name).read()
        except MlproofError as err:
            raise ResourceNotFoundError(str(err)) from None

    @server.resource("mlproof://skills/{name}", title="mlproof skill", mime_type="text/markdown",
                     description="A skill of the pack (SKILL.md), by folder name.")
    def skill(name: str) -> str:
        return read_document("skills", name)

    @server.resource("mlproof://references/{name}", title="mlproof reference", mime_type="text/markdown",
                     description="A reference document the skills link to, by file name without .md.")
    def reference(name: str) -> str:
        return read_document("references", name)

    @server.resource("mlproof://commands/{name}", title="mlproof slash command", mime_type="text/markdown",
                     description="A Claude Code slash command of the plugin, by file name without .md.")
    def command(name: str) -> str:
        return read_document("commands", name)

    @server.resource("mlproof://checks/{check_id}", title="mlproof audit check", mime_type="text/markdown",
                     description="One check of the audit catalog: why, detection, fix, ML Test Score mapping.")
    def check(check_id: str) -> str:
        from mlproof.rubric.catalog import get_check

        try:
            return check_markdown(get_check(check_id))
        except MlproofError as err:
            raise ResourceNotFoundError(str(err)) from None

    @server.resource("mlproof://checks", title="mlproof check catalog", mime_type="text/markdown",
                     description="The audit catalog: every check id with its pillar and title.")
    def catalog() -> str:
        lines = ["# mlproof audit checks", "", "| id | pillar | title |", "| --- | --- | --- |"]
        lines += [f"| {c.id} | {c.pillar} | {c.title} |" for c in _catalog_checks()]
        return "\n".join(lines) + "\n"


# How each catalog field is titled when a check is read as a resource; other fields follow, titled from their name.
CHECK_HEADINGS = {
    "pillar": "Pillar",
    "why": "Why it matters",
    "detection": "How mlproof detects it",
    "fix": "How to fix it",
    "ml_test_score": "ML Test Score tests",
    "weight": "Weight in the pillar score (1-3)",
    "effort": "Effort",
    "impact": "Impact",
    "needs": "Applies only to repositories with",
}


def check_markdown(check) -> str:
    """A catalog check rendered for reading; the detector patterns stay out (they are internals)."""
    data = check.model_dump(mode="json", by_alias=True, exclude={"signals"})
    lines = [f"# {data.pop('id')}: {data.pop('title')}", ""]
    ordered = [key for key in CHECK_HEADINGS if key in data] + [key for key in data if key not in CHECK_HEADINGS]
    for key in ordered:
        value = data[key]
        if value in (None, "", [], {}) or (key == "needs" and value == "none"):
            continue
        if isinstance(value, list):
            value = ", ".join(str(item) for item in value)
        elif isinstance(value, dict):
            value = json.dumps(value)
        lines += [f"## {CHECK_HEADINGS.get(key, key.replace('_', ' ').capitalize())}", "", str(value), ""]
    return "\n".join(lines)


# ---------------------------------------------------------------------------
# Prompts (clients show them as slash commands)
# ---------------------------------------------------------------------------

def _skill_text(name: str) -> str:
    """The skill's own text when it is installed, so the prompt carries the judgement rules."""
    try:
        return "\n\n---\n" + content.get_document("skills", name).read()
    except MlproofError:
        return ""


def register_prompts(server: MlproofServer) -> None:
    @server.prompt(name="audit", title="MLOps audit", description="Audit a repository's MLOps maturity with evidence.")
    def audit(
        path: Annotated[str, Field(description="Repository to audit (default: the current project).")] = ".",
        focus: Annotated[str | None, Field(description="Optional pillar or check id to focus on.")] = None,
    ) -> str:
        scope = f" focusing on {focus}" if focus else ""
        return (
            f"Audit the MLOps practices of the repository at `{path}`{scope}.\n"
            f"1. Call the `audit_repo` tool with path={path!r}" + (f" and only={focus!r}" if focus else "") + ".\n"
            "2. Report the maturity level, the pillar scores and the ML Test Score.\n"
            "3. For every failing or partial check, cite its evidence as path:line, say why it matters "
            "(use `explain_check`) and give the fix.\n"
            "4. End with the top risks and the roadmap. Never call a check passed without evidence."
            + _skill_text("mlops-audit")
        )

    @server.prompt(name="architect", title="MLOps architecture", description="Design or review an MLOps architecture for a project.")
    def architect(
        requirements: Annotated[str, Field(description="What the system must do: team size, latency, data volume, cloud, constraints.")],
        path: Annotated[str | None, Field(description="Optional repository to ground the design in.")] = None,
    ) -> str:
        grounding = (
            f"First call `audit_repo` on `{path}` so the design starts from what exists.\n" if path else ""
        )
        return (
            f"Propose an MLOps architecture for these requirements:\n\n{requirements}\n\n"
            + grounding
            + "Choose tracking, registry, serving, monitoring and orchestration from the decision frameworks in the "
            "mlproof://references resources; justify each choice against the requirements and name what you would "
            "not build yet. Fit one page (400-500 words outside code blocks) and end with the four mandatory "
            "sections: Confidence Assessment, Risk Assessment, Information Gaps, Caveats." + _skill_text("mlops-architect")
        )

    @server.prompt(name="gate", title="Done-gate", description="Check a 'done' claim against real evidence before accepting it.")
    def gate(
        claim: Annotated[str, Field(description="The claim to verify, e.g. 'the new model is better than the champion and deployed'.")],
        path: Annotated[str, Field(description="Repository the claim is about.")] = ".",
        model: Annotated[str | None, Field(description="Registered model name in MLflow, if the claim is about a model.")] = None,
    ) -> str:
        model_part = f", model={model!r}" if model else ""
        return (
            f"Someone claims: \"{claim}\".\n"
            f"Call `gate_claim` with claim, repo={path!r}{model_part}. Report PASS only if every proof is satisfied "
            "with evidence; otherwise report BLOCKED and list each missing proof and how to produce it."
            + _skill_text("anti-fake-pass-gate")
        )

    @server.prompt(name="drift_triage", title="Drift triage", description="Compare two datasets for drift and decide what to do.")
    def drift_triage(
        reference: Annotated[str, Field(description="Reference (training) dataset: csv, parquet, jsonl or arrow file.")],
        current: Annotated[str, Field(description="Current (production) dataset in the same format.")],
    ) -> str:
        return (
            f"Call `drift_report` with reference={reference!r} and current={current!r}.\n"
            "Report whether the dataset drifted, then each drifted column with its method, statistic and "
            "threshold. Triage: data quality bug, real population shift, or seasonal change; recommend retrain, "
            "investigate or ignore, with the evidence for each." + _skill_text("mlops-drift")
        )

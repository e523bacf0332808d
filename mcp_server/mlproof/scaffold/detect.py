"""What a repository already uses, so each piece `mlproof add` writes fits it.

Read from the same repository model the gate decides from (nothing is run):
the CI system (GitHub Actions, GitLab CI, else a Kubernetes CronJob), the
registered model and alias the served code loads (or the training code
registers), the served app and where a hook goes, the command that trains,
the data files a drift check compares, and the metric training logs.
"""

from __future__ import annotations

import ast
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

from mlproof.errors import MlproofError

DATA_SUFFIXES = (".csv", ".parquet", ".jsonl", ".pq", ".feather")
REFERENCE_WORDS = re.compile(r"(?i)(?:^|[/_.-])(?:reference|ref|train|training|baseline)(?:[/_.-]|$)")
CURRENT_WORDS = re.compile(r"(?i)(?:^|[/_.-])(?:current|production|prod|latest|serving|live|yesterday|today|recent|new)(?:[/_.-]|$)")
METRIC_PREFERENCE = ("auc", "roc_auc", "f1", "accuracy", "precision", "recall", "r2", "rmse", "mae", "mse", "log_loss")
LOWER_IS_BETTER = re.compile(r"(?i)rmse|mae|mse|loss|error|mape")
MAX_DRIFT_COLUMNS = 60  # beyond this the job uses the engine's defaults instead of one option per column
DEFAULT_ALIAS = "champion"


@dataclass
class ColumnTest:
    column: str
    method: str
    threshold: float
    why: str


@dataclass
class ServedApp:
    rel: str  # the file that builds the app
    variable: str  # the name the app object is bound to
    insert_after: int  # last line of the app assignment: the hook goes right below
    import_after: int  # last line of the module's top imports: the import goes below
    package_import: str  # how that file imports a sibling module: "from .x import" or "from x import"
    framework: str  # fastapi | starlette | flask | other


@dataclass
class RepoFit:
    root: Path
    ci: str  # github | gitlab | kubernetes
    model: str | None = None
    model_source: str = ""
    alias: str = DEFAULT_ALIAS
    app: ServedApp | None = None
    training_command: str | None = None
    training_source: str = ""
    reference: str | None = None
    current: str | None = None
    columns: list[ColumnTest] = field(default_factory=list)
    column_note: str = ""
    metric: str | None = None
    install_command: str = "pip install mlproof"
    notes: list[str] = field(default_factory=list)

    def require_model(self, piece: str) -> str:
        if not self.model:
            raise MlproofError(f"mlproof add {piece} needs the registered model's name and none was found in the served or "
                               "training code; pass --model NAME.")
        return self.model


def detect(root: Path, *, ci: str | None = None, model: str | None = None, alias: str | None = None,
           reference: str | None = None, current: str | None = None, metric: str | None = None,
           train_command: str | None = None) -> RepoFit:
    from mlproof.gate.context import GateContext

    ctx = GateContext.load(root)
    fit = RepoFit(root=root, ci=ci or _ci_system(root))
    fit.install_command = _install_command(root)
    _fit_model(ctx, fit, model, alias)
    fit.app = _served_app(ctx)
    if train_command:
        fit.training_command, fit.training_source = train_command, "--train-command"
    else:
        fit.training_command, fit.training_source = _training_command(ctx)
    fit.reference, fit.current = _data_paths(ctx, reference, current)
    if fit.reference and (root / fit.reference).is_file():
        current_path = root / fit.current if fit.current and (root / fit.current).is_file() else None
        fit.columns, fit.column_note = column_tests(root / fit.reference, current_path)
    fit.metric = metric or _logged_metric(ctx)
    return fit


def _ci_system(root: Path) -> str:
    if (root / ".github" / "workflows").is_dir():
        return "github"
    if (root / ".gitlab-ci.yml").is_file():
        return "gitlab"
    return "kubernetes"


def _install_command(root: Path) -> str:
    """How a job installs the project's own dependencies next to mlproof."""
    if (root / "requirements.txt").is_file():
        return "pip install mlproof -r requirements.txt"
    if (root / "pyproject.toml").is_file() or (root / "setup.py").is_file():
        return "pip install mlproof -e ."
    return "pip install mlproof"


def _fit_model(ctx, fit: RepoFit, model: str | None, alias: str | None) -> None:
    from mlproof.gate import serving
    from mlproof.gate.repo_proofs import registered_name_hint

    loads = [load for load in serving.model_loads(ctx) if load.name]
    if model:
        fit.model, fit.model_source = model, "--model"
    elif loads:
        fit.model, fit.model_source = loads[0].name, f"{loads[0].rel}:{loads[0].line}"
    else:
        hint = registered_name_hint(ctx)
        if hint:
            fit.model, fit.model_source = hint, "the training code's registered model name"
    named_alias = next((load.alias for load in loads if load.alias and load.name == fit.model), None)
    fit.alias = alias or named_alias or DEFAULT_ALIAS


def _served_app(ctx) -> ServedApp | None:
    from mlproof.gate import serving
    from mlproof.gate.values import matches

    closure, _ = serving.serving(ctx)
    constructors = ctx.signals["serving"]["app_constructors"]
    for rel in dict.fromkeys(node[0] for node in closure):
        index = ctx.flow.index(rel)
        if index is None or not rel.endswith(".py"):
            continue
        values = ctx.values(rel)
        imports_end = 0
        for statement in index.tree.body:
            if isinstance(statement, (ast.Import, ast.ImportFrom)):
                imports_end = statement.end_lineno or statement.lineno
            elif not (isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant)):
                break
        for statement in index.tree.body:
            if isinstance(statement, ast.Assign) and len(statement.targets) == 1 and isinstance(statement.targets[0], ast.Name) \
                    and isinstance(statement.value, ast.Call) and matches(values.qualify(statement.value.func), constructors):
                name = values.qualify(statement.value.func)
                framework = "fastapi" if "fastapi" in name or name.endswith("FastAPI") else \
                    "starlette" if "starlette" in name or name.endswith("Starlette") else \
                    "flask" if "flask" in name.lower() else "other"
                folder = Path(rel).parent
                package = (ctx.root / folder / "__init__.py").is_file()
                return ServedApp(rel, statement.targets[0].id, statement.end_lineno or statement.lineno, imports_end,
                                 "from .{} import" if package else "from {} import", framework)
    return None


def _training_command(ctx) -> tuple[str | None, str]:
    """A command that runs the repository's training: a Make target that reaches it, else the script itself."""
    from mlproof.gate.flow import is_test_path
    from mlproof.gate.jobruns import calls_in_closure

    training_calls = ctx.signals["training"]["calls"]
    scripts = []
    for rel in ctx.python_files():
        if is_test_path(rel):
            continue
        index = ctx.flow.index(rel)
        if index is None or index.main_lines is None:
            continue
        closure = ctx.flow.closure(ctx.flow.script_roots(rel, []))
        trains = calls_in_closure(ctx, closure, training_calls)
        if trains:
            registers = "registered_model_name" in ctx.text(rel) or "log_model" in ctx.text(rel)
            scripts.append((0 if registers else 1, rel.count("/"), rel))
    if not scripts:
        return None, ""
    script = sorted(scripts)[0][2]
    makefile = ctx.text("Makefile")
    for target in re.findall(r"^([A-Za-z][\w-]*)\s*:(?!=)", makefile, re.M):
        for reach in ctx.resolve_command(f"make {target}", "Makefile", None):
            if reach.file == script:
                return f"make {target}", f"the Makefile target {target!r} runs {script}"
    module = _module_name(ctx, script)
    if module and _uses_relative_imports(ctx, script):
        return f"python -m {module}", f"{script} (a module of a package)"
    return f"python {shlex.quote(script)}", script


def _module_name(ctx, rel: str) -> str | None:
    for name, path in ctx.model.modules.items():
        if path == rel and not name.startswith(("src.", "lib.")):
            return name
    return None


def _uses_relative_imports(ctx, rel: str) -> bool:
    facts = ctx.flow.facts(rel)
    return bool(facts and any(imported.level for imported in facts.imports))


def _data_paths(ctx, reference: str | None, current: str | None) -> tuple[str | None, str | None]:
    data = [rel for rel in ctx.files if rel.endswith(DATA_SUFFIXES) and not rel.startswith(("tests/", "test/"))]
    if reference is None:
        reference = next((rel for rel in data if REFERENCE_WORDS.search(rel)), None)
    if current is None:
        current = next((rel for rel in data if CURRENT_WORDS.search(rel) and rel != reference), None)
    return reference, current


def column_tests(path: Path, current: Path | None = None) -> tuple[list[ColumnTest], str]:
    """One test per column, as the drift engine would choose it for this reference data, pinned for the job.
    With a current sample, only the columns both files have (the label is usually in the reference only)."""
    from mlproof.drift.columns import infer_column_type
    from mlproof.drift.policy import default_method
    from mlproof.drift.readers import check_path, read_file

    try:
        table = read_file(check_path(path))
    except MlproofError as err:
        return [], f"the reference data could not be read ({err}); the job uses the engine's defaults"
    import pyarrow.compute as pc

    shared = None
    if current is not None:
        try:
            shared = set(read_file(check_path(current)).column_names)
        except MlproofError:
            shared = None
    tests = []
    skipped = []
    for name in table.column_names:
        if shared is not None and name not in shared:
            skipped.append(f"{name} (not in {current.name})")
            continue
        column = table.column(name)
        kind, _ = infer_column_type(column)
        if kind not in ("numerical", "categorical"):
            skipped.append(f"{name} ({kind})")
            continue
        distinct = pc.count_distinct(column, mode="only_valid").as_py()
        method, why = default_method(kind, table.num_rows, distinct)
        tests.append(ColumnTest(name, method.name, method.default_threshold, why))
    if len(tests) > MAX_DRIFT_COLUMNS:
        return [], f"{len(tests)} columns: the job uses the engine's defaults instead of one option per column"
    note = f"tests chosen from {path.name} ({table.num_rows} rows)" + (f"; not tested: {', '.join(skipped)}" if skipped else "")
    return tests, note


def _logged_metric(ctx) -> str | None:
    """The metric training logs (`mlflow.log_metric("val_auc", ...)`), preferring ones a champion is judged on."""
    from mlproof.gate.values import matches

    found: list[str] = []
    for _, _, name, call in ctx.named_calls(("log_metric",)):
        if matches(name, ("log_metric",)) and call.args and isinstance(call.args[0], ast.Constant) and isinstance(call.args[0].value, str):
            found.append(call.args[0].value)
        elif matches(name, ("log_metrics",)) and call.args and isinstance(call.args[0], ast.Dict):
            found += [k.value for k in call.args[0].keys if isinstance(k, ast.Constant) and isinstance(k.value, str)]
    for preferred in METRIC_PREFERENCE:
        for metric in found:
            if metric.lower().endswith(preferred):
                return metric
    return found[0] if found else None


def lower_is_better(metric: str) -> bool:
    return bool(LOWER_IS_BETTER.search(metric))

"""The skill pack's Markdown is correct: code compiles and runs, YAML parses, no deprecated APIs, links resolve.

Code blocks are executed for real when marked by a comment on the line before the fence:
  <!-- run: mlflow -->  exec against a temporary SQLite MLflow store (MLFLOW_TRACKING_URI points at it)
  <!-- run: drift -->   exec with mlproof's drift engine importable
  <!-- run: python -->  exec as plain Python (numpy/scipy available)
Every other ```python block is compiled; ```yaml blocks are parsed; ```bash blocks pass `bash -n`.
"""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
SKILL_FILES = sorted((REPO / "skills").glob("*/SKILL.md"))
REFERENCE_FILES = sorted((REPO / "references").glob("*.md"))
COMMAND_FILES = sorted((REPO / "commands").glob("*.md"))
ALL_FILES = SKILL_FILES + REFERENCE_FILES + COMMAND_FILES

# The references the skills depend on (the minimum set plus the gate's proofs).
REQUIRED_REFERENCES = [
    "experiment-tracking", "model-registry", "feature-stores", "model-serving", "deployment-strategies",
    "ml-pipelines-orchestration", "model-monitoring", "llmops", "decision-frameworks", "tool-recommendations",
    "scenarios", "ab-testing-statistics", "retraining-triggers", "data-versioning", "ci-cd-for-ml",
    "production-proofs", "anti-patterns",
]

# Deprecated or removed APIs: (pattern, why). Code blocks must never contain them; prose may name one
# only on a line that also says "deprecated" (the migration notes).
DEPRECATED = [
    (r"transition_model_version_stage", "MLflow registry stages are deprecated; use set_registered_model_alias"),
    (r"get_latest_versions", "stage-based lookup is deprecated; use get_model_version_by_alias"),
    (r"models:/[\w.\-]+/(Production|Staging|Archived|None)\b", "stage URIs are deprecated; use models:/name@alias"),
    (r"\bstages?\s*=\s*[\[\"']", "registry stages are deprecated"),
    (r"log_model\([^)]*?\bartifact_path\s*=", "MLflow 3 log_model takes name=, artifact_path is deprecated"),
    (r"log_model\(\s*[\w.\[\]]+\s*,\s*[\"']", "positional artifact path in log_model is deprecated; use name="),
    (r"from evidently\.metric_preset", "Evidently 0.7: from evidently.presets import ..."),
    (r"evidently\.report\b|from evidently\.report", "Evidently 0.7: from evidently import Report"),
    (r"evidently\.test_suite|evidently\.dashboard|ColumnMapping", "removed from the Evidently 0.7 API"),
    (r"bentoml\.Service\(", "BentoML 1.2+: @bentoml.service classes"),
    (r"@svc\.api|bentoml\.io\b|\.to_runner\(", "BentoML runners/IO descriptors are the pre-1.2 API"),
    (r"serving\.kubeflow\.org|serving\.kserve\.io/v1alpha2", "KServe uses serving.kserve.io/v1beta1"),
    (r"machinelearning\.seldon\.io", "Seldon Core 1 SeldonDeployment; Seldon Core 2 uses mlops.seldon.io/v1alpha1"),
    (r"\bfeature_refs\s*=|\bjoin_key\s*=|\bbatch_source\s*=|Feature\(name=", "pre-0.20 Feast API"),
    (r"airflow\.operators\.python_operator", "Airflow 1 import path"),
    (r"from airflow\.decorators import|schedule_interval\s*=", "Airflow 3: from airflow.sdk import dag, task; schedule="),
    (r"mlflow\.pyfunc\.load_model\(\s*[\"']models:/[\w.\-]+/\d+", "serving code should load by alias, not a pinned number"),
]



def bentoml_api_outside_service(code: str) -> bool:
    """`@bentoml.api` is current only on methods of a `@bentoml.service` class (BentoML 1.2+).

    Decided per code block: an api decorator in a block with no service class is either the
    pre-1.2 style or an incomplete example that readers would copy wrongly.
    """
    return "@bentoml.api" in code and "@bentoml.service" not in code


FENCE = re.compile(r"^```(\w*)\s*$")
MARKER = re.compile(r"^<!--\s*run:\s*(\w+)\s*-->\s*$")
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


@dataclass
class Block:
    path: Path
    line: int  # 1-based line of the opening fence
    language: str
    code: str
    run: str | None

    @property
    def id(self) -> str:
        return f"{self.path.relative_to(REPO)}:{self.line}"


def blocks_of(path: Path) -> list[Block]:
    """Fenced code blocks with their language and optional run marker."""
    lines = path.read_text(encoding="utf-8").splitlines()
    found, i = [], 0
    while i < len(lines):
        match = FENCE.match(lines[i])
        if not match:
            i += 1
            continue
        start, language = i, match.group(1).lower()
        j = i + 1
        while j < len(lines) and not lines[j].startswith("```"):
            j += 1
        assert j < len(lines), f"{path}:{start + 1}: unclosed code fence"
        marker = MARKER.match(lines[start - 1]) if start > 0 else None
        found.append(Block(path, start + 1, language, "\n".join(lines[start + 1:j]), marker.group(1) if marker else None))
        i = j + 1
    return found


def prose_lines(path: Path) -> list[tuple[int, str]]:
    """(line number, text) of every line outside code fences."""
    result, inside = [], False
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.startswith("```"):
            inside = not inside
            continue
        if not inside:
            result.append((number, line))
    return result


ALL_BLOCKS = [block for path in ALL_FILES for block in blocks_of(path)]


def blocks(language: str, run: str | None = "any") -> list[Block]:
    return [b for b in ALL_BLOCKS if b.language == language and (run == "any" or b.run == run)]


def github_anchor(heading: str) -> str:
    """GitHub's heading slug: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[`*_]", "", heading.strip().lower())
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors_of(path: Path) -> set[str]:
    return {github_anchor(line.lstrip("#")) for _, line in prose_lines(path) if line.startswith("#")}


# ---------------------------------------------------------------------------


def test_required_references_exist():
    names = {p.stem for p in REFERENCE_FILES}
    missing = [name for name in REQUIRED_REFERENCES if name not in names]
    assert not missing, f"missing references: {missing}"


def test_every_run_marker_precedes_a_python_block():
    for path in ALL_FILES:
        lines = path.read_text(encoding="utf-8").splitlines()
        for number, line in enumerate(lines, start=1):
            if MARKER.match(line):
                assert number < len(lines) and lines[number].startswith("```python"), (
                    f"{path.relative_to(REPO)}:{number}: a run marker must sit right above a ```python fence"
                )
                assert MARKER.match(line).group(1) in {"mlflow", "drift", "python"}, f"{path}:{number}: unknown marker"


def test_enough_blocks_run_for_real():
    # Guards against markers silently disappearing: the executable examples are part of the contract.
    assert len(blocks("python", "mlflow")) >= 5
    assert len(blocks("python", "drift")) >= 2
    assert len(blocks("python", "python")) >= 2


@pytest.mark.parametrize("block", blocks("python"), ids=lambda b: b.id)
def test_python_blocks_compile(block):
    compile(block.code, block.id, "exec")


@pytest.mark.parametrize("block", blocks("yaml") + blocks("yml"), ids=lambda b: b.id)
def test_yaml_blocks_parse(block):
    documents = [doc for doc in yaml.safe_load_all(block.code) if doc is not None]
    assert documents, f"{block.id}: empty YAML block"


@pytest.mark.parametrize("block", blocks("bash") + blocks("sh"), ids=lambda b: b.id)
def test_bash_blocks_have_valid_syntax(block):
    result = subprocess.run(["bash", "-n"], input=block.code, capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, f"{block.id}: {result.stderr}"


@pytest.fixture(scope="module")
def mlflow_store(tmp_path_factory):
    """One temporary SQLite store for every MLflow snippet (artifacts beside it)."""
    import mlflow

    from mlflow.tracking import fluent

    root = tmp_path_factory.mktemp("reference-store")
    uri = f"sqlite:///{root / 'mlflow.db'}"
    saved = {key: os.environ.get(key) for key in ("MLFLOW_TRACKING_URI", "MLFLOW_EXPERIMENT_ID")}
    os.environ["MLFLOW_TRACKING_URI"] = uri
    mlflow.set_tracking_uri(uri)
    yield root
    # Snippets call set_experiment, which sets process-wide state (a module global and the
    # MLFLOW_EXPERIMENT_ID variable); undo it so later tests start from a clean process.
    mlflow.set_tracking_uri(None)
    fluent._active_experiment_id = None
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


def exec_block(block: Block, cwd: Path) -> dict:
    namespace: dict = {"__name__": "__snippet__"}
    old = os.getcwd()
    os.chdir(cwd)  # snippets that write files (mlruns/, reports) write into the temp folder
    try:
        exec(compile(block.code, block.id, "exec"), namespace)
    finally:
        os.chdir(old)
    return namespace


@pytest.mark.parametrize("block", blocks("python", "mlflow"), ids=lambda b: b.id)
def test_mlflow_blocks_run_against_a_real_store(block, mlflow_store, capsys):
    exec_block(block, mlflow_store)
    import mlflow

    # The snippet really wrote to the temporary store, not somewhere else.
    assert mlflow.get_tracking_uri().startswith("sqlite:///") and str(mlflow_store) in mlflow.get_tracking_uri()
    assert mlflow.search_experiments(), f"{block.id} left no experiment in the store"


@pytest.mark.parametrize("block", blocks("python", "drift"), ids=lambda b: b.id)
def test_drift_blocks_run_against_the_drift_engine(block, tmp_path, capsys):
    assert "from mlproof.drift import drift_report" in block.code, f"{block.id}: drift snippets use mlproof.drift"
    namespace = exec_block(block, tmp_path)
    from mlproof.drift import DriftReport

    reports = [value for value in namespace.values() if isinstance(value, DriftReport)]
    assert reports, f"{block.id} produced no DriftReport"


@pytest.mark.parametrize("block", blocks("python", "python"), ids=lambda b: b.id)
def test_plain_python_blocks_run(block, tmp_path, capsys):
    exec_block(block, tmp_path)


@pytest.mark.parametrize("path", ALL_FILES, ids=lambda p: str(p.relative_to(REPO)))
def test_no_deprecated_apis(path):
    problems = []
    for block in blocks_of(path):
        for pattern, why in DEPRECATED:
            if re.search(pattern, block.code, flags=re.DOTALL):
                problems.append(f"{block.id} (code): /{pattern}/ — {why}")
        if bentoml_api_outside_service(block.code):
            problems.append(f"{block.id} (code): @bentoml.api outside a @bentoml.service class")
    for number, line in prose_lines(path):
        for pattern, why in DEPRECATED:
            if re.search(pattern, line) and "deprecated" not in line.lower():
                problems.append(f"{path.relative_to(REPO)}:{number}: /{pattern}/ — {why}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("path", ALL_FILES, ids=lambda p: str(p.relative_to(REPO)))
def test_relative_links_resolve(path):
    broken = []
    for number, line in prose_lines(path):
        for target in LINK.findall(line):
            if re.match(r"^[a-z][a-z0-9+.-]*:", target):  # http:, https:, mailto:
                continue
            file_part, _, anchor = target.partition("#")
            destination = (path.parent / file_part).resolve() if file_part else path
            if not destination.exists():
                broken.append(f"{path.relative_to(REPO)}:{number}: {target} (no such file)")
            elif anchor and destination.suffix == ".md" and anchor not in anchors_of(destination):
                broken.append(f"{path.relative_to(REPO)}:{number}: {target} (no such heading)")
    assert not broken, "\n".join(broken)


def test_the_deprecation_scanner_catches_what_it_should():
    """The scanner itself can fail: each bad snippet trips it, the current API does not."""
    bad = [
        'client.transition_model_version_stage("m", 1, "Production")',
        'mlflow.pyfunc.load_model("models:/churn/Production")',
        'mlflow.sklearn.log_model(model, artifact_path="model")',
        'mlflow.sklearn.log_model(model, "model")',
        "from evidently.metric_preset import DataDriftPreset",
        "from evidently.report import Report",
        'svc = bentoml.Service("iris", runners=[r])',
        "apiVersion: serving.kubeflow.org/v1beta1",
        "driver = Entity(name='driver', join_key='driver_id')",
        "from airflow.decorators import dag, task",
    ]
    good = [
        'client.set_registered_model_alias("m", "champion", "3")',
        'mlflow.pyfunc.load_model("models:/churn@champion")',
        'mlflow.sklearn.log_model(sk_model=model, name="model")',
        "from evidently import Report\nfrom evidently.presets import DataDriftPreset",
        "apiVersion: serving.kserve.io/v1beta1",
        "driver = Entity(name='driver', join_keys=['driver_id'])",
    ]
    for snippet in bad:
        assert any(re.search(p, snippet, flags=re.DOTALL) for p, _ in DEPRECATED), snippet
    for snippet in good:
        assert not any(re.search(p, snippet, flags=re.DOTALL) for p, _ in DEPRECATED), snippet
    assert bentoml_api_outside_service("@bentoml.api\ndef predict(x): ...")
    assert not bentoml_api_outside_service("@bentoml.service\nclass S:\n    @bentoml.api\n    def predict(self, x): ...")

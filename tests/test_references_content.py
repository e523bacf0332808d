"""The skill pack's Markdown is correct: the references exist, no deprecated APIs, links resolve.

Running and validating the code blocks themselves lives in tests/test_reference_blocks.py (the markers
are described in tests/markdown_blocks.py).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.markdown_blocks import ALL_FILES, REFERENCE_FILES, REPO, blocks_of, prose_lines

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


LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


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

"""`mlproof lint`: the shared deprecated-API list finds old APIs in code and config, never in prose,
with near misses that must stay clean; exit codes 0/1/2; the eval grader and the MCP tool use the same list."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import anyio
import jsonschema
import pytest

from mlproof.lint import lint_paths, lint_text, load_rules
from mlproof.lint.rules import KINDS
from mlproof.schema_cli import json_schema
from tests.server_harness import assert_tool_error, mcp_session, structured

RULES = load_rules()


def run_lint(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "mlproof", "lint", *args], capture_output=True, text=True, timeout=120, cwd=cwd)


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_each_rule_finds_its_bad_examples_and_not_its_near_misses(rule):
    for example in rule.bad:
        for kind in rule.in_:
            found = [f.rule for f in lint_text(example, kind, rules=[rule])]
            assert found == [rule.id] * len(found) and found, f"{rule.id} missed in {kind}: {example!r}"
    for example in rule.good:
        for kind in KINDS:
            assert not lint_text(example, kind), f"{kind}: {example!r} is current code, but: {lint_text(example, kind)}"


def test_the_list_covers_the_seed_era_apis():
    # The APIs the issues name: each is found by some rule (code written as a project would write it).
    seed_era = {
        "client.transition_model_version_stage('m', 1, 'Production')": "mlflow.transition_stage",
        "uri = 'models:/churn/Staging'": "mlflow.stage_uri",
        "client.search_model_versions(stage='Production')": "mlflow.stage_argument",
        "mlflow.sklearn.log_model(m, artifact_path='model')": "mlflow.artifact_path",
        "from evidently.report import Report": "evidently.legacy_report",
        "from evidently.metric_preset import DataDriftPreset": "evidently.legacy_report",
        "svc = bentoml.Service('churn')": "bentoml.service_class",
        "from bentoml.io import JSON": "bentoml.io",
        "import kfp\nop = dsl.ContainerOp(name='a', image='b')": "kfp.container_op",
        "import kfp\nwith dsl.Condition(x == 1): pass": "kfp.condition",
        "dag = DAG('d', schedule_interval='@daily')": "airflow.schedule_interval",
        "df = ge.from_pandas(frame)": "great_expectations.v0_dataset",
        "mlflow.evaluate(m, data, baseline_model=old)": "mlflow.evaluate_baseline_model",
        "kind: SeldonDeployment": "seldon.core_v1",
        "from feast import Feature, ValueType\nf = Feature(name='x', dtype=ValueType.INT64)": "feast.feature",
        "import pkg_resources": "setuptools.pkg_resources",
        "from evidently.tabs import DataDriftTab": "evidently.dashboard",
    }
    for code, rule_id in seed_era.items():
        kind = "config" if code.startswith("kind:") else "python"
        assert rule_id in {f.rule for f in lint_text(code, kind)}, code


PROSE_ONLY_MARKDOWN = """# Migrating off registry stages

Do not call `transition_model_version_stage()` any more; `models:/churn/Production` URIs and
`schedule_interval=` are deprecated too. Evidently's `from evidently.report import Report` is gone.

```text
client.transition_model_version_stage("m", 1, "Production")   # output shown as text, not code
```

<!-- deprecated-example: the old call, shown on purpose next to its replacement -->
```python
client.transition_model_version_stage("churn", 3, "Production")
```

```python
# transition_model_version_stage( was the old way
client.set_registered_model_alias("churn", "champion", "3")
```

```diff
- client.transition_model_version_stage("churn", 3, "Production")
+ client.set_registered_model_alias("churn", "champion", "3")
```
"""


def test_prose_comments_docstrings_output_blocks_and_marked_examples_are_not_findings():
    assert lint_text(PROSE_ONLY_MARKDOWN, "markdown") == []
    python = '"""Migration note: transition_model_version_stage( and models:/m/Production are deprecated."""\n' \
             "import mlflow  # not get_latest_versions( any more\n" \
             "def f():\n    '''stage=\"Production\" is the old way'''\n    return mlflow.get_registered_model('m')\n"
    assert lint_text(python, "python") == []
    assert lint_text("# schedule_interval: @daily was Airflow 2\nschedule: '@daily'\n", "config") == []


def test_code_blocks_without_a_marker_are_findings_with_file_lines():
    text = "Intro.\n\n```python\nimport mlflow\nmodel = mlflow.pyfunc.load_model('models:/churn/Production')\n```\n" \
           "\n```yaml\napiVersion: machinelearning.seldon.io/v1\n```\n\n```\nsvc = bentoml.Service('x')\n```\n"
    findings = lint_text(text, "markdown", path="doc.md")
    assert [(f.rule, f.line) for f in findings] == [("mlflow.stage_uri", 5), ("seldon.core_v1", 9), ("bentoml.service_class", 13)]
    # The grader ignores markers: an answer cannot excuse its own code.
    marked = "<!-- deprecated-example -->\n```python\nsvc = bentoml.Service('x')\n```\n"
    assert lint_text(marked, "markdown") == []
    assert [f.rule for f in lint_text(marked, "markdown", honour_markers=False)] == ["bentoml.service_class"]


def test_strings_in_code_count_and_multiline_calls_are_read_from_the_syntax_tree():
    code = (
        "import mlflow\n"
        "mlflow.sklearn.log_model(\n"
        "    model,\n"
        "    signature=infer_signature(X, model.predict(X)),\n"
        "    artifact_path='model',\n"
        ")\n"
        "with DAG(\n    'drift',\n    schedule_interval='@daily',\n) as dag:\n    pass\n"
        "template = '{{ execution_date }}'\n"
    )
    findings = {(f.rule, f.line, f.column) for f in lint_text(code, "python")}
    assert ("mlflow.artifact_path", 5, 19) in findings
    assert ("airflow.schedule_interval", 9, 23) in findings
    # execution_date needs an Airflow import; this file has none, so the Jinja string is no finding.
    assert not any(rule == "airflow.execution_date" for rule, _, _ in findings)
    assert lint_text("import airflow\n" + code, "python")[-1].rule == "airflow.execution_date"


def test_inline_ignore_comments():
    code = "uri = 'models:/churn/Production'  # mlproof-lint: ignore[mlflow.stage_uri]\n" \
           "other = 'models:/fraud/Staging'  # mlproof-lint: ignore\n" \
           "third = 'models:/x/Archived'  # mlproof-lint: ignore[bentoml.io]\n"
    assert [(f.rule, f.line) for f in lint_text(code, "python")] == [("mlflow.stage_uri", 3)]


def test_notebooks_point_at_the_cell_and_skip_markdown_cells(tmp_path):
    notebook = {"cells": [
        {"cell_type": "markdown", "source": ["Old: `from evidently.report import Report`"]},
        {"cell_type": "code", "source": ["%pip install evidently\n", "import evidently\n", "from evidently.report import Report\n"]},
    ], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    path = tmp_path / "drift.ipynb"
    path.write_text(json.dumps(notebook))
    report = lint_paths([str(path)])
    assert [(f.rule, f.cell, f.line) for f in report.findings] == [("evidently.legacy_report", 2, 3)]
    assert report.findings[0].location() == f"{path}#cell2:3:1"


def test_cli_exit_codes_text_and_json(tmp_path):
    (tmp_path / "clean.py").write_text("import mlflow\nmlflow.set_registered_model_alias('m', 'champion', '1')\n")
    (tmp_path / "old.py").write_text("import mlflow\nclient.transition_model_version_stage('m', 1, 'Production')\n")
    (tmp_path / "notes.txt").write_text("transition_model_version_stage(\n")

    clean = run_lint(str(tmp_path / "clean.py"))
    assert clean.returncode == 0 and clean.stdout == "" and "No deprecated MLOps API in 1 file(s)" in clean.stderr
    quiet = run_lint(str(tmp_path / "clean.py"), "--quiet")
    assert quiet.returncode == 0 and quiet.stdout == "" and quiet.stderr == ""

    found = run_lint(str(tmp_path))
    assert found.returncode == 1
    first = found.stdout.splitlines()[0]
    assert first.startswith(f"{tmp_path}/old.py:2:8: mlflow.transition_stage `transition_model_version_stage(` -> ")
    assert "set_registered_model_alias" in first and "deprecated model registry stages in 2.9" in first
    assert run_lint(str(tmp_path), "-q").stdout == found.stdout  # --quiet keeps findings and their count

    as_json = run_lint(str(tmp_path), "--format", "json")
    assert as_json.returncode == 1
    data = json.loads(as_json.stdout)
    jsonschema.Draft202012Validator(json_schema("lint")).validate(data)
    assert data["files_checked"] == 2 and data["skipped"] == {"not a file type mlproof lint reads": 1}
    assert [f["rule"] for f in data["findings"]] == ["mlflow.transition_stage"]

    ignored = run_lint(str(tmp_path), "--ignore", "mlflow")
    assert ignored.returncode == 0

    listed = run_lint("--list-rules")
    assert listed.returncode == 0 and len(listed.stdout.splitlines()) == len(RULES)
    assert listed.stdout.startswith("mlflow.transition_stage: client.set_registered_model_alias")


@pytest.mark.parametrize("args, fragment", [
    (["/no/such/file.py"], "does not exist"),
    ([], "at least one file or folder"),
    (["--ignore", "nosuch.rule", "."], "Unknown rule 'nosuch.rule'"),
])
def test_bad_input_is_one_sentence_and_exit_2(args, fragment, tmp_path):
    result = run_lint(*args, cwd=tmp_path)
    assert result.returncode == 2 and result.stdout == ""
    assert fragment in result.stderr and "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_a_bad_path_among_good_ones_reads_nothing(tmp_path):
    (tmp_path / "old.py").write_text("svc = bentoml.Service('x')\n")
    result = run_lint(str(tmp_path / "old.py"), str(tmp_path / "missing.py"))
    assert result.returncode == 2 and result.stdout == ""


def test_the_eval_grader_uses_the_same_list():
    from mlproof.evals.graders import GRADERS

    grader = GRADERS["no_deprecated_api"]

    class Ctx:
        def __init__(self, answer):
            self.answer = answer

    for rule in RULES:
        kind = {"python": "python", "config": "yaml", "shell": "bash"}[rule.in_[0]]
        passed, why = grader({}, Ctx(f"Do this:\n```{kind}\n{rule.bad[0]}\n```\n"))
        assert not passed and rule.id in why and rule.instead in why, (rule.id, why)
    passed, why = grader({}, Ctx("Prose: `transition_model_version_stage()` is deprecated.\n```python\nprint(1)\n```"))
    assert passed and f"among {len(RULES)} known" in why


def test_lint_files_mcp_tool(tmp_path):
    (tmp_path / "old.py").write_text("import kfp\nfrom kfp import dsl\nwith dsl.Condition(x == 1):\n    pass\n")

    async def scenario():
        async with mcp_session(cwd=tmp_path) as session:
            tools = {tool.name: tool for tool in (await session.list_tools()).tools}
            assert tools["lint_files"].annotations.read_only_hint is True
            report = structured(await session.call_tool("lint_files", {"paths": ["old.py"]}))
            assert [(f["rule"], f["line"]) for f in report["findings"]] == [("kfp.condition", 3)]
            assert report["findings"][0]["instead"].startswith("with dsl.If(")
            assert_tool_error(await session.call_tool("lint_files", {"paths": ["/etc/passwd"]}))
            assert_tool_error(await session.call_tool("lint_files", {"paths": []}), "paths")
            assert_tool_error(await session.call_tool("lint_files", {"paths": ["old.py"], "ignore": ["nope"]}), "Unknown rule")

    anyio.run(scenario)

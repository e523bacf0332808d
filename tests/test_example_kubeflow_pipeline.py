"""examples/kubeflow-pipeline: the KFP v2 pipeline compiles, its condition gates registration, and it runs locally."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import yaml

from tests.refs_env import run_refs

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "kubeflow-pipeline"


def copy(tmp_path: Path) -> Path:
    project = tmp_path / "kubeflow-pipeline"
    shutil.copytree(EXAMPLE, project, ignore=shutil.ignore_patterns("__pycache__"))
    return project


def test_pipeline_compiles_to_ir_yaml_with_a_conditional_register_step(tmp_path):
    project = copy(tmp_path)
    result = run_refs(["python", "pipeline.py", "churn-pipeline.yaml"], cwd=project, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    spec = yaml.safe_load((project / "churn-pipeline.yaml").read_text())
    assert spec["pipelineInfo"]["name"] == "churn-training"
    root_tasks = spec["root"]["dag"]["tasks"]
    assert {"validate-data", "train", "evaluate"} <= set(root_tasks)
    # Registration sits inside the dsl.If branch, triggered by evaluate's AUC against min_auc.
    branch = next(task for task in root_tasks.values() if "triggerPolicy" in task)
    condition = branch["triggerPolicy"]["condition"]
    assert "evaluate-Output" in condition and ">=" in condition and "min_auc" in condition
    branch_dag = spec["components"][branch["componentRef"]["name"]]["dag"]["tasks"]
    assert list(branch_dag) == ["register"]
    # Components pin their packages (the containers run what the tests ran).
    executors = spec["deploymentSpec"]["executors"]
    assert any("mlflow==3.17.2" in " ".join(e["container"]["command"]) for e in executors.values())


def test_pipeline_runs_locally_and_registers_when_the_model_clears_the_bar(tmp_path):
    project = copy(tmp_path)
    result = run_refs(["python", "run_local.py", str(tmp_path / "run")], cwd=project, timeout=900)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    facts = json.loads(result.stdout.strip().splitlines()[-1])
    assert facts["registered_versions"] == [1]


def test_validate_step_rejects_a_bad_file_before_training(tmp_path):
    project = copy(tmp_path)
    bad = tmp_path / "bad.csv"
    bad.write_text("tenure_months,monthly_charges,plan,churned\n3,95.5,platinum,1\n-4,20.0,basic,2\n")
    check = (
        "import sys, pandera.errors\n"
        "from kfp import dsl\n"
        "from pipeline import validate_data\n"
        "try:\n"
        f"    validate_data.python_func(source_csv={str(bad)!r}, validated=dsl.Dataset(uri={str(tmp_path / 'out')!r}))\n"
        "except pandera.errors.SchemaErrors as errors:\n"
        "    print(sorted(set(errors.failure_cases['column'].astype(str))))\n"
        "    sys.exit(0)\n"
        "sys.exit('bad data passed validation')\n"
    )
    result = run_refs(["python", "-c", check], cwd=project, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip().splitlines()[-1] == "['churned', 'plan', 'tenure_months']"

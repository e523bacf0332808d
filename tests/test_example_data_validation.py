"""examples/data-validation: the pandera contract as a pipeline step and as a CI job (refs environment)."""

from __future__ import annotations

import json
import shlex
import shutil
from pathlib import Path

import pandas as pd
import yaml

from tests.refs_env import run_refs
from tests.workflow_checks import actionlint_problems, pin_problems

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "data-validation"
WORKFLOW = EXAMPLE / ".github" / "workflows" / "data-contract.yml"


def copy(tmp_path: Path) -> Path:
    project = tmp_path / "data-validation"
    shutil.copytree(EXAMPLE, project, ignore=shutil.ignore_patterns("__pycache__"))
    return project


def broken_extract(project: Path) -> Path:
    """The sample with four kinds of breakage an upstream change really produces."""
    frame = pd.read_csv(project / "data" / "sample.csv")
    frame.loc[3, "tenure_months"] = -4  # a sign bug
    frame.loc[5, "plan"] = "platinum"  # a new category nobody told the model about
    frame.loc[7, "customer_id"] = frame.loc[8, "customer_id"]  # a duplicated customer
    frame["churn_reason"] = "price"  # a column only known after the label: leakage
    path = project / "data" / "broken.csv"
    frame.to_csv(path, index=False)
    return path


def test_the_ci_job_runs_the_contract_on_the_sample_and_passes_actionlint(tmp_path):
    workflow = WORKFLOW.read_text()
    assert not actionlint_problems(workflow, tmp_path) + pin_problems(workflow)
    project = copy(tmp_path)
    # Run the job's own validation command (the install step is what built the refs environment).
    steps = yaml.safe_load(workflow)["jobs"]["validate"]["steps"]
    command = next(step["run"] for step in steps if "validate.py" in step.get("run", ""))
    args = shlex.split(command)
    assert args[0] == "python"
    result = run_refs(args, cwd=project, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads((project / "validation-report.json").read_text())
    assert report["valid"] is True and report["rows"] == 120
    assert report["columns"] == ["customer_id", "tenure_months", "monthly_charges", "plan", "churned"]


def test_a_broken_extract_fails_with_every_failure_listed(tmp_path):
    project = copy(tmp_path)
    bad = broken_extract(project)
    result = run_refs(["python", "validate.py", str(bad), "--report", "report.json"], cwd=project, timeout=300)
    assert result.returncode == 1, result.stderr[-3000:]
    report = json.loads((project / "report.json").read_text())
    assert report["valid"] is False and report["failure_count"] == 5
    assert report["failed_checks"] == [
        "ChurnTrainingData: column_in_schema",
        "customer_id: field_uniqueness",
        "plan: isin(['basic', 'standard', 'premium'])",
        "tenure_months: greater_than_or_equal_to(0)",
    ]
    by_check = {(f["column"], f["row"]): f["value"] for f in report["failures"]}
    assert by_check[("tenure_months", 3)] == "-4" and by_check[("plan", 5)] == "platinum"
    assert by_check[("ChurnTrainingData", None)] == "churn_reason"
    assert result.stderr.startswith("INVALID: 5 failure(s)")


def test_table_level_and_type_checks_catch_what_row_checks_cannot(tmp_path):
    project = copy(tmp_path)
    frame = pd.read_csv(project / "data" / "sample.csv")
    frame.assign(churned=0).to_csv(project / "no-churn.csv", index=False)  # a join that lost every churner
    frame.assign(tenure_months=frame["tenure_months"] * 1.0).to_parquet(project / "floats.parquet", index=False)
    check = (
        "import json, pandas as pd\nfrom validate import read_table, validate\n"
        "print(json.dumps([validate(read_table(__import__('pathlib').Path(p)))['failed_checks']"
        " for p in ('no-churn.csv', 'floats.parquet')]))\n"
    )
    result = run_refs(["python", "-c", check], cwd=project, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert json.loads(result.stdout) == [["ChurnTrainingData: churn_rate_is_plausible"],
                                         ["tenure_months: dtype('int64')"]]


def test_the_pipeline_trains_only_on_validated_data(tmp_path):
    project = copy(tmp_path)
    good = run_refs(["python", "pipeline.py", "data/sample.csv", str(tmp_path / "good")], cwd=project, timeout=300)
    assert good.returncode == 0, good.stderr[-3000:]
    outputs = json.loads(good.stdout.strip().splitlines()[-1])
    assert Path(outputs["model"]).is_file() and Path(outputs["validated"]).is_file()

    bad = run_refs(["python", "pipeline.py", str(broken_extract(project)), str(tmp_path / "bad")], cwd=project,
                   timeout=300)
    assert bad.returncode == 1 and "pipeline stopped" in bad.stderr
    assert not (tmp_path / "bad" / "model.skops").exists() and not (tmp_path / "bad" / "validated.parquet").exists()
    assert json.loads((tmp_path / "bad" / "validation-report.json").read_text())["failure_count"] == 5


def test_an_unreadable_file_is_exit_2_in_one_line(tmp_path):
    project = copy(tmp_path)
    result = run_refs(["python", "validate.py", "data/" + "m" * 200 + ".csv"], cwd=project, timeout=300)
    assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1
    assert "could not be read" in result.stderr and "m" * 81 not in result.stderr

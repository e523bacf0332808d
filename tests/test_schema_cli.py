"""`mlproof schema audit|drift|gate|lint|...`: a valid JSON Schema that the real JSON output of each command follows."""

from __future__ import annotations

import copy
import csv
import functools
import json
import random
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from mlproof.schema_cli import OUTPUTS

REPO = Path(__file__).resolve().parents[1]
CHURN = REPO / "evals" / "fixtures" / "churn-model"
MONITORING = REPO / "evals" / "fixtures" / "churn-monitoring"


def mlproof(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "mlproof", *args], capture_output=True, text=True, timeout=300, cwd=cwd)


@functools.cache
def schema_of(output: str) -> dict:
    result = mlproof("schema", output)
    assert result.returncode == 0, result.stderr
    schema = json.loads(result.stdout)
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    return schema


def csv_pair(folder: Path) -> tuple[Path, Path]:
    rng = random.Random(5)
    paths = []
    for name, shift in (("reference.csv", 0), ("current.csv", 3)):
        path = folder / name
        with path.open("w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["x", "plan"])
            writer.writerows([round(rng.gauss(shift, 1), 3), "ab"[i % 2]] for i in range(300))
        paths.append(path)
    return paths[0], paths[1]


@pytest.fixture(scope="module")
def outputs(tmp_path_factory) -> dict[str, dict]:
    folder = tmp_path_factory.mktemp("schema-outputs")
    reference, current = csv_pair(folder)
    (folder / "old.py").write_text("svc = bentoml.Service('x')\n")
    commands = {
        "audit": ["audit", str(CHURN), "--format", "json", "--quiet"],
        "drift": ["drift", str(reference), str(current), "--format", "json"],
        "gate": ["gate", "model promoted", "--repo", str(CHURN), "--format", "json"],
        "lint": ["lint", str(folder / "old.py"), "--format", "json"],
        "audit-summary": ["audit", str(CHURN), "--format", "summary", "--quiet"],
        "ab": ["ab", "--control", "1500/15000", "--treatment", "1680/15000", "--looks", "5", "--look", "3", "--format", "json"],
        "performance": ["performance", str(MONITORING / "predictions.jsonl"), str(MONITORING / "labels.csv"),
                        "--baseline", "0.84", "--format", "json"],
    }
    found = {}
    for name, args in commands.items():
        result = mlproof(*args, cwd=folder)
        assert result.returncode in (0, 1), f"{name}: {result.stderr}"
        found[name] = json.loads(result.stdout)
    return found


@pytest.mark.parametrize("output", sorted(OUTPUTS))  # a new output without a real run above fails here
def test_each_json_output_follows_its_schema(output, outputs):
    jsonschema.Draft202012Validator(schema_of(output)).validate(outputs[output])


def test_the_schemas_really_constrain_the_output(outputs):
    audit = copy.deepcopy(outputs["audit"])
    audit["checks"][0]["status"] = "maybe"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(schema_of("audit")).validate(audit)
    gate = copy.deepcopy(outputs["gate"])
    del gate["verdict"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(schema_of("gate")).validate(gate)


def test_an_unknown_schema_is_a_usage_error():
    result = mlproof("schema", "nosuch")
    assert result.returncode == 2 and "invalid choice" in result.stderr

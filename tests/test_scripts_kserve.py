"""scripts/kserve_canary.py writes a valid KServe canary InferenceService, resolving MLflow registry URIs."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.k8s_shapes import manifest_problems

REPO = Path(__file__).resolve().parents[1]
SCRIPT = REPO / "scripts" / "kserve_canary.py"


def load_script():
    spec = importlib.util.spec_from_file_location("kserve_canary", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


canary = load_script()


def generate(capsys, *argv):
    code = canary.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def registry(tmp_path_factory):
    """A real sqlite registry: one version stored in S3, one stored on a local disk."""
    from mlflow import MlflowClient

    root = tmp_path_factory.mktemp("kserve-registry")
    uri = f"sqlite:///{root / 'mlflow.db'}"
    client = MlflowClient(uri)
    client.create_registered_model("churn")
    client.create_model_version("churn", source="s3://ml-models/churn/v1")
    client.create_model_version("churn", source="s3://ml-models/churn/v2")
    client.create_model_version("churn", source=str(root / "local-model"))
    client.set_registered_model_alias("churn", "champion", "1")
    client.set_registered_model_alias("churn", "challenger", "2")
    client.set_registered_model_alias("churn", "laptop", "3")
    return uri


def test_storage_uri_manifest_is_a_canary_inference_service(capsys):
    code, out, err = generate(capsys, "--name", "churn", "--namespace", "ml-prod",
                              "--model-uri", "gs://bucket/churn/2", "--canary-percent", "20")
    assert code == 0, err
    docs = list(yaml.safe_load_all(out))
    assert len(docs) == 1
    manifest = docs[0]
    assert manifest["apiVersion"] == "serving.kserve.io/v1beta1"
    assert manifest["kind"] == "InferenceService"
    assert manifest["metadata"]["name"] == "churn" and manifest["metadata"]["namespace"] == "ml-prod"
    predictor = manifest["spec"]["predictor"]
    assert predictor["canaryTrafficPercent"] == 20
    assert predictor["model"]["storageUri"] == "gs://bucket/churn/2"
    # The default is an MLflow model folder, served by KServe's MLServer runtime over protocol v2.
    assert predictor["model"]["modelFormat"] == {"name": "mlflow"}
    assert predictor["model"]["runtime"] == "kserve-mlserver" and predictor["model"]["protocolVersion"] == "v2"
    assert manifest_problems(manifest) == []
    resources = predictor["model"]["resources"]
    assert resources["requests"] == resources["limits"] == {"cpu": "500m", "memory": "1Gi"}
    assert predictor["minReplicas"] == 1 and predictor["maxReplicas"] == 3


def test_registry_alias_resolves_to_the_version_storage(registry, capsys):
    code, out, err = generate(capsys, "--tracking-uri", registry, "--name", "churn",
                              "--model-uri", "models:/churn@challenger")
    assert code == 0, err
    model = yaml.safe_load(out)["spec"]["predictor"]["model"]
    assert model["storageUri"] == "s3://ml-models/churn/v2"
    assert model["modelFormat"] == {"name": "mlflow"} and model["protocolVersion"] == "v2"
    assert model["runtime"] == "kserve-mlserver"
    assert yaml.safe_load(out)["metadata"]["annotations"]["mlproof.dev/model-uri"] == "models:/churn@challenger"
    code, out, _ = generate(capsys, "--tracking-uri", registry, "--name", "churn", "--model-uri", "models:/churn/1")
    assert code == 0 and yaml.safe_load(out)["spec"]["predictor"]["model"]["storageUri"] == "s3://ml-models/churn/v1"


def test_output_file_and_no_namespace(tmp_path, capsys):
    target = tmp_path / "canary.yaml"
    code, out, _ = generate(capsys, "--name", "fraud-v2", "--model-uri", "s3://b/fraud", "--canary-percent", "0",
                            "--output", str(target))
    assert code == 0 and out == ""
    manifest = yaml.safe_load(target.read_text())
    assert "namespace" not in manifest["metadata"]
    assert manifest["spec"]["predictor"]["canaryTrafficPercent"] == 0


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--name", "Churn_Model", "--model-uri", "s3://b/m"], "is not a lowercase DNS label"),
        (["--name", "churn", "--model-uri", "s3://b/m", "--canary-percent", "101"], "between 0 and 100"),
        (["--name", "churn", "--model-uri", "/home/me/model"], "is not reachable from a cluster"),
        (["--name", "churn", "--model-uri", "s3://b/m", "--cpu", "lots"], "is not a Kubernetes quantity"),
        (["--name", "churn", "--model-uri", "s3://b/m", "--min-replicas", "4"], "replicas must satisfy"),
        (["--name", "churn", "--model-uri", "models:/churn/latest/extra"], "is not of the form"),
        (["--name", "churn", "--model-uri", "models:/churn@champion", "--model-format", "sklearn"], "cannot load; use mlflow"),
        (["--name", "churn", "--model-uri", "s3://b/m", "--protocol-version", "v1"], "speaks only protocol v2"),
    ],
)
def test_bad_input_exit_2_one_sentence(capsys, argv, message):
    code, out, err = generate(capsys, *argv)
    assert code == 2 and out == ""
    assert message in err and len(err.strip().splitlines()) == 1


def test_registry_errors_are_one_sentence(registry, capsys, tmp_path):
    code, _, err = generate(capsys, "--tracking-uri", registry, "--name", "churn", "--model-uri", "models:/churn@nope")
    assert code == 2 and "could not be resolved" in err
    # A version stored on someone's disk cannot be pulled by the cluster.
    code, _, err = generate(capsys, "--tracking-uri", registry, "--name", "churn", "--model-uri", "models:/churn@laptop")
    assert code == 2 and "not reachable from a cluster" in err
    # Nothing written when the input is bad.
    target = tmp_path / "never.yaml"
    code, _, _ = generate(capsys, "--name", "BAD", "--model-uri", "s3://b/m", "--output", str(target))
    assert code == 2 and not target.exists()


def test_command_line_output_parses(tmp_path):
    result = subprocess.run([sys.executable, str(SCRIPT), "--name", "churn", "--model-uri", "s3://b/churn/3"],
                            capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert yaml.safe_load(result.stdout)["spec"]["predictor"]["canaryTrafficPercent"] == 10


def test_a_bare_sklearn_file_can_still_be_served_with_the_sklearn_format(capsys):
    code, out, err = generate(capsys, "--name", "iris", "--model-uri", "gs://bucket/iris/model.joblib-dir",
                              "--model-format", "sklearn")
    assert code == 0, err
    manifest = yaml.safe_load(out)
    model = manifest["spec"]["predictor"]["model"]
    assert model["modelFormat"] == {"name": "sklearn"} and "runtime" not in model and "protocolVersion" not in model
    assert manifest_problems(manifest) == []


def test_the_shape_checker_rejects_what_kserve_could_not_serve():
    manifest = {"apiVersion": "serving.kserve.io/v1beta1", "kind": "InferenceService", "metadata": {"name": "churn"},
                "spec": {"predictor": {"model": {"modelFormat": {"name": "mlflow"}, "storageUri": "s3://b/m"}}}}
    assert any("needs protocolVersion v2" in p for p in manifest_problems(manifest))
    manifest["spec"]["predictor"]["canaryTrafficPercentage"] = 10  # misspelt field
    assert any("canaryTrafficPercentage" in p for p in manifest_problems(manifest))

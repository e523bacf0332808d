"""Structural checks for the Kubernetes manifests the pack writes or shows (no cluster needed).

Each kind lists the fields it may have and the rules its values follow, taken from the resources'
documented specs (KServe v1beta1 InferenceService, Seldon Core 2 Model/Experiment, core Deployment and
Job). Unknown fields are reported, so a misspelt key or a field from another API version fails instead of
being silently ignored by `kubectl apply`. Not a replacement for the CRD's OpenAPI schema in a cluster.
"""

from __future__ import annotations

import re

DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
QUANTITY = re.compile(r"^[0-9]+(\.[0-9]+)?(m|Ki|Mi|Gi|Ti|k|M|G|T)?$")
STORAGE_SCHEMES = ("s3://", "gs://", "https://", "http://", "pvc://", "oci://", "hf://", "wasbs://", "abfss://")
KSERVE_FORMATS = {"sklearn", "xgboost", "lightgbm", "mlflow", "tensorflow", "pytorch", "triton", "onnx",
                  "huggingface", "pmml", "paddle"}
PREDICTOR_FIELDS = {"model", "containers", "minReplicas", "maxReplicas", "canaryTrafficPercent", "scaleTarget",
                    "scaleMetric", "serviceAccountName", "nodeSelector", "tolerations", "affinity", "timeout",
                    "containerConcurrency", "logger", "batcher", "annotations", "labels"}
MODEL_FIELDS = {"modelFormat", "storageUri", "protocolVersion", "runtime", "resources", "env", "args", "ports",
                "runtimeVersion", "name", "image"}


def manifest_problems(doc: dict) -> list[str]:
    """Problems with one manifest; an empty list when it is well formed."""
    problems = []
    for field in ("apiVersion", "kind", "metadata", "spec"):
        if field not in doc:
            problems.append(f"missing top-level field '{field}'")
    name = (doc.get("metadata") or {}).get("name", "")
    if not DNS_LABEL.match(str(name)):
        problems.append(f"metadata.name '{name}' is not a lowercase DNS label")
    check = CHECKS.get((doc.get("apiVersion"), doc.get("kind")))
    if check is None:
        problems.append(f"no shape known for {doc.get('apiVersion')} {doc.get('kind')} (wrong apiVersion?)")
        return problems
    return problems + check(doc.get("spec") or {})


def resources_problems(resources: dict, where: str) -> list[str]:
    problems = []
    for part in set(resources) - {"requests", "limits"}:
        problems.append(f"{where}.resources.{part} is not requests/limits")
    for part in ("requests", "limits"):
        for key, value in (resources.get(part) or {}).items():
            if key == "nvidia.com/gpu" or key.endswith("/gpu"):
                if not (isinstance(value, int) or str(value).isdigit()):
                    problems.append(f"{where}.resources.{part}.{key} must be a whole number of GPUs")
            elif not QUANTITY.match(str(value)):
                problems.append(f"{where}.resources.{part}.{key} '{value}' is not a quantity")
    gpu_requests = (resources.get("requests") or {}).get("nvidia.com/gpu")
    gpu_limits = (resources.get("limits") or {}).get("nvidia.com/gpu")
    if gpu_requests is not None and gpu_limits is None:
        problems.append(f"{where}: GPUs must be set in limits (requests alone are not honoured)")
    return problems


def inference_service(spec: dict) -> list[str]:
    predictor = spec.get("predictor")
    if not isinstance(predictor, dict):
        return ["spec.predictor is required"]
    problems = [f"spec.predictor.{key} is not an InferenceService predictor field" for key in set(predictor) - PREDICTOR_FIELDS]
    percent = predictor.get("canaryTrafficPercent")
    if percent is not None and not (isinstance(percent, int) and 0 <= percent <= 100):
        problems.append("spec.predictor.canaryTrafficPercent must be an integer 0-100")
    model = predictor.get("model")
    if model is None:
        return problems if predictor.get("containers") else problems + ["spec.predictor needs model or containers"]
    problems += [f"spec.predictor.model.{key} is not a model field" for key in set(model) - MODEL_FIELDS]
    model_format = (model.get("modelFormat") or {}).get("name")
    if model_format not in KSERVE_FORMATS:
        problems.append(f"modelFormat.name '{model_format}' is not a KServe model format")
    uri = str(model.get("storageUri", ""))
    if not uri.startswith(STORAGE_SCHEMES):
        problems.append(f"storageUri '{uri}' is not a URI a cluster can pull from")
    protocol = model.get("protocolVersion")
    if protocol not in (None, "v1", "v2", "grpc-v2"):
        problems.append(f"protocolVersion '{protocol}' is not v1, v2 or grpc-v2")
    if model_format == "mlflow" and protocol not in ("v2", "grpc-v2"):
        # The MLflow format is served by MLServer, which speaks only the Open Inference (v2) protocol.
        problems.append("modelFormat mlflow needs protocolVersion v2 (MLServer serves it)")
    problems += resources_problems(model.get("resources") or {}, "spec.predictor.model")
    return problems


def seldon_model(spec: dict) -> list[str]:
    problems = [f"spec.{key} is not a Seldon Model field" for key in
                set(spec) - {"storageUri", "requirements", "replicas", "memory", "server", "minReplicas", "maxReplicas"}]
    if not str(spec.get("storageUri", "")).startswith(STORAGE_SCHEMES):
        problems.append("spec.storageUri must be a URI a cluster can pull from")
    if not isinstance(spec.get("requirements", []), list):
        problems.append("spec.requirements must be a list of capabilities")
    return problems


def seldon_experiment(spec: dict) -> list[str]:
    problems = [f"spec.{key} is not a Seldon Experiment field" for key in
                set(spec) - {"default", "candidates", "mirror", "resourceType"}]
    candidates = spec.get("candidates") or []
    names = [c.get("name") for c in candidates]
    if not candidates:
        problems.append("spec.candidates is required")
    for candidate in candidates:
        if not isinstance(candidate.get("weight"), int) or candidate["weight"] < 0:
            problems.append(f"candidate {candidate.get('name')}: weight must be a non-negative integer")
    if spec.get("default") is not None and spec["default"] not in names:
        problems.append(f"default '{spec['default']}' is not one of the candidates {names}")
    mirror = spec.get("mirror")
    if mirror is not None:
        if not mirror.get("name") or not (isinstance(mirror.get("percent"), int) and 0 <= mirror["percent"] <= 100):
            problems.append("mirror needs a name and an integer percent 0-100")
        if mirror.get("name") in names:
            problems.append("the mirrored model must not also be a candidate")
    return problems


def pod_spec(pod: dict, where: str) -> list[str]:
    problems = []
    containers = pod.get("containers") or []
    if not containers:
        problems.append(f"{where}.containers is required")
    for container in containers:
        if not container.get("name") or not container.get("image"):
            problems.append(f"{where}: every container needs a name and an image")
        problems += resources_problems(container.get("resources") or {}, f"{where}.containers[{container.get('name')}]")
    return problems


def deployment(spec: dict) -> list[str]:
    template = spec.get("template") or {}
    problems = pod_spec(template.get("spec") or {}, "spec.template.spec")
    labels = (template.get("metadata") or {}).get("labels") or {}
    selector = (spec.get("selector") or {}).get("matchLabels") or {}
    if not selector or any(labels.get(k) != v for k, v in selector.items()):
        problems.append("spec.selector.matchLabels must match spec.template.metadata.labels")
    return problems


def job(spec: dict) -> list[str]:
    template = spec.get("template") or {}
    problems = pod_spec(template.get("spec") or {}, "spec.template.spec")
    if (template.get("spec") or {}).get("restartPolicy") not in ("Never", "OnFailure"):
        problems.append("a Job's restartPolicy must be Never or OnFailure")
    return problems


CHECKS = {
    ("serving.kserve.io/v1beta1", "InferenceService"): inference_service,
    ("mlops.seldon.io/v1alpha1", "Model"): seldon_model,
    ("mlops.seldon.io/v1alpha1", "Experiment"): seldon_experiment,
    ("apps/v1", "Deployment"): deployment,
    ("batch/v1", "Job"): job,
}

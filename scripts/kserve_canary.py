#!/usr/bin/env python3
"""Generate a KServe InferenceService manifest that canaries a new model version.

KServe keeps the last fully rolled-out revision and sends `canaryTrafficPercent`
of the traffic to the revision created by this manifest (serverless/Knative mode).
Promote by re-applying with --canary-percent 100 (or removing the field); roll back
by re-applying with 0, which pins all traffic to the previous revision.

The storage URI comes from --model-uri:
  * a storage URI (s3://, gs://, https://, pvc://, oci://, hf://, azure blob) is used as is;
  * an MLflow registry URI (models:/name/3 or models:/name@champion) is resolved to the
    version's artifact location through the MLflow client (read-only).
A local path cannot be pulled by a cluster and is refused.

The model format defaults to `mlflow`: a registered version's artifact folder is an MLflow model
(MLmodel + model.skops/model.pkl + requirements), which KServe serves with its MLServer runtime
(`kserve-mlserver`) over the Open Inference Protocol (protocolVersion v2). The `sklearn` format
expects a bare model.joblib/model.pkl at the storage URI and cannot load an MLflow folder, so it is
refused for models:/ URIs; pass --model-format only for storage URIs that hold such a bare file.

Example:
    python scripts/kserve_canary.py --name churn --namespace ml-prod \
        --model-uri 'models:/churn@challenger' --canary-percent 10 > churn-canary.yaml
    kubectl apply -f churn-canary.yaml

Exit codes: 0 manifest written, 2 bad input (one sentence on stderr).
"""

from __future__ import annotations

import argparse
import os
import re
import sys

import yaml

API_VERSION = "serving.kserve.io/v1beta1"
# Schemes a KServe storage initializer can fetch from.
CLUSTER_STORAGE_SCHEMES = ("s3://", "gs://", "https://", "http://", "pvc://", "oci://", "hf://", "wasbs://", "abfss://")
# A Kubernetes DNS-1123 label; KServe also wants it to start with a letter.
NAME_PATTERN = re.compile(r"^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$")
QUANTITY_PATTERN = re.compile(r"^[0-9]+(\.[0-9]+)?(m|Ki|Mi|Gi|Ti|k|M|G|T)?$")


class ManifestInputError(Exception):
    """Bad input: reported as one sentence with exit code 2."""


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--name", required=True, help="InferenceService name (DNS label, e.g. churn)")
    parser.add_argument("--namespace", default=None, help="Kubernetes namespace (omit to use kubectl's)")
    parser.add_argument("--model-uri", required=True,
                        help="storage URI (s3://..., gs://...) or MLflow registry URI (models:/name@alias)")
    parser.add_argument("--canary-percent", type=int, default=10,
                        help="share of traffic for the new revision, 0-100 (default: 10)")
    parser.add_argument("--model-format", default="mlflow",
                        help="KServe modelFormat name (default: mlflow, served by the kserve-mlserver runtime)")
    parser.add_argument("--runtime", default=None,
                        help="KServe serving runtime (default: kserve-mlserver for mlflow, else KServe's choice)")
    parser.add_argument("--protocol-version", default=None,
                        help="inference protocol, v1 or v2 (default: v2 for mlflow, else unset)")
    parser.add_argument("--cpu", default="500m", help="CPU request and limit (default: 500m)")
    parser.add_argument("--memory", default="1Gi", help="memory request and limit (default: 1Gi)")
    parser.add_argument("--min-replicas", type=int, default=1, help="minimum replicas (default: 1; 0 = scale to zero)")
    parser.add_argument("--max-replicas", type=int, default=3, help="maximum replicas (default: 3)")
    parser.add_argument("--tracking-uri", default=None, help="MLflow tracking URI for models:/ (default: MLFLOW_TRACKING_URI)")
    parser.add_argument("--output", "-o", default=None, help="write the manifest to this file instead of stdout")
    return parser.parse_args(argv)


def validate(args: argparse.Namespace) -> None:
    if not NAME_PATTERN.match(args.name):
        raise ManifestInputError(f"name '{args.name}' is not a lowercase DNS label starting with a letter (a-z, 0-9, '-').")
    if args.namespace is not None and not NAME_PATTERN.match(args.namespace):
        raise ManifestInputError(f"namespace '{args.namespace}' is not a lowercase DNS label.")
    if not 0 <= args.canary_percent <= 100:
        raise ManifestInputError(f"--canary-percent must be between 0 and 100, got {args.canary_percent}.")
    for label, value in (("--cpu", args.cpu), ("--memory", args.memory)):
        if not QUANTITY_PATTERN.match(value):
            raise ManifestInputError(f"{label} '{value}' is not a Kubernetes quantity such as 500m or 1Gi.")
    if args.min_replicas < 0 or args.max_replicas < 1 or args.min_replicas > args.max_replicas:
        raise ManifestInputError("replicas must satisfy 0 <= --min-replicas <= --max-replicas and --max-replicas >= 1.")
    if args.protocol_version not in (None, "v1", "v2"):
        raise ManifestInputError(f"--protocol-version must be v1 or v2, got '{args.protocol_version}'.")
    if not NAME_PATTERN.match(args.model_format):
        raise ManifestInputError(f"--model-format '{args.model_format}' is not a KServe format name such as mlflow or sklearn.")
    if args.model_format == "mlflow" and args.protocol_version == "v1":
        raise ManifestInputError("the mlflow format is served by MLServer, which speaks only protocol v2.")
    if args.model_uri.startswith("models:/") and args.model_format != "mlflow":
        raise ManifestInputError(
            f"a models:/ URI resolves to an MLflow model folder, which --model-format {args.model_format} cannot load; use mlflow."
        )


def resolve_storage_uri(model_uri: str, tracking_uri: str | None) -> str:
    """A storage URI the cluster can pull from."""
    if model_uri.startswith("models:/"):
        model_uri = resolve_registry_uri(model_uri, tracking_uri)
    if not model_uri.startswith(CLUSTER_STORAGE_SCHEMES):
        raise ManifestInputError(
            f"'{model_uri}' is not reachable from a cluster; use an object-store URI (s3://, gs://, https://, pvc://, oci://)."
        )
    return model_uri


def resolve_registry_uri(model_uri: str, tracking_uri: str | None) -> str:
    """models:/name/version or models:/name@alias -> the version's artifact location."""
    match = re.fullmatch(r"models:/([^/@]+)(?:/(\d+)|@([A-Za-z0-9_\-]+))", model_uri)
    if not match:
        raise ManifestInputError(f"'{model_uri}' is not of the form models:/name/<version> or models:/name@<alias>.")
    name, version, alias = match.groups()
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")  # fail fast on an unreachable server
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    client = MlflowClient(tracking_uri=tracking_uri)
    try:
        if alias:
            version = client.get_model_version_by_alias(name, alias).version
        return client.get_model_version_download_uri(name, str(version))
    except MlflowException as exc:
        raise ManifestInputError(f"'{model_uri}' could not be resolved in the MLflow registry ({exc.error_code}).") from None


def build_manifest(args: argparse.Namespace, storage_uri: str) -> dict:
    """The InferenceService as plain data (yaml.safe_dump turns it into the manifest)."""
    model_format = args.model_format
    protocol = args.protocol_version or ("v2" if model_format == "mlflow" else None)
    runtime = args.runtime or ("kserve-mlserver" if model_format == "mlflow" else None)
    model = {"modelFormat": {"name": model_format}, "storageUri": storage_uri}
    if runtime:
        model["runtime"] = runtime
    if protocol:
        model["protocolVersion"] = protocol
    model["resources"] = {
        "requests": {"cpu": args.cpu, "memory": args.memory},
        "limits": {"cpu": args.cpu, "memory": args.memory},
    }
    metadata = {
        "name": args.name,
        "labels": {"app.kubernetes.io/managed-by": "mlproof"},
        "annotations": {"mlproof.dev/model-uri": args.model_uri},
    }
    if args.namespace:
        metadata["namespace"] = args.namespace
    predictor = {
        "canaryTrafficPercent": args.canary_percent,
        "minReplicas": args.min_replicas,
        "maxReplicas": args.max_replicas,
        "model": model,
    }
    return {"apiVersion": API_VERSION, "kind": "InferenceService", "metadata": metadata, "spec": {"predictor": predictor}}


def main(argv: list[str] | None = None) -> int:
    try:
        args = parse_args(argv)
        validate(args)
        manifest = build_manifest(args, resolve_storage_uri(args.model_uri, args.tracking_uri))
        text = yaml.safe_dump(manifest, sort_keys=False)
        if args.output:
            try:
                with open(args.output, "w", encoding="utf-8") as handle:
                    handle.write(text)
            except OSError as exc:
                raise ManifestInputError(f"cannot write '{args.output}' ({exc.strerror}).") from None
        else:
            sys.stdout.write(text)
    except ManifestInputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Champion/challenger validation gate over the MLflow model registry, for CI.

Compares a challenger model version (by alias or version number) with the
version the champion alias points to, on one metric of their training runs.
The challenger passes when it beats the champion by at least --min-improvement
(absolute, in the metric's direction). Prints a JSON verdict with its evidence
(versions, run ids, metric values, threshold) on stdout.

Exit codes: 0 passed, 1 blocked (challenger not good enough), 2 bad input.
Read-only unless --promote is given, which moves the champion alias to the
challenger after a pass (and records the previous champion as a tag, so an
alias flip back is a one-liner).

Example (in a CI job, after training registered version 7 under alias "challenger"):
    python scripts/champion_challenger_gate.py --model churn --metric roc_auc \
        --challenger challenger --min-improvement 0.005 --promote

Standalone on purpose: it needs only `mlflow`, so it can be copied into any pipeline.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from dataclasses import asdict, dataclass


class GateInputError(Exception):
    """Bad input: reported as one sentence with exit code 2."""


@dataclass
class Candidate:
    role: str  # "champion" or "challenger"
    version: str
    run_id: str | None
    aliases: list[str]
    metric: float


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, help="registered model name")
    parser.add_argument("--metric", required=True, help="run metric to compare, e.g. roc_auc or rmse")
    parser.add_argument("--challenger", required=True,
                        help="challenger alias (e.g. challenger) or version number (e.g. 7)")
    parser.add_argument("--champion-alias", default="champion", help="alias of the current champion (default: champion)")
    parser.add_argument("--min-improvement", type=float, default=0.0,
                        help="absolute margin the challenger must beat the champion by (default: 0.0)")
    direction = parser.add_mutually_exclusive_group()
    direction.add_argument("--higher-is-better", dest="higher_is_better", action="store_true", default=True,
                           help="larger metric values are better (default; AUC, accuracy, F1)")
    direction.add_argument("--lower-is-better", dest="higher_is_better", action="store_false",
                           help="smaller metric values are better (RMSE, log loss, latency)")
    parser.add_argument("--allow-missing-champion", action="store_true",
                        help="pass when no champion exists yet (first deployment); otherwise that blocks")
    parser.add_argument("--promote", action="store_true",
                        help="after a pass, point the champion alias at the challenger (a registry write)")
    parser.add_argument("--tracking-uri", default=None,
                        help="MLflow tracking URI (default: MLFLOW_TRACKING_URI)")
    args = parser.parse_args(argv)
    if not math.isfinite(args.min_improvement) or args.min_improvement < 0:
        raise GateInputError("--min-improvement must be a finite number >= 0.")
    return args


def resolve_version(client, model: str, ref: str):
    """A ModelVersion from a version number or an alias; GateInputError if it does not exist."""
    from mlflow.exceptions import MlflowException

    try:
        if ref.isdigit():
            return client.get_model_version(model, ref)
        return client.get_model_version_by_alias(model, ref)
    except MlflowException as exc:
        kind = "version" if ref.isdigit() else "alias"
        raise GateInputError(f"model '{model}' has no {kind} '{ref}' ({exc.error_code}).") from None


def metric_of(client, version, metric: str) -> float:
    """The metric logged on the run that produced this version."""
    if not version.run_id:
        raise GateInputError(f"version {version.version} of '{version.name}' has no source run to read '{metric}' from.")
    run = client.get_run(version.run_id)
    if metric not in run.data.metrics:
        known = ", ".join(sorted(run.data.metrics)) or "none"
        raise GateInputError(
            f"run {version.run_id} (version {version.version}) has no metric '{metric}' (it has: {known})."
        )
    value = float(run.data.metrics[metric])
    if not math.isfinite(value):
        raise GateInputError(f"run {version.run_id} (version {version.version}) logged '{metric}' as {value}, not a number.")
    return value


def candidate(client, role: str, version, metric: str) -> Candidate:
    return Candidate(role=role, version=str(version.version), run_id=version.run_id,
                     aliases=list(getattr(version, "aliases", []) or []), metric=metric_of(client, version, metric))


def decide(champion: Candidate | None, challenger: Candidate, args: argparse.Namespace) -> tuple[bool, str]:
    """(passed, reason) — the whole policy, kept apart from the I/O."""
    if champion is None:
        if args.allow_missing_champion:
            return True, f"no '{args.champion_alias}' alias yet; --allow-missing-champion lets the first version through"
        return False, f"no '{args.champion_alias}' alias exists, so there is nothing to compare against"
    if champion.version == challenger.version:
        return False, f"the challenger is already the champion (version {challenger.version})"
    # Improvement measured in the metric's good direction.
    delta = challenger.metric - champion.metric if args.higher_is_better else champion.metric - challenger.metric
    op = ">" if args.higher_is_better else "<"
    if delta > 0 and delta >= args.min_improvement:
        return True, (f"{args.metric}: challenger {challenger.metric:.6g} {op} champion {champion.metric:.6g}, "
                      f"improvement {delta:.6g} >= required {args.min_improvement:.6g}")
    return False, (f"{args.metric}: challenger {challenger.metric:.6g} vs champion {champion.metric:.6g}, "
                   f"improvement {delta:.6g} < required {args.min_improvement:.6g}"
                   + ("" if delta > 0 else " (a strict improvement is required)"))


def promote(client, args: argparse.Namespace, champion: Candidate | None, challenger: Candidate) -> dict:
    """Flip the champion alias; remember the previous champion for a one-step rollback."""
    if champion is not None:
        client.set_model_version_tag(args.model, challenger.version, "previous_champion_version", champion.version)
    client.set_registered_model_alias(args.model, args.champion_alias, challenger.version)
    return {"alias": args.champion_alias, "now_points_to": challenger.version,
            "previous": champion.version if champion else None,
            "rollback": (f"MlflowClient().set_registered_model_alias('{args.model}', '{args.champion_alias}', "
                         f"'{champion.version}')") if champion else None}


def run_gate(args: argparse.Namespace) -> tuple[int, dict]:
    # Fail fast on an unreachable server instead of MLflow's minutes of retries (env still wins).
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_TIMEOUT", "10")
    import mlflow
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    if args.tracking_uri:
        mlflow.set_tracking_uri(args.tracking_uri)
    client = MlflowClient()
    try:
        client.get_registered_model(args.model)
    except MlflowException as exc:
        raise GateInputError(f"registered model '{args.model}' was not found in {mlflow.get_tracking_uri()} "
                             f"({exc.error_code}).") from None

    challenger = candidate(client, "challenger", resolve_version(client, args.model, args.challenger), args.metric)
    try:
        champion_version = client.get_model_version_by_alias(args.model, args.champion_alias)
    except MlflowException:
        champion_version = None  # no champion yet: decide() applies the policy
    champion = candidate(client, "champion", champion_version, args.metric) if champion_version else None

    passed, reason = decide(champion, challenger, args)
    verdict = {
        "verdict": "PASS" if passed else "BLOCKED",
        "reason": reason,
        "model": args.model,
        "metric": args.metric,
        "direction": "higher_is_better" if args.higher_is_better else "lower_is_better",
        "min_improvement": args.min_improvement,
        "champion": asdict(champion) if champion else None,
        "challenger": asdict(challenger),
        "tracking_uri": mlflow.get_tracking_uri(),
        "promotion": None,
    }
    if passed and args.promote:
        verdict["promotion"] = promote(client, args, champion, challenger)
    return (0 if passed else 1), verdict


def main(argv: list[str] | None = None) -> int:
    try:
        args = parse_args(argv)
        code, verdict = run_gate(args)
    except GateInputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # unreachable store, corrupt DB: one sentence, no traceback
        first_line = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        print(f"error: the MLflow store could not be read ({type(exc).__name__}: {first_line[:200]}).", file=sys.stderr)
        return 2
    print(json.dumps(verdict, indent=2))
    print(f"{verdict['verdict']}: {verdict['reason']}", file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main())

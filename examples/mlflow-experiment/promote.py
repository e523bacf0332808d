"""Move @champion to the @challenger version, recording the old champion so a rollback is one command.

    python promote.py --model-name churn          # champion <- challenger; previous <- old champion
    python promote.py --model-name churn --rollback   # champion <- previous

Prints one JSON line with the versions before and after. Exit 2 when an alias it needs is missing.
"""

from __future__ import annotations

import argparse
import json
import sys

from mlflow import MlflowClient
from mlflow.exceptions import MlflowException


def version_of(client: MlflowClient, name: str, alias: str) -> str | None:
    try:
        return str(client.get_model_version_by_alias(name, alias).version)
    except MlflowException:
        return None


def promote(name: str) -> dict:
    client = MlflowClient()
    challenger, champion = version_of(client, name, "challenger"), version_of(client, name, "champion")
    if challenger is None:
        raise LookupError(f"model '{name}' has no @challenger to promote.")
    if champion is not None:
        client.set_registered_model_alias(name, "previous", champion)
    client.set_registered_model_alias(name, "champion", challenger)
    return {"model": name, "champion_before": champion, "champion_after": challenger}


def rollback(name: str) -> dict:
    client = MlflowClient()
    previous, champion = version_of(client, name, "previous"), version_of(client, name, "champion")
    if previous is None:
        raise LookupError(f"model '{name}' has no @previous version to roll back to.")
    client.set_registered_model_alias(name, "champion", previous)
    if champion is not None:
        client.set_registered_model_alias(name, "previous", champion)  # a second rollback undoes the first
    return {"model": name, "champion_before": champion, "champion_after": previous}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model-name", default="churn")
    parser.add_argument("--rollback", action="store_true", help="point @champion back at @previous")
    args = parser.parse_args()
    try:
        print(json.dumps(rollback(args.model_name) if args.rollback else promote(args.model_name)))
    except LookupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)

"""Synthetic prediction logs and late labels with a known concept drift (for tests and the eval fixture).

A churn model scores customers for 28 days from 2025-03-01. Until `drift_day`
its probabilities are calibrated; from then on the true churn mechanism changes
(price sensitivity flips, tenure stops protecting), so the same model ranks
worse. Labels arrive after a log-normal delay (median about 3 days) and are
known only up to `as_of`; a share never arrives.
"""

from __future__ import annotations

import csv
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np

START = datetime(2025, 3, 1, tzinfo=timezone.utc)
PLANS = ("basic", "standard", "premium")


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def generate(days: int = 28, per_day: int = 400, drift_day: int | None = 15, seed: int = 7,
             missing_share: float = 0.08, as_of_day: int | None = 28):
    """(prediction records, label records) as lists of dicts in the prediction-log and label schemas."""
    rng = np.random.default_rng(seed)
    predictions, labels = [], []
    as_of = START + timedelta(days=as_of_day) if as_of_day is not None else None
    for day in range(days):
        n = per_day
        tenure = rng.integers(1, 73, n)
        charges = np.round(rng.normal(65, 20, n).clip(15, 150), 2)
        plan = rng.choice(PLANS, n, p=[0.5, 0.3, 0.2])
        plan_effect = np.select([plan == "basic", plan == "standard"], [0.4, 0.0], -0.5)
        model_logit = -1.2 - 0.06 * (tenure - 24) + 0.035 * (charges - 65) + plan_effect
        drifted = drift_day is not None and day >= drift_day
        # After the drift: price no longer drives churn and tenure protects less.
        true_logit = (-1.2 - 0.025 * (tenure - 24) + 0.0 * charges + plan_effect) if drifted else model_logit
        probability = 1 / (1 + np.exp(-model_logit))
        churned = rng.random(n) < 1 / (1 + np.exp(-true_logit))
        seconds = np.sort(rng.integers(0, 86400, n))
        delay_hours = rng.lognormal(np.log(72), 0.6, n)
        never = rng.random(n) < missing_share
        for i in range(n):
            moment = START + timedelta(days=day, seconds=int(seconds[i]))
            request_id = f"req-{day:02d}-{i:04d}"
            predictions.append({
                "request_id": request_id, "timestamp": _iso(moment), "model_name": "churn-classifier",
                "model_version": "3", "features": {"tenure_months": int(tenure[i]), "monthly_charges": float(charges[i]),
                                                   "plan": str(plan[i])},
                "prediction": int(probability[i] >= 0.5), "probability": round(float(probability[i]), 6),
                "latency_ms": round(float(rng.gamma(4.0, 3.0)), 2), "segment": str(plan[i]),
            })
            labelled_at = moment + timedelta(hours=float(delay_hours[i]))
            if never[i] or (as_of is not None and labelled_at > as_of):
                continue
            labels.append({"request_id": request_id, "label": int(churned[i]), "labelled_at": _iso(labelled_at)})
    return predictions, labels


def write_jsonl(path: Path, records: list[dict]) -> Path:
    with open(path, "w", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(record, separators=(",", ":")) + "\n")
    return path


def write_csv(path: Path, records: list[dict]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(records[0]))
        writer.writeheader()
        for record in records:
            writer.writerow({k: json.dumps(v) if isinstance(v, dict) else v for k, v in record.items()})
    return path


def write_fixture(folder: Path) -> tuple[Path, Path]:
    """The files of evals/fixtures/churn-monitoring (regenerate with `python -m tests.performance_data DIR`)."""
    predictions, labels = generate(per_day=200)
    folder.mkdir(parents=True, exist_ok=True)
    return write_jsonl(folder / "predictions.jsonl", predictions), write_csv(folder / "labels.csv", labels)


if __name__ == "__main__":
    import sys

    for written in write_fixture(Path(sys.argv[1])):
        print(written)

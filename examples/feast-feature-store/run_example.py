"""The whole Feast loop on this machine: generate data, apply, materialise, train-time and serve-time reads.

    python run_example.py            # run from this folder; prints one JSON line of results

1. `generate_data.py` writes the Parquet offline source;
2. `feast apply` registers the definitions (registry and SQLite online store under feature_repo/data/);
3. `feast materialize` loads the latest values into the online store;
4. a point-in-time historical join builds a training set (each label sees features as of its time);
5. an online read serves the same features by entity key.
"""

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
from feast import FeatureStore

HERE = Path(__file__).resolve().parent
REPO = HERE / "feature_repo"
FEAST = str(Path(sys.executable).with_name("feast"))


def feast(*args: str) -> None:
    result = subprocess.run([FEAST, *args], cwd=REPO, capture_output=True, text=True, timeout=300)
    if result.returncode != 0:
        raise SystemExit(f"feast {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")


def main() -> dict:
    subprocess.run([sys.executable, str(HERE / "generate_data.py"), str(REPO / "data" / "customer_activity.parquet")],
                   check=True, capture_output=True, timeout=120)
    feast("apply")
    feast("materialize", "2026-03-01T00:00:00", "2026-03-08T00:00:00")

    store = FeatureStore(repo_path=str(REPO))
    labels = pd.DataFrame({
        "customer_id": [1001, 1002, 1003],
        # The moment each prediction would have been made: features must come from before it.
        "event_timestamp": pd.to_datetime(["2026-03-03 12:00", "2026-03-05 05:00", "2026-03-20 00:00"], utc=True),
        "churned": [0, 1, 0],
    })
    training = store.get_historical_features(
        entity_df=labels, features=store.get_feature_service("churn_model_v1")).to_df()
    training = training.sort_values("customer_id").reset_index(drop=True)

    online = store.get_online_features(
        features=["customer_activity:sessions_7d", "customer_activity:avg_order_value_30d"],
        entity_rows=[{"customer_id": 1001}, {"customer_id": 1002}],
    ).to_dict()
    return {
        "feature_views": [view.name for view in store.list_feature_views()],
        "label_rows": len(labels),
        "training_customer_id": [int(v) for v in training["customer_id"]],
        "training_sessions_7d": [None if pd.isna(v) else int(v) for v in training["sessions_7d"]],
        "training_columns": sorted(training.columns),
        "online_sessions_7d": online["sessions_7d"],
        "online_customer_id": online["customer_id"],
    }


if __name__ == "__main__":
    print(json.dumps(main()))

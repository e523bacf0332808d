"""Write the offline source: daily activity snapshots per customer, as Parquet, into the feature repo.

    python generate_data.py feature_repo/data/customer_activity.parquet
"""

import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pandas as pd

FIRST_DAY = datetime(2026, 3, 1, 6, tzinfo=timezone.utc)
CUSTOMERS = range(1001, 1011)
DAYS = 7


def activity(seed: int = 11) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for day in range(DAYS):
        stamp = FIRST_DAY + timedelta(days=day)
        for customer_id in CUSTOMERS:
            rows.append({
                "customer_id": customer_id,
                "event_timestamp": stamp,
                "created": stamp + timedelta(minutes=5),
                # Deterministic and different per day, so a wrong join is visible in the values.
                "sessions_7d": (customer_id - 1000) * 10 + day,
                "avg_order_value_30d": np.float32(round(rng.normal(60, 15), 2)),
                "support_tickets_30d": int(rng.poisson(1)),
            })
    return pd.DataFrame(rows)


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "feature_repo/data/customer_activity.parquet")
    target.parent.mkdir(parents=True, exist_ok=True)
    activity().to_parquet(target, index=False)
    print(target)

"""A small synthetic churn table (no download): three features, one label, reproducible by seed."""

from __future__ import annotations

import numpy as np
import pandas as pd

FEATURES = ["tenure_months", "monthly_charges", "plan"]
TARGET = "churned"


def churn_table(rows: int = 1200, seed: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({
        "tenure_months": rng.integers(0, 72, rows),
        "monthly_charges": rng.normal(70, 20, rows).clip(5).round(2),
        "plan": rng.choice(["basic", "standard", "premium"], rows),
    })
    # Short tenure, high charges and the basic plan raise the churn odds.
    logit = 1.2 - frame["tenure_months"] / 18 + (frame["monthly_charges"] - 70) / 20 + (frame["plan"] == "basic") * 0.8
    frame[TARGET] = (rng.random(rows) < 1 / (1 + np.exp(-logit))).astype(int)
    return frame

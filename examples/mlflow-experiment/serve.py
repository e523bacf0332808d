"""Prediction API for models:/NAME@champion (FastAPI), picking up alias flips without a restart.

    MLFLOW_TRACKING_URI=sqlite:///mlflow.db uvicorn serve:app --host 127.0.0.1 --port 8000

Environment: MODEL_NAME (default churn), CHAMPION_TTL_SECONDS (default 30): how often the alias is
re-resolved. Prometheus metrics are served on /metrics: a latency histogram and prediction counts by
class, labelled with the resolved model version (dashboard and alerts: examples/monitoring-dashboard/).
"""

from __future__ import annotations

import os
import time
import uuid
from typing import Literal

import pandas as pd
from fastapi import FastAPI
from prometheus_client import Counter, Histogram, make_asgi_app
from pydantic import BaseModel, Field

from champion import ChampionModel

champion = ChampionModel(os.environ.get("MODEL_NAME", "churn"), "champion",
                         ttl_seconds=float(os.environ.get("CHAMPION_TTL_SECONDS", "30")))
app = FastAPI(title="churn (mlflow-experiment example)")
app.mount("/metrics", make_asgi_app())

# Labelled by the resolved version, so a canary or an alias flip shows up as a new series.
LATENCY = Histogram("churn_prediction_latency_seconds", "Time to score one request.",
                    ["model_name", "model_version"], buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0))
PREDICTIONS = Counter("churn_predictions", "Predictions served, by predicted class.",
                      ["model_name", "model_version", "predicted_class"])
THRESHOLD = 0.5  # P(churn) at or above this counts as class "churn"


class Customer(BaseModel):
    tenure_months: int = Field(ge=0, le=600)
    monthly_charges: float = Field(ge=0)
    plan: Literal["basic", "standard", "premium"]


class Prediction(BaseModel):
    request_id: str
    churn_probability: float
    model_name: str
    model_version: str
    latency_ms: float


@app.post("/predict", response_model=Prediction)
def predict(customer: Customer) -> Prediction:
    started = time.perf_counter()
    version, model = champion.get()
    # The pyfunc was logged with pyfunc_predict_fn="predict_proba": column 1 is P(churn).
    probability = float(model.predict(pd.DataFrame([customer.model_dump()]))[0][1])
    elapsed = time.perf_counter() - started
    LATENCY.labels(champion.name, version).observe(elapsed)
    PREDICTIONS.labels(champion.name, version, "churn" if probability >= THRESHOLD else "stay").inc()
    return Prediction(request_id=str(uuid.uuid4()), churn_probability=probability, model_name=champion.name,
                      model_version=version, latency_ms=round(elapsed * 1000, 3))


@app.get("/health")
def health() -> dict:
    version, _ = champion.get()
    return {"status": "ok", "model": champion.name, "version": version}

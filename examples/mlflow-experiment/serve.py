"""Prediction API for models:/NAME@champion (FastAPI), picking up alias flips without a restart.

    MLFLOW_TRACKING_URI=sqlite:///mlflow.db uvicorn serve:app --host 127.0.0.1 --port 8000

Environment: MODEL_NAME (default churn), CHAMPION_TTL_SECONDS (default 30): how often the alias is
re-resolved.
"""

from __future__ import annotations

import os
import time
import uuid
from typing import Literal

import pandas as pd
from fastapi import FastAPI
from pydantic import BaseModel, Field

from champion import ChampionModel

champion = ChampionModel(os.environ.get("MODEL_NAME", "churn"), "champion",
                         ttl_seconds=float(os.environ.get("CHAMPION_TTL_SECONDS", "30")))
app = FastAPI(title="churn (mlflow-experiment example)")


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
    return Prediction(request_id=str(uuid.uuid4()), churn_probability=probability, model_name=champion.name,
                      model_version=version, latency_ms=round((time.perf_counter() - started) * 1000, 3))


@app.get("/health")
def health() -> dict:
    version, _ = champion.get()
    return {"status": "ok", "model": champion.name, "version": version}

"""The prediction-log record and the label record: what a serving service writes, and what arrives later.

These field names are a contract: `mlproof performance` reads them, the
prediction-logging examples emit them, and `mlproof add prediction-log` will
scaffold code that writes them. The JSON Schema files in schemas/ are generated
from these models (`python -m mlproof.performance.schema` rewrites them; a test
fails when they drift apart).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

SCHEMA_DIR = Path(__file__).with_name("schemas")
JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"

Value = bool | int | float | str


class PredictionRecord(BaseModel):
    """One prediction, logged by the serving code at the time it answered."""

    model_config = ConfigDict(extra="allow", title="mlproof prediction-log record")

    request_id: str = Field(min_length=1, description="Unique id of the request; labels join on it.")
    timestamp: AwareDatetime = Field(description="When the prediction was made: ISO 8601 with a UTC offset (e.g. 2025-03-01T12:00:00Z).")
    model_name: str = Field(min_length=1, description="Registered model name.")
    model_version: str = Field(min_length=1, description="The resolved registry version that answered (e.g. '7'), not the alias.")
    features: dict[str, Any] = Field(description="The input features as the model saw them (after pre-processing).")
    prediction: Value = Field(description="The model's output: a class label or a regression value.")
    latency_ms: float = Field(ge=0, description="Time to compute the prediction, in milliseconds.")
    probability: float | None = Field(None, ge=0, le=1, description="Binary classifiers: probability of the positive class.")
    score: float | None = Field(None, description="Any real-valued score where higher means more likely positive (used for AUC when there is no probability).")
    segment: str | None = Field(None, description="Optional slice for per-segment quality (country, plan, channel ...).")


class LabelRecord(BaseModel):
    """The ground truth for one request, which usually arrives later than the prediction."""

    model_config = ConfigDict(extra="allow", title="mlproof label record")

    request_id: str = Field(min_length=1, description="The request_id of the prediction this label belongs to.")
    label: Value = Field(description="The true class or value.")
    labelled_at: AwareDatetime | None = Field(None, description="When the label became known (ISO 8601 with a UTC offset); gives the label delay.")


SCHEMAS = {"prediction-log.schema.json": PredictionRecord, "label.schema.json": LabelRecord}


def json_schema(model: type[BaseModel]) -> dict:
    schema = model.model_json_schema()
    return {"$schema": JSON_SCHEMA_DIALECT, "$id": f"urn:mlproof:schema:{_file_for(model).removesuffix('.schema.json')}", **schema}


def _file_for(model: type[BaseModel]) -> str:
    return next(name for name, cls in SCHEMAS.items() if cls is model)


def schema_text(model: type[BaseModel]) -> str:
    return json.dumps(json_schema(model), indent=2) + "\n"


def write_schemas(folder: Path = SCHEMA_DIR) -> list[Path]:
    written = []
    for name, model in SCHEMAS.items():
        path = folder / name
        path.write_text(schema_text(model), encoding="utf-8")
        written.append(path)
    return written


if __name__ == "__main__":
    for path in write_schemas():
        print(path)

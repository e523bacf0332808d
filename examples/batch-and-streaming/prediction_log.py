"""The prediction-log record: one JSON object per line, the same fields for batch, streaming and online.

Fields (exactly these names): request_id, timestamp (ISO 8601, UTC), model_name, model_version (the
resolved version, never the alias), features (object: the inputs as the model saw them), prediction,
latency_ms. `mlproof performance` and the drift job read these names.
"""

from __future__ import annotations

import json
import threading
from datetime import datetime, timezone
from pathlib import Path

FIELDS = ("request_id", "timestamp", "model_name", "model_version", "features", "prediction", "latency_ms")


def record(request_id: str, model_name: str, model_version: str, features: dict, prediction: float,
           latency_ms: float) -> dict:
    return {"request_id": request_id, "timestamp": datetime.now(timezone.utc).isoformat(),
            "model_name": model_name, "model_version": str(model_version), "features": features,
            "prediction": prediction, "latency_ms": round(latency_ms, 3)}


class PredictionLog:
    """Append-only JSON Lines writer, safe to share between threads."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()

    def write(self, records: list[dict]) -> None:
        lines = "".join(json.dumps(r, separators=(",", ":"), default=_plain) + "\n" for r in records)
        with self._lock, self.path.open("a", encoding="utf-8") as handle:
            handle.write(lines)


def _plain(value):
    """numpy scalars -> Python numbers (pandas hands them out)."""
    return value.item() if hasattr(value, "item") else str(value)

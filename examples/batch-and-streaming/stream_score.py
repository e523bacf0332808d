"""Streaming scoring over a local queue: a consumer thread scores events as they arrive, in small
micro-batches, and logs every prediction in the prediction-log schema.

The queue stands in for Kafka, Kinesis or Pub/Sub: the consumer's shape (poll with a timeout, score
a micro-batch, log, acknowledge, re-resolve the alias between batches) is the same. A `None` event is
the end-of-stream marker. Run `python stream_score.py OUTPUT_DIR --events 200` for a demo.
"""

from __future__ import annotations

import argparse
import json
import queue
import threading
import time
from pathlib import Path

import mlflow
import pandas as pd
from mlflow import MlflowClient

from prediction_log import PredictionLog, record


class StreamScorer:
    def __init__(self, model_name: str, log: PredictionLog, alias: str = "champion", max_batch: int = 32,
                 max_wait_seconds: float = 0.05, resolve_every_seconds: float = 30.0) -> None:
        self.model_name, self.alias, self.log = model_name, alias, log
        self.max_batch, self.max_wait = max_batch, max_wait_seconds
        self.resolve_every = resolve_every_seconds
        self.version, self.model, self._resolved_at = None, None, float("-inf")
        self.scored = 0

    def _current_model(self):
        """Re-resolve the alias between micro-batches: a promotion or rollback reaches a running consumer."""
        if time.monotonic() - self._resolved_at >= self.resolve_every:
            version = str(MlflowClient().get_model_version_by_alias(self.model_name, self.alias).version)
            if version != self.version:
                self.model = mlflow.pyfunc.load_model(f"models:/{self.model_name}/{version}")
                self.version = version
            self._resolved_at = time.monotonic()
        return self.model

    def run(self, events: queue.Queue, idle_timeout_seconds: float = 10.0) -> int:
        """Consume until the end marker, or until no event arrived for `idle_timeout_seconds`."""
        done = False
        while not done:
            try:
                first = events.get(timeout=idle_timeout_seconds)
            except queue.Empty:
                break  # bounded: a silent producer does not hang the consumer forever
            batch, deadline = [], time.monotonic() + self.max_wait
            item = first
            while True:
                if item is None:
                    done = True
                    break
                batch.append(item)
                if len(batch) >= self.max_batch:
                    break
                try:
                    item = events.get(timeout=max(0.0, deadline - time.monotonic()))
                except queue.Empty:
                    break
            if batch:
                self._score(batch)
        return self.scored

    def _score(self, batch: list[dict]) -> None:
        model = self._current_model()
        started = time.perf_counter()
        frame = pd.DataFrame([event["features"] for event in batch])
        probabilities = model.predict(frame)[:, 1]
        per_event_ms = (time.perf_counter() - started) * 1000 / len(batch)
        self.log.write([record(event["event_id"], self.model_name, self.version, event["features"], float(p), per_event_ms)
                        for event, p in zip(batch, probabilities)])
        self.scored += len(batch)


def produce(events: queue.Queue, count: int, seed: int = 3, prefix: str = "evt") -> None:
    import numpy as np

    rng = np.random.default_rng(seed)
    for i in range(count):
        events.put({"event_id": f"{prefix}-{i}", "features": {
            "tenure_months": int(rng.integers(0, 72)), "monthly_charges": round(float(rng.normal(70, 20)), 2),
            "plan": str(rng.choice(["basic", "standard", "premium"]))}})
    events.put(None)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output_dir", type=Path)
    parser.add_argument("--model-name", default="churn")
    parser.add_argument("--events", type=int, default=200)
    args = parser.parse_args()
    events: queue.Queue = queue.Queue(maxsize=100)  # bounded: a slow consumer applies back-pressure
    scorer = StreamScorer(args.model_name, PredictionLog(args.output_dir / "stream-predictions.jsonl"))
    producer = threading.Thread(target=produce, args=(events, args.events), daemon=True)
    producer.start()
    scored = scorer.run(events)
    producer.join(timeout=30)
    print(json.dumps({"scored": scored, "model_version": scorer.version, "log": str(scorer.log.path)}))

"""The model behind models:/NAME@ALIAS, re-resolved while the service runs.

Serving code that loads `@champion` once at start-up keeps serving the old version after an alias flip
until someone restarts it, so "roll back by alias" silently needs a redeploy. This cache asks the
registry which version the alias points at, at most every `ttl_seconds`, and reloads only when the
answer changed. The cache key is the resolved version, so the model and the version it reports agree.
"""

from __future__ import annotations

import logging
import threading
import time

import mlflow
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException

log = logging.getLogger(__name__)


class ChampionModel:
    def __init__(self, name: str, alias: str = "champion", ttl_seconds: float = 30.0) -> None:
        self.name, self.alias, self.ttl_seconds = name, alias, ttl_seconds
        self._client = MlflowClient()
        self._lock = threading.Lock()
        self._version: str | None = None
        self._model = None
        self._checked_at = float("-inf")

    def get(self):
        """(resolved version, pyfunc model) for the alias right now."""
        with self._lock:
            if time.monotonic() - self._checked_at >= self.ttl_seconds:
                self._refresh()
                self._checked_at = time.monotonic()
            return self._version, self._model

    def _refresh(self) -> None:
        try:
            version = str(self._client.get_model_version_by_alias(self.name, self.alias).version)
            if version != self._version:
                self._model = mlflow.pyfunc.load_model(f"models:/{self.name}/{version}")
                log.info("serving %s version %s (alias %s)", self.name, version, self.alias)
                self._version = version
        except MlflowException:
            if self._model is None:
                raise  # nothing loaded yet: the service is not ready
            log.warning("registry unreachable; still serving %s version %s", self.name, self._version)

"""MLflow evidence: read-only queries over runs and the model registry, and registry hygiene.

Every function takes `tracking_uri` (None -> MLFLOW_TRACKING_URI -> the embedded
demo store), raises MlproofError with one sentence on bad input or an
unreachable store, and returns pydantic models. MLflow itself is imported
lazily, inside the functions that need it.
"""

from mlproof.tracking.connection import DEFAULT_TRACKING_URI, resolve_tracking_uri
from mlproof.tracking.hygiene import registry_hygiene
from mlproof.tracking.queries import best_run, compare_runs, get_run, list_experiments, search_runs
from mlproof.tracking.registry import get_model, list_models, model_lineage, set_alias

__all__ = [
    "DEFAULT_TRACKING_URI",
    "best_run",
    "compare_runs",
    "get_model",
    "get_run",
    "list_experiments",
    "list_models",
    "model_lineage",
    "registry_hygiene",
    "resolve_tracking_uri",
    "search_runs",
    "set_alias",
]

"""Read a prediction log and a label file (CSV, Parquet, JSON Lines) into checked numpy columns.

Only the fields performance needs must be present (request_id, timestamp,
prediction; request_id and label in the labels); the other fields of the
prediction-log schema are reported when missing, not required.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from mlproof.errors import MlproofError
from mlproof.performance.schema import PredictionRecord

NS_PER_SECOND = 1_000_000_000


@dataclass
class Column:
    """Values as float (numbers and booleans) or as str, with what they were."""

    values: np.ndarray
    kind: str  # "number" | "bool" | "string"

    def canonical(self) -> np.ndarray:
        """Strings that compare equal across kinds: 1, 1.0 and True all read "1"."""
        if self.kind == "string":
            return self.values.astype(str)
        as_int = self.values.astype(np.int64)
        exact = as_int == self.values
        return np.where(exact, as_int.astype(str), self.values.astype(str))


@dataclass
class PredictionLog:
    path: Path
    request_id: np.ndarray
    timestamp_ns: np.ndarray
    prediction: Column
    probability: np.ndarray | None
    score: np.ndarray | None
    segment: np.ndarray | None
    model_version: np.ndarray | None
    segment_by: str | None = None
    schema_gaps: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass
class LabelLog:
    path: Path
    request_id: np.ndarray
    label: Column
    labelled_at_ns: np.ndarray | None
    notes: list[str] = field(default_factory=list)


def _read(path: str | Path, what: str):
    from mlproof.drift.readers import FILE_KINDS, check_path, read_file

    checked = check_path(path)
    if FILE_KINDS.get(checked.suffix.lower()) not in ("csv", "parquet", "jsonl"):
        raise MlproofError(f"The {what} file {checked.name} must be .csv, .parquet or .jsonl.")
    table = _decoded(read_file(checked))
    if table.num_rows == 0:
        raise MlproofError(f"The {what} file {checked.name} has no rows.")
    return checked, table


def _decoded(table):
    """Dictionary-encoded columns (how Parquet strings are read) as plain columns."""
    import pyarrow as pa

    for index, column_field in enumerate(table.schema):
        if pa.types.is_dictionary(column_field.type):
            table = table.set_column(index, column_field.name, table.column(index).cast(column_field.type.value_type))
    return table


def _require(table, name: str, what: str, path: Path):
    if name not in table.column_names:
        raise MlproofError(f"The {what} file {path.name} has no {name!r} column.")
    column = table.column(name)
    if column.null_count:
        raise MlproofError(f"{column.null_count} row(s) of {path.name} have no {name!r}; fix or drop them first.")
    return column


def _ids(column) -> np.ndarray:
    import pyarrow as pa

    if pa.types.is_floating(column.type):
        raise MlproofError("request_id must be a string or an integer column, not floating point.")
    return np.array([str(v) for v in column.to_pylist()], dtype=str)


def _values(column, name: str, path: Path) -> Column:
    import pyarrow as pa

    kind = column.type
    if pa.types.is_boolean(kind):
        return Column(column.to_numpy(zero_copy_only=False).astype(float), "bool")
    if pa.types.is_integer(kind) or pa.types.is_floating(kind):
        values = column.to_numpy(zero_copy_only=False).astype(float)
        if not np.isfinite(values).all():
            raise MlproofError(f"{name!r} in {path.name} has NaN or infinite values; fix or drop those rows first.")
        return Column(values, "number")
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return Column(np.array(column.to_pylist(), dtype=str), "string")
    raise MlproofError(f"{name!r} in {path.name} has the type {kind}; use numbers, booleans or strings.")


def _timestamps(column, name: str, path: Path, notes: list[str]) -> np.ndarray:
    """Nanoseconds since the epoch, UTC. Naive times are taken as UTC (and said so)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    kind = column.type
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        try:
            column = pc.cast(column, pa.timestamp("ns", tz="UTC"))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            try:
                column = pc.cast(column, pa.timestamp("ns"))
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                raise MlproofError(f"{name!r} in {path.name} holds values that are not ISO 8601 timestamps.") from None
            notes.append(f"{name} in {path.name} has no UTC offset; read as UTC (the schema asks for an offset).")
        kind = column.type
    if not pa.types.is_timestamp(kind):
        raise MlproofError(f"{name!r} in {path.name} must be ISO 8601 timestamps, not {kind}.")
    if kind.tz is None and not any("read as UTC" in n for n in notes):
        notes.append(f"{name} in {path.name} is stored without a time zone; read as UTC.")
    return pc.cast(column, pa.timestamp("ns", tz=kind.tz)).to_numpy(zero_copy_only=False).astype("datetime64[ns]").astype(np.int64)


def _optional_numbers(table, name: str, path: Path) -> np.ndarray | None:
    if name not in table.column_names or table.column(name).null_count == table.num_rows:
        return None
    column = table.column(name)
    if column.null_count:
        raise MlproofError(f"{name!r} is missing in {column.null_count} row(s) of {path.name}; log it for every row or for none.")
    values = _values(column, name, path)
    if values.kind == "string":
        raise MlproofError(f"{name!r} in {path.name} must be numeric.")
    return values.values


def _segment(table, segment_by: str, path: Path) -> np.ndarray:
    """A top-level column, or features.<name> from a struct column or a JSON-string features column."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if segment_by in table.column_names:
        column = table.column(segment_by)
    elif segment_by.startswith("features.") and "features" in table.column_names:
        key = segment_by[len("features."):]
        features = table.column("features")
        if pa.types.is_struct(features.type):
            if features.type.get_field_index(key) < 0:
                raise MlproofError(f"The features in {path.name} have no field {key!r}.")
            column = pc.struct_field(features, key)
        elif pa.types.is_string(features.type):
            values = []
            for text in features.to_pylist():
                try:
                    values.append((json.loads(text) or {}).get(key) if text else None)
                except (ValueError, AttributeError):
                    raise MlproofError(f"The features column of {path.name} holds text that is not a JSON object.") from None
            column = pa.chunked_array([pa.array([None if v is None else str(v) for v in values], pa.string())])
        else:
            raise MlproofError(f"The features column of {path.name} is neither an object nor JSON text.")
    else:
        raise MlproofError(f"The prediction log has no column {segment_by!r} to segment by.")
    return np.array(["(missing)" if v is None else str(v) for v in column.to_pylist()], dtype=str)


def read_predictions(path: str | Path, segment_by: str | None) -> PredictionLog:
    checked, table = _read(path, "predictions")
    notes: list[str] = []
    request_id = _ids(_require(table, "request_id", "predictions", checked))
    timestamp = _timestamps(_require(table, "timestamp", "predictions", checked), "timestamp", checked, notes)
    prediction = _values(_require(table, "prediction", "predictions", checked), "prediction", checked)
    probability = _optional_numbers(table, "probability", checked)
    if probability is not None and ((probability < 0) | (probability > 1)).any():
        raise MlproofError(f"'probability' in {checked.name} must lie between 0 and 1.")
    score = _optional_numbers(table, "score", checked)
    segment = None
    if segment_by is None and "segment" in table.column_names and table.column("segment").null_count < table.num_rows:
        segment_by = "segment"
    if segment_by is not None:
        segment = _segment(table, segment_by, checked)
    versions = None
    if "model_version" in table.column_names:
        versions = np.array(["(missing)" if v is None else str(v) for v in table.column("model_version").to_pylist()], dtype=str)
    required = [name for name, info in PredictionRecord.model_fields.items() if info.is_required()]
    gaps = [name for name in required if name not in table.column_names]
    return PredictionLog(checked, request_id, timestamp, prediction, probability, score, segment, versions,
                         segment_by, gaps, notes)


def read_labels(path: str | Path) -> LabelLog:
    checked, table = _read(path, "labels")
    notes: list[str] = []
    request_id = _ids(_require(table, "request_id", "labels", checked))
    label = _values(_require(table, "label", "labels", checked), "label", checked)
    labelled_at = None
    if "labelled_at" in table.column_names and table.column("labelled_at").null_count < table.num_rows:
        column = table.column("labelled_at")
        if column.null_count:
            raise MlproofError(f"'labelled_at' is missing in {column.null_count} row(s) of {checked.name}; give it for every label or for none.")
        labelled_at = _timestamps(column, "labelled_at", checked, notes)
    return LabelLog(checked, request_id, label, labelled_at, notes)

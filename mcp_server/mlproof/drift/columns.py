"""Column typing (Evidently's documented rules) and value extraction from Arrow.

Typing rules, applied to the reference column:
- float (and decimal) -> numerical
- integer -> categorical when it has at most 10 distinct values, else numerical
- boolean -> categorical
- string -> categorical, unless distinct values exceed half the non-missing
  count: then text (reported and skipped; text drift is out of scope)
- date/time -> datetime (reported and skipped); anything else -> unknown (skipped)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mlproof.errors import MlproofError

INTEGER_CATEGORICAL_MAX_DISTINCT = 10
TEXT_DISTINCT_SHARE = 0.5
TESTABLE_TYPES = ("numerical", "categorical")
ALL_TYPES = ("numerical", "categorical", "text", "datetime", "unknown")


@dataclass
class Missing:
    """Values excluded before testing: Arrow nulls, NaN and +/-infinity."""

    null: int = 0
    nan: int = 0
    inf: int = 0

    @property
    def total(self) -> int:
        return self.null + self.nan + self.inf

    def add(self, other: "Missing") -> None:
        self.null += other.null
        self.nan += other.nan
        self.inf += other.inf


def _value_type(arrow_type):
    import pyarrow as pa

    return arrow_type.value_type if pa.types.is_dictionary(arrow_type) else arrow_type


def is_numeric_type(arrow_type) -> bool:
    import pyarrow as pa

    t = _value_type(arrow_type)
    return pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_decimal(t)


def type_family(arrow_type) -> str:
    """A coarse family used to report dtype mismatches between the two datasets."""
    import pyarrow as pa

    t = _value_type(arrow_type)
    if pa.types.is_floating(t) or pa.types.is_decimal(t):
        return "float"
    if pa.types.is_integer(t):
        return "integer"
    if pa.types.is_boolean(t):
        return "boolean"
    if pa.types.is_string(t) or pa.types.is_large_string(t) or getattr(pa.types, "is_string_view", lambda _: False)(t):
        return "string"
    if pa.types.is_temporal(t):
        return "datetime"
    if pa.types.is_null(t):
        return "null"
    return str(t)


def infer_column_type(column) -> tuple[str, str]:
    """(type, reason) for an Arrow ChunkedArray, following the rules in the module docstring."""
    import pyarrow.compute as pc

    family = type_family(column.type)
    if family == "float":
        return "numerical", "float column"
    if family == "integer":
        distinct = pc.count_distinct(column, mode="only_valid").as_py()
        if distinct <= INTEGER_CATEGORICAL_MAX_DISTINCT:
            return "categorical", f"integer column with {distinct} distinct values (<= {INTEGER_CATEGORICAL_MAX_DISTINCT})"
        return "numerical", f"integer column with {distinct} distinct values"
    if family == "boolean":
        return "categorical", "boolean column"
    if family == "string":
        counts, _ = category_counts(column)
        distinct = len(counts)
        present = len(column) - column.null_count
        if distinct > TEXT_DISTINCT_SHARE * present:
            return "text", f"string column with {distinct} distinct values in {present} (more than half): free text"
        return "categorical", f"string column with {distinct} distinct values in {present}"
    if family == "datetime":
        return "datetime", "date/time column"
    if family == "null":
        return "unknown", "column holds only nulls"
    return "unknown", f"unsupported Arrow type {column.type}"


def numpy_view(array) -> np.ndarray:
    """Zero-copy numpy view of a null-free primitive Arrow array.

    Reads the data buffer directly: Array.to_numpy would also work but imports
    pandas on first use, which costs about a second.
    """
    arrow_name = str(array.type)  # "double", "float", "int32", "uint8", ...
    dtype = np.dtype({"double": "float64", "float": "float32", "halffloat": "float16"}.get(arrow_name, arrow_name))
    buffer = array.buffers()[1]
    return np.frombuffer(buffer, dtype=dtype, count=array.offset + len(array))[array.offset :]


def numeric_values(column, name: str = "") -> tuple[np.ndarray, Missing]:
    """Finite float64 values of a column (zero-copy when possible) and what was excluded."""
    import pyarrow as pa
    import pyarrow.compute as pc

    array = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    if pa.types.is_dictionary(array.type):
        array = array.dictionary_decode()
    if not pa.types.is_float64(array.type):
        try:
            array = pc.cast(array, pa.float64())
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as err:
            raise MlproofError(f"Column {name!r} cannot be read as numbers ({array.type}); set its type to categorical.") from err
    nulls = array.null_count
    if nulls:
        array = array.fill_null(float("nan"))  # nulls become NaN; counted apart below
    values = numpy_view(array)
    finite = np.isfinite(values)
    if finite.all():
        return values, Missing(null=nulls)
    infinite = int(np.isinf(values).sum())
    nan_or_null = values.size - int(finite.sum()) - infinite
    return values[finite], Missing(null=nulls, nan=nan_or_null - nulls, inf=infinite)


def category_counts(column, name: str = "") -> tuple[dict, Missing]:
    """{value: count} for a column read as categories, and what was excluded (nulls, NaN, inf)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if type_family(column.type) == "float":
        values, missing = numeric_values(column, name)
        keys, counts = np.unique(values, return_counts=True)
        return {float(k): int(c) for k, c in zip(keys, counts)}, missing
    chunks = column.chunks if isinstance(column, pa.ChunkedArray) else [column]
    counts: dict = {}
    nulls = 0
    for chunk in chunks:
        nulls += chunk.null_count
        if pa.types.is_dictionary(chunk.type):
            # Count dictionary indices with bincount, then name them: no string is decoded.
            indices = numpy_view(chunk.indices if chunk.null_count == 0 else chunk.indices.drop_null())
            per_index = np.bincount(indices, minlength=len(chunk.dictionary))
            names = chunk.dictionary.to_pylist()
            for i in np.flatnonzero(per_index):
                if names[i] is None:
                    continue
                counts[names[i]] = counts.get(names[i], 0) + int(per_index[i])
            continue
        counted = pc.value_counts(chunk)
        for value, count in zip(counted.field("values").to_pylist(), counted.field("counts").to_pylist()):
            if value is not None:
                counts[value] = counts.get(value, 0) + count
    return counts, Missing(null=nulls)

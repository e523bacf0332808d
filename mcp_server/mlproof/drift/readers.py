"""Turn every supported input into an Arrow table (the engine only sees Arrow).

Files: CSV, Parquet, JSON Lines, Arrow IPC (file or stream, .arrow/.feather/.ipc).
Objects: pyarrow Table/RecordBatch, pandas DataFrame, polars DataFrame (via
`.to_arrow()`), and dict[str, list] (inline arrays from the MCP tool).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlproof.errors import MlproofError, quoted
from mlproof.paths import check_path_text, os_error_sentence

FILE_KINDS = {
    ".csv": "csv",
    ".tsv": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
    ".arrow": "arrow",
    ".feather": "arrow",
    ".ipc": "arrow",
}


@dataclass
class Source:
    """Where a dataset came from, for the report."""

    label: str
    kind: str  # csv | parquet | jsonl | arrow | table
    path: Path | None = None
    notes: list[str] = field(default_factory=list)


def file_kind(path: Path) -> str:
    kind = FILE_KINDS.get(path.suffix.lower())
    if kind is None:
        raise MlproofError(
            f"{path.name} has an unsupported extension; use .csv, .parquet, .jsonl, .arrow or .feather."
        )
    return kind


def check_path(path: str | Path) -> Path:
    text = str(path)
    check_path_text(text, "dataset path")
    path = Path(path).expanduser()
    try:
        exists, is_file = path.exists(), path.is_file()
    except OSError as err:
        raise MlproofError(os_error_sentence(err, text, "dataset path") or f"{quoted(text)} cannot be read.") from None
    if not exists:
        raise MlproofError(f"{quoted(text)} does not exist.")
    if not is_file:
        raise MlproofError(f"{quoted(text)} is not a file.")
    return path


def parquet_row_count(path: Path) -> int:
    import pyarrow.parquet as pq

    try:
        return pq.ParquetFile(path).metadata.num_rows
    except Exception as err:
        raise MlproofError(f"{path} is not a readable Parquet file ({_short(err)}).") from err


def read_file(path: Path, columns: list[str] | None = None):
    """Read a whole file into an Arrow table (optionally only some columns, for Parquet)."""
    import pyarrow as pa

    kind = file_kind(path)
    try:
        if kind == "parquet":
            import pyarrow.parquet as pq

            # Strings stay dictionary-encoded: faster to read, smaller in memory, and counted by index.
            # ParquetFile rather than read_table: read_table imports pyarrow.dataset and pandas (~1 s).
            schema = pq.read_schema(path)
            strings = [f.name for f in schema if pa.types.is_string(f.type) or pa.types.is_large_string(f.type)]
            return pq.ParquetFile(path, read_dictionary=strings or None).read(columns=columns)
        if kind == "csv":
            import pyarrow.csv as pacsv

            parse = pacsv.ParseOptions(delimiter="\t" if path.suffix.lower() == ".tsv" else ",")
            return pacsv.read_csv(path, parse_options=parse)
        if kind == "jsonl":
            import pyarrow.json as pajson

            return pajson.read_json(path)
        return _read_ipc(path)
    except MlproofError:
        raise
    except (pa.ArrowInvalid, pa.ArrowTypeError, OSError, ValueError) as err:
        raise MlproofError(f"{path} could not be read as {kind.upper()} ({_short(err)}).") from err


def _read_ipc(path: Path):
    import pyarrow as pa
    import pyarrow.ipc as ipc

    try:
        with pa.memory_map(str(path)) as source:
            return ipc.open_file(source).read_all()
    except pa.ArrowInvalid:
        with pa.memory_map(str(path)) as source:
            return ipc.open_stream(source).read_all()


def _short(err: Exception) -> str:
    text = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
    return text.split(". ")[0].rstrip(".")[:160]  # one clause, so the whole message stays one sentence


class ColumnReader:
    """A dataset the engine reads one column at a time.

    Parquet files are read column by column on demand, so peak memory holds the
    columns being compared rather than both whole files; other inputs are tables.
    Each thread keeps its own open ParquetFile (the footer is parsed once per thread).
    """

    def __init__(self, data: Any, role: str):
        import threading

        self.role = role
        self.table = None
        self.path: Path | None = None
        self._local = threading.local()
        if isinstance(data, (str, Path)) and file_kind(check_path(data)) == "parquet":
            import pyarrow as pa

            self.path = check_path(data)
            parquet = self._parquet()
            self.schema, self.num_rows = parquet.schema_arrow, parquet.metadata.num_rows
            self._strings = {f.name for f in self.schema if pa.types.is_string(f.type) or pa.types.is_large_string(f.type)}
            self.label = str(data)
        else:
            self.table, source = to_arrow(data, role)
            self.schema, self.num_rows, self.label = self.table.schema, self.table.num_rows, source.label
        _require_unique_names(self.schema.names, role)

    def _parquet(self):
        parquet = getattr(self._local, "parquet", None)
        if parquet is None:
            import pyarrow as pa
            import pyarrow.parquet as pq

            try:
                schema = pq.read_schema(self.path)
                strings = [f.name for f in schema if pa.types.is_string(f.type) or pa.types.is_large_string(f.type)]
                # Strings stay dictionary-encoded: faster to read, smaller, counted by index.
                parquet = pq.ParquetFile(self.path, read_dictionary=strings or None)
            except Exception as err:
                raise MlproofError(f"{self.path} is not a readable Parquet file ({_short(err)}).") from err
            self._local.parquet = parquet
        return parquet

    @property
    def num_columns(self) -> int:
        return len(self.schema.names)

    def column(self, name: str):
        if self.table is not None:
            return self.table.column(name)
        try:
            return self._parquet().read(columns=[name], use_threads=False).column(name)
        except MlproofError:
            raise
        except Exception as err:
            raise MlproofError(f"Column {name!r} of {self.path} could not be read ({_short(err)}).") from err


def _require_unique_names(names: list[str], role: str) -> None:
    """Two columns with one name cannot be told apart (which one would be compared?)."""
    from collections import Counter

    duplicates = sorted(name for name, count in Counter(names).items() if count > 1)
    if duplicates:
        shown = ", ".join(quoted(name, 40) for name in duplicates[:3])
        raise MlproofError(f"The {role} dataset has duplicate column names ({shown}); give every column its own name.")


def to_arrow(data: Any, role: str):
    """(Arrow table, Source) for any supported input; `role` is "reference" or "current"."""
    import pyarrow as pa

    if data is None:
        raise MlproofError(f"The {role} dataset is missing.")
    if isinstance(data, (str, Path)):
        path = check_path(data)
        return read_file(path), Source(label=str(data), kind=file_kind(path), path=path)
    if isinstance(data, pa.Table):
        return data, Source(label=f"{role} (Arrow table)", kind="table")
    if isinstance(data, pa.RecordBatch):
        return pa.Table.from_batches([data]), Source(label=f"{role} (Arrow record batch)", kind="table")
    if isinstance(data, dict):
        return _from_dict(data, role), Source(label=f"{role} (inline arrays)", kind="table")
    module = type(data).__module__.split(".")[0]
    if module == "pandas":
        try:
            return pa.Table.from_pandas(data, preserve_index=False), Source(label=f"{role} (pandas DataFrame)", kind="table")
        except (pa.ArrowInvalid, pa.ArrowTypeError) as err:
            raise MlproofError(f"The {role} DataFrame has a column Arrow cannot convert ({_short(err)}).") from err
    if module == "polars" and hasattr(data, "to_arrow"):
        return data.to_arrow(), Source(label=f"{role} (polars DataFrame)", kind="table")
    raise MlproofError(
        f"The {role} dataset is a {type(data).__name__}; pass a file path, a pandas/polars/Arrow table or a dict of lists."
    )


def _from_dict(data: dict, role: str):
    import pyarrow as pa

    if not data:
        raise MlproofError(f"The {role} dataset has no columns.")
    arrays = {}
    lengths = set()
    for name, values in data.items():
        if not isinstance(values, (list, tuple)):
            raise MlproofError(f"Column {quoted(str(name), 40)} of the {role} dataset must be a list of values.")
        try:
            arrays[str(name)] = pa.array(list(values), from_pandas=True)
        except OverflowError:
            raise MlproofError(f"Column {quoted(str(name), 40)} of the {role} dataset holds an integer too large for 64 bits; "
                               "send it as a float or a string.") from None
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, TypeError, ValueError) as err:
            raise MlproofError(f"Column {quoted(str(name), 40)} of the {role} dataset mixes value types ({_short(err)}).") from None
        lengths.add(len(values))
    if len(lengths) > 1:
        raise MlproofError(f"The {role} columns have different lengths ({', '.join(map(str, sorted(lengths)))}).")
    return pa.table(arrays)

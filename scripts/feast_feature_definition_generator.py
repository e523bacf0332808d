#!/usr/bin/env python3
"""Write Feast definitions (Entity, FileSource, FeatureView) from the schema of a Parquet or CSV file.

    python scripts/feast_feature_definition_generator.py data/customer_activity.parquet \
        --entity customer_id --output feature_repo/customer_activity.py [--timestamp event_timestamp]
        [--created created] [--name customer_activity] [--ttl-days 7] [--owner growth-ml] [--force]

Every other column becomes a feature, typed from the file's Arrow schema (int64 -> Int64, float -> Float32,
double -> Float64, string -> String, bool -> Bool, binary -> Bytes, timestamp -> UnixTimestamp, lists of
those -> Array(...)). Columns with no Feast type the file offline store reads back (struct, map, decimal,
date, nested lists) are left out and listed, in the output file and on stderr.

A CSV is converted to a Parquet file beside it (Feast's file source reads Parquet), named by --parquet-out
or the CSV's name with .parquet. The FileSource path is written relative to the output file's folder
(the Feast repository) when the data lies inside it. Run `feast apply` in that repository next.

Exit codes: 0 written, 2 bad input (one sentence on stderr; nothing written). Needs only pyarrow.
"""

from __future__ import annotations

import argparse
import keyword
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path

# Arrow type (as pyarrow prints it) -> Feast type name in feast.types.
SCALAR_TYPES = {
    "int8": "Int32", "int16": "Int32", "int32": "Int32", "int64": "Int64",
    "uint8": "Int32", "uint16": "Int32", "uint32": "Int64", "uint64": "Int64",
    "float": "Float32", "halffloat": "Float32", "double": "Float64",
    "string": "String", "large_string": "String", "bool": "Bool", "binary": "Bytes", "large_binary": "Bytes",
}
JOIN_KEY_VALUE_TYPES = {"Int32": "INT32", "Int64": "INT64", "String": "STRING", "Bytes": "BYTES"}


class GeneratorInputError(Exception):
    """Bad input: one sentence on stderr, exit code 2."""


def shown(text: object, limit: int = 80) -> str:
    printable = "".join(ch for ch in str(text) if ch.isprintable())
    return printable if len(printable) <= limit else printable[: limit - 3] + "..."


def identifier(text: str) -> str:
    """A Python variable name for a Feast object name."""
    name = re.sub(r"\W+", "_", text.strip().lower()).strip("_") or "features"
    if name[0].isdigit() or keyword.iskeyword(name):
        name = f"f_{name}"
    return name


@dataclass
class Column:
    name: str
    arrow_type: str
    feast_type: str | None  # e.g. "Int64" or "Array(String)"; None when unsupported
    why_not: str = ""


def feast_type_of(arrow_type) -> tuple[str | None, str]:
    """(Feast type expression, reason when there is none) for one Arrow type."""
    import pyarrow as pa

    if pa.types.is_dictionary(arrow_type):  # categorical columns: the values' type
        arrow_type = arrow_type.value_type
    if pa.types.is_timestamp(arrow_type):
        return "UnixTimestamp", ""
    if pa.types.is_list(arrow_type) or pa.types.is_large_list(arrow_type):
        inner = arrow_type.value_type
        if pa.types.is_timestamp(inner):
            return "Array(UnixTimestamp)", ""
        if str(inner) in SCALAR_TYPES:
            return f"Array({SCALAR_TYPES[str(inner)]})", ""
        return None, f"a list of {inner} has no Feast array type"
    if str(arrow_type) in SCALAR_TYPES:
        return SCALAR_TYPES[str(arrow_type)], ""
    return None, f"{arrow_type} has no Feast type the file offline store reads back"


def read_schema(path: Path, parquet_out: Path | None, force: bool):
    """(Arrow schema, the Parquet file the source will read, the CSV->Parquet copy to write or None)."""
    import pyarrow.csv as pa_csv
    import pyarrow.parquet as pq

    suffix = path.suffix.lower()
    try:
        if suffix in {".parquet", ".pq"}:
            return pq.read_schema(path), path, None
        if suffix == ".csv":
            table = pa_csv.read_csv(path)
            target = parquet_out or path.with_suffix(".parquet")
            if target.exists() and not force:
                raise GeneratorInputError(f"'{shown(target.name)}' exists already; pass --force to replace it.")
            return table.schema, target, table
    except GeneratorInputError:
        raise
    except Exception as exc:
        raise GeneratorInputError(f"'{shown(path.name)}' could not be read as {suffix[1:]} "
                                  f"({type(exc).__name__}).") from None
    raise GeneratorInputError(f"'{shown(path.name)}' is neither .parquet nor .csv.")


def pick_timestamp(schema, wanted: str | None, created: str | None) -> str:
    import pyarrow as pa

    stamps = [f.name for f in schema if pa.types.is_timestamp(f.type) and f.name != created]
    if wanted is not None:
        if wanted not in schema.names:
            raise GeneratorInputError(f"timestamp column '{shown(wanted)}' is not in the file.")
        if not pa.types.is_timestamp(schema.field(wanted).type):
            raise GeneratorInputError(f"column '{shown(wanted)}' is {schema.field(wanted).type}, not a timestamp.")
        return wanted
    if len(stamps) == 1:
        return stamps[0]
    if not stamps:
        raise GeneratorInputError("the file has no timestamp column; Feast needs one for point-in-time joins.")
    raise GeneratorInputError(f"the file has {len(stamps)} timestamp columns; name the event time with --timestamp.")


def plan_columns(schema, entity: str, timestamp: str, created: str | None) -> tuple[Column, list[Column]]:
    """The join key column and the feature columns (unsupported ones carry their reason)."""
    if entity not in schema.names:
        raise GeneratorInputError(f"entity column '{shown(entity)}' is not in the file ({len(schema.names)} columns).")
    if created is not None and created not in schema.names:
        raise GeneratorInputError(f"created-timestamp column '{shown(created)}' is not in the file.")
    key_type, _ = feast_type_of(schema.field(entity).type)
    if key_type not in JOIN_KEY_VALUE_TYPES:
        raise GeneratorInputError(f"entity column '{shown(entity)}' is {schema.field(entity).type}; "
                                  "a join key must be an integer, string or bytes column.")
    key = Column(entity, str(schema.field(entity).type), key_type)
    features = []
    for field in schema:
        if field.name in {entity, timestamp, created}:
            continue
        feast_type, why_not = feast_type_of(field.type)
        features.append(Column(field.name, str(field.type), feast_type, why_not))
    if not any(c.feast_type for c in features):
        raise GeneratorInputError("the file has no column that can become a feature.")
    return key, features


def render(*, view: str, entity_name: str, key: Column, features: list[Column], source_path: str, timestamp: str,
           created: str | None, ttl_days: int, owner: str | None, origin: str) -> str:
    """The definitions module, as Python source."""
    supported = [c for c in features if c.feast_type]
    skipped = [c for c in features if not c.feast_type]
    type_names = sorted({re.sub(r"Array\((\w+)\)", r"\1", c.feast_type) for c in [key, *supported]}
                        | ({"Array"} if any(c.feast_type.startswith("Array(") for c in supported) else set()))
    entity_var, source_var, view_var = identifier(entity_name), identifier(f"{view}_source"), identifier(view)
    lines = [
        f'"""Feast definitions for {view}, generated from {origin} by feast_feature_definition_generator.py.',
        "",
        "Review before `feast apply`: the TTL, the owner, and which columns are features.",
        '"""',
        "",
        "from datetime import timedelta",
        "",
        "from feast import Entity, FeatureView, Field, FileSource, ValueType",
        f"from feast.types import {', '.join(type_names)}",
        "",
        f"{entity_var} = Entity(name={entity_name!r}, join_keys=[{key.name!r}], "
        f"value_type=ValueType.{JOIN_KEY_VALUE_TYPES[key.feast_type]})",
        "",
        f"{source_var} = FileSource(",
        f"    name={view + '_source'!r},",
        f"    path={source_path!r},",
        f"    timestamp_field={timestamp!r},",
    ]
    if created:
        lines.append(f"    created_timestamp_column={created!r},")
    lines += [
        ")",
        "",
    ]
    for column in skipped:
        lines.append(f"# Not a feature: {column.name!r} ({column.why_not}).")
    lines += [
        f"{view_var} = FeatureView(",
        f"    name={view!r},",
        f"    entities=[{entity_var}],",
        f"    ttl=timedelta(days={ttl_days}),  # a row older than this at the label's time joins as null",
        "    schema=[",
        f"        Field(name={key.name!r}, dtype={key.feast_type}),  # the join key ({key.arrow_type})",
    ]
    lines += [f"        Field(name={c.name!r}, dtype={c.feast_type}),  # {c.arrow_type}" for c in supported]
    lines += [
        "    ],",
        f"    source={source_var},",
        "    online=True,",
    ]
    if owner:
        lines.append(f"    owner={owner!r},")
    lines += [")", ""]
    return "\n".join(lines)


def relative_source_path(data: Path, repo: Path) -> str:
    """The data path as the definitions should name it: relative to the Feast repository when inside it."""
    data, repo = data.resolve(), repo.resolve()
    try:
        return data.relative_to(repo).as_posix()
    except ValueError:
        return str(data)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", help="a .parquet or .csv file with the entity, timestamp and feature columns")
    parser.add_argument("--entity", required=True, help="the join key column, e.g. customer_id")
    parser.add_argument("--output", required=True, help="the Python file to write, inside the Feast repository")
    parser.add_argument("--timestamp", default=None, help="event time column (default: the only timestamp column)")
    parser.add_argument("--created", default=None, help="created/ingestion time column, used to break ties")
    parser.add_argument("--name", default=None, help="feature view name (default: the file's name)")
    parser.add_argument("--entity-name", default=None, help="entity name (default: the join key without _id)")
    parser.add_argument("--ttl-days", type=int, default=7, help="feature TTL in days (default 7)")
    parser.add_argument("--owner", default=None, help="owner recorded on the feature view")
    parser.add_argument("--parquet-out", default=None, help="where a CSV's Parquet copy goes")
    parser.add_argument("--force", action="store_true", help="replace existing output files")
    args = parser.parse_args(argv)
    if args.ttl_days < 1:
        raise GeneratorInputError("--ttl-days must be at least 1.")
    return args


def generate(args: argparse.Namespace) -> tuple[Path, list[Column], Path | None]:
    import pyarrow.parquet as pq

    data, output = Path(args.data), Path(args.output)
    if not data.is_file():
        raise GeneratorInputError(f"data file '{shown(args.data)}' does not exist.")
    if output.exists() and not args.force:
        raise GeneratorInputError(f"'{shown(args.output)}' exists already; pass --force to replace it.")
    if not output.parent.is_dir():
        raise GeneratorInputError(f"the output folder '{shown(output.parent)}' does not exist.")
    parquet_out = Path(args.parquet_out) if args.parquet_out else None
    schema, source_file, csv_table = read_schema(data, parquet_out, args.force)
    timestamp = pick_timestamp(schema, args.timestamp, args.created)
    key, features = plan_columns(schema, args.entity, timestamp, args.created)
    view = args.name or re.sub(r"\W+", "_", data.stem).strip("_").lower() or "features"
    entity_name = args.entity_name or re.sub(r"_id$", "", args.entity) or args.entity
    text = render(view=view, entity_name=entity_name, key=key, features=features,
                  source_path=relative_source_path(source_file, output.parent), timestamp=timestamp,
                  created=args.created, ttl_days=args.ttl_days, owner=args.owner, origin=data.name)
    compile(text, str(output), "exec")  # never write a file that is not valid Python
    # Writes last, so bad input leaves nothing behind.
    if csv_table is not None:
        pq.write_table(csv_table, source_file)
    temporary = output.with_name(f".{output.name}.tmp{os.getpid()}")
    temporary.write_text(text, encoding="utf-8")
    temporary.replace(output)
    return output, features, source_file if csv_table is not None else None


def main(argv: list[str] | None = None) -> int:
    try:
        args = parse_args(argv)
        output, features, converted = generate(args)
    except GeneratorInputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    kept = [c.name for c in features if c.feast_type]
    print(f"wrote {output}: {len(kept)} features ({', '.join(kept)})")
    if converted is not None:
        print(f"wrote {converted}: the CSV as Parquet, which the FileSource reads")
    for column in features:
        if not column.feast_type:
            print(f"skipped column {shown(column.name)}: {column.why_not}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The drift report computed on Apache Spark: the streaming engine's tallies, counted by Spark aggregations.

Every count is an aggregation that Spark merges across partitions, and only small
results reach the driver. Per dataset:

1. `count()`: rows (footers only for Parquet), which sets the sampling rate.
2. Profile, one aggregation: null / NaN / inf counts, min, max, mean and
   standard deviation of the finite values, and a uniform random sample of at
   most SAMPLE_SIZE values per numerical column (`collect_list` over a
   seeded `rand() < rate` flag).
3. Exact value counts, one `groupBy` over both datasets: categorical columns,
   integer columns (typing needs their distinct count) and numerical columns
   whose samples show few values. A column with more than `top_k` values keeps
   its `top_k` most frequent and folds the rest into one "other" bin.
4. Fine histograms, one `groupBy` over both datasets: the reference-and-current-fitted
   fine edges of the streaming engine (sample quantiles, global extremes,
   Sturges and chart edges), counted with a binary search (`Bucketizer`).
5. PSI on a numerical column: the values inside the few fine bins that hold
   the reference deciles are collected, which makes the deciles exact.

From there the statistics are the streaming engine's, computed on the driver
from the merged counts (streaming.py): exact for categories and binned
distances, with reported bounds for KS and Wasserstein. Columns with at most
10,000 values on both sides are collected and computed exactly, as the local
engine does (exact KS p-values need the samples). No Python runs on the
executors: every step is a built-in Spark expression.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from mlproof.drift import binning, engine as exact_engine, stats, streaming
from mlproof.drift.binning import Bins
from mlproof.drift.columns import INTEGER_CATEGORICAL_MAX_DISTINCT, Missing, type_family
from mlproof.drift.models import Approximation, ColumnDrift, DriftReport
from mlproof.drift.plan import ColumnPlan, Options, align
from mlproof.drift.policy import check_method_fits, default_method, resolve_method
from mlproof.drift.results import column_evidence, skipped, tested
from mlproof.drift.spark_session import get_session, import_pyspark, is_spark_dataframe, short_error
from mlproof.errors import MlproofError

SAMPLE_SIZE = 100_000  # per numerical column and dataset: fits the fine bins (their width, not their validity)
TOP_K_CATEGORIES = 10_000  # categories counted one by one per column; the rest share one "other" bin
SMALL_COLUMN_MAX = stats.KS_EXACT_MAX_N  # up to this many values per side, a column is collected and computed exactly
SEED = 0
TABLE_PREFIX = "table:"
FOLDED_METHODS = ("jensenshannon", "tvd", "hellinger")  # distances with a bound when categories are folded


# --- inputs ----------------------------------------------------------------------------------------


@dataclass
class SparkData:
    role: str
    frame: Any  # pyspark DataFrame
    label: str
    schema: Any = None  # Arrow schema mirroring the Spark schema (what plan.align reads)
    num_rows: int = 0
    spark_types: dict = field(default_factory=dict)


def load(session, data: Any, role: str) -> SparkData:
    """A pyspark DataFrame, `table:NAME`, a Parquet file or folder, or any local input (converted through Arrow)."""
    if is_spark_dataframe(data):
        return _described(SparkData(role, data, f"{role} (Spark DataFrame)"))
    if isinstance(data, str) and data.startswith(TABLE_PREFIX):
        name = data[len(TABLE_PREFIX):].strip()
        if not name:
            raise MlproofError(f"The {role} table name is empty; write table:NAME.")
        if not session.catalog.tableExists(name):
            raise MlproofError(f"Table {_shown(name)!r} is not in the Spark catalog.")
        return _described(SparkData(role, session.table(name), data))
    if isinstance(data, (str, Path)):
        return _described(SparkData(role, _read_path(session, data, role), str(data)))
    from mlproof.drift.readers import to_arrow

    table, source = to_arrow(data, role)
    return _described(SparkData(role, session.createDataFrame(table), source.label))


def _read_path(session, data, role: str):
    text = str(data)
    if "://" not in text:  # a local path: checked here, so the message names the file, not a Java exception
        path = Path(text).expanduser()
        if not path.exists():
            raise MlproofError(f"{_shown(text)} does not exist.")
        if path.is_file() and path.suffix.lower() not in (".parquet", ".pq"):
            raise MlproofError(f"The Spark engine reads Parquet files or folders and table:NAME; {_shown(path.name)} is not Parquet.")
        text = str(path.resolve())
    try:
        return session.read.parquet(text)
    except Exception as err:
        raise MlproofError(f"The {role} data at {_shown(text)} could not be read as Parquet ({short_error(err, hide=text)}).") from None


def _described(data: SparkData) -> SparkData:
    import pyarrow as pa

    fields = []
    for spark_field in data.frame.schema.fields:
        data.spark_types[spark_field.name] = spark_field.dataType
        fields.append(pa.field(spark_field.name, arrow_type(spark_field.dataType)))
    data.schema = pa.schema(fields)
    return data


def arrow_type(spark_type):
    """The Arrow type the local engine would see for a Spark column type (typing and mismatches follow it)."""
    import pyarrow as pa
    from pyspark.sql import types as T

    simple = [
        (T.DoubleType, pa.float64()), (T.FloatType, pa.float32()), (T.LongType, pa.int64()), (T.IntegerType, pa.int32()),
        (T.ShortType, pa.int16()), (T.ByteType, pa.int8()), (T.BooleanType, pa.bool_()),
        (T.StringType, pa.string()), (T.CharType, pa.string()), (T.VarcharType, pa.string()),
        (T.DateType, pa.date32()), (T.TimestampNTZType, pa.timestamp("us")), (T.TimestampType, pa.timestamp("us", tz="UTC")),
        (T.NullType, pa.null()), (T.BinaryType, pa.binary()),
    ]
    for cls, arrow in simple:
        if isinstance(spark_type, cls):
            return arrow
    if isinstance(spark_type, T.DecimalType):
        return pa.decimal128(spark_type.precision, spark_type.scale)
    if isinstance(spark_type, T.ArrayType):
        return pa.list_(arrow_type(spark_type.elementType))
    if isinstance(spark_type, T.MapType):
        return pa.map_(arrow_type(spark_type.keyType), arrow_type(spark_type.valueType))
    if isinstance(spark_type, T.StructType):
        return pa.struct([pa.field(f.name, arrow_type(f.dataType)) for f in spark_type.fields])
    return pa.binary()  # intervals, variants ...: reported as not testable


# --- the report --------------------------------------------------------------------------------------


def spark_drift_report(reference: Any, current: Any, options: Options, *, master: str | None = None,
                       progress=None, top_k: int = TOP_K_CATEGORIES) -> DriftReport:
    """drift_report on Spark; every Spark or py4j failure becomes one sentence."""
    import_pyspark()
    from py4j.protocol import Py4JError
    from pyspark.errors import PySparkException

    try:
        return _report(reference, current, options, master, progress, top_k)
    except (PySparkException, Py4JError) as err:
        raise MlproofError(f"Spark failed while computing the drift report ({short_error(err)}).") from None


def _report(reference, current, options: Options, master, progress, top_k: int) -> DriftReport:
    session = _session_for(reference, current, master)
    ref, cur = load(session, reference, "reference"), load(session, current, "current")
    plans, schema_diff = align(ref.schema, cur.schema, options)
    for plan in plans:
        _check_comparable(plan, ref, cur)
    live = [p for p in plans if p.mismatch is None and (streaming._numeric_candidate(p) or streaming._category_candidate(p))]
    steps = _Steps(progress, total=7)

    for data in (ref, cur):
        data.num_rows = data.frame.count()
        if data.num_rows == 0:
            raise MlproofError(f"The {data.role} dataset has no rows.")
    steps.tick()
    tallies = profile(ref, cur, live)
    steps.tick(2)

    counted = [p for p in live if _needs_counts(p, tallies)]
    counts = value_counts(ref, cur, counted, top_k)
    steps.tick()
    decided = {}
    for plan in live:
        if plan.name in counts:
            _fill_distinct(plan, counts[plan.name], tallies)
        decided[plan.name] = streaming.decide_type(plan, *_typing_facts(plan, counts))

    numerical = [p for p in live if decided[p.name][0] == "numerical" and _has_values(p, tallies)]
    small = [p for p in numerical if max(tallies[r]["numeric"][p.name].count for r in tallies) <= SMALL_COLUMN_MAX]
    samples = collect_values(ref, cur, small) if small else {}
    binned = [p for p in numerical if p not in small]
    edges = {p.name: streaming._fit_edges(tallies["reference"]["numeric"][p.name], tallies["current"]["numeric"][p.name]) for p in binned}
    histograms = fine_histograms(ref, cur, binned, edges)
    psi_plans = [p for p in binned if getattr(p.chosen_method("numerical")[0], "name", None) == "psi"]
    psi_bins = exact_psi_bins(ref, cur, psi_plans, edges, histograms) if psi_plans else {}
    steps.tick(3)

    results = []
    for plan in plans:
        rows = {"reference_rows": ref.num_rows, "current_rows": cur.num_rows}
        if plan.name not in decided:
            results.append(streaming.untracked(plan, rows))
            continue
        kind, source, reason = decided[plan.name]
        if kind == "numerical" and plan.name in samples.get("reference", {}):
            results.append(_small_numerical(plan, source, reason, tallies, samples, rows))
        elif kind == "numerical":
            results.append(_binned_numerical(plan, kind, source, reason, tallies, edges.get(plan.name), histograms, rows, psi_bins.get(plan.name)))
        elif kind == "categorical":
            results.append(_categorical(plan, source, reason, tallies, counts.get(plan.name), rows))
        else:
            results.append(skipped(plan, kind, source, reason, f"{kind} columns are not tested for drift ({reason})", **rows))
    return streaming.report_of(results, ref, cur, schema_diff, options, "spark")


class _Steps:
    def __init__(self, progress, total: int):
        self.progress, self.total, self.done = progress, total, 0

    def tick(self, n: int = 1) -> None:
        self.done = min(self.total, self.done + n)
        if self.progress is not None:
            self.progress(self.done, self.total)


def _session_for(reference, current, master):
    for data in (reference, current):
        if is_spark_dataframe(data):
            return data.sparkSession
    return get_session(master)


COMPARABLE_FAMILIES = ("float", "integer", "boolean", "string")


def _check_comparable(plan: ColumnPlan, ref: SparkData, cur: SparkData) -> None:
    """A type forced on a column must be one Spark can read it as; nested and binary columns cannot be compared."""
    if plan.type_override not in ("numerical", "categorical"):
        return
    for data, arrow in ((ref, plan.reference_type), (cur, plan.current_type)):
        family = type_family(arrow)
        readable = COMPARABLE_FAMILIES + (("datetime",) if plan.type_override == "categorical" else ())
        if family not in readable:
            spark_type = data.spark_types[plan.name].simpleString()
            if plan.type_override == "numerical" and family == "datetime":
                raise MlproofError(f"Column {_shown(plan.name)!r} cannot be read as numbers ({spark_type}); set its type to categorical.")
            raise MlproofError(f"Column {_shown(plan.name)!r} is {_shown(spark_type)} in the {data.role} data, which cannot be compared as {plan.type_override}.")


def _shown(text: str) -> str:
    text = "".join(ch for ch in str(text) if ch.isprintable())
    return text if len(text) <= 80 else text[:77] + "..."


# --- Spark jobs ----------------------------------------------------------------------------------------


def _col(name: str):
    from pyspark.sql import functions as F

    return F.col("`" + name.replace("`", "``") + "`")


def _reads_numbers(plan: ColumnPlan) -> bool:
    """Columns whose missing values include NaN/inf: numeric columns and anything read as numbers."""
    return streaming._numeric_candidate(plan) or type_family(plan.reference_type) in ("float", "integer")


def _as_double(plan: ColumnPlan):
    # try_cast: a string that is not a number is counted (and refused) instead of failing the job.
    return _col(plan.name).try_cast("double")


def _finite(plan: ColumnPlan):
    from pyspark.sql import functions as F

    value = _as_double(plan)
    return F.when(~F.isnan(value) & (F.abs(value) != math.inf), value)


def profile(ref: SparkData, cur: SparkData, live: list[ColumnPlan]) -> dict:
    """One aggregation over both datasets: missing counts, moments, extremes and a sample of the numerical columns."""
    from pyspark.sql import functions as F

    numeric = [p for p in live if _reads_numbers(p)]

    def projected(data: SparkData, role: int):
        columns = [F.isnull(_col(p.name)).alias(f"n{i}") for i, p in enumerate(live)]
        columns += [_finite(p).alias(f"v{i}") for i, p in enumerate(numeric)]
        columns += [F.isnan(_as_double(p)).alias(f"nan{i}") for i, p in enumerate(numeric)]
        columns += [(F.abs(_as_double(p)) == math.inf).alias(f"inf{i}") for i, p in enumerate(numeric)]
        columns += [(_col(p.name).isNotNull() & _as_double(p).isNull()).alias(f"bad{i}") for i, p in enumerate(numeric)]
        keep = F.rand(SEED + role) < min(1.0, SAMPLE_SIZE / data.num_rows)
        return data.frame.select(F.lit(role).alias("r"), keep.alias("keep"), *columns)

    aggregates = [F.count_if(F.col(f"n{i}")).alias(f"nulls{i}") for i in range(len(live))]
    for i in range(len(numeric)):
        v = F.col(f"v{i}")
        aggregates += [F.count(v).alias(f"count{i}"), F.count_if(F.col(f"nan{i}")).alias(f"nans{i}"),
                       F.count_if(F.col(f"inf{i}")).alias(f"infs{i}"), F.count_if(F.col(f"bad{i}")).alias(f"bads{i}"),
                       F.min(v).alias(f"min{i}"), F.max(v).alias(f"max{i}"), F.avg(v).alias(f"mean{i}"),
                       F.stddev_pop(v).alias(f"std{i}"), F.collect_list(F.when(F.col("keep"), v)).alias(f"sample{i}")]
    rows = {0: None, 1: None}
    if live:
        for row in projected(ref, 0).unionByName(projected(cur, 1)).groupBy("r").agg(*aggregates).collect():
            rows[row["r"]] = row
    return {data.role: _tallies(data, live, numeric, rows[role]) for role, data in ((0, ref), (1, cur))}


def _tallies(data: SparkData, live, numeric, row) -> dict:
    nulls = {p.name: int(row[f"nulls{i}"]) for i, p in enumerate(live)} if live else {}
    numeric_tallies, category_tallies = {}, {}
    for i, plan in enumerate(numeric):
        if row[f"bads{i}"] and plan.type_override == "numerical":
            raise MlproofError(f"Column {_shown(plan.name)!r} cannot be read as numbers ({data.spark_types[plan.name].simpleString()}); set its type to categorical.")
        count = int(row[f"count{i}"])
        tally = streaming.NumericTally(missing=Missing(null=nulls[plan.name], nan=int(row[f"nans{i}"]), inf=int(row[f"infs{i}"])), count=count)
        if count:
            tally.low, tally.high = float(row[f"min{i}"]), float(row[f"max{i}"])
            # std() reads (total_sq / count - (total / count)^2); moments come from Spark's stable merge.
            tally.shift, tally.total, tally.total_sq = float(row[f"mean{i}"]), 0.0, float(row[f"std{i}"]) ** 2 * count
            tally.sample = [np.asarray(row[f"sample{i}"], dtype=np.float64)]
        tally.distinct_overflow = True  # set from exact counts when the column has few values
        numeric_tallies[plan.name] = tally
    for plan in live:
        if streaming._category_candidate(plan):
            numeric_tally = numeric_tallies.get(plan.name)
            missing = numeric_tally.missing if numeric_tally is not None and type_family(plan.reference_type) == "float" else Missing(null=nulls[plan.name])
            category_tallies[plan.name] = CategoryCounts(missing=missing)
    return {"numeric": numeric_tallies, "categories": category_tallies}


@dataclass
class CategoryCounts:
    """Exact counts per category (the `top_k` largest), and the folded rest."""

    missing: Missing = field(default_factory=Missing)
    counts: dict = field(default_factory=dict)
    other: int = 0  # values in folded categories

    @property
    def size(self) -> int:
        return int(sum(self.counts.values())) + self.other


@dataclass
class ColumnCounts:
    reference: dict
    current: dict
    reference_other: int = 0
    current_other: int = 0
    folded: int = 0  # categories in the "other" bin
    reference_distinct: int = 0
    distinct: int = 0


def _needs_counts(plan: ColumnPlan, tallies) -> bool:
    """Categories, and integers that may have at most 10 values, are counted exactly; so are few-valued numbers."""
    if type_family(plan.reference_type) == "integer" and plan.type_override is None:
        sample = tallies["reference"]["numeric"][plan.name].sample_array()
        if np.unique(sample).size > INTEGER_CATEGORICAL_MAX_DISTINCT:  # more than 10 values: numerical for sure
            return _few_values_in_samples(plan, tallies)
        return True
    return streaming._category_candidate(plan) or _few_values_in_samples(plan, tallies)


def _few_values_in_samples(plan: ColumnPlan, tallies) -> bool:
    """A numerical column whose samples show at most 21 values on both sides: its values are counted exactly."""
    samples = [tallies[role]["numeric"].get(plan.name) for role in ("reference", "current")]
    if any(t is None or not t.count for t in samples):
        return False
    return all(np.unique(t.sample_array()).size <= streaming.DISTINCT_TRACK_MAX for t in samples)


def _value_key(plan: ColumnPlan):
    """The value as a grouping key (a string; read back by _parse_key)."""
    if plan.type_override == "numerical" or type_family(plan.reference_type) == "float":
        return _finite(plan).cast("string")
    return _col(plan.name).cast("string")


def _key_parser(plan: ColumnPlan):
    family = type_family(plan.reference_type)
    if plan.type_override == "numerical" or family == "float":
        return float
    if family == "integer":
        return int
    if family == "boolean":
        return lambda text: text == "true"
    return str


def value_counts(ref: SparkData, cur: SparkData, plans: list[ColumnPlan], top_k: int) -> dict[str, ColumnCounts]:
    """One groupBy over both datasets: (column, value) -> reference and current counts, top_k values kept per column."""
    if not plans:
        return {}
    from pyspark.sql import Window, functions as F

    def pairs(data: SparkData, role: int):
        keys = F.array(*[F.struct(F.lit(i).alias("c"), _value_key(p).alias("k")) for i, p in enumerate(plans)])
        return data.frame.select(F.explode(keys).alias("e")).select(F.lit(role).alias("r"), "e.c", "e.k").where(F.col("k").isNotNull())

    both = pairs(ref, 0).unionByName(pairs(cur, 1))
    per_value = both.groupBy("c", "k").agg(F.count_if(F.col("r") == 0).alias("ref"), F.count_if(F.col("r") == 1).alias("cur"))
    rank = F.row_number().over(Window.partitionBy("c").orderBy(F.desc(F.col("ref") + F.col("cur")), F.col("k")))
    ranked = per_value.select("c", "ref", "cur", F.when(rank <= top_k, F.col("k")).alias("kept"))
    rows = (ranked.groupBy("c", "kept")
            .agg(F.sum("ref").alias("ref"), F.sum("cur").alias("cur"), F.count(F.lit(1)).alias("values"),
                 F.count_if(F.col("ref") > 0).alias("ref_values"))
            .collect())
    out = {p.name: ColumnCounts({}, {}) for p in plans}
    parsers = [_key_parser(p) for p in plans]
    for row in rows:
        i = row["c"]
        column = out[plans[i].name]
        column.distinct += int(row["values"])
        column.reference_distinct += int(row["ref_values"])
        if row["kept"] is None:
            column.reference_other, column.current_other, column.folded = int(row["ref"]), int(row["cur"]), int(row["values"])
            continue
        key = parsers[i](row["kept"])
        if row["ref"]:
            column.reference[key] = int(row["ref"])
        if row["cur"]:
            column.current[key] = int(row["cur"])
    return out


def collect_values(ref: SparkData, cur: SparkData, plans: list[ColumnPlan]) -> dict[str, dict[str, np.ndarray]]:
    """The sorted finite values of small numerical columns (at most SMALL_COLUMN_MAX per column and side)."""
    from functools import reduce

    import pyarrow.compute as pc
    from pyspark.sql import functions as F

    def chosen(data: SparkData, role: int):
        frame = data.frame.select(F.lit(role).alias("r"), *[_finite(p).alias(f"v{i}") for i, p in enumerate(plans)])
        return frame.where(reduce(lambda a, b: a | b, [F.col(f"v{i}").isNotNull() for i in range(len(plans))]))

    table = chosen(ref, 0).unionByName(chosen(cur, 1)).toArrow()
    out = {}
    for r, role in ((0, "reference"), (1, "current")):
        part = table.filter(pc.equal(table.column("r"), r))
        out[role] = {p.name: np.sort(part.column(f"v{i}").drop_null().to_numpy().astype(np.float64)) for i, p in enumerate(plans)}
    return out


def fine_histograms(ref: SparkData, cur: SparkData, plans: list[ColumnPlan], edges: dict[str, np.ndarray]) -> dict:
    """Counts of every column's values in its fine bins (e_{i-1}, e_i], index i as streaming.py counts them.

    One binary search per value (Bucketizer) and one groupBy over both datasets; the shuffle carries
    at most (bins of every column) x 2 counts per partition.
    """
    if not plans:
        return {"reference": {}, "current": {}}
    from pyspark.ml.feature import Bucketizer
    from pyspark.sql import functions as F

    names = [p.name for p in plans]

    def negated(data: SparkData, role: int):
        return data.frame.select(F.lit(role).alias("r"), *[F.coalesce(-_finite(p), F.lit(math.nan)).alias(f"x{i}") for i, p in enumerate(plans)])

    # Bucketizer's bins are [s_j, s_j+1); on -v with the edges negated they are (e_i-1, e_i] for v.
    splits = [[-math.inf] + [-float(e) for e in edges[n][::-1]] + [math.inf] for n in names]
    bucketed = Bucketizer(splitsArray=splits, inputCols=[f"x{i}" for i in range(len(names))],
                          outputCols=[f"b{i}" for i in range(len(names))], handleInvalid="keep").transform(
        negated(ref, 0).unionByName(negated(cur, 1)))
    sizes = [edges[n].size + 1 for n in names]
    offsets = np.concatenate(([0], np.cumsum(sizes)))
    total = int(offsets[-1])
    # key = role * total + offset + (edges - bucket); NaN (no finite value) lands in the extra bucket and is dropped.
    keys = [F.when(F.col(f"b{i}") < sizes[i], F.col("r") * total + int(offsets[i] + sizes[i] - 1) - F.col(f"b{i}").cast("long"))
            for i in range(len(names))]
    rows = bucketed.select(F.explode(F.array(*keys)).alias("k")).where(F.col("k").isNotNull()).groupBy("k").count().collect()
    flat = np.zeros(2 * total, dtype=np.int64)
    for row in rows:
        flat[int(row["k"])] += int(row["count"])
    return {role: {n: flat[r * total + offsets[i]: r * total + offsets[i + 1]] for i, n in enumerate(names)}
            for r, role in ((0, "reference"), (1, "current"))}


def exact_psi_bins(ref: SparkData, cur: SparkData, plans: list[ColumnPlan], edges: dict, histograms: dict) -> dict[str, Bins]:
    """PSI's reference deciles exactly, as the local engine computes them, from one more small job.

    The fine histogram tells which fine bin holds each order statistic a decile needs; only the values
    in those few bins (of both datasets) are collected. From them the deciles (linear interpolation, as
    numpy) and the counts at most each decile are exact.
    """
    from functools import reduce

    import pyarrow.compute as pc
    from pyspark.sql import functions as F

    wanted = {}
    for plan in plans:
        e, cum = edges[plan.name], np.cumsum(histograms["reference"][plan.name])
        n = int(cum[-1])
        positions = np.arange(1, binning.PSI_BINS) / binning.PSI_BINS * (n - 1)
        first = np.searchsorted(cum, np.floor(positions), side="right")
        last = np.searchsorted(cum, np.minimum(np.floor(positions) + 1, n - 1), side="right")
        bins = sorted({int(b) for lo, hi in zip(first, last) for b in range(lo, hi + 1)})
        wanted[plan.name] = (bins, positions)

    def chosen(data: SparkData, role: int):
        columns = []
        for i, plan in enumerate(plans):
            e, value = edges[plan.name], _finite(plan)
            inside = [(value > float(e[b - 1])) & (value <= float(e[b])) if b > 0 else value <= float(e[0]) for b in wanted[plan.name][0]]
            columns.append(F.when(reduce(lambda a, b: a | b, inside), value).alias(f"v{i}"))
        frame = data.frame.select(F.lit(role).alias("r"), *columns)
        return frame.where(reduce(lambda a, b: a | b, [F.col(f"v{i}").isNotNull() for i in range(len(plans))]))

    table = chosen(ref, 0).unionByName(chosen(cur, 1)).toArrow()
    out = {}
    for i, plan in enumerate(plans):
        e = edges[plan.name]
        found = {}
        for r, role in ((0, "reference"), (1, "current")):
            part = table.filter(pc.equal(table.column("r"), r)).column(f"v{i}").drop_null().to_numpy()
            found[role] = np.sort(part.astype(np.float64))
        ref_cum, cur_cum = np.cumsum(histograms["reference"][plan.name]), np.cumsum(histograms["current"][plan.name])

        def at_rank(rank: int) -> float:
            b = int(np.searchsorted(ref_cum, rank, side="right"))
            start = ref_cum[b - 1] if b > 0 else 0
            in_bin = found["reference"][(found["reference"] > (e[b - 1] if b > 0 else -np.inf)) & (found["reference"] <= e[b])]
            return float(in_bin[rank - start])

        def at_most(values: np.ndarray, cum: np.ndarray, q: float) -> int:
            b = int(np.searchsorted(e, q, side="left"))  # q lies in (e[b-1], e[b]]
            below = cum[b - 1] if b > 0 else 0
            low = e[b - 1] if b > 0 else -np.inf
            return int(below + np.count_nonzero((values > low) & (values <= q)))

        positions = wanted[plan.name][1]
        n = int(ref_cum[-1])
        below = np.floor(positions).astype(np.int64)
        quantiles = [at_rank(lo) + (p - lo) * (at_rank(min(lo + 1, n - 1)) - at_rank(lo)) for lo, p in zip(below, positions)]
        inner = np.unique(quantiles)
        counts = {}
        for role, cum in (("reference", ref_cum), ("current", cur_cum)):
            upto = [at_most(found[role], cum, q) for q in inner]
            counts[role] = np.diff(np.concatenate(([0], upto, [int(cum[-1])])))
        out[plan.name] = Bins(kind="histogram", labels=binning.interval_labels(inner), reference=counts["reference"],
                              current=counts["current"], edges=[float(q) for q in inner], open_ends=True)
    return out


# --- from counts to results ----------------------------------------------------------------------------------


def _fill_distinct(plan: ColumnPlan, counted: ColumnCounts, tallies) -> None:
    """Exact value counts feed the typing (categories) and the per-value bins of few-valued numerical columns."""
    for role, values, other in (("reference", counted.reference, counted.reference_other), ("current", counted.current, counted.current_other)):
        categories = tallies[role]["categories"].get(plan.name)
        if categories is not None:
            categories.counts, categories.other = values, other
        numeric = tallies[role]["numeric"].get(plan.name)
        if numeric is not None and not counted.folded and counted.distinct <= streaming.DISTINCT_TRACK_MAX:
            numeric.distinct = {float(k): v for k, v in values.items()}
            numeric.distinct_overflow = False


def _typing_facts(plan: ColumnPlan, counts: dict[str, ColumnCounts]) -> tuple[int, int, bool]:
    """(distinct reference values, non-missing reference values, too many to track) for streaming.decide_type."""
    counted = counts.get(plan.name)
    if counted is None:
        return streaming.CATEGORY_TRACK_MAX + 1, 0, True
    present = int(sum(counted.reference.values())) + counted.reference_other
    return counted.reference_distinct, present, False


def _has_values(plan: ColumnPlan, tallies) -> bool:
    return all(tallies[role]["numeric"][plan.name].count for role in tallies)


def _numbers_counts(plan, tallies, rows) -> dict:
    ref_t, cur_t = tallies["reference"]["numeric"][plan.name], tallies["current"]["numeric"][plan.name]
    return streaming._counts(rows, ref_t.count, cur_t.count, ref_t, cur_t)


def _small_numerical(plan, source, reason, tallies, samples, rows) -> ColumnDrift:
    """Few enough values to collect: the local engine's exact computation on the collected samples."""
    if plan.method is not None:
        check_method_fits(plan.method, plan.name, "numerical")
    ref_sorted, cur_sorted = samples["reference"][plan.name], samples["current"][plan.name]
    return exact_engine._numerical(plan, source, reason, ref_sorted, cur_sorted, _numbers_counts(plan, tallies, rows))


def _binned_numerical(plan, kind, source, reason, tallies, edges, histograms, rows, psi: Bins | None = None) -> ColumnDrift:
    if edges is None:  # no usable value on one side: the streaming engine reports it
        return streaming._numerical(plan, kind, source, reason, tallies, None, histograms, rows)
    result = streaming._numerical(plan, kind, source, reason, tallies, edges, histograms, rows)
    if psi is not None and result.method == "psi":  # the exact deciles replace the streaming engine's snapped ones
        result.statistic = stats.psi(psi.reference, psi.current).statistic
        result.drifted = resolve_method("psi").drifted(result.statistic, None, result.threshold)
        result.evidence = [column_evidence(result)]
    ref_t = tallies["reference"]["numeric"][plan.name]
    if ref_t.low == ref_t.high:
        result.message = f"The reference column is constant ({ref_t.low:g})."
    return result


def _categorical(plan, source, reason, tallies, counted: ColumnCounts | None, rows) -> ColumnDrift:
    ref_t, cur_t = tallies["reference"]["categories"][plan.name], tallies["current"]["categories"][plan.name]
    counts = streaming._counts(rows, ref_t.size, cur_t.size, ref_t, cur_t)
    empty = exact_engine.empty_message(ref_t.size, cur_t.size, ref_t.missing, cur_t.missing)
    if empty:
        return skipped(plan, "categorical", source, reason, empty, **counts)
    if plan.method is not None:
        check_method_fits(plan.method, plan.name, "categorical")
    if counted is None or not counted.folded:
        return exact_engine._categorical(plan, source, reason, ref_t.counts, cur_t.counts, counts)
    return _folded_categorical(plan, source, reason, counted, counts)


def _folded_categorical(plan, source, reason, counted: ColumnCounts, counts: dict) -> ColumnDrift:
    """More categories than top_k: the distance over kept categories + one "other" bin, with bounds on the full one."""
    method, method_reason = plan.chosen_method("categorical")
    if method is None:
        method, method_reason = default_method("categorical", counts["reference_values"], counted.distinct)
    if method.name not in FOLDED_METHODS:
        raise MlproofError(
            f"Column {_shown(plan.name)!r} has {counted.distinct} categories, more than the {len(counted.reference | counted.current)} "
            f"counted one by one; {method.name} needs them all, so choose {', '.join(FOLDED_METHODS)} for it."
        )
    kept = binning.category_bins(counted.reference, counted.current)
    other_label = f"(other: {counted.folded} categories)"
    bins = Bins(kind="categories", labels=kept.labels + [other_label],
                reference=np.append(kept.reference, counted.reference_other), current=np.append(kept.current, counted.current_other))
    low, high = folded_bounds(method.name, bins.reference, bins.current)
    threshold = plan.threshold if plan.threshold is not None else method.default_threshold
    value = stats.TestValue(low, note=f"approximate: {counted.folded} least frequent categories folded into one bin")
    result = tested(plan, "categorical", source, reason, method, method_reason, value, bins, **counts)
    result.approximation = Approximation(
        method=f"top {len(kept.labels)} categories exact, {counted.folded} folded into one bin",
        bins=len(bins.labels), statistic_low=low, statistic_high=high,
        decision_certain=method.drifted(low, None, threshold) == method.drifted(high, None, threshold),
    )
    if not result.approximation.decision_certain:
        result.notes.append("the threshold lies inside the approximation bounds; raise top_k to settle it")
    return result


def folded_bounds(method: str, reference: np.ndarray, current: np.ndarray) -> tuple[float, float]:
    """Bounds on a distance over all categories from counts whose last bin merges many categories.

    Merging bins never increases an f-divergence, so the folded value is a lower bound. Each
    merged category i adds at most (p_i + q_i) / 2 to TVD, ln(2) (p_i + q_i) / 2 to the JS
    divergence and (p_i + q_i) / 2 to the squared Hellinger distance, which bounds it above.
    """
    p = reference / reference.sum()
    q = current / current.sum()
    folded_mass = (p[-1] + q[-1]) / 2
    kept_p, kept_q = p[:-1], q[:-1]
    if method == "tvd":
        low = 0.5 * float(np.abs(p - q).sum())
        high = 0.5 * float(np.abs(kept_p - kept_q).sum()) + folded_mass
    elif method == "hellinger":
        low = stats.hellinger(reference, current).statistic
        high = math.sqrt(min(1.0, 0.5 * float(((np.sqrt(kept_p) - np.sqrt(kept_q)) ** 2).sum()) + folded_mass))
    else:
        from scipy.special import rel_entr

        low = stats.jensen_shannon(reference, current).statistic
        mid = (kept_p + kept_q) / 2
        kept = (rel_entr(kept_p, mid).sum() + rel_entr(kept_q, mid).sum()) / 2
        high = math.sqrt(max(0.0, float(kept) + math.log(2) * folded_mass))
    return low, max(low, high)

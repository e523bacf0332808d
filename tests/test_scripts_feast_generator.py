"""scripts/feast_feature_definition_generator.py: the definitions it writes are accepted by `feast apply`
(refs environment, local provider, SQLite online store) and serve the file's values online and point in time."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.envs.refs_runner import FEATURE_STORE_YAML
from tests.refs_env import run_refs

from tests.helpers import load_script

REPO = Path(__file__).resolve().parents[1]
SCRIPT = REPO / "scripts" / "feast_feature_definition_generator.py"
T0 = datetime(2026, 3, 1, 6, tzinfo=timezone.utc)


generator = load_script(SCRIPT)


def activity_table() -> pa.Table:
    """Two customers, three daily snapshots each, with every column kind the generator maps or skips."""
    rows = [(customer, day) for customer in (1001, 1002) for day in range(3)]
    return pa.table({
        "customer_id": pa.array([c for c, _ in rows], pa.int64()),
        "event_timestamp": pa.array([T0 + timedelta(days=d) for _, d in rows], pa.timestamp("us", tz="UTC")),
        "created": pa.array([T0 + timedelta(days=d, hours=1) for _, d in rows], pa.timestamp("us", tz="UTC")),
        "sessions_7d": pa.array([c % 100 + d for c, d in rows], pa.int64()),
        "avg_order_value": pa.array([20.5 + d for _, d in rows], pa.float32()),
        "lifetime_value": pa.array([1000.25 * (d + 1) for _, d in rows], pa.float64()),
        "plan": pa.array(["basic" if c == 1001 else "premium" for c, _ in rows], pa.large_string()),
        "is_active": pa.array([d != 2 for _, d in rows], pa.bool_()),
        "recent_categories": pa.array([["books", f"day{d}"] for _, d in rows], pa.list_(pa.string())),
        "address": pa.array([{"city": "Lyon"} for _ in rows], pa.struct([("city", pa.string())])),
        "signup_day": pa.array([T0.date() for _ in rows], pa.date32()),
    })



# Runs in the refs environment after `feast apply`: materialise both views, read online and point in time.
READ_BACK = """
import json
from datetime import datetime, timezone
import pandas as pd
from feast import FeatureStore

store = FeatureStore(repo_path=".")
store.materialize(datetime(2026, 2, 28, tzinfo=timezone.utc), datetime(2026, 3, 10, tzinfo=timezone.utc))
activity = store.get_online_features(
    features=[f"customer_activity:{name}" for name in
              ("sessions_7d", "avg_order_value", "lifetime_value", "plan", "is_active", "recent_categories")],
    entity_rows=[{"customer_id": 1001}, {"customer_id": 1002}]).to_dict()
tickets = store.get_online_features(features=["support_tickets:open_tickets"],
                                    entity_rows=[{"account": "A-7"}, {"account": "A-9"}]).to_dict()
labels = pd.DataFrame({"customer_id": [1001], "event_timestamp": pd.to_datetime(["2026-03-02 12:00"], utc=True)})
training = store.get_historical_features(entity_df=labels, features=["customer_activity:sessions_7d"]).to_df()
print(json.dumps({
    "views": sorted(view.name for view in store.list_feature_views()),
    "activity": {key: [v if not isinstance(v, float) else round(v, 2) for v in values]
                 for key, values in activity.items()},
    "tickets": tickets,
    "point_in_time_sessions": [int(v) for v in training["sessions_7d"]],
}))
"""


def test_generated_definitions_apply_materialise_and_serve(tmp_path):
    repo = tmp_path / "feature_repo"
    (repo / "data").mkdir(parents=True)
    (repo / "feature_store.yaml").write_text(FEATURE_STORE_YAML)
    pq.write_table(activity_table(), repo / "data" / "customer_activity.parquet")
    # A CSV source with a string key and ISO timestamps: converted to Parquet beside it.
    (repo / "data" / "support_tickets.csv").write_text(
        "account,event_timestamp,open_tickets\n"
        "A-7,2026-03-01T06:00:00Z,2\nA-7,2026-03-02T06:00:00Z,5\nA-9,2026-03-01T06:00:00Z,0\n")

    assert generator.main([str(repo / "data" / "customer_activity.parquet"), "--entity", "customer_id",
                           "--created", "created", "--output", str(repo / "customer_activity.py"),
                           "--ttl-days", "3", "--owner", "growth-ml"]) == 0
    assert generator.main([str(repo / "data" / "support_tickets.csv"), "--entity", "account",
                           "--output", str(repo / "support_tickets.py")]) == 0
    assert (repo / "data" / "support_tickets.parquet").is_file()

    definitions = (repo / "customer_activity.py").read_text()
    assert "path='data/customer_activity.parquet'" in definitions  # relative to the repository
    assert "Field(name='recent_categories', dtype=Array(String))" in definitions
    assert "Field(name='plan', dtype=String)" in definitions and "dtype=Float32" in definitions
    assert "# Not a feature: 'address'" in definitions and "# Not a feature: 'signup_day'" in definitions
    assert "value_type=ValueType.INT64" in definitions and "created_timestamp_column='created'" in definitions

    applied = run_refs(["feast", "apply"], cwd=repo, timeout=600)
    assert applied.returncode == 0, applied.stdout[-2000:] + applied.stderr[-3000:]
    result = run_refs(["python", "-c", READ_BACK], cwd=repo, timeout=600)
    assert result.returncode == 0, result.stderr[-4000:]
    facts = json.loads(result.stdout.strip().splitlines()[-1])
    assert facts["views"] == ["customer_activity", "support_tickets"]
    activity = facts["activity"]
    # Online: each customer's latest snapshot (day 2), every supported type read back as written.
    assert activity["customer_id"] == [1001, 1002] and activity["sessions_7d"] == [3, 4]
    assert activity["avg_order_value"] == [22.5, 22.5] and activity["lifetime_value"] == [3000.75, 3000.75]
    assert activity["plan"] == ["basic", "premium"] and activity["is_active"] == [False, False]
    assert activity["recent_categories"] == [["books", "day2"], ["books", "day2"]]
    assert facts["tickets"] == {"account": ["A-7", "A-9"], "open_tickets": [5, 0]}
    # Point in time: a label at 03-02 12:00 sees the 03-02 06:00 snapshot (day 1), not the later one.
    assert facts["point_in_time_sessions"] == [2]


@pytest.mark.parametrize("change, args, message", [
    ("none", ["--entity", "account_id"], "entity column 'account_id' is not in the file"),
    ("none", ["--entity", "address"], "a join key must be an integer, string or bytes column"),
    ("none", ["--entity", "customer_id", "--timestamp", "plan"], "column 'plan' is large_string, not a timestamp"),
    ("no-created", ["--entity", "customer_id"], "has 2 timestamp columns; name the event time with --timestamp"),
    ("no-timestamps", ["--entity", "customer_id"], "has no timestamp column"),
    ("none", ["--entity", "customer_id", "--created", "created", "--ttl-days", "0"], "--ttl-days must be at least 1"),
])
def test_bad_input_is_one_sentence_and_writes_nothing(tmp_path, capsys, change, args, message):
    table = activity_table()
    if change == "no-timestamps":
        table = table.drop_columns(["event_timestamp", "created"])
    data = tmp_path / "activity.parquet"
    pq.write_table(table, data)
    output = tmp_path / "features.py"
    extra = [] if change == "no-created" or "--created" in args or change == "no-timestamps" else ["--created", "created"]
    assert generator.main([str(data), *args, *extra, "--output", str(output)]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert not output.exists()


def test_existing_files_are_not_replaced_without_force(tmp_path, capsys):
    data = tmp_path / "activity.parquet"
    pq.write_table(activity_table(), data)
    output = tmp_path / "features.py"
    output.write_text("# hand-edited definitions\n")
    assert generator.main([str(data), "--entity", "customer_id", "--created", "created", "--output", str(output)]) == 2
    assert "exists already; pass --force" in capsys.readouterr().err
    assert output.read_text() == "# hand-edited definitions\n"
    assert generator.main([str(data), "--entity", "customer_id", "--created", "created", "--output", str(output),
                           "--force"]) == 0
    assert "FeatureView(" in output.read_text()


def test_unreadable_and_unknown_files_are_reported_briefly(tmp_path, capsys):
    broken = tmp_path / ("b" * 120 + ".parquet")
    broken.write_bytes(b"not parquet at all")
    assert generator.main([str(broken), "--entity", "id", "--output", str(tmp_path / "f.py")]) == 2
    err = capsys.readouterr().err
    assert "could not be read as parquet" in err and "b" * 81 not in err
    other = tmp_path / "activity.json"
    other.write_text("{}")
    assert generator.main([str(other), "--entity", "id", "--output", str(tmp_path / "f.py")]) == 2
    assert "neither .parquet nor .csv" in capsys.readouterr().err
    assert not (tmp_path / "f.py").exists()

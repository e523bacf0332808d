"""examples/feast-feature-store end to end in the refs environment: apply, materialise, historical and online."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from tests.refs_env import run_refs

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "feast-feature-store"


def test_feast_example_runs_with_point_in_time_and_online_reads(tmp_path):
    project = tmp_path / "feast-feature-store"
    shutil.copytree(EXAMPLE, project, ignore=shutil.ignore_patterns("__pycache__", "data"))
    result = run_refs(["python", "run_example.py"], cwd=project)
    assert result.returncode == 0, result.stderr[-4000:]
    facts = json.loads(result.stdout.strip().splitlines()[-1])
    assert facts["feature_views"] == ["customer_activity"]
    # Point in time: 1001 at 03-03 12:00 -> the 03-03 06:00 snapshot (12); 1002 at 03-05 05:00 -> 03-04 (23),
    # not the 03-05 06:00 one. 1003's label is 13 days after its last snapshot (TTL 3 days): the file
    # offline store drops that row instead of returning a stale value.
    assert facts["label_rows"] == 3 and facts["training_customer_id"] == [1001, 1002]
    assert facts["training_sessions_7d"] == [12, 23]
    assert {"churned", "sessions_7d", "avg_order_value_30d", "support_tickets_30d"} <= set(facts["training_columns"])
    # Online: the latest materialised snapshot per customer.
    assert facts["online_customer_id"] == [1001, 1002] and facts["online_sessions_7d"] == [16, 26]
    # The stores were created inside the example's repository, nowhere else.
    assert (project / "feature_repo" / "data" / "online_store.db").is_file()
    assert (project / "feature_repo" / "data" / "registry.db").is_file()

"""Feature definitions: one entity, one Parquet source, one feature view, one feature service."""

from datetime import timedelta

from feast import Entity, FeatureService, FeatureView, Field, FileSource
from feast.types import Float32, Int64

customer = Entity(name="customer", join_keys=["customer_id"], description="A paying customer")

customer_activity_source = FileSource(
    name="customer_activity",
    path="data/customer_activity.parquet",  # relative to this repository; written by generate_data.py
    timestamp_field="event_timestamp",
    created_timestamp_column="created",
)

customer_activity = FeatureView(
    name="customer_activity",
    entities=[customer],
    ttl=timedelta(days=3),  # a training row older than this gets no value (null), not a stale one
    schema=[
        Field(name="sessions_7d", dtype=Int64),
        Field(name="avg_order_value_30d", dtype=Float32),
        Field(name="support_tickets_30d", dtype=Int64),
    ],
    source=customer_activity_source,
    online=True,
    tags={"owner": "growth-ml"},
)

# The contract a model version depends on: record this name (and the git commit) on the model version.
churn_model_v1 = FeatureService(name="churn_model_v1", features=[customer_activity])

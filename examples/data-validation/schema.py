"""The data contract of the churn training table, as a pandera DataFrameModel.

One class is the contract: column types and ranges, allowed categories, a unique key, no unexpected
columns, and a table-level check on the label rate. The pipeline step and the CI job both import it.
"""

import pandera.pandas as pa
from pandera.typing import Series

PLANS = ["basic", "standard", "premium"]
# The churn rate seen in production over the last year is 15-30 %: far outside that, the extract is broken.
CHURN_RATE_BOUNDS = (0.02, 0.60)


class ChurnTrainingData(pa.DataFrameModel):
    customer_id: Series[int] = pa.Field(gt=0, unique=True)
    tenure_months: Series[int] = pa.Field(ge=0, le=600)
    monthly_charges: Series[float] = pa.Field(gt=0, le=1000)
    plan: Series[str] = pa.Field(isin=PLANS)
    churned: Series[int] = pa.Field(isin=[0, 1])

    class Config:
        strict = True  # an unexpected column (say, one only known after the customer left) breaks the contract
        coerce = False  # a type change upstream is a finding, not something to paper over

    @pa.dataframe_check
    def churn_rate_is_plausible(cls, frame) -> bool:
        low, high = CHURN_RATE_BOUNDS
        return low <= frame["churned"].mean() <= high

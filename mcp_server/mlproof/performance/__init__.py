"""Model performance with delayed labels: join the prediction log with ground truth, judge quality over time.

    from mlproof.performance import model_performance
    report = model_performance("predictions.jsonl", "labels.csv", baseline=0.9, window="1d")

The engine (numpy, scipy, pyarrow) loads on first use, so importing the models stays light.
"""

__all__ = ["LabelRecord", "PerformanceReport", "PredictionRecord", "model_performance"]


def __getattr__(name: str):
    if name == "model_performance":
        from mlproof.performance.engine import model_performance

        return model_performance
    if name == "PerformanceReport":
        from mlproof.performance.models import PerformanceReport

        return PerformanceReport
    if name in ("PredictionRecord", "LabelRecord"):
        from mlproof.performance import schema

        return getattr(schema, name)
    raise AttributeError(name)

"""A/B test statistics: conversion and continuous metrics, power, sample size, sequential and Bayesian views.

    from mlproof.experiments import ab_test
    report = ab_test(control={"conversions": 1500, "users": 15000}, treatment={"conversions": 1680, "users": 15000})

The engine (scipy) loads on first use, so importing the models stays light for the MCP server's tools/list.
"""

__all__ = ["ABReport", "ab_test"]


def __getattr__(name: str):
    if name == "ab_test":
        from mlproof.experiments.engine import ab_test

        return ab_test
    if name == "ABReport":
        from mlproof.experiments.models import ABReport

        return ABReport
    raise AttributeError(name)

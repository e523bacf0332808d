"""`mlproof ab`: analyse or plan an A/B test.

Exit status: 0 the analysis ran (whatever it found); 1 with --fail-unless-better
when the treatment is not significantly better (or the split is broken); 2 bad input.
"""

from __future__ import annotations

import argparse
import json
import sys

from mlproof.errors import MlproofError
from mlproof.experiments.inputs import shown

ARM_HELP = "'CONVERSIONS/USERS' (e.g. 1500/15000) or 'mean=M,sd=S,n=N' for a continuous metric."


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "ab",
        help="A/B test statistics: z-test, chi-square, intervals, power, MDE, sample size, sequential bounds, Bayesian.",
        description=(
            "Analyse two arms (counts, summary statistics or a data file with one row per user), or plan a test from "
            "a baseline. Exit status: 0 done, 1 with --fail-unless-better when the treatment is not significantly "
            "better, 2 bad input."
        ),
    )
    parser.add_argument("--control", metavar="ARM", help="Control arm: " + ARM_HELP)
    parser.add_argument("--treatment", metavar="ARM", help="Treatment arm, same form.")
    parser.add_argument("--data", metavar="FILE", help="One row per user (.csv, .parquet, .jsonl): a group column and a value column.")
    parser.add_argument("--group-column", help="Column naming the arm (default: variant, group, arm or bucket).")
    parser.add_argument("--value-column", help="Metric column: 0/1 for a conversion, numbers for a continuous metric.")
    parser.add_argument("--control-group", help="Which group is the control (default: one named control, a, baseline or champion).")
    parser.add_argument("--baseline", metavar="RATE|mean=M,sd=S", help="Plan a test: the control's conversion rate, or its mean and sd.")
    parser.add_argument("--metric", choices=["conversion", "continuous"], help="Force the metric type (default: from the input).")
    parser.add_argument("--alpha", type=float, default=0.05, help="Two-sided significance level (default 0.05).")
    parser.add_argument("--power", type=float, default=0.8, help="Power for the MDE and sample size (default 0.8).")
    parser.add_argument("--target-lift", type=float, metavar="LIFT", help="Smallest lift worth detecting: absolute (0.01 = 1 point), or relative with --relative.")
    parser.add_argument("--relative", action="store_true", help="--target-lift is relative (0.05 = +5%%).")
    parser.add_argument("--ratio", type=float, default=1.0, help="Planned treatment users per control user (default 1).")
    parser.add_argument("--looks", type=int, help="Planned number of analyses for a group-sequential design.")
    parser.add_argument("--look", type=int, help="Which look this analysis is (1..LOOKS).")
    parser.add_argument("--information-fractions", metavar="T1,T2,...", help="Information fraction of each look (default: equally spaced).")
    parser.add_argument("--prior", default="1,1", metavar="A,B", help="Beta prior of each arm's conversion rate (default 1,1).")
    parser.add_argument("--expected-split", type=float, default=0.5, help="Planned share of control users, for the sample ratio check (default 0.5).")
    parser.add_argument("--format", choices=["md", "json"], default="md", help="Output format (default: md).")
    parser.add_argument("--fail-unless-better", action="store_true", help="Exit 1 unless the treatment is significantly better and the split is sound.")
    parser.set_defaults(handler=run)


def parse_arm(text: str | None, what: str):
    """'1500/15000' -> {"conversions": 1500, "users": 15000}; 'mean=1,sd=2,n=3' -> {"mean": 1.0, ...}."""
    if text is None:
        return None
    text = text.strip()
    if "/" in text and "=" not in text:
        parts = text.split("/")
        if len(parts) == 2:
            try:
                return {"conversions": int(parts[0]), "users": int(parts[1])}
            except ValueError:
                pass
        raise MlproofError(f"--{what} expects CONVERSIONS/USERS with whole numbers, got {shown(text)}.")
    if "=" in text:
        return _pairs(text, what)
    raise MlproofError(f"--{what} expects CONVERSIONS/USERS or mean=M,sd=S,n=N, got {shown(text)}.")


def _pairs(text: str, what: str) -> dict:
    values = {}
    for part in text.split(","):
        key, sep, value = part.partition("=")
        if not sep:
            raise MlproofError(f"--{what} expects key=value pairs separated by commas, got {shown(part)}.")
        try:
            number = float(value)
        except ValueError:
            raise MlproofError(f"--{what}: {shown(key.strip())} must be a number, got {shown(value)}.") from None
        values[key.strip()] = int(number) if key.strip() == "n" and number.is_integer() else number
    return values


def _number(text: str, what: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise MlproofError(f"--{what} expects a number, got {shown(text)}.") from None


def _floats(text: str, what: str) -> list[float]:
    try:
        return [float(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise MlproofError(f"--{what} expects numbers separated by commas, got {shown(text)}.") from None


def run(args: argparse.Namespace) -> int:
    from mlproof.experiments import ab_test

    baseline = None
    if args.baseline is not None:
        if args.fail_unless_better:
            raise MlproofError("--fail-unless-better needs observed arms, not a plan.")
        baseline = _pairs(args.baseline, "baseline") if "=" in args.baseline else _number(args.baseline, "baseline")
    prior = _floats(args.prior, "prior")
    report = ab_test(
        parse_arm(args.control, "control"), parse_arm(args.treatment, "treatment"),
        data=args.data, group_column=args.group_column, value_column=args.value_column, control_group=args.control_group,
        baseline=baseline, metric=args.metric, alpha=args.alpha, power=args.power, target_lift=args.target_lift,
        lift_type="relative" if args.relative else "absolute", ratio=args.ratio, looks=args.looks, look=args.look,
        information_fractions=_floats(args.information_fractions, "information-fractions") if args.information_fractions else None,
        prior=tuple(prior), expected_split=args.expected_split,
    )
    if args.format == "json":
        sys.stdout.write(json.dumps(report.model_dump(mode="json"), indent=2) + "\n")
    else:
        sys.stdout.write(report.to_markdown())
    if args.fail_unless_better:
        better = bool(report.significant) and (report.absolute_lift.value > 0)
        if not better or (report.sample_ratio and report.sample_ratio.mismatch):
            print("The treatment is not significantly better (or the split is broken).", file=sys.stderr)
            return 1
    return 0

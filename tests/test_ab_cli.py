"""`mlproof ab` and the `ab_test` tool: reports, verdicts, exit codes and one-sentence refusals."""

from __future__ import annotations

import json
from pathlib import Path

import anyio
import pytest

from mlproof.cli import main
from mlproof.experiments import ab_test

REPO = Path(__file__).resolve().parents[1]
CONTROL = {"conversions": 1500, "users": 15000}
TREATMENT = {"conversions": 1680, "users": 15000}


def test_conversion_report_carries_every_view_with_its_method():
    report = ab_test(CONTROL, TREATMENT, target_lift=0.01, looks=5, look=3)
    assert report.kind == "conversion" and report.significant is True
    assert {t.name for t in report.tests} == {"z-test", "chi-square"}
    assert report.absolute_lift.value == pytest.approx(0.012) and report.absolute_lift.ci_low > 0
    assert "Newcombe" in report.absolute_lift.method and "delta method" in report.relative_lift.method
    assert report.power.mde_absolute == pytest.approx(0.00991, abs=1e-4)
    assert report.sample_size.users_control == 14751 and report.sample_size.sequential_users_control > 14751
    assert report.sequential.crossed is True and report.sequential.current_look == 3
    assert report.bayesian.probability_treatment_better > 0.999 and report.sample_ratio.mismatch is False
    assert "look 3 of 5" in report.verdict and "O'Brien-Fleming" in report.peeking


def test_interim_look_below_the_bound_says_continue_even_when_p_is_small():
    report = ab_test({"conversions": 1000, "users": 10000}, {"conversions": 1090, "users": 10000}, looks=4, look=1)
    fixed_p = report.tests[0].p_value
    assert fixed_p < 0.05 and report.significant is False
    assert report.sequential.decision.startswith("Continue to look 2")


def test_not_significant_verdict_reports_the_mde_and_a_mismatched_split_is_flagged():
    quiet = ab_test({"conversions": 500, "users": 5000}, {"conversions": 510, "users": 5000})
    assert quiet.significant is False and "No significant difference" in quiet.verdict and "detect" in quiet.verdict
    broken = ab_test({"conversions": 500, "users": 5000}, {"conversions": 560, "users": 5600})
    assert broken.sample_ratio.mismatch is True and broken.verdict.startswith("Sample ratio mismatch")


def test_small_counts_add_fisher_exact():
    report = ab_test({"conversions": 1, "users": 20}, {"conversions": 6, "users": 21})
    fisher = next(t for t in report.tests if t.name == "Fisher exact")
    from scipy.stats import fisher_exact

    odds, p_value = fisher_exact([[6, 15], [1, 19]])
    assert fisher.p_value == pytest.approx(p_value) and fisher.statistic == pytest.approx(odds)
    assert any("Fisher" in note for note in report.notes)


def test_plan_gives_sample_sizes_and_sequential_maximum():
    plan = ab_test(baseline=0.10, target_lift=0.10, lift_type="relative", looks=4)
    assert plan.kind == "plan" and plan.sample_size.users_control == 14751
    assert plan.sequential.inflation_factor > 1 and plan.sample_size.sequential_users_control > 14751
    continuous = ab_test(baseline={"mean": 50.0, "sd": 20.0}, target_lift=2.0)
    assert continuous.metric == "continuous" and continuous.sample_size.users_control > 700


BAD = [
    ({"control": {"conversions": 20, "users": 10}, "treatment": TREATMENT}, "conversions but only"),
    ({"control": {"conversions": -1, "users": 10}, "treatment": TREATMENT}, "at least 0"),
    ({"control": {"conversions": 1.5, "users": 10}, "treatment": TREATMENT}, "whole number"),
    ({"control": {"conversions": True, "users": 10}, "treatment": TREATMENT}, "whole number"),
    ({"control": {"mean": float("nan"), "sd": 1, "n": 5}, "treatment": {"mean": 1, "sd": 1, "n": 5}}, "finite"),
    ({"control": {"mean": 1, "sd": 0, "n": 5}, "treatment": {"mean": 1, "sd": 1, "n": 5}}, "positive"),
    ({"control": {"mean": 1, "sd": 1, "n": 5}, "treatment": TREATMENT}, "same metric"),
    ({"control": {"clicks": 1}, "treatment": TREATMENT}, "conversions and users"),
    ({"control": CONTROL}, "both arms"),
    ({}, "exactly one of"),
    ({"control": CONTROL, "treatment": TREATMENT, "alpha": float("nan")}, "finite"),
    ({"control": CONTROL, "treatment": TREATMENT, "alpha": 0.7}, "alpha"),
    ({"control": CONTROL, "treatment": TREATMENT, "power": 0.01}, "larger than alpha"),
    ({"control": CONTROL, "treatment": TREATMENT, "looks": 0}, "at least 1"),
    ({"control": CONTROL, "treatment": TREATMENT, "looks": 3}, "which of the 3 looks"),
    ({"control": CONTROL, "treatment": TREATMENT, "looks": 3, "look": 4}, "past the 3"),
    ({"control": CONTROL, "treatment": TREATMENT, "looks": 3, "look": 1, "information_fractions": [0.5, 0.5, 1]}, "increase"),
    ({"control": CONTROL, "treatment": TREATMENT, "prior": (0, 1)}, "positive"),
    ({"control": CONTROL, "treatment": TREATMENT, "target_lift": 0.95}, "range 0-1"),
    ({"control": {"conversions": 0, "users": 10}, "treatment": {"conversions": 0, "users": 10}}, "No user converted"),
    ({"baseline": 0.1}, "target_lift"),
    ({"baseline": 1.5, "target_lift": 0.01}, "strictly between"),
]


@pytest.mark.parametrize("kwargs,fragment", BAD, ids=[b[1] for b in BAD])
def test_bad_input_is_one_sentence(kwargs, fragment):
    from mlproof.errors import MlproofError

    arms = (kwargs.pop("control", None), kwargs.pop("treatment", None))
    with pytest.raises(MlproofError) as caught:
        ab_test(*arms, **kwargs)
    message = str(caught.value)
    assert fragment.lower() in message.lower() and "\n" not in message and message.endswith(".") and len(message) < 200


@pytest.mark.parametrize("content,fragment", [
    ("variant,converted\ncontrol,1\ntreatment,\n", "missing"),
    ("variant,converted\ncontrol,1\ntreatment,nan\n", "missing"),  # CSV reads nan as null
    ("variant,converted\na,1\nb,0\nc,1\n", "exactly two groups"),
    ("variant,converted\nx,1\ny,0\n", "which group is the control"),
    ("cohort,converted\ncontrol,1\ntreatment,0\n", "group_column"),
])
def test_bad_data_files_are_refused(tmp_path, content, fragment):
    from mlproof.errors import MlproofError

    path = tmp_path / "ab.csv"
    path.write_text(content)
    with pytest.raises(MlproofError, match=fragment):
        ab_test(data=str(path))


def test_nan_in_a_parquet_value_column_is_refused(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    from mlproof.errors import MlproofError

    path = tmp_path / "ab.parquet"
    pq.write_table(pa.table({"variant": ["control", "treatment", "treatment"], "revenue": [1.0, float("nan"), 2.0]}), path)
    with pytest.raises(MlproofError, match="NaN"):
        ab_test(data=str(path))


def test_cli_formats_and_exit_codes(tmp_path, capsys):
    assert main(["ab", "--control", "1500/15000", "--treatment", "1680/15000"]) == 0
    markdown = capsys.readouterr().out
    assert markdown.startswith("# A/B test (conversion)") and "## Peeking" in markdown
    assert main(["ab", "--control", "1500/15000", "--treatment", "1680/15000", "--format", "json", "--fail-unless-better"]) == 0
    assert json.loads(capsys.readouterr().out)["significant"] is True
    assert main(["ab", "--control", "500/5000", "--treatment", "510/5000", "--fail-unless-better"]) == 1
    capsys.readouterr()
    data = tmp_path / "users.csv"
    data.write_text("variant,converted\n" + "control,1\n" * 150 + "control,0\n" * 1350 + "treatment,1\n" * 168 + "treatment,0\n" * 1332)
    assert main(["ab", "--data", str(data), "--format", "json"]) == 0
    from_file = json.loads(capsys.readouterr().out)
    assert main(["ab", "--control", "150/1500", "--treatment", "168/1500", "--format", "json"]) == 0
    from_counts = json.loads(capsys.readouterr().out)
    assert from_file["tests"] == from_counts["tests"] and from_file["source"] == str(data)
    assert main(["ab", "--baseline", "mean=50,sd=20", "--target-lift", "0.05", "--relative", "--looks", "3"]) == 0
    assert "continuous" in capsys.readouterr().out


@pytest.mark.parametrize("args,fragment", [
    (["--control", "15/10", "--treatment", "1/2"], "only 10 users"),
    (["--control", "abc", "--treatment", "1/2"], "CONVERSIONS/USERS"),
    (["--control", "mean=x,sd=1,n=2", "--treatment", "1/2"], "must be a number"),
    (["--baseline", "0.1", "--target-lift", "0.01", "--fail-unless-better"], "observed arms"),
    (["--control", "1/10", "--treatment", "2/10", "--alpha", "nan"], "finite"),
])
def test_cli_bad_input_exits_2_with_one_line_and_no_output(args, fragment, capsys):
    assert main(["ab", *args]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and fragment in captured.err and captured.err.count("\n") == 1


def test_ab_test_tool_over_mcp(tmp_path):
    from mcp import Client

    from mlproof.server import create_server

    data = tmp_path / "users.jsonl"
    data.write_text("".join(json.dumps({"arm": g, "revenue": v}) + "\n" for g, v in
                            [("control", 10.0), ("control", 12.5), ("control", 9.0), ("treatment", 13.0), ("treatment", 14.5), ("treatment", 11.0)]))

    async def scenario():
        async with Client(create_server(allow=[tmp_path])) as client:
            result = await client.call_tool("ab_test", {"control": CONTROL, "treatment": TREATMENT, "target_lift": 0.01})
            assert not result.is_error
            assert result.structured_content["sample_size"]["users_control"] == 14751
            assert json.loads(result.content[0].text) == result.structured_content
            from_file = await client.call_tool("ab_test", {"data": str(data)})
            assert from_file.structured_content["kind"] == "continuous"
            refused = await client.call_tool("ab_test", {"control": {"conversions": 5, "users": 2}, "treatment": TREATMENT})
            assert refused.is_error and "conversions but only" in refused.content[0].text
            outside = await client.call_tool("ab_test", {"data": "/etc/passwd"})
            assert outside.is_error and "outside the folders" in outside.content[0].text

    anyio.run(scenario)

"""Replay the recorded transcripts through every grader, the report and the CLI.

The transcripts under evals/transcripts are hand-written examples, labelled
good / weak / fabricated; their tool results were recorded from mlproof's real
tools. Grading runs against a freshly seeded MLflow store and the fixtures, so
a transcript whose numbers no longer match what the engines compute fails here.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import sys
from pathlib import Path

import pytest

from mlproof.cli import main as mlproof_main
from mlproof.evals import report
from mlproof.evals.graders import GRADERS
from mlproof.evals.providers.replay import ReplayProvider, load_transcript
from mlproof.evals.runner import EvalRun, run_eval, seed_store
from mlproof.evals.scenarios import TRANSCRIPTS_DIR, load_scenarios

EVIDENCE_GRADERS = {"cited_files_exist", "numbers_match", "grounded_statistics", "drift_agrees", "audit_agrees",
                    "gate_agrees", "names_best_run"}


@pytest.fixture(scope="module")
def tracking_uri(tmp_path_factory) -> str:
    return seed_store(tmp_path_factory.mktemp("eval-store"))


EPOCHS = 2  # two epochs reach the pairs that have a second recorded transcript


@pytest.fixture(scope="module")
def replay_run(tracking_uri) -> EvalRun:
    scenarios = load_scenarios()
    provider = ReplayProvider(TRANSCRIPTS_DIR)
    return asyncio.run(run_eval(scenarios, ["baseline", "skill", "skill+tools"], provider, epochs=EPOCHS,
                                tracking_uri=tracking_uri, resamples=2000))


def expected_label(scenario: str, condition: str, epoch: int) -> str:
    """The label of the transcript the replay provider serves for this episode (N-th file, wrapping)."""
    recorded = ReplayProvider(TRANSCRIPTS_DIR).recorded[(scenario, condition)]
    return recorded[epoch % len(recorded)].label


def test_scenario_set_covers_the_brief():
    scenarios = load_scenarios()
    open_ids = {s.id for s in scenarios if s.kind == "open"}
    grounded = [s for s in scenarios if s.kind == "grounded"]
    assert {"open-startup-stack", "open-fraud-feature-consistency", "open-accuracy-decay", "open-mlflow-vs-wandb",
            "open-churn-rollout"} <= open_ids
    assert len(grounded) >= 10
    assert {s.fixture for s in grounded} >= {"churn-model", "fraud-feast", "notebook-only"}
    assert any(s.mlflow for s in grounded)


def test_every_transcript_grades_as_labelled(replay_run):
    files = list(TRANSCRIPTS_DIR.rglob("*.yaml"))
    assert all(load_transcript(p).label in ("good", "weak", "fabricated") for p in files)
    assert not replay_run.skipped
    assert len(replay_run.episodes) == 3 * len(replay_run.scenarios) * EPOCHS
    assert {e.transcript.label for e in replay_run.episodes} == {"good", "weak", "fabricated"}
    for result in replay_run.episodes:
        label = expected_label(result.scenario, result.condition, result.epoch)
        failures = [f"{a.name}: {a.why}" for a in result.assertions if not a.passed]
        if label == "good":
            assert result.passed, (result.scenario, result.condition, failures)
        else:
            assert not result.passed, (result.scenario, result.condition, label)
        if label == "fabricated":
            # Invented evidence must be caught by an evidence check, not only by wording checks.
            assert {a.type for a in result.assertions if not a.passed} & EVIDENCE_GRADERS, (result.scenario, failures)


def test_every_grader_is_exercised_both_ways(replay_run):
    outcomes: dict[str, set[bool]] = {}
    for result in replay_run.episodes:
        for a in result.assertions:
            outcomes.setdefault(a.type, set()).add(a.passed)
    for name in GRADERS:
        assert outcomes.get(name) == {True, False}, f"{name} is not exercised with a pass and a fail: {outcomes.get(name)}"


def test_summary_and_comparisons(replay_run):
    rates = {s.condition: s.pass_rate for s in replay_run.summary}
    assert rates["baseline"] < rates["skill"] < rates["skill+tools"]
    by_pair = {(c.treatment, c.control, c.metric): c for c in replay_run.comparisons}
    tools_vs_base = by_pair[("skill+tools", "baseline", "pass")]
    assert tools_vs_base.scenarios == len(replay_run.scenarios)
    assert tools_vs_base.ci_low <= tools_vs_base.mean_difference <= tools_vs_base.ci_high
    assert {s.condition: s.tool_calls > 0 for s in replay_run.summary} == {"baseline": False, "skill": False, "skill+tools": True}


def test_markdown_and_json_reports(replay_run):
    markdown = report.to_markdown(replay_run)
    for heading in ("## Pass rate per condition", "## Paired differences", "## Scenarios", "## Assertions"):
        assert heading in markdown
    assert "| skill+tools vs baseline | pass |" in markdown
    assert "✘ **" in markdown and "✔ **" in markdown
    again = EvalRun.model_validate_json(report.to_json(replay_run))
    assert again == replay_run


def test_record_then_replay_gives_the_same_grades(tmp_path, tracking_uri):
    scenarios = load_scenarios(pattern="drift-fraud-*,open-churn-rollout")
    first = asyncio.run(run_eval(scenarios, ["skill", "skill+tools"], ReplayProvider(TRANSCRIPTS_DIR),
                                 record_dir=tmp_path / "rec", tracking_uri=tracking_uri, resamples=100))
    recorded = sorted(p.relative_to(tmp_path / "rec").as_posix() for p in (tmp_path / "rec").rglob("*.yaml"))
    assert recorded == sorted(f"{s.id}/{c}.0.yaml" for s in scenarios for c in ("skill", "skill+tools"))
    second = asyncio.run(run_eval(scenarios, ["skill", "skill+tools"], ReplayProvider(tmp_path / "rec"),
                                  tracking_uri=tracking_uri, resamples=100))
    assert [(e.scenario, e.condition, e.passed, e.score) for e in first.episodes] == \
           [(e.scenario, e.condition, e.passed, e.score) for e in second.episodes]


def test_missing_transcripts_are_reported_as_skipped(tmp_path):
    shutil.copytree(TRANSCRIPTS_DIR / "open-churn-rollout", tmp_path / "open-churn-rollout")
    scenarios = load_scenarios(pattern="open-churn-rollout,open-startup-stack")
    run = asyncio.run(run_eval(scenarios, ["baseline", "skill"], ReplayProvider(tmp_path), resamples=100))
    assert {(s.scenario, s.condition) for s in run.skipped} == {("open-startup-stack", "baseline"), ("open-startup-stack", "skill")}
    assert "no recorded transcript" in run.skipped[0].reason
    assert "## Skipped" in report.to_markdown(run)
    assert {e.scenario for e in run.episodes} == {"open-churn-rollout"}


def test_cli_writes_markdown_and_json(tmp_path, capsys):
    code = mlproof_main(["eval", "--provider", "replay", "--scenarios", "open-*", "--epochs", "2",
                         "--output", str(tmp_path / "out"), "--summary-only"])
    assert code == 0
    stdout = capsys.readouterr().out
    assert stdout.startswith("# mlproof eval") and "## Assertions" not in stdout
    data = json.loads((tmp_path / "out" / "eval-report.json").read_text())
    assert data["epochs"] == 2 and len(data["episodes"]) == 5 * 3 * 2
    assert (tmp_path / "out" / "eval-report.md").read_text().startswith("# mlproof eval")


@pytest.mark.parametrize("argv, message", [
    (["--transcripts", "/nonexistent/transcripts"], "transcripts directory /nonexistent/transcripts does not exist"),
    (["--conditions", "baseline,magic"], "Unknown condition 'magic'"),
    (["--scenarios", "no-such-*"], "No scenario matches 'no-such-*'"),
    (["--provider", "command"], "needs --command"),
    (["--epochs", "0", "--scenarios", "open-startup-stack"], "--epochs must be at least 1"),
])
def test_cli_bad_input_is_one_line(argv, message, capsys, monkeypatch):
    monkeypatch.delenv("MLPROOF_EVAL_COMMAND", raising=False)
    code = mlproof_main(["eval", *argv])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert err[-1].startswith("error: ") and message in err[-1], err


def test_command_provider_runs_a_cli_agent_in_a_scratch_copy(tmp_path, tracking_uri):
    """Any CLI agent: prompt on stdin, answer on stdout, run inside a throwaway copy of the fixture."""
    agent = tmp_path / "agent.py"
    agent.write_text(
        "import os, sys\n"
        "prompt = sys.stdin.read()\n"
        "open('agent-was-here.txt', 'w').write('x')\n"  # a write must land in the scratch copy
        "print('## Verdict\\nNot done: BLOCKED. Missing canary, drift schedule, retraining, prediction logging, rollback.')\n"
        "print('Condition', os.environ['MLPROOF_EVAL_CONDITION'], 'cwd-has-serve', os.path.exists('src/churn/serve.py'))\n"
        "print('Evidence: src/churn/serve.py:15 loads models:/churn-classifier@champion')\n"
        "print('SKILL' if 'anti-fake-pass-gate' in prompt else 'NOSKILL')\n"
    )
    from mlproof.evals.providers import make_provider

    provider = make_provider("command", command=f"{sys.executable} {agent}")
    scenarios = load_scenarios(pattern="gate-churn-deployment-done")
    run = asyncio.run(run_eval(scenarios, ["baseline", "skill"], provider, tracking_uri=tracking_uri, resamples=100))
    base, skill = run.episodes
    assert "Condition baseline cwd-has-serve True" in base.transcript.answer and "NOSKILL" in base.transcript.answer
    assert "Condition skill" in skill.transcript.answer and skill.transcript.answer.rstrip().endswith("SKILL")
    assert base.passed and skill.passed, [a for e in run.episodes for a in e.assertions if not a.passed]
    assert not list(Path("evals/fixtures/churn-model").rglob("agent-was-here.txt"))

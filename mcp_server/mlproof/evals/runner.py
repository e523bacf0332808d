"""Run scenarios x conditions x epochs through a provider, grade every answer, summarize.

Per scenario: resolve the fixture, seed a demo MLflow store once per eval when
any scenario needs one, open the mlproof MCP server in-process for skill+tools,
run the episodes, grade them against facts the engines compute.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from contextlib import AsyncExitStack
from datetime import datetime, timezone
from pathlib import Path

from pydantic import BaseModel, Field

from mlproof.errors import MlproofError
from mlproof.evals import scenarios as scenario_files
from mlproof.evals.facts import Facts
from mlproof.evals.graders import grade_transcript
from mlproof.evals.judge import judge
from mlproof.evals.models import EpisodeResult, Scenario, Transcript
from mlproof.evals.providers.base import ChatProvider, Episode, Provider
from mlproof.evals.providers.http import EpisodeError, ProviderUnreachable
from mlproof.evals.providers.replay import save_transcript
from mlproof.evals.stats import ConditionSummary, PairedDifference, comparisons, summarize
from mlproof.evals.toolbox import NoTools, Toolbox, mlproof_toolbox


class Skipped(BaseModel):
    scenario: str
    condition: str
    reason: str


class EvalRun(BaseModel):
    schema_version: int = 1
    started_at: str
    provider: str
    model: str | None
    judge: str | None = None
    conditions: list[str]
    epochs: int
    seed: int
    scenarios: list[str]
    episodes: list[EpisodeResult] = Field(default_factory=list)
    skipped: list[Skipped] = Field(default_factory=list)
    summary: list[ConditionSummary] = Field(default_factory=list)
    comparisons: list[PairedDifference] = Field(default_factory=list)


ProgressFn = Callable[[int, int, str], None]


def seed_store(directory: Path) -> str:
    """A fresh demo MLflow store under `directory` (real scikit-learn runs, versions, aliases)."""
    from mlproof.tracking.seed import seed_demo_store

    directory.mkdir(parents=True, exist_ok=True)
    uri = f"sqlite:///{(directory / 'mlflow.db').resolve()}"
    seed_demo_store(uri)
    return uri


async def run_eval(
    scenarios: list[Scenario],
    conditions: list[str],
    provider: Provider,
    *,
    epochs: int = 1,
    seed: int = 0,
    judge_provider: ChatProvider | None = None,
    record_dir: Path | None = None,
    tracking_uri: str | None = None,
    fixtures_dir: Path = scenario_files.FIXTURES_DIR,
    skills_dir: Path | None = None,
    toolbox_factory: Callable[[list[Path]], Toolbox] = mlproof_toolbox,
    progress: ProgressFn | None = None,
    resamples: int = 10_000,
) -> EvalRun:
    if epochs < 1:
        raise MlproofError("--epochs must be at least 1.")
    unknown = [c for c in conditions if c not in ("baseline", "skill", "skill+tools")]
    if unknown:
        raise MlproofError(f"Unknown condition {unknown[0]!r}; use baseline, skill and/or skill+tools.")
    run = EvalRun(
        started_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        provider=provider.name,
        model=provider.model,
        judge=judge_provider.model if judge_provider else None,
        conditions=conditions,
        epochs=epochs,
        seed=seed,
        scenarios=[s.id for s in scenarios],
    )
    # Check every skill text up front: a typo should stop the run before any paid call.
    for scenario in scenarios:
        if provider.name != "replay" and any(c != "baseline" for c in conditions):
            scenario_files.skill_text(scenario.skill, skills_dir)
        scenario_files.fixture_dir(scenario, fixtures_dir)

    total = len(scenarios) * len(conditions) * epochs
    done = 0
    with tempfile.TemporaryDirectory(prefix="mlproof-eval-") as scratch:
        scratch_dir = Path(scratch)
        store_dir = scratch_dir / "mlflow"
        if tracking_uri is None and any(s.mlflow for s in scenarios):
            tracking_uri = seed_store(store_dir)
        facts_cache: dict[str | None, Facts] = {}
        for scenario in scenarios:
            fixture = scenario_files.fixture_dir(scenario, fixtures_dir)
            uri = tracking_uri if scenario.mlflow else None
            facts = facts_cache.setdefault(f"{fixture}|{uri}", Facts(fixture, uri))
            prompt = scenario_files.render_prompt(scenario, fixture, uri)
            roots = [p for p in (fixture, store_dir if uri and store_dir.exists() else None) if p is not None]
            for condition in conditions:
                reason = provider.skip_reason(scenario, condition)
                if reason:
                    run.skipped.append(Skipped(scenario=scenario.id, condition=condition, reason=reason))
                    done += epochs
                    if progress:
                        progress(done, total, f"{scenario.id} / {condition}: skipped")
                    continue
                # Replayed answers were produced elsewhere; only live providers need the context text.
                system = "" if provider.name == "replay" else scenario_files.system_text(scenario, condition, skills_dir)
                async with AsyncExitStack() as stack:
                    toolbox: Toolbox = NoTools()
                    if condition == "skill+tools" and provider.name != "replay" and provider.name != "command":
                        toolbox = await stack.enter_async_context(toolbox_factory(roots))
                    for epoch in range(epochs):
                        workdir = _scratch_fixture(fixture, scratch_dir, scenario.id, condition, epoch) if provider.name == "command" else None
                        episode_prompt = prompt if workdir is None else scenario_files.render_prompt(scenario, workdir, uri)
                        episode = Episode(scenario=scenario, condition=condition, epoch=epoch, system=system,
                                          prompt=episode_prompt, toolbox=toolbox, workdir=workdir)
                        transcript = await _run_episode(provider, episode, answered=any(not e.transcript.error for e in run.episodes))
                        if record_dir is not None:
                            save_transcript(transcript, record_dir, epoch)
                        grades = grade_transcript(scenario, transcript, prompt, facts)
                        if judge_provider is not None:
                            grades += await judge(judge_provider, scenario, prompt, transcript)
                        passed_count = sum(g.passed for g in grades)
                        run.episodes.append(EpisodeResult(
                            scenario=scenario.id,
                            condition=condition,
                            epoch=epoch,
                            passed=bool(grades) and passed_count == len(grades),
                            score=passed_count / len(grades) if grades else 0.0,
                            assertions=grades,
                            transcript=transcript,
                        ))
                        done += 1
                        if progress:
                            progress(done, total, f"{scenario.id} / {condition} #{epoch}: {passed_count}/{len(grades)}")
    run.summary = [summarize(run.episodes, c) for c in conditions]
    run.comparisons = comparisons(run.episodes, conditions, seed=seed, resamples=resamples)
    return run


async def _run_episode(provider: Provider, episode: Episode, *, answered: bool = True) -> Transcript:
    """One episode; a provider that cannot be reached before it ever answered ends the eval (a 0% report
    would read as a measurement)."""
    try:
        transcript = await provider.run(episode)
    except ProviderUnreachable as err:
        if not answered:
            raise MlproofError(f"{err} No answer was measured; check the provider's address and network.") from None
        transcript = Transcript(scenario=episode.scenario.id, condition=episode.condition, provider=provider.name,
                                model=provider.model, answer="", error=str(err))
    except EpisodeError as err:
        transcript = Transcript(scenario=episode.scenario.id, condition=episode.condition, provider=provider.name,
                                model=provider.model, answer="", error=str(err))
    # A replayed transcript keeps its own provider/model; the pairing keys must match this run.
    transcript.scenario, transcript.condition = episode.scenario.id, episode.condition
    return transcript


def _scratch_fixture(fixture: Path | None, scratch: Path, scenario_id: str, condition: str, epoch: int) -> Path:
    """A throwaway copy of the fixture for a CLI agent to work in (it may write files)."""
    target = scratch / "work" / f"{scenario_id}-{condition.replace('+', '-')}-{epoch}"
    if fixture is None:
        target.mkdir(parents=True, exist_ok=True)
    else:
        shutil.copytree(fixture, target)
    return target

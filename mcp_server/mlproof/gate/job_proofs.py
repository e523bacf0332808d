"""Proofs about what jobs and tests run: drift on a schedule, retraining, the champion comparison, rollback.

Each is decided from jobs with their triggers (a commented-out trigger is never
parsed; a disabled job or a suspended schedule does not count) and from the code
their commands reach and actually run (jobruns.py, flow.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from pathlib import PurePosixPath

import yaml

from mlproof.evidence import Evidence, Link
from mlproof.gate.context import GateContext
from mlproof.gate.cron import schedule_period
from mlproof.gate.flow import Node, is_test_path
from mlproof.gate.jobruns import JobRun, calls_in_closure, command_matches, job_run, trigger_link
from mlproof.gate.models import ProofPart
from mlproof.gate.values import matches

MAX_NOTES = 4


@dataclass
class Found:
    """One job (or test) that does the thing, with the chain from its trigger to the code."""

    job: object
    chain: list[Link]
    what: str
    trigger: object = None
    experiment: str | None = None


def _evidence(ctx: GateContext, found: Found, detector: str) -> Evidence:
    last = found.chain[-1] if found.chain else None
    return Evidence(kind="file", path=last.path if last else None, line=last.line if last else None,
                    snippet=(last.snippet if last else "")[:160], detector=f"gate:{detector}",
                    context="ci" if found.trigger is not None else "code", chain=found.chain)


def _summary(run: JobRun) -> str:
    """What a job runs, in a few words, for the message when it does not do what was asked."""
    words = [" ".join(c.argv[:3]) for c in run.commands[:3]]
    files = sorted({node[0] for node in run.closure})[:2]
    return "; ".join(words + files) or "nothing mlproof can follow"


# ----------------------------------------------------------------------------- what code does

def drift_computations(ctx: GateContext, run: JobRun) -> list[tuple[list[Link], str, str | None]]:
    """(chain, what, experiment) for each place the job computes drift."""
    signals = ctx.signals["drift"]
    found = []
    for command in run.commands:
        if command_matches(command.argv, signals["commands"]):
            experiment = None
            if "--log-to-mlflow" in command.argv:
                position = command.argv.index("--log-to-mlflow") + 1
                experiment = command.argv[position] if position < len(command.argv) else None
            found.append((command.chain, " ".join(command.argv[:2]), experiment))
    for node, call, chain in calls_in_closure(ctx, run.closure, signals["calls"]):
        found.append((chain, call.name, None))
    own = re.compile(signals["own_function_name"])
    for node, chain in run.closure.items():
        if node[1] and own.search(node[1].rsplit(".", 1)[-1]):
            maths = [c for c in ctx.flow.live_calls(node) if matches(c.name, signals["own_function_calls"])]
            if len({c.name for c in maths}) >= 2:
                found.append(([*chain, ctx.flow.link(node[0], maths[0].line, "computes")], f"{node[1]}()", None))
    return found


def performance_checks(ctx: GateContext, run: JobRun) -> list[tuple[list[Link], str]]:
    signals = ctx.signals["performance"]
    found = [(c.chain, " ".join(c.argv[:2])) for c in run.commands if command_matches(c.argv, signals["commands"])]
    found += [(chain, call.name) for _, call, chain in calls_in_closure(ctx, run.closure, signals["calls"])]
    return found


def trainings(ctx: GateContext, run: JobRun) -> list[tuple[list[Link], str]]:
    signals = ctx.signals["training"]
    found = [(c.chain, " ".join(c.argv[:2])) for c in run.commands if command_matches(c.argv, signals["commands"])]
    found += [(chain, call.name) for node, call, chain in calls_in_closure(ctx, run.closure, signals["calls"])
              if not is_test_path(node[0])]
    return found


def _live_triggers(job) -> list:
    return [] if job.disabled else [t for t in job.triggers if not t.disabled]


def _why_not_scheduled(job) -> str:
    if job.disabled:
        return "the job is disabled"
    if any(t.kind == "schedule" and t.disabled for t in job.triggers):
        return "its schedule is disabled or suspended"
    kinds = sorted({t.kind for t in job.triggers}) or ["none"]
    return f"it has no schedule (triggers: {', '.join(kinds)})"


# ----------------------------------------------------------------------------- drift scheduled

def drift_scheduled(ctx: GateContext) -> tuple[ProofPart, list[Found]]:
    found: list[Found] = []
    notes: list[str] = []
    for job in ctx.jobs():
        run = job_run(ctx, job)
        computations = drift_computations(ctx, run)
        schedules = job.scheduled
        if computations and schedules:
            for trigger in schedules:
                chain, what, experiment = computations[0]
                found.append(Found(job, [trigger_link(ctx, trigger), *chain], what, trigger, experiment))
        elif computations:
            notes.append(f"{job.path} computes drift ({computations[0][1]}) but {_why_not_scheduled(job)}")
        elif schedules:
            notes.append(f"the schedule in {job.path}:{schedules[0].line} runs no drift computation ({_summary(run)})")
    if found:
        periods = [p for f in found if (p := schedule_period(f.trigger.detail)) is not None]
        first = found[0]
        detail = (f"{first.job.system} job {first.job.name!r} runs on schedule {first.trigger.detail!r} and computes drift "
                  f"({first.what})" + (f"; period {_days(min(periods))}" if periods else ""))
        return ProofPart(source="repo", name="scheduled drift job", status="satisfied", detail=detail,
                         evidence=[_evidence(ctx, f, "drift_schedule") for f in found[:3]]), found
    if not ctx.jobs():
        return ProofPart(source="repo", name="scheduled drift job", status="missing",
                         detail="the repository defines no job or schedule (CI workflow, CronJob, DAG, scheduler)"), []
    return ProofPart(source="repo", name="scheduled drift job", status="missing",
                     detail="no enabled schedule runs code that computes drift" + (": " + "; ".join(notes[:MAX_NOTES]) if notes else "")), []


def _days(period: timedelta) -> str:
    hours = period.total_seconds() / 3600
    return f"{hours / 24:g} days" if hours >= 24 else f"{hours:g} hours"


# ----------------------------------------------------------------------------- retraining

def _workflow_names(ctx: GateContext, job) -> set[str]:
    names = {job.name, PurePosixPath(job.path).stem, PurePosixPath(job.path).name}
    if job.path.startswith(".github/workflows/"):
        try:
            data = yaml.safe_load(ctx.text(job.path))
            if isinstance(data, dict) and isinstance(data.get("name"), str):
                names.add(data["name"])
        except yaml.YAMLError:
            pass
    return {n for n in names if n}


def _monitoring_jobs(ctx: GateContext) -> list[tuple[object, list[Link], str]]:
    """Jobs that compute drift or check performance: what a retraining can be triggered by."""
    found = []
    for job in ctx.jobs():
        if job.disabled:
            continue
        run = job_run(ctx, job)
        checks = [(c[0], c[1]) for c in drift_computations(ctx, run)] + performance_checks(ctx, run)
        if checks:
            found.append((job, checks[0][0], checks[0][1]))
    return found


def retraining_trigger(ctx: GateContext) -> ProofPart:
    found: list[Found] = []
    notes: list[str] = []
    monitors = _monitoring_jobs(ctx)
    for job in ctx.jobs():
        run = job_run(ctx, job)
        trains = trainings(ctx, run)
        live = _live_triggers(job)
        if not trains:
            if job.scheduled:
                notes.append(f"the schedule in {job.path}:{job.scheduled[0].line} trains nothing ({_summary(run)})")
            continue
        chain, what = trains[0]
        for trigger in job.scheduled:
            found.append(Found(job, [trigger_link(ctx, trigger), *chain], f"scheduled retraining ({what})", trigger))
        names = _workflow_names(ctx, job)
        for trigger in live:
            if trigger.kind != "upstream":
                continue
            for monitor, monitor_chain, check in monitors:
                if monitor is not job and any(re.search(rf"(?<![\w-]){re.escape(n)}(?![\w-])", trigger.detail) for n in _workflow_names(ctx, monitor)):
                    found.append(Found(job, [*monitor_chain, trigger_link(ctx, trigger), *chain],
                                       f"retraining after the {check} job {monitor.name!r}", trigger))
        for monitor, monitor_chain, check in monitors:
            if monitor is job and monitor.scheduled:
                found.append(Found(job, [trigger_link(ctx, monitor.scheduled[0]), *monitor_chain, *chain],
                                   f"the {check} job retrains ({what})", monitor.scheduled[0]))
            elif monitor is not job:
                for command in job_run(ctx, monitor).commands:
                    if command_matches(command.argv, ctx.signals["training"]["dispatch_commands"]) and \
                            any(n in command.argv or any(a.endswith("/" + n) for a in command.argv) for n in names):
                        found.append(Found(job, [*monitor_chain, *command.chain, *chain],
                                           f"the {check} job {monitor.name!r} starts {job.name!r}", None))
        if not found or found[-1].job is not job:
            notes.append(f"{job.path} trains ({what}) but {_why_not_scheduled(job)} and no drift or performance check starts it")
    if found:
        first = found[0]
        return ProofPart(source="repo", name="retraining trigger", status="satisfied",
                         detail=f"{first.job.system} job {first.job.name!r}: {first.what}",
                         evidence=[_evidence(ctx, f, "retraining_trigger") for f in found[:3]])
    return ProofPart(source="repo", name="retraining trigger", status="missing",
                     detail="no schedule, drift or performance trigger starts code that trains"
                     + (": " + "; ".join(notes[:MAX_NOTES]) if notes else ""))


# ----------------------------------------------------------------------------- champion comparison

def champion_gate(ctx: GateContext) -> ProofPart:
    signals = ctx.signals["champion"]
    notes = []
    for job in ctx.jobs():
        if job.disabled or not _live_triggers(job):
            continue
        run = job_run(ctx, job)
        reads = calls_in_closure(ctx, run.closure, signals["reads"])
        flips = calls_in_closure(ctx, run.closure, signals["flips"])
        comparisons = _blocking_comparisons(ctx, run.closure)
        if reads and comparisons and flips:
            node, comparison, chain = comparisons[0]
            evidence = [Evidence(kind="file", path=node[0], line=comparison.line, snippet=ctx.flow.line(node[0], comparison.line),
                                 detector="gate:champion_comparison", context="ci", chain=chain),
                        Evidence(kind="file", path=flips[0][0][0], line=flips[0][1].line, snippet=ctx.flow.line(flips[0][0][0], flips[0][1].line),
                                 detector="gate:alias_flip", context="ci", chain=flips[0][2])]
            return ProofPart(source="repo", name="champion comparison", status="satisfied", evidence=evidence,
                             detail=f"{job.system} job {job.name!r} reads the champion from the registry, compares "
                                    f"({', '.join(comparison.names[:4])}) and stops before the alias flip when the challenger loses")
        if flips:
            notes.append(f"{job.path} flips an alias " + ("without a blocking comparison" if not comparisons else "without reading the champion"))
    return ProofPart(source="repo", name="champion comparison", status="missing",
                     detail="no CI job compares the challenger with the champion before flipping the alias"
                     + (": " + "; ".join(notes[:MAX_NOTES]) if notes else ""))


def _blocking_comparisons(ctx: GateContext, closure: dict[Node, list[Link]]) -> list:
    found = []
    for node, chain in closure.items():
        facts = ctx.flow.facts(node[0])
        if facts is None:
            continue
        for comparison in facts.comparisons:
            if comparison.blocks and not comparison.dead and ctx.flow.owner(node[0], comparison.function, comparison.line) == node[1]:
                found.append((node, comparison, [*chain, ctx.flow.link(node[0], comparison.line, "compares")]))
    return found


# ----------------------------------------------------------------------------- rollback

PYTEST_DEFAULT_FILES = ("test_*.py", "*_test.py")


def _collected_test_files(ctx: GateContext):
    """A predicate on file paths: does pytest collect this file, by the repository's `python_files` setting
    (pyproject.toml, pytest.ini, tox.ini, setup.cfg) or pytest's defaults?"""
    import configparser
    import fnmatch

    options = ctx.model.resolver.repo.toml("pyproject.toml").get("tool", {}).get("pytest", {}).get("ini_options", {})
    setting = options.get("python_files") if isinstance(options, dict) else None
    patterns = setting.split() if isinstance(setting, str) else [p for p in setting or [] if isinstance(p, str)]
    for name, section in (("pytest.ini", "pytest"), ("tox.ini", "pytest"), ("setup.cfg", "tool:pytest")):
        if patterns:
            break
        text = ctx.model.texts.get(name)
        if not text:
            continue
        parser = configparser.ConfigParser(interpolation=None)
        try:
            parser.read_string(text)
        except configparser.Error:
            continue
        if parser.has_option(section, "python_files"):
            patterns = parser.get(section, "python_files").split()
    patterns = patterns or list(PYTEST_DEFAULT_FILES)
    return lambda rel: any(fnmatch.fnmatch(rel.rsplit("/", 1)[-1], pattern) for pattern in patterns)


def rollback_rehearsal(ctx: GateContext) -> ProofPart:
    signals = ctx.signals["rollback"]
    words = re.compile(signals["words"])
    tokens = [name.rsplit(".", 1)[-1] for name in signals["calls"]] + [p[1] for p in signals["commands"] if len(p) > 1]
    notes = []
    collected = _collected_test_files(ctx)
    for rel in ctx.files:
        if not (rel.endswith(".py") and is_test_path(rel) and collected(rel)):
            continue  # a test the runner never collects never runs (tests/rollback_check.py under pytest's defaults)
        text = ctx.text(rel)
        related = [rel, *ctx.model.local_imports(rel)]
        if not any(words.search(ctx.text(r)) or any(t in ctx.text(r) for t in tokens) for r in related):
            continue
        facts = ctx.flow.facts(rel)
        if facts is None:
            continue
        for function in facts.functions:
            short = function.name.rsplit(".", 1)[-1]
            if not short.startswith("test"):
                continue
            chain = [ctx.flow.link(rel, function.line, "test")]
            closure = ctx.flow.closure([((rel, function.name), chain), ((rel, None), chain)])
            hits = _rollback_hits(ctx, closure, words, function.name)
            if not hits:
                continue
            if function.skipped or function.dead or _skipped_by_container(facts, function.name):
                notes.append(f"{rel}:{function.line} {short} is skipped")
                continue
            if function.asserts == 0:
                notes.append(f"{rel}:{function.line} {short} asserts nothing" + (" (only assert True)" if function.trivial_asserts else ""))
                continue
            return ProofPart(source="repo", name="rollback rehearsal", status="satisfied",
                             detail=f"the test {short} runs the rollback path and asserts its result",
                             evidence=[Evidence(kind="file", path=hits[0][-1].path, line=hits[0][-1].line, snippet=hits[0][-1].snippet,
                                                detector="gate:rollback_test", context="code", chain=hits[0])])
    for job in ctx.jobs():
        if job.disabled or not _live_triggers(job):
            continue
        run = job_run(ctx, job)
        for command in run.commands:
            if command_matches(command.argv, signals["commands"]):
                trigger = _live_triggers(job)[0]
                chain = [trigger_link(ctx, trigger), *command.chain]
                return ProofPart(source="repo", name="rollback rehearsal", status="satisfied",
                                 detail=f"{job.system} job {job.name!r} runs {' '.join(command.argv[:3])}",
                                 evidence=[Evidence(kind="file", path=chain[-1].path, line=chain[-1].line, snippet=chain[-1].snippet,
                                                    detector="gate:rollback_step", context="ci", chain=chain)])
        hits = _rollback_hits(ctx, run.closure, words, job.name)
        if hits:
            trigger = _live_triggers(job)[0]
            return ProofPart(source="repo", name="rollback rehearsal", status="satisfied",
                             detail=f"{job.system} job {job.name!r} runs the rollback code",
                             evidence=[Evidence(kind="file", path=hits[0][-1].path, line=hits[0][-1].line, snippet=hits[0][-1].snippet,
                                                detector="gate:rollback_step", context="ci", chain=[trigger_link(ctx, trigger), *hits[0]])])
    return ProofPart(source="repo", name="rollback rehearsal", status="missing",
                     detail="no test that runs and asserts, and no CI step, exercises a rollback (alias flip back, helm rollback, traffic back)"
                     + (": " + "; ".join(notes[:MAX_NOTES]) if notes else ""))


def _skipped_by_container(facts, function: str) -> bool:
    """A test method of a skipped class, or any test of a module skipped as a whole
    (`pytestmark = pytest.mark.skip(...)`, `pytest.skip(..., allow_module_level=True)`)."""
    owner = function.rsplit(".", 1)[0].rsplit(".", 1)[-1] if "." in function else None
    if owner and any(cls.name == owner and any(re.search(r"(?:^|\.)(?:skip|xfail)$", d) for d in cls.decorators) for cls in facts.classes):
        return True
    return any(c.function is None and not c.decorator and not c.dead and re.search(r"(?:mark\.(?:skip|xfail)|pytest\.skip)$", c.name)
               for c in facts.calls)


def _rollback_hits(ctx: GateContext, closure, words, root_name: str) -> list[list[Link]]:
    """Chains to a rollback: a rollback command in code, or an alias/traffic flip in the repository's own (non-test)
    code on a path that names a rollback. A test that flips the alias itself is only setting up."""
    from mlproof.gate.jobruns import code_commands

    hits = [c.chain for c in code_commands(ctx, closure) if command_matches(c.argv, ctx.signals["rollback"]["commands"])]
    for node, call, chain in calls_in_closure(ctx, closure, ctx.signals["rollback"]["calls"]):
        if is_test_path(node[0]):
            continue
        named = [node[0], node[1] or "", *(link.snippet for link in chain)]
        if any(words.search(text) for text in named):
            hits.append(chain)
    return hits

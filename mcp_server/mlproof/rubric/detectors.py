"""Grading rules: hits from the scan -> one verdict per check, with evidence.

The generic rule is "the best signal wins": a pass-level signal in code or
config passes; a docs, comment or dependency-only hit is at most partial;
nothing found fails (or is n/a when the check cannot apply to this kind of
repository). Checks whose practice is a combination (seed AND config, tests
AND CI running them, ...) have their own rule in RULES.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from mlproof.evidence import Evidence, Link
from mlproof.model.kind import EXAMPLE_DIR, decide_kind
from mlproof.repo.redact import redact, safe_fragment, snippet
from mlproof.rubric.catalog import Check
from mlproof.rubric.engine import FACTS, SNIPPET_CHARS, TEST_PATH, Hit, ScanResult
from mlproof.rubric.models import CheckResult

MAX_EVIDENCE = 5
CONTEXT_ORDER = {"code": 0, "config": 1, "ci": 1, "docker": 1, "path": 2, "deps": 3, "comment": 4, "docs": 5}
CONTEXT_WORDS = {"docs": "documentation", "comment": "comments", "deps": "dependency declarations"}


@dataclass
class RepoFacts:
    """What kind of repository this is, and where its model code lives."""

    kind: str  # project | template | tutorial | library | serving-only
    reason: str
    kind_evidence: list[str]
    training_code: list[Hit]
    training_notebooks: list[Hit]
    ml_code: list[Hit]
    ml_notebooks: list[Hit]


def _located(hits: list[Hit]) -> list[str]:
    return [f"{h.path}:{h.line}" if h.line else h.path for h in hits]


def repo_facts(scan: ScanResult) -> RepoFacts:
    facts = [h for h in scan.hits.get(FACTS, []) if h.context in {"code", "path"}]
    source = [h for h in facts if h.role in {"training", "inference", "ml_import"} and not TEST_PATH.search(h.path)]
    training_code = [h for h in source if h.role == "training" and h.cell is None]
    training_notebooks = [h for h in source if h.role == "training" and h.cell is not None]
    ml_code = [h for h in source if h.cell is None]
    ml_notebooks = [h for h in source if h.cell is not None]
    serving = [h for h in scan.hits.get("deploy.serving", []) if h.level == "pass" and h.context in {"code", "config", "path"}]
    decided = decide_kind(
        [f.rel for f in scan.inventory.all_paths], scan.readme,
        training=_located(training_code + training_notebooks), serving=_located(serving),
        inference=_located([h for h in ml_code if h.role == "inference"]), ml_code=_located(ml_code + ml_notebooks),
    )
    return RepoFacts(decided.kind, decided.reason, decided.evidence, training_code, training_notebooks, ml_code, ml_notebooks)


def to_evidence(hit: Hit) -> Evidence:
    matched = safe_fragment(hit.matched, hit.snippet)
    detector = f"{hit.check}/{hit.role}: {matched}" if hit.check != FACTS else f"fact/{hit.role}: {matched}"
    chain = [Link(path=link.path, line=link.line, snippet=snippet(link.snippet, SNIPPET_CHARS), relation=link.relation)
             for link in hit.chain]
    return Evidence(kind="file", path=hit.path, line=hit.line, cell=hit.cell, snippet=snippet(hit.snippet, SNIPPET_CHARS),
                    detector=redact(detector), context=hit.context, statement=hit.statement or None, chain=chain)


def best_hits(hits: list[Hit], limit: int = MAX_EVIDENCE) -> list[Hit]:
    """Strongest evidence first: pass before partial, code/config before paths, docs last; one per file."""
    ordered = sorted(hits, key=lambda h: (h.level != "pass", CONTEXT_ORDER.get(h.context, 9), TEST_PATH.search(h.path) is not None, h.path, h.line or 0))
    chosen, seen = [], set()
    for hit in ordered:
        key = (hit.path, hit.cell)
        if key in seen:
            continue
        seen.add(key)
        chosen.append(hit)
        if len(chosen) == limit:
            break
    return chosen


def _where(hit: Hit) -> str:
    return to_evidence(hit).location()


def _result(check: Check, status: str, why: str, hits: list[Hit]) -> CheckResult:
    for hit in hits:  # `why` quotes matched text: show it only as masked as the evidence shows it
        if hit.matched and hit.matched in why:
            why = why.replace(hit.matched, safe_fragment(hit.matched, hit.snippet))
    return CheckResult(id=check.id, pillar=check.pillar, title=check.title, status=status, why=redact(why), fix=check.fix,
                       weight=check.weight, ml_test_score=check.ml_test_score, evidence=[to_evidence(h) for h in hits])


def _searched(scan: ScanResult) -> str:
    return f"{scan.files_read} files"


def generic(check: Check, hits: list[Hit], scan: ScanResult) -> CheckResult:
    """Best signal wins; docs/comments/dependency declarations cap at partial."""
    if not hits:
        return _result(check, "fail", f"No sign of {check.title.lower()} in the {_searched(scan)} read (code, config, CI and docs).", [])
    evidence = best_hits(hits)
    top = evidence[0]
    if top.level == "pass":
        return _result(check, "pass", f"Found `{top.matched}` in {top.context if top.context != 'path' else 'the file layout'} at {_where(top)}.", evidence)
    if top.context in CONTEXT_WORDS:
        return _result(check, "partial", f"Only named in {CONTEXT_WORDS[top.context]} ({_where(top)}); no code or config does it.", evidence)
    return _result(check, "partial", f"Found `{top.matched}` at {_where(top)}, which covers the practice only in part.", evidence)


def rule_reproducibility(check: Check, hits: list[Hit], scan: ScanResult) -> CheckResult:
    seeds = [h for h in hits if h.role == "seed"]
    configs = [h for h in hits if h.role == "config"]
    seed_ok = any(h.level == "pass" for h in seeds)
    config_ok = any(h.level == "pass" for h in configs)
    evidence = best_hits(seeds, 3) + best_hits(configs, 2)
    if seed_ok and config_ok:
        return _result(check, "pass", f"Seeds fixed ({_where(best_hits(seeds)[0])}) and configuration kept outside code ({_where(best_hits(configs)[0])}).", evidence)
    if seed_ok:
        return _result(check, "partial", f"Seeds fixed ({_where(best_hits(seeds)[0])}) but no external training configuration (params.yaml, Hydra, YAML/JSON config) was found.", evidence)
    if config_ok:
        return _result(check, "partial", f"Configuration is external ({_where(best_hits(configs)[0])}) but no random seed is fixed in code or config.", evidence)
    if seeds or configs:
        return _result(check, "partial", f"Only named in {CONTEXT_WORDS.get(evidence[0].context, evidence[0].context)} ({_where(evidence[0])}); no code fixes seeds.", evidence)
    return _result(check, "fail", "No fixed random seed and no external training configuration were found.", [])


def rule_dependency_pinning(check: Check, hits: list[Hit], scan: ScanResult) -> CheckResult:
    locks = [h for h in hits if h.role == "lock" and h.level == "pass"]
    declared = scan.dependency_files
    pinned = sum(len(d.pinned) for d in declared)
    total = sum(d.total for d in declared)
    def line_hits(pairs, path, level):
        return [Hit(check.id, "declaration", level, "deps", path, line, None, text, text.split()[0][:60]) for line, text in pairs]
    examples: list[Hit] = []
    for dep in declared:
        examples += line_hits(dep.unpinned[:2], dep.path, "partial") + line_hits(dep.pinned[:1], dep.path, "pass")
    if locks:
        return _result(check, "pass", f"Dependencies are locked ({locks[0].path}).", best_hits(locks, 2) + examples[:3])
    if total and pinned / total >= 0.8:
        evidence = [h for h in examples if h.level == "pass"][:3] + [h for h in examples if h.level != "pass"][:2]
        return _result(check, "pass", f"{pinned} of {total} declared dependencies are pinned to exact versions.", evidence)
    if total:
        evidence = [h for h in examples if h.level != "pass"][:3] + [h for h in examples if h.level == "pass"][:2]
        return _result(check, "partial", f"Only {pinned} of {total} declared dependencies are pinned to exact versions and no lock file was found.", evidence)
    updates = [h for h in hits if h.role == "update_bot"]
    if updates:
        return _result(check, "partial", "A dependency update bot is configured but no pinned requirements or lock file were found.", best_hits(updates, 1))
    return _result(check, "fail", "No requirement file, environment file or lock file declares the dependencies.", [])


def rule_code_outside_notebooks(check: Check, hits: list[Hit], scan: ScanResult, facts: RepoFacts) -> CheckResult:
    if facts.training_code:
        evidence = best_hits(facts.training_code, 3) + best_hits(facts.training_notebooks, 2)
        return _result(check, "pass", f"Training code lives in modules/scripts ({_where(facts.training_code[0])}).", evidence)
    if facts.training_notebooks:
        evidence = best_hits(facts.training_notebooks, 3) + best_hits(facts.ml_code, 2)
        if facts.ml_code:
            return _result(check, "partial", f"Some ML code is in scripts ({_where(facts.ml_code[0])}) but training happens only in notebooks ({_where(facts.training_notebooks[0])}).", evidence)
        return _result(check, "fail", f"Training happens only in notebooks ({_where(facts.training_notebooks[0])}); no module or script trains the model.", evidence)
    if facts.ml_code:
        return _result(check, "pass", f"Model code lives in modules/scripts ({_where(facts.ml_code[0])}); no notebook-only training was found.", best_hits(facts.ml_code, 3))
    if facts.ml_notebooks:
        return _result(check, "fail", f"ML code exists only in notebooks ({_where(facts.ml_notebooks[0])}).", best_hits(facts.ml_notebooks, 3))
    return _result(check, "fail", "No training or inference code was found in modules, scripts or notebooks.", [])


CI_SYSTEMS = frozenset({"github-actions", "gitlab-ci", "azure-pipelines", "jenkins", "circleci", "cloud-build", "codebuild",
                        "bitbucket-pipelines", "drone", "travis", "tekton", "buildkite", "woodpecker"})


def _job_hit(check: Check, job, trigger=None) -> Hit:
    where = trigger if trigger is not None else job
    kinds = ", ".join(sorted({t.kind for t in job.triggers if not t.disabled})) or "no trigger"
    return Hit(check.id, "ci", "pass", "ci", where.path, where.line, None,
               f"{job.system} job '{job.name[:60]}' ({kinds}{': ' + trigger.detail[:60] if trigger is not None and trigger.detail else ''})",
               job.system)


def rule_ci_pipeline(check: Check, hits: list[Hit], scan: ScanResult) -> CheckResult:
    """CI on push or pull request passes; a CI definition nobody triggers (run by hand, defined outside the
    repository) or traces of an external CI server are partial."""
    ci_jobs = [job for job in scan.jobs if job.system in CI_SYSTEMS and not job.disabled]
    on_change = [(job, t) for job in ci_jobs for t in job.triggers if not t.disabled and t.kind in ("push", "pull_request")]
    if on_change:
        evidence = [_job_hit(check, job, trigger) for job, trigger in on_change[:MAX_EVIDENCE]]
        return _result(check, "pass", f"CI runs on {on_change[0][1].kind.replace('_', ' ')} ({_where(evidence[0])}, {on_change[0][0].system}).", evidence)
    if ci_jobs:
        evidence = [_job_hit(check, job) for job in ci_jobs[:MAX_EVIDENCE]]
        return _result(check, "partial", f"A CI definition exists ({_where(evidence[0])}) but nothing in the repository starts it on a push or pull request.", evidence)
    ci_files = scan.files_by_kind.get("ci", [])
    if ci_files:
        evidence = [Hit(check.id, "ci", "partial", "ci", rel, None, None, f"CI definition {rel}", rel.rsplit('/', 1)[-1]) for rel in ci_files[:MAX_EVIDENCE]]
        return _result(check, "partial", f"{ci_files[0]} looks like a CI definition, but no job with a push or pull-request trigger was read from it.", evidence)
    return generic(check, hits, scan)


def rule_automated_tests(check: Check, hits: list[Hit], scan: ScanResult) -> CheckResult:
    tests = [h for h in hits if h.role == "tests" and h.level == "pass"]
    runners = [h for h in hits if h.role == "ci_runs_tests" and h.level == "pass"]
    if tests and runners:
        return _result(check, "pass", f"Tests exist ({tests[0].path}) and CI runs them ({_where(runners[0])}).", best_hits(runners, 2) + best_hits(tests, 3))
    if tests:
        why = "Tests exist" + f" ({tests[0].path})" + (" but no CI definition runs them." if not scan.files_by_kind.get("ci") else " but no CI step runs a test command.")
        return _result(check, "partial", why, best_hits(tests, 3))
    if runners:
        return _result(check, "partial", f"CI runs a test command ({_where(runners[0])}) but no test files were found.", best_hits(runners, 2))
    return generic(check, [h for h in hits if h.level == "partial"], scan) if hits else _result(check, "fail", "No test files (tests/, test_*.py, *_test.py) were found.", [])


def rule_retraining_trigger(check: Check, hits: list[Hit], scan: ScanResult) -> CheckResult:
    """A schedule (or a drift/performance trigger) that reaches training passes; training that re-runs on
    every push or upstream event is partial; a schedule that trains nothing fails."""
    scheduled = [h for h in hits if h.role == "schedule_trains" and h.level == "pass"]
    schedules = [h for h in hits if h.role == "schedule" and h.level == "pass"]
    triggers = [h for h in hits if h.role == "trigger" and h.level == "pass"]
    # A parsed job's schedule trains only if what it runs trains. A job whose target the model cannot follow
    # (a cloud rule pointing at a pipeline resource) keeps the older reading: training in the same file.
    job_files = {job.path for job in scan.jobs if job.steps}
    same_file = [h for h in schedules if h.path not in job_files and f"{check.id}:trains" in scan.file_roles.get(h.path, set())]
    if scheduled or same_file or triggers:
        if scheduled:
            why = f"A schedule runs training ({_where(scheduled[0])}, through {len(scheduled[0].chain)} hops)."
        elif same_file:
            why = f"Retraining is scheduled ({_where(same_file[0])})."
        else:
            why = f"Retraining is triggered by code ({_where(triggers[0])})."
        return _result(check, "pass", why, best_hits(scheduled + same_file + triggers, 3))
    on_event = [h for h in hits if h.role == "event_trains"]
    if on_event:
        return _result(check, "partial", f"Training re-runs automatically on a push or upstream event ({_where(on_event[0])}), "
                       "but no schedule or drift/performance threshold starts it.", best_hits(on_event, 3))
    if schedules:  # a schedule that retrains nothing is not a retraining trigger (nightly tests, stale-issue bots)
        return _result(check, "fail", f"A schedule exists ({_where(schedules[0])}) but nothing it runs trains a model.", best_hits(schedules, 3))
    mentions = [h for h in hits if h.role in {"trigger", "schedule"}]
    if mentions:
        return _result(check, "partial", f"Only named in {CONTEXT_WORDS.get(mentions[0].context, mentions[0].context)} ({_where(mentions[0])}); nothing schedules or triggers training.", best_hits(mentions, 3))
    return _result(check, "fail", "No schedule or drift/performance trigger starts training.", [])


def rule_access_control(check: Check, hits: list[Hit], scan: ScanResult) -> CheckResult:
    if scan.secrets:
        evidence = best_hits([Hit(h.check, h.role, "pass", h.context, h.path, h.line, h.cell, h.snippet, h.matched) for h in scan.secrets])
        kinds = sorted({h.role for h in scan.secrets})
        return _result(check, "fail", f"{len(scan.secrets)} hard-coded credential(s) ({', '.join(kinds)}) committed, e.g. at {_where(evidence[0])}; remove and rotate them.", evidence)
    return generic(check, hits, scan)


def rule_model_validation_gate(check: Check, hits: list[Hit], scan: ScanResult) -> CheckResult:
    """A gate is a pipeline step: a partial-level helper defined only in notebook cells
    (e.g. a Kaggle `def validate_model(` that prints train/test error) blocks nothing."""
    kept = [h for h in hits if not (h.cell is not None and h.level == "partial" and h.context == "code")]
    return generic(check, kept, scan)


def _compose_services(text: str | None) -> int:
    """How many services a compose file declares (0 when it does not read as one)."""
    from mlproof.model.yamldata import try_load_all

    docs = try_load_all(text) if text else None
    services = docs[0].get("services") if docs and isinstance(docs[0], dict) else None
    return len(services) if isinstance(services, dict) else 0


def rule_infrastructure_as_code(check: Check, hits: list[Hit], scan: ScanResult) -> CheckResult:
    """A compose file is partial IaC only when it declares a stack (two or more services); one service that
    builds the app is a way to run it locally, not infrastructure."""
    from mlproof.model.build import RepoTexts

    texts = RepoTexts(scan.inventory)
    single = [h for h in hits if h.role == "compose" and _compose_services(texts.get(h.path)) < 2]
    kept = [h for h in hits if h not in single]
    if kept or not single:
        return generic(check, kept, scan)
    return _result(check, "fail", f"Only {_where(single[0])}, a compose file with one service; running the app locally "
                   "does not count as infrastructure as code.", best_hits(single, 3))


RULES: dict[str, Callable[..., CheckResult]] = {
    "dev.reproducibility": rule_reproducibility,
    "dev.dependency_pinning": rule_dependency_pinning,
    "cicd.ci_pipeline": rule_ci_pipeline,
    "cicd.automated_tests": rule_automated_tests,
    "cicd.retraining_trigger": rule_retraining_trigger,
    "cicd.model_validation_gate": rule_model_validation_gate,
    "gov.access_control": rule_access_control,
    "deploy.infrastructure_as_code": rule_infrastructure_as_code,
}


# Roles whose line matches in a CI file are superseded by what the parsed jobs of that file reach: once a
# workflow is read as data, "make test" counts only if the Makefile's target runs tests.
SUPERSEDED_IN_JOB_FILES = {
    "cicd.automated_tests": {"ci_runs_tests"},
    "cicd.retraining_trigger": {"trains"},
    "cicd.continuous_deployment": {"main"},
}


def grade(check: Check, scan: ScanResult, facts: RepoFacts, serving_status: str | None) -> CheckResult:
    """The verdict for one check, n/a applied when the repository cannot have the practice."""
    superseded = SUPERSEDED_IN_JOB_FILES.get(check.id, set())
    job_files = {job.path for job in scan.jobs} if superseded else set()
    found = [h for h in scan.hits.get(check.id, [])
             if h.role != "trains" and not (h.role in superseded and h.context == "ci" and h.path in job_files)]
    if facts.kind == "library" and facts.kind_evidence:
        found = [h for h in found if not EXAMPLE_DIR.search(h.path)]  # a library's examples show users, they are not its practice
    hits = [h for h in found if h.level != "none"]
    uncredited = [h for h in found if h.level == "none"]
    if check.id == "dev.code_outside_notebooks":
        result = rule_code_outside_notebooks(check, hits, scan, facts)
    else:
        result = RULES.get(check.id, generic)(check, hits, scan)
    if result.status == "fail" and not scan.secrets_for(check.id):
        no_model = facts.kind == "library" or (facts.kind == "template" and not (facts.ml_code or facts.ml_notebooks))
        if (check.needs in {"model", "training"} and no_model) or (check.needs == "training" and facts.kind == "serving-only"):
            result.status = "n/a"
            result.why = f"Not applicable: this looks like a {facts.kind} repository ({facts.reason}), and nothing for this check was found."
    if result.status == "fail" and uncredited and not result.evidence:
        shown = best_hits(uncredited, 2)
        words = {"plan": "only plans it", "negate": "says it is not done", "name": "only names it"}
        words_by_context = {"deps": "only declares it as a dependency", "unused import": "imports it without using it"}
        result.why += " " + "; ".join(f"{_where(h)} {words_by_context.get(h.context) or words.get(h.statement, 'mentions it')}"
                                      for h in shown) + ", which does not count."
        result.evidence = [to_evidence(h) for h in shown]
    return result

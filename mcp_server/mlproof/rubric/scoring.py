"""From check verdicts to scores: pillars, maturity level, ML Test Score, risks, roadmap.

The maturity criteria below are the ones documented in references/maturity-model.md;
change both together.
"""

from __future__ import annotations

from mlproof.rubric.catalog import Catalog
from mlproof.rubric.models import (
    STATUS_VALUE, CheckResult, Maturity, MaturityCriterion, MaturityLevel, MLTestItem, MLTestScore, MLTestSection,
    PillarScore, Risk, Roadmap, RoadmapItem,
)

# level -> (name, [(check id, minimum status)]). A level is reached when it and every lower level are met;
# n/a counts as met (the practice cannot apply to this repository).
MATURITY_LEVELS: list[tuple[int, str, list[tuple[str, str]]]] = [
    (0, "Manual", []),
    (1, "ML pipeline", [
        ("dev.experiment_tracking", "pass"),
        ("dev.code_outside_notebooks", "pass"),
        ("dev.reproducibility", "partial"),
        ("dev.dependency_pinning", "partial"),
        ("data.versioning", "partial"),
        ("cicd.training_pipeline", "partial"),
    ]),
    (2, "CI/CD for ML", [
        ("cicd.ci_pipeline", "pass"),
        ("cicd.automated_tests", "pass"),
        ("dev.model_registry", "partial"),
        ("cicd.model_validation_gate", "partial"),
        ("deploy.serving", "partial"),
        ("deploy.containerization", "pass"),
        ("cicd.continuous_deployment", "partial"),
    ]),
    (3, "Full MLOps", [
        ("monitor.data_drift", "pass"),
        ("monitor.model_performance", "partial"),
        ("monitor.alerting", "partial"),
        ("cicd.retraining_trigger", "pass"),
        ("cicd.continuous_deployment", "pass"),
        ("cicd.model_validation_gate", "pass"),
        ("deploy.rollback", "partial"),
        ("gov.audit_trail", "partial"),
    ]),
]
LEVEL_SUMMARY = {
    0: "Training and deployment are manual; results depend on who runs which notebook or script.",
    1: "Training is a tracked, reproducible pipeline, but testing and releasing models is still manual.",
    2: "Code and models are tested and released by CI/CD with a validation gate.",
    3: "Models are monitored in production and retrained and redeployed automatically on schedule or drift.",
}

# The 28 tests of "The ML Test Score" (Breck et al., 2017), short titles in our words.
ML_TESTS: dict[str, list[tuple[str, str]]] = {
    "Data": [
        ("Data 1", "Feature expectations are captured in a schema"),
        ("Data 2", "All features are beneficial"),
        ("Data 3", "No feature costs more than it is worth"),
        ("Data 4", "Features meet meta-level requirements"),
        ("Data 5", "The data pipeline has privacy controls"),
        ("Data 6", "New features can be added quickly"),
        ("Data 7", "All input feature code is tested"),
    ],
    "Model": [
        ("Model 1", "Model specs are reviewed and submitted"),
        ("Model 2", "Offline and online metrics correlate"),
        ("Model 3", "All hyper-parameters have been tuned"),
        ("Model 4", "The impact of model staleness is known"),
        ("Model 5", "A simpler model is not better"),
        ("Model 6", "Model quality is sufficient on important data slices"),
        ("Model 7", "The model is tested for inclusion (fairness)"),
    ],
    "Infrastructure": [
        ("Infra 1", "Training is reproducible"),
        ("Infra 2", "Model specs are unit tested"),
        ("Infra 3", "The ML pipeline is integration tested"),
        ("Infra 4", "Model quality is validated before serving"),
        ("Infra 5", "The model is debuggable"),
        ("Infra 6", "Models are canaried before serving"),
        ("Infra 7", "Serving models can be rolled back"),
    ],
    "Monitoring": [
        ("Monitor 1", "Dependency changes result in notification"),
        ("Monitor 2", "Data invariants hold for training and serving inputs"),
        ("Monitor 3", "Training and serving features compute the same values"),
        ("Monitor 4", "Models are not too stale"),
        ("Monitor 5", "The model is numerically stable"),
        ("Monitor 6", "Computational performance has not regressed"),
        ("Monitor 7", "Prediction quality has not regressed"),
    ],
}
# Upper bounds of the paper's interpretation bands, paraphrased.
ML_TEST_BANDS = [
    (0.0, "More a research project than a production system."),
    (1.0, "Not untested, but serious gaps in reliability are likely."),
    (2.0, "A first pass at productionisation exists; more investment is needed."),
    (3.0, "Reasonably tested; more of the tests and procedures could be automated."),
    (5.0, "Strong automated testing and monitoring, fit for mission-critical systems."),
    (float("inf"), "Exceptional automated testing and monitoring."),
]
RANK = {"low": 0, "medium": 1, "high": 2}


def weighted_score(results: list[CheckResult]) -> float | None:
    graded = [r for r in results if r.status not in ("n/a", "waived")]
    total = sum(r.weight for r in graded)
    if not total:
        return None
    return round(10 * sum(r.weight * STATUS_VALUE[r.status] for r in graded) / total, 1)


def pillar_scores(results: list[CheckResult], catalog: Catalog) -> list[PillarScore]:
    scores = []
    for pillar, name in catalog.pillars.items():
        members = [r for r in results if r.pillar == pillar]
        if not members:
            continue
        counts = {status: sum(r.status == status for r in members) for status in ("pass", "partial", "fail", "n/a", "waived")}
        scores.append(PillarScore(pillar=pillar, name=name, score=weighted_score(members), counts=counts))
    return scores


def _meets(status: str, required: str) -> bool:
    return status in ("n/a", "waived") or STATUS_VALUE[status] >= STATUS_VALUE[required]


def maturity(results: list[CheckResult]) -> Maturity:
    status = {r.id: r.status for r in results}
    levels, reached, blocked = [], 0, False
    for level, name, criteria in MATURITY_LEVELS:
        graded = [MaturityCriterion(check=c, required=req, status=status.get(c, "n/a"), met=_meets(status.get(c, "n/a"), req)) for c, req in criteria]
        met = all(c.met for c in graded)
        levels.append(MaturityLevel(level=level, name=name, met=met, criteria=graded))
        if met and not blocked:
            reached = level
        else:
            blocked = True
    nxt = next((lv for lv in levels if lv.level == reached + 1), None)
    steps = [f"{c.check}: {c.status} -> needs {c.required}" for c in nxt.criteria if not c.met] if nxt else []
    return Maturity(level=reached, name=MATURITY_LEVELS[reached][1], summary=LEVEL_SUMMARY[reached], levels=levels, next_steps=steps)


def ml_test_score(results: list[CheckResult]) -> MLTestScore:
    mapped: dict[str, list[CheckResult]] = {}
    for r in results:
        for test in r.ml_test_score:
            mapped.setdefault(test, []).append(r)
    sections = []
    for section, tests in ML_TESTS.items():
        items = []
        for test, title in tests:
            checks = mapped.get(test, [])
            graded = [r for r in checks if r.status not in ("n/a", "waived")]
            if not checks:
                points, note = 0.0, "Not observable from a repository scan; scored 0."
            elif not graded:
                points, note = 0.0, "All mapped checks are n/a."
            elif all(r.status == "pass" for r in graded):
                points, note = 1.0, "Automated: every mapped check passes."
            elif any(r.status in {"pass", "partial"} for r in graded):
                points, note = 0.5, "Partly in place: some mapped checks pass or are partial."
            else:
                points, note = 0.0, "Missing: every mapped check fails."
            items.append(MLTestItem(test=test, title=title, points=points, checks=[r.id for r in checks], note=note))
        sections.append(MLTestSection(section=section, score=sum(i.points for i in items), items=items))
    final = min(s.score for s in sections)
    interpretation = next(text for bound, text in ML_TEST_BANDS if final <= bound)
    return MLTestScore(sections=sections, final=final, interpretation=interpretation)


def risks(results: list[CheckResult], catalog: Catalog, limit: int = 8) -> list[Risk]:
    checks = catalog.by_id()
    found = []
    for r in results:
        if r.status not in {"fail", "partial"}:
            continue
        check = checks[r.id]
        if r.status == "fail":
            probability = "high" if r.weight == 3 else "medium"
        else:
            probability = "medium" if r.weight == 3 else "low"
        found.append(Risk(check=r.id, title=r.title, probability=probability, impact=check.impact,
                          description=check.why, mitigation=check.fix))
    found.sort(key=lambda k: (-(RANK[k.probability] + 1) * (RANK[k.impact] + 1), -checks[k.check].weight, k.check))
    return found[:limit]


def roadmap(results: list[CheckResult], catalog: Catalog) -> Roadmap:
    checks = catalog.by_id()
    plan = Roadmap()
    todo = [r for r in results if r.status in {"fail", "partial"}]
    todo.sort(key=lambda r: (-r.weight, r.status != "fail", r.id))
    bucket = {"small": plan.quick_wins, "medium": plan.medium_term, "large": plan.long_term}
    for r in todo:
        action = r.fix if r.status == "fail" else f"Finish it: {r.fix}"
        bucket[checks[r.id].effort].append(RoadmapItem(check=r.id, title=r.title, status=r.status, weight=r.weight, action=action))
    return plan

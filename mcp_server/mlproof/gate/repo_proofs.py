"""Proofs about served code: the model it loads, the request it validates, the predictions it logs, its traffic."""

from __future__ import annotations

from mlproof.evidence import Evidence
from mlproof.gate import serving
from mlproof.gate.context import GateContext
from mlproof.gate.delivery import traffic_splits
from mlproof.gate.models import ProofPart

NO_SERVING = "no served app found (no FastAPI/Flask/... app or route handler, no served model class, no server command)"


def _load_evidence(ctx: GateContext, load: serving.ModelLoad) -> Evidence:
    evidence = ctx.evidence(load.rel, load.line, f"model_load:{load.kind}", load.chain)
    if load.uri:
        evidence.snippet = (evidence.snippet + f"  ← {load.uri}")[:200]
    if load.uri_path:
        evidence.chain = [*evidence.chain, ctx.flow.link(load.uri_path, load.uri_line, "uri")]
    return evidence


def served_model_part(ctx: GateContext) -> tuple[ProofPart, serving.ModelLoad | None]:
    closure, _ = serving.serving(ctx)
    if not closure:
        return ProofPart(source="repo", name="served model load", status="missing", detail=NO_SERVING), None
    loads = serving.model_loads(ctx)
    if not loads:
        return ProofPart(source="repo", name="served model load", status="missing",
                         detail="the served code loads no model (no mlflow load_model, pickle, joblib or torch load runs when it serves)"), None
    bad = [load for load in loads if load.kind in ("raw", "unpinned")]
    good = [load for load in loads if load.kind in ("alias", "pinned")]
    if bad:
        what = {"raw": "a raw artifact or run path", "unpinned": "an unpinned models:/ URI (latest or a stage)"}
        first = bad[0]
        return ProofPart(source="repo", name="served model load", status="missing", evidence=[_load_evidence(ctx, b) for b in bad[:5]],
                         detail=f"the served code loads {what[first.kind]} at {first.rel}:{first.line}"
                                + (f" ({first.uri})" if first.uri else f" ({first.call})")
                                + ", not a registered version or alias"), (good[0] if good else next((b for b in bad if b.name), None))
    if not good:
        first = loads[0]
        return ProofPart(source="repo", name="served model load", status="unknown", evidence=[_load_evidence(ctx, first)],
                         detail=f"the model URI loaded at {first.rel}:{first.line} is not written in the repository (an environment "
                                "variable or a config value no deployment file sets)"), None
    first = good[0]
    target = f"@{first.alias}" if first.kind == "alias" else f"version {first.version}"
    return ProofPart(source="repo", name="served model load", status="satisfied", evidence=[_load_evidence(ctx, g) for g in good[:3]],
                     detail=f"the served code loads models:/{first.name or '?'}{'@' + first.alias if first.alias else '/' + str(first.version)} "
                            f"({target}) at {first.rel}:{first.line}"), first


def request_schema_part(ctx: GateContext) -> tuple[ProofPart, list]:
    closure, handlers = serving.serving(ctx)
    if not closure:
        return ProofPart(source="repo", name="request schema", status="missing", detail=NO_SERVING), []
    models = serving.request_models(ctx)
    if not models:
        where = ", ".join(f"{h.node[0]}:{h.node[1]}" for h in handlers[:3]) or "the served code"
        return ProofPart(source="repo", name="request schema", status="missing",
                         detail=f"no typed request model (pydantic model, dataclass, TypedDict) validates the input of {where}"), []
    handler, model = models[0]
    return ProofPart(source="repo", name="request schema", status="satisfied",
                     detail=f"{handler.node[1]} validates requests with {model.name} ({len(model.fields)} fields)",
                     evidence=[ctx.evidence(model.rel, model.line, "request_model", handler.chain)]), models


def signature_match_part(ctx: GateContext, models: list, signature) -> ProofPart:
    """Every signature input is a request field of a compatible type (name and type, named mismatch by mismatch)."""
    name = "signature matches request"
    if not models:
        return ProofPart(source="repo", name=name, status="unknown", detail="no request model to compare with the training signature")
    if signature is None or not signature.inputs:
        return ProofPart(source="repo", name=name, status="unknown", detail="needs the served version's training signature (MLflow)")
    columns = [(str(c["name"]), str(c.get("type", ""))) for c in signature.inputs if c.get("name")]
    if not columns:
        return ProofPart(source="repo", name=name, status="unknown", detail="the signature has unnamed (tensor) inputs; compare shapes by hand")
    types = ctx.signals["schema"]["mlflow_types"]
    best = None
    for _, model in models:
        for candidate in [model, *model.nested]:
            by_name = {f.name: f for f in candidate.fields}
            score = sum(1 for column, _ in columns if column in by_name)
            if best is None or score > best[0]:
                best = (score, candidate, by_name)
    _, model, by_name = best
    absent, mismatched, evidence = [], [], []
    for column, kind in columns:
        field = by_name.get(column)
        if field is None:
            absent.append(column)
            continue
        accepted = set(types.get(kind, []))
        if accepted and not (field.types and field.types <= accepted):
            mismatched.append(f"{column} is {field.annotation} in {model.name}, {kind} in the signature")
        else:
            evidence.append(ctx.evidence(model.rel, field.line, f"signature_input:{column}"))
    if absent or mismatched:
        problems = ([f"missing from {model.name}: {', '.join(absent[:10])}"] if absent else []) + mismatched[:10]
        return ProofPart(source="repo", name=name, status="missing", evidence=evidence[:5],
                         detail=f"{len(absent) + len(mismatched)} of {len(columns)} signature inputs do not match the request: " + "; ".join(problems))
    return ProofPart(source="repo", name=name, status="satisfied", evidence=evidence[:10],
                     detail=f"all {len(columns)} signature inputs are fields of {model.name} with matching types")


def traffic_part(ctx: GateContext) -> ProofPart:
    splits = traffic_splits(ctx)
    if splits:
        return ProofPart(source="repo", name="traffic split", status="satisfied", evidence=splits[:5],
                         detail=f"{splits[0].snippet} ({splits[0].location()})")
    return ProofPart(source="repo", name="traffic split", status="missing",
                     detail="no manifest, SDK call or CI step sends part of the traffic to a canary or a shadow "
                            "(KServe canaryTrafficPercent < 100, Istio/Argo weights, Seldon, SageMaker/Azure ML/Vertex splits)")


def prediction_log_part(ctx: GateContext) -> ProofPart:
    closure, handlers = serving.serving(ctx)
    if not closure:
        return ProofPart(source="repo", name="prediction record", status="missing", detail=NO_SERVING)
    if not handlers:
        return ProofPart(source="repo", name="prediction record", status="missing", detail="no request handler found in the served code")
    records = serving.prediction_logs(ctx)
    if not records:
        return ProofPart(source="repo", name="prediction record", status="missing",
                         detail="no log or write call runs when a request is handled")
    best = max(records, key=lambda r: (len(r.present), -r.line))
    if not best.missing:
        return ProofPart(source="repo", name="prediction record", status="satisfied",
                         detail=f"{best.call} at {best.rel}:{best.line} writes the request features, the model version and the latency",
                         evidence=[ctx.evidence(best.rel, best.line, "prediction_log", best.chain), *best.present.values()])
    reasons = "; ".join(f"{field}: {why}" for field, why in best.missing.items())
    return ProofPart(source="repo", name="prediction record", status="missing",
                     evidence=[ctx.evidence(best.rel, best.line, "prediction_log", best.chain)],
                     detail=f"the closest record ({best.call} at {best.rel}:{best.line}) lacks {', '.join(best.missing)} ({reasons})")


def registered_name_hint(ctx: GateContext) -> str | None:
    """The registered model the repository works with, when the served code does not name it: the
    `registered_model_name=` of its training code, or the name its registry calls use."""
    from mlproof.gate.flow import is_test_path

    registry_calls = ("get_model_version_by_alias", "set_registered_model_alias", "get_registered_model", "register_model")
    for values, scope, name, call in ctx.named_calls(("registered_model_name", *registry_calls), skip=is_test_path):
        keywords = {k.arg: k.value for k in call.keywords if k.arg}
        argument = keywords.get("registered_model_name")  # log_model(..., name="model") names the artifact, not the model
        if argument is None and name.rsplit(".", 1)[-1] in registry_calls:
            position = 1 if name.endswith("register_model") and not name.endswith("set_registered_model_alias") else 0
            argument = keywords.get("name", call.args[position] if len(call.args) > position else None)
        for value, _ in values.strings(argument, scope) if argument is not None else []:
            if value and "{}" not in value:
                return value
    return None

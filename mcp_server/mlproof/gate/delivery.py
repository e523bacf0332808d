"""Canary and shadow traffic, read from the values in manifests, SDK calls and CI commands.

A canary is a value that sends part of the traffic, not all of it, to a new
version: KServe `canaryTrafficPercent` between 0 and 100, an Istio route split by
weights or a mirror, Argo Rollouts `setWeight` steps, a Flagger canary analysis,
Seldon traffic or shadow predictors and experiments, a Knative traffic split,
SageMaker variant weights, shadow variants or canary/linear traffic routing, an
Azure ML endpoint's traffic or mirror traffic, a Vertex AI traffic split. Docs,
tests and fixtures are not configuration, and Markdown is never read.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import PurePosixPath

import yaml

from mlproof.evidence import Evidence
from mlproof.gate.context import GateContext

MAX_MANIFEST_BYTES = 1_000_000
TEMPLATE_LINE = re.compile(r"^\s*\{\{.*\}\}\s*$")
TEMPLATE = re.compile(r"\{\{-?\s*(.*?)\s*-?\}\}")
VALUES_REF = re.compile(r"^\.Values\.([\w.]+)")
NEEDLES = ("canaryTrafficPercent", "VirtualService", "Rollout", "flagger", "SeldonDeployment", "Experiment", "traffic",
           "ProductionVariants", "ShadowProductionVariants", "TrafficRoutingConfiguration", "mirror", "trafficSplit", "traffic_split")


@dataclass
class Split:
    rel: str
    key: str  # the key whose value shows it
    what: str  # "canary 10%", "shadow (mirror)", "weights 90/10"


def _share(value) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*%?\s*", value)
        return float(match.group(1)) if match else None
    return None


def _partial(value) -> bool:
    share = _share(value)
    return share is not None and 0 < share < 100


def _weights_split(values: list) -> bool:
    """Two or more weights, at least two of them above zero: traffic goes to more than one version."""
    shares = [_share(v) for v in values]
    shares = [s for s in shares if s is not None]
    return len(shares) >= 2 and sum(1 for s in shares if s > 0) >= 2


def _detemplate(text: str) -> str:
    lines = []
    for line in text.split("\n"):
        if TEMPLATE_LINE.match(line):
            lines.append("")
        else:
            lines.append(TEMPLATE.sub(lambda m: "TEMPLATED:" + m.group(1).replace(":", " "), line))
    return "\n".join(lines)


def _documents(text: str) -> list:
    try:
        if text.lstrip().startswith(("{", "[")):
            return [json.loads(text)]
    except ValueError:
        pass
    try:
        return [d for d in yaml.safe_load_all(_detemplate(text) if "{{" in text else text) if d is not None]
    except yaml.YAMLError:
        return []


def _resolve_template(ctx: GateContext, rel: str, value):
    """`TEMPLATED:.Values.canary.percent`: the value the chart's values.yaml gives it."""
    if not (isinstance(value, str) and value.startswith("TEMPLATED:")):
        return value
    match = VALUES_REF.match(value[len("TEMPLATED:"):].strip())
    if not match:
        return None
    folder = PurePosixPath(rel).parent
    while str(folder) not in ("", "."):
        for name in ("values.yaml", "values.yml"):
            candidate = str(folder / name)
            if candidate in ctx.model.texts:
                try:
                    data = yaml.safe_load(ctx.text(candidate))
                except yaml.YAMLError:
                    return None
                for part in match.group(1).split("."):
                    data = data.get(part) if isinstance(data, dict) else None
                return data
        folder = folder.parent
    return None


def _document_splits(ctx: GateContext, rel: str, doc) -> list[Split]:
    found: list[Split] = []
    if not isinstance(doc, dict):
        return found
    kind = str(doc.get("kind", ""))
    spec = doc.get("spec") if isinstance(doc.get("spec"), dict) else {}
    value = lambda v: _resolve_template(ctx, rel, v)  # noqa: E731 - a short local reader
    if kind == "InferenceService":
        percent = value((spec.get("predictor") or {}).get("canaryTrafficPercent")) if isinstance(spec.get("predictor"), dict) else None
        if _partial(percent):
            found.append(Split(rel, "canaryTrafficPercent", f"KServe canary at {_share(percent):g}% of traffic"))
    elif kind == "VirtualService":
        for route in spec.get("http") or []:
            if not isinstance(route, dict):
                continue
            weights = [value(d.get("weight")) for d in route.get("route") or [] if isinstance(d, dict)]
            if _weights_split(weights):
                found.append(Split(rel, "weight", f"Istio route split {'/'.join(str(w) for w in weights)}"))
            if route.get("mirror"):
                found.append(Split(rel, "mirror", "Istio mirror (shadow traffic)"))
    elif kind == "Rollout":
        canary = (spec.get("strategy") or {}).get("canary") if isinstance(spec.get("strategy"), dict) else None
        if isinstance(canary, dict):
            weights = [value(step.get("setWeight")) for step in canary.get("steps") or [] if isinstance(step, dict) and "setWeight" in step]
            if any(_partial(w) for w in weights):
                found.append(Split(rel, "setWeight", f"Argo Rollouts canary steps {', '.join(str(w) for w in weights)}%"))
    elif kind == "Canary" and "flagger" in str(doc.get("apiVersion", "")):
        analysis = spec.get("analysis") if isinstance(spec.get("analysis"), dict) else {}
        if _partial(value(analysis.get("maxWeight"))) or _partial(value(analysis.get("stepWeight"))) or analysis.get("iterations"):
            found.append(Split(rel, "analysis", "Flagger canary analysis"))
    elif kind == "SeldonDeployment":
        predictors = [p for p in spec.get("predictors") or [] if isinstance(p, dict)]
        if _weights_split([value(p.get("traffic")) for p in predictors]):
            found.append(Split(rel, "traffic", "Seldon traffic split between predictors"))
        if any(p.get("shadow") is True for p in predictors):
            found.append(Split(rel, "shadow", "Seldon shadow predictor"))
    elif kind == "Experiment" and "seldon" in str(doc.get("apiVersion", "")):
        candidates = [c for c in spec.get("candidates") or [] if isinstance(c, dict)]
        if _weights_split([value(c.get("weight")) for c in candidates]) or spec.get("mirror"):
            found.append(Split(rel, "candidates", "Seldon experiment between candidates"))
    elif kind == "Service" and "serving.knative.dev" in str(doc.get("apiVersion", "")):
        if _weights_split([value(t.get("percent")) for t in spec.get("traffic") or [] if isinstance(t, dict)]):
            found.append(Split(rel, "percent", "Knative traffic split"))
    if isinstance(doc.get("traffic"), dict) and ("azureml" in str(doc.get("$schema", "")) or "endpoint" in rel.lower()):
        if _weights_split(list(doc["traffic"].values())):
            found.append(Split(rel, "traffic", f"Azure ML endpoint traffic {doc['traffic']}"))
    if isinstance(doc.get("mirror_traffic"), dict) and any(_partial(v) for v in doc["mirror_traffic"].values()):
        found.append(Split(rel, "mirror_traffic", "Azure ML mirror traffic (shadow)"))
    found += _generic_splits(rel, doc, 0)
    return found


def _generic_splits(rel: str, node, depth: int) -> list[Split]:
    """Cloud keys that can sit anywhere in a template: SageMaker variants and routing, Vertex traffic splits."""
    found: list[Split] = []
    if depth > 30:
        return found
    if isinstance(node, dict):
        for key, child in node.items():
            if key == "ProductionVariants" and isinstance(child, list):
                weights = [v.get("InitialVariantWeight") for v in child if isinstance(v, dict)]
                if _weights_split(weights):
                    found.append(Split(rel, key, f"SageMaker variant weights {weights}"))
            elif key == "ShadowProductionVariants" and isinstance(child, list) and child:
                found.append(Split(rel, key, "SageMaker shadow variant"))
            elif key == "TrafficRoutingConfiguration" and isinstance(child, dict) and str(child.get("Type", "")).upper() in ("CANARY", "LINEAR"):
                found.append(Split(rel, key, f"SageMaker {str(child.get('Type')).lower()} traffic shifting"))
            elif key in ("trafficSplit", "traffic_split") and isinstance(child, dict) and _weights_split(list(child.values())):
                found.append(Split(rel, key, f"Vertex AI traffic split {child}"))
            else:
                found += _generic_splits(rel, child, depth + 1)
    elif isinstance(node, list):
        for child in node[:500]:
            found += _generic_splits(rel, child, depth + 1)
    return found


def _line_of(text: str, key: str) -> int | None:
    for number, line in enumerate(text.split("\n"), start=1):
        if re.search(rf"[\"']?\b{re.escape(key)}\b[\"']?\s*:", line):
            return number
    return None


def manifest_splits(ctx: GateContext) -> list[Evidence]:
    ignore = re.compile(ctx.signals["canary"]["ignore_paths"])
    found = []
    for rel in ctx.files:
        if not rel.endswith((".yaml", ".yml", ".json")) or ignore.search(rel):
            continue
        item = ctx.model.texts.item(rel)
        if item is not None and item.size > MAX_MANIFEST_BYTES:
            continue
        text = ctx.text(rel)
        if not any(needle in text for needle in NEEDLES):
            continue
        for doc in _documents(text):
            for split in _document_splits(ctx, rel, doc):
                found.append(Evidence(kind="file", path=rel, line=_line_of(text, split.key), snippet=split.what,
                                      detector="gate:traffic_split", context="config"))
    return found


def code_splits(ctx: GateContext) -> list[Evidence]:
    """SDK calls with a partial traffic share (`endpoint.deploy(..., traffic_percentage=10)`), and traffic dicts."""
    from mlproof.gate.flow import is_test_path

    keywords = set(ctx.signals["canary"]["python_keywords"])
    ignore = re.compile(ctx.signals["canary"]["ignore_paths"])
    found = []
    for rel in ctx.python_files():
        if is_test_path(rel) or ignore.search(rel) or not any(k in ctx.text(rel) for k in keywords):
            continue
        index = ctx.flow.index(rel)
        if index is None:
            continue
        import ast

        for scope_name, scope in index.scopes.items():
            for call in index.calls_in(scope_name) if scope_name in index.scopes else []:
                for keyword in call.keywords:
                    if keyword.arg not in keywords:
                        continue
                    constant = ctx.values(rel).constant(keyword.value, scope_name)
                    if _partial(constant) or (isinstance(keyword.value, ast.Dict) and _weights_split(
                            [ctx.values(rel).constant(v, scope_name) for v in keyword.value.values])):
                        found.append(ctx.evidence(rel, call.lineno, "traffic_split"))
            for target, assigned in scope.assigns.items():
                if target.rsplit(".", 1)[-1] in keywords:
                    for value in assigned:
                        if isinstance(value, ast.Dict) and _weights_split([ctx.values(rel).constant(v, scope_name) for v in value.values]):
                            found.append(ctx.evidence(rel, value.lineno, "traffic_split"))
    return found


def command_splits(ctx: GateContext) -> list[Evidence]:
    """CI steps that shift part of the traffic (`az ml online-endpoint update --traffic "blue=90 green=10"`)."""
    options = ctx.signals["canary"]["command_options"]
    commands = ctx.signals["canary"]["commands"]
    found = []
    for job in ctx.jobs():
        if job.disabled:
            continue
        for reach in ctx.reaches(job):
            argv = reach.argv or []
            words = " ".join(argv)
            split = False
            for prefix in commands:
                if argv[: len(prefix)] == prefix:
                    numbers = [float(n) for n in re.findall(r"(?<![\w.])(\d+(?:\.\d+)?)(?![\w.])", " ".join(argv[len(prefix):]))]
                    split = split or any(0 < n < 100 for n in numbers) or bool(re.search(r"=\s*\d+\s+\S+=\s*\d+|=\d+,\S+=\d+", words))
            for index, word in enumerate(argv):
                option, _, inline = word.partition("=")
                if option in options:
                    value = inline or (argv[index + 1] if index + 1 < len(argv) else "")
                    numbers = [float(n) for n in re.findall(r"\d+(?:\.\d+)?", value)]
                    split = split or (len(numbers) >= 2 and sum(1 for n in numbers if n > 0) >= 2) or any(0 < n < 100 for n in numbers[:1] if len(numbers) == 1)
            if split and reach.chain:
                first = reach.chain[0]
                found.append(Evidence(kind="file", path=first.path, line=first.line, snippet=first.snippet[:160],
                                      detector="gate:traffic_split", context="ci",
                                      chain=[_link(link) for link in reach.chain]))
    return found


def _link(link):
    from mlproof.evidence import Link

    return Link(path=link.path, line=link.line, snippet=link.snippet, relation=link.relation)


def traffic_splits(ctx: GateContext) -> list[Evidence]:
    return manifest_splits(ctx) + code_splits(ctx) + command_splits(ctx)


"""Registry hygiene: is the version behind an alias fit to be served and audited?

Each finding names its check, a status (ok / warn / fail / info), the MLflow
ids or repo lines it is based on, and how to fix it. The checks run against
the version the alias points to (the latest version when the alias is missing).
"""

from __future__ import annotations

from pathlib import Path

from mlproof.errors import MlproofError
from mlproof.evidence import Evidence
from mlproof.tracking.connection import open_client, resolve_tracking_uri
from mlproof.tracking.models import HygieneFinding, HygieneReport, LoggedModelFacts, ModelVersionFacts, RunFacts
from mlproof.tracking.queries import metric_direction, run_facts
from mlproof.tracking.registry import _all_versions, _model_facts, _registered_model, version_model_facts


def _ids(model: str, mv: ModelVersionFacts | None, **extra: str) -> dict[str, str]:
    ids = {"model": model}
    if mv is not None:
        ids["version"] = mv.version
    ids.update({k: v for k, v in extra.items() if v})
    return ids


def _mlflow(detector: str, snippet: str, ids: dict[str, str]) -> Evidence:
    from mlproof.repo.redact import redact

    return Evidence(kind="mlflow", detector=detector, snippet=redact(snippet), ids=ids)


def registry_hygiene(
    tracking_uri: str | None = None,
    *,
    model: str,
    alias: str = "champion",
    challenger_alias: str = "challenger",
    primary_metric: str | None = None,
    repo: str | Path | None = None,
) -> HygieneReport:
    """Hygiene findings for `model` at `alias`, optionally scanning `repo` for how serving pins it."""
    uri = resolve_tracking_uri(tracking_uri)
    findings: list[HygieneFinding] = []
    with open_client(uri) as client:
        facts = _model_facts(_registered_model(client, model))
        versions = _all_versions(client, model)
        if not versions:
            raise MlproofError(f"Model {model!r} has no versions to check.")
        by_version = {v.version: v for v in versions}
        target = by_version.get(facts.aliases.get(alias, ""))
        findings.append(_alias_finding(model, alias, facts.aliases, target, versions))
        if target is None:
            target = versions[-1]
        findings.append(_stage_finding(model, versions))
        findings.append(_description_finding(model, facts.description, target))
        logged, problem = version_model_facts(client, uri, target)
        findings += _model_file_findings(model, target, logged, problem)
        run = _source_run(client, uri, target)
        findings += _run_findings(model, target, run)
        findings.append(_challenger_finding(client, uri, model, alias, challenger_alias, facts.aliases, by_version, primary_metric, run))
    findings.append(_serving_pin_finding(model, repo))
    return HygieneReport(tracking_uri=uri, model=model, alias=alias, version=target.version, findings=findings)


def _alias_finding(model, alias, aliases, target, versions) -> HygieneFinding:
    if target is not None:
        return HygieneFinding(check="alias_set", status="ok", message=f"@{alias} points to version {target.version}.",
                              evidence=[_mlflow("registered_model_alias", f"@{alias} -> v{target.version}", _ids(model, target, alias=alias))])
    latest = versions[-1]
    return HygieneFinding(check="alias_set", status="fail",
                          message=f"No @{alias} alias; checks below use the latest version {latest.version}, which nothing pins.",
                          evidence=[_mlflow("registered_model_alias", "aliases: " + (", ".join(f"@{a}=v{v}" for a, v in aliases.items()) or "none"), {"model": model})],
                          fix=f"mlproof models set-alias {model} {alias} <version> --yes (or MlflowClient.set_registered_model_alias)")


def _stage_finding(model, versions) -> HygieneFinding:
    staged = [v for v in versions if v.uses_stage()]
    if not staged:
        return HygieneFinding(check="no_deprecated_stages", status="ok", message="No version uses the deprecated registry stages.",
                              evidence=[_mlflow("model_version_stage", f"{len(versions)} versions, all stage None", {"model": model})])
    return HygieneFinding(check="no_deprecated_stages", status="warn",
                          message="Deprecated registry stages in use (stages are deprecated since MLflow 2.9): "
                          + ", ".join(f"v{v.version}={v.current_stage}" for v in staged) + ".",
                          evidence=[_mlflow("model_version_stage", f"current_stage={v.current_stage}", _ids(model, v)) for v in staged],
                          fix="Replace stages with aliases (e.g. @champion) and load models:/name@champion.")


def _description_finding(model, description, target) -> HygieneFinding:
    missing = [what for what, text in (("model", description), (f"version {target.version}", target.description)) if not text]
    if not missing:
        return HygieneFinding(check="description", status="ok", message="Model and version are described.",
                              evidence=[_mlflow("description", (description or "")[:120], _ids(model, target))])
    return HygieneFinding(check="description", status="warn", message="No description on the " + " and ".join(missing) + ".",
                          evidence=[_mlflow("description", "description empty", _ids(model, target))],
                          fix="Describe intended use, training data and limits (MlflowClient.update_registered_model / update_model_version).")


def _model_file_findings(model, target, logged: LoggedModelFacts | None, problem: str | None) -> list[HygieneFinding]:
    ids = _ids(model, target, model_id=target.model_id or "")
    if logged is None:
        unknown = HygieneFinding(check="signature_present", status="fail", message=f"The model files could not be read: {problem}.",
                                 evidence=[_mlflow("mlmodel", f"source {target.source}", ids)], fix="Re-log the model with mlflow.<flavor>.log_model.")
        return [unknown, unknown.model_copy(update={"check": "input_example"})]
    has_signature = bool(logged.signature and logged.signature.inputs)
    columns = [c.get("name", c.get("type", "?")) for c in (logged.signature.inputs if has_signature else [])]
    signature = HygieneFinding(
        check="signature_present", status="ok" if has_signature else "fail",
        message=f"Signature with {len(columns)} inputs ({', '.join(map(str, columns[:5]))}{', …' if len(columns) > 5 else ''})." if has_signature
        else "The version has no model signature, so serving cannot validate inputs against training.",
        evidence=[_mlflow("mlmodel_signature", "signature present" if has_signature else "signature: none", ids)],
        fix=None if has_signature else "Log with signature=mlflow.models.infer_signature(X_sample, model.predict(X_sample)).")
    example = HygieneFinding(
        check="input_example", status="ok" if logged.has_input_example else "warn",
        message="An input example is saved with the model." if logged.has_input_example else "No input example saved with the model.",
        evidence=[_mlflow("mlmodel_input_example", "saved_input_example_info " + ("present" if logged.has_input_example else "absent"), ids)],
        fix=None if logged.has_input_example else "Pass input_example= to log_model.")
    return [signature, example]


def _source_run(client, uri: str, target: ModelVersionFacts) -> RunFacts | None:
    from mlflow.exceptions import MlflowException

    if not target.run_id:
        return None
    try:
        return run_facts(client, uri, target.run_id, history=False, max_artifacts=0, models=False)
    except MlflowException:
        return None


def _run_findings(model, target, run: RunFacts | None) -> list[HygieneFinding]:
    if run is None:
        missing = f"source run {target.run_id} does not exist" if target.run_id else "the version records no source run"
        fail = HygieneFinding(check="source_run", status="fail", message=f"No traceable training run: {missing}.",
                              evidence=[_mlflow("model_version_run", f"run_id={target.run_id or 'none'}", _ids(model, target))],
                              fix="Register versions from a run (create_model_version(..., run_id=...)).")
        return [fail,
                fail.model_copy(update={"check": "dataset_logged", "message": "Datasets unknown: no source run."}),
                fail.model_copy(update={"check": "git_commit", "message": "Git commit unknown: no source run."})]
    ids = _ids(model, target, run_id=run.run_id)
    metric_list = ", ".join(f"{m.key}={m.final:.4g}" for m in run.metrics[:6])
    out = [HygieneFinding(check="source_run", status="ok" if run.metrics else "fail",
                          message=f"Source run {run.run_id} exists with {len(run.metrics)} metrics." if run.metrics
                          else f"Source run {run.run_id} exists but logged no metrics.",
                          evidence=[_mlflow("source_run", metric_list or "no metrics", ids)],
                          fix=None if run.metrics else "Log evaluation metrics in the training run.")]
    if run.datasets:
        out.append(HygieneFinding(check="dataset_logged", status="ok", message=f"{len(run.datasets)} dataset input(s) logged.",
                                  evidence=[_mlflow("dataset_input", f"{d.name} digest {d.digest} ({d.context or 'no context'})",
                                                    {**ids, "dataset": d.name, "digest": d.digest}) for d in run.datasets]))
    else:
        out.append(HygieneFinding(check="dataset_logged", status="fail", message=f"Run {run.run_id} logged no dataset inputs.",
                                  evidence=[_mlflow("dataset_input", "run inputs: none", ids)],
                                  fix="mlflow.log_input(mlflow.data.from_pandas(df, source=..., name=...), context='training')."))
    commit = run.git_commit
    out.append(HygieneFinding(check="git_commit", status="ok" if commit else "fail",
                              message=f"Trained from git commit {commit}." if commit else f"Run {run.run_id} has no mlflow.source.git.commit tag.",
                              evidence=[_mlflow("git_commit_tag", f"mlflow.source.git.commit={commit or 'missing'}", ids)],
                              fix=None if commit else "Run training from a git checkout (MLflow tags the commit) or set the tag explicitly."))
    return out


def _challenger_finding(client, uri, model, alias, challenger_alias, aliases, by_version, primary_metric, champion_run) -> HygieneFinding:
    challenger = by_version.get(aliases.get(challenger_alias, ""))
    if challenger is None or champion_run is None or alias not in aliases:
        return HygieneFinding(check="champion_vs_challenger", status="info",
                              message=f"No comparison: needs both @{alias} and @{challenger_alias} with source runs.",
                              evidence=[_mlflow("registered_model_alias", "aliases: " + (", ".join(f"@{a}=v{v}" for a, v in aliases.items()) or "none"), {"model": model})])
    challenger_run = _source_run(client, uri, challenger)
    if challenger_run is None:
        return HygieneFinding(check="champion_vs_challenger", status="warn", message=f"@{challenger_alias} v{challenger.version} has no source run to compare.",
                              evidence=[_mlflow("model_version_run", f"run_id={challenger.run_id}", _ids(model, challenger))])
    champ = {m.key: m.final for m in champion_run.metrics}
    chall = {m.key: m.final for m in challenger_run.metrics}
    shared = [primary_metric] if primary_metric else sorted(set(champ) & set(chall))
    if not shared or any(k not in champ or k not in chall for k in shared):
        return HygieneFinding(check="champion_vs_challenger", status="warn",
                              message=f"@{alias} and @{challenger_alias} share no comparable metric" + (f" {primary_metric!r}" if primary_metric else "") + ".",
                              evidence=[_mlflow("source_run", f"champion metrics {sorted(champ)}, challenger metrics {sorted(chall)}",
                                                {"model": model, "champion_run": champion_run.run_id, "challenger_run": challenger_run.run_id})])
    better = [k for k in shared if (chall[k] > champ[k] if metric_direction(k) == "max" else chall[k] < champ[k])]
    table = "; ".join(f"{k}: {champ[k]:.4g} vs {chall[k]:.4g}" for k in shared)
    evidence = [_mlflow("champion_challenger", table, {"model": model, "champion_version": aliases[alias], "challenger_version": aliases[challenger_alias],
                                                         "champion_run": champion_run.run_id, "challenger_run": challenger_run.run_id})]
    if primary_metric and better:
        return HygieneFinding(check="champion_vs_challenger", status="warn", evidence=evidence,
                              message=f"@{challenger_alias} beats @{alias} on {primary_metric}; review it for promotion.",
                              fix=f"Promote after validation: mlproof models set-alias {model} {alias} {aliases[challenger_alias]} --yes")
    return HygieneFinding(check="champion_vs_challenger", status="info", evidence=evidence,
                          message=f"@{alias} v{aliases[alias]} vs @{challenger_alias} v{aliases[challenger_alias]} (champion vs challenger): "
                          + (f"challenger better on {', '.join(better)}." if better else "champion better or equal on every shared metric."))


def _serving_pin_finding(model: str, repo: str | Path | None) -> HygieneFinding:
    from mlproof.tracking.model_uris import find_model_uris

    if repo is None:
        return HygieneFinding(check="serving_pinned", status="info", message="Serving code not checked; pass a repository to scan for models:/ URIs.")
    uses = find_model_uris(repo)
    relevant = [u for u in uses if u.model in (model, "{name}", "{model}", "{model_name}") or u.model.startswith("{")]
    bad = [u for u in relevant if u.pinning in ("latest", "stage", "unpinned")]

    def ev(u) -> Evidence:
        return Evidence(kind="file", path=u.path, line=u.line, snippet=u.snippet, detector=f"model_uri_{u.pinning}")

    if bad:
        return HygieneFinding(check="serving_pinned", status="fail", evidence=[ev(u) for u in bad],
                              message="Serving loads a moving target: " + ", ".join(f"{u.uri} ({u.pinning})" for u in bad[:3]) + ".",
                              fix=f"Load models:/{model}@champion (alias) or models:/{model}/<version>.")
    if relevant:
        return HygieneFinding(check="serving_pinned", status="ok", evidence=[ev(u) for u in relevant],
                              message="Serving pins the model: " + ", ".join(sorted({f"{u.uri} ({u.pinning})" for u in relevant})) + ".")
    return HygieneFinding(check="serving_pinned", status="info",
                          message=f"No models:/ URI for {model} found in {repo}; serving may load a file path instead of the registry.",
                          evidence=[Evidence(kind="note", snippet=f"scanned {repo} for models:/ URIs: {len(uses)} found, none for {model}", detector="model_uri_scan")])

"""Model registry facts: models, versions, aliases, lineage — and the one write, set_alias.

Aliases (MLflow >= 2.3) are how a version is promoted; registry *stages*
(Staging/Production) are deprecated since MLflow 2.9 and only reported here.
"""

from __future__ import annotations

from pydantic import BaseModel

from mlproof.errors import MlproofError
from mlproof.evidence import Evidence
from mlproof.tracking.connection import open_client, resolve_tracking_uri
from mlproof.tracking.models import (
    Lineage,
    ShownUri,
    LoggedModelFacts,
    ModelDetails,
    ModelList,
    ModelVersionFacts,
    RegisteredModelFacts,
)
from mlproof.tracking.queries import logged_model_facts, read_mlmodel, run_facts

MAX_MODELS = 10_000


def _name_filter(name: str) -> str:
    """An MLflow filter matching exactly `name`, quoted so names with quotes still work."""
    if not name or not name.strip():
        raise MlproofError("A registered model name is required.")
    if "'" in name and '"' in name:
        raise MlproofError(f"The model name {name!r} mixes single and double quotes, which MLflow filters cannot express.")
    return f'name = "{name}"' if "'" in name else f"name = '{name}'"


def _model_facts(rm) -> RegisteredModelFacts:
    latest = [int(v.version) for v in (rm.latest_versions or [])]
    return RegisteredModelFacts(
        name=rm.name,
        description=rm.description or None,
        tags=dict(rm.tags or {}),
        aliases={alias: str(version) for alias, version in (rm.aliases or {}).items()},
        latest_version=str(max(latest)) if latest else None,
        creation_timestamp=rm.creation_timestamp,
        last_updated_timestamp=rm.last_updated_timestamp,
    )


def _version_facts(mv) -> ModelVersionFacts:
    return ModelVersionFacts(
        name=mv.name, version=str(mv.version), aliases=list(mv.aliases or []), current_stage=mv.current_stage,
        description=mv.description or None, tags=dict(mv.tags or {}), source=mv.source, run_id=mv.run_id or None,
        model_id=getattr(mv, "model_id", None) or None, status=mv.status, creation_timestamp=mv.creation_timestamp,
    )


def _all_versions(client, name: str) -> list[ModelVersionFacts]:
    found, token = [], None
    for _ in range(1000):  # bounded pages of 1,000 versions
        page = client.search_model_versions(_name_filter(name), max_results=1000, page_token=token)
        found.extend(page)
        token = page.token
        if not token:
            break
    versions = sorted((_version_facts(v) for v in found), key=lambda v: int(v.version))
    # search_model_versions leaves aliases empty; the registered model knows them.
    aliases = {a: str(v) for a, v in (client.get_registered_model(name).aliases or {}).items()} if found else {}
    for v in versions:
        v.aliases = sorted(a for a, ver in aliases.items() if ver == v.version)
    return versions


def _registered_model(client, name: str):
    from mlflow.exceptions import MlflowException

    try:
        return client.get_registered_model(name)
    except MlflowException as err:
        if getattr(err, "error_code", "") == "RESOURCE_DOES_NOT_EXIST":
            raise MlproofError(f"No registered model named {name!r} in the MLflow store.") from None
        raise


def list_models(tracking_uri: str | None = None, filter_string: str | None = None) -> ModelList:
    """Registered models (optionally filtered, e.g. "name LIKE 'churn%'") with their aliases."""
    uri = resolve_tracking_uri(tracking_uri)
    models, token = [], None
    with open_client(uri) as client:
        while len(models) < MAX_MODELS:
            page = client.search_registered_models(filter_string=filter_string or None, max_results=1000, page_token=token)
            models.extend(page)
            token = page.token
            if not token:
                break
    return ModelList(tracking_uri=uri, models=[_model_facts(m) for m in models])


def get_model(name: str, tracking_uri: str | None = None) -> ModelDetails:
    """A registered model with every version, its aliases, tags, descriptions and (deprecated) stages."""
    uri = resolve_tracking_uri(tracking_uri)
    with open_client(uri) as client:
        model = _model_facts(_registered_model(client, name))
        versions = _all_versions(client, name)
    return ModelDetails(tracking_uri=uri, model=model, versions=versions)


def resolve_version(client, name: str, version: str | None, alias: str | None) -> tuple[ModelVersionFacts, str | None]:
    """The version asked for: explicit number, else the alias, else @champion, else the latest."""
    from mlflow.exceptions import MlflowException

    rm = _registered_model(client, name)
    if version is not None:
        try:
            mv = client.get_model_version(name, str(version))
        except MlflowException:
            raise MlproofError(f"Model {name!r} has no version {version}.") from None
        return _version_facts(mv), None
    aliases = {a: str(v) for a, v in (rm.aliases or {}).items()}
    if alias is not None:
        if alias not in aliases:
            known = ", ".join(f"@{a}" for a in sorted(aliases)) or "none"
            raise MlproofError(f"Model {name!r} has no alias @{alias} (aliases: {known}).")
        return _version_facts(client.get_model_version(name, aliases[alias])), alias
    if "champion" in aliases:
        return _version_facts(client.get_model_version(name, aliases["champion"])), "champion"
    versions = _all_versions(client, name)
    if not versions:
        raise MlproofError(f"Model {name!r} has no versions.")
    return versions[-1], None


def _model_id_from_source(source: str | None) -> str | None:
    """MLflow 3 registers `models:/m-<id>`: the LoggedModel id is in the source URI."""
    if source and source.startswith("models:/m-") and "/" not in source[len("models:/"):]:
        return source[len("models:/"):]
    return None


def version_model_facts(client, uri: str, mv: ModelVersionFacts) -> tuple[LoggedModelFacts | None, str | None]:
    """The logged model behind a version (MLflow 3 LoggedModel, or an MLmodel at the source URI)."""
    model_id = mv.model_id or _model_id_from_source(mv.source)
    if model_id:
        try:
            return logged_model_facts(client, uri, model_id), None
        except Exception as err:
            return None, f"logged model {model_id} could not be read ({type(err).__name__})"
    if mv.source:
        signature, has_example, flavors, problem = read_mlmodel(uri, mv.source, client)
        if problem:
            return None, f"no readable MLmodel at {mv.source} ({problem})"  # mv.source is already masked
        return LoggedModelFacts(model_id="", name=mv.source, source_run_id=mv.run_id, artifact_location=mv.source,
                                flavors=flavors, signature=signature, has_input_example=has_example), None
    return None, "the version records no source"


def model_lineage(name: str, version: str | None = None, alias: str | None = None, tracking_uri: str | None = None) -> Lineage:
    """version -> run -> datasets -> git commit, naming each missing link."""
    from mlflow.exceptions import MlflowException

    uri = resolve_tracking_uri(tracking_uri)
    gaps: list[str] = []
    with open_client(uri) as client:
        mv, used_alias = resolve_version(client, name, version, alias)
        run = None
        if mv.run_id:
            try:
                run = run_facts(client, uri, mv.run_id, history=False, max_artifacts=0, models=False)
            except MlflowException:
                gaps.append(f"source run {mv.run_id} no longer exists")
        else:
            gaps.append("the version records no source run")
        logged, problem = version_model_facts(client, uri, mv)
    if problem:
        gaps.append(problem)
    if run is not None:
        if not run.datasets:
            gaps.append(f"run {run.run_id} logged no dataset inputs")
        if not run.git_commit:
            gaps.append(f"run {run.run_id} has no mlflow.source.git.commit tag")
    ids = {"model": name, "version": mv.version}
    if used_alias:
        ids["alias"] = used_alias
    from mlproof.repo.redact import redact

    evidence = [Evidence(kind="mlflow", snippet=redact(f"source {mv.source}"), detector="model_version", ids=dict(ids))]
    if run is not None:
        evidence.append(Evidence(kind="mlflow", snippet=f"git commit {run.git_commit or 'missing'}", detector="source_run",
                                 ids={**ids, "run_id": run.run_id}))
        for d in run.datasets:
            evidence.append(Evidence(kind="mlflow", snippet=f"{d.name} digest {d.digest} ({d.context or 'no context'})",
                                     detector="dataset_input", ids={"run_id": run.run_id, "dataset": d.name, "digest": d.digest}))
    return Lineage(tracking_uri=uri, model=name, version=mv.version, alias=used_alias, model_version=mv, run=run,
                   logged_model=logged, gaps=gaps, evidence=evidence)


class AliasChange(BaseModel):
    tracking_uri: ShownUri
    model: str
    alias: str
    version: str
    previous_version: str | None

    def to_markdown(self) -> str:
        before = f"v{self.previous_version}" if self.previous_version else "unset"
        return f"@{self.alias} on {self.model}: {before} -> v{self.version}. Roll back with `mlproof models set-alias {self.model} {self.alias} {self.previous_version} --yes`." if self.previous_version else f"@{self.alias} on {self.model}: unset -> v{self.version}."


def set_alias(name: str, alias: str, version: str, tracking_uri: str | None = None, *, confirm: bool = False) -> AliasChange:
    """Point `alias` at `version` — a registry WRITE, refused unless confirm=True."""
    if not confirm:
        raise MlproofError("Setting an alias changes the registry; repeat with --yes (confirm=True) to do it.")
    if not alias or not alias.replace("-", "").replace("_", "").isalnum():
        raise MlproofError(f"The alias {alias!r} must be letters, digits, '-' or '_'.")
    if not str(version).isdigit():
        raise MlproofError(f"The version must be a number, not {version!r}.")
    uri = resolve_tracking_uri(tracking_uri)
    from mlflow.exceptions import MlflowException

    with open_client(uri, write=True) as client:
        rm = _registered_model(client, name)
        try:
            client.get_model_version(name, str(version))
        except MlflowException:
            raise MlproofError(f"Model {name!r} has no version {version}; nothing was changed.") from None
        previous = (rm.aliases or {}).get(alias)
        client.set_registered_model_alias(name, alias, str(version))
    return AliasChange(tracking_uri=uri, model=name, alias=alias, version=str(version), previous_version=str(previous) if previous else None)

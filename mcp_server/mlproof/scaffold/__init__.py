"""`mlproof add` and `mlproof init`: the operational pieces the gate asks for, written into the user's repository.

    result = add_piece("drift-monitor", "path/to/repo", dry_run=True)
    print("".join(p.diff() for p in result.planned))
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from mlproof import __version__
from mlproof.errors import MlproofError
from mlproof.scaffold.writer import FileChange, Planned, apply, check_root, plan

PRE_COMMIT_REPO = "https://github.com/mlproof/mlproof"
HOOK_IDS = ("mlproof-lint", "mlproof-audit")


@dataclass
class ScaffoldResult:
    planned: list[Planned]
    notes: list[str] = field(default_factory=list)

    @property
    def written(self) -> list[str]:
        return [p.change.rel for p in self.planned if p.action in ("create", "add", "replace")]


def _run(root: Path, changes: list[FileChange], notes: list[str], *, dry_run: bool, force: bool) -> ScaffoldResult:
    planned = plan(root, changes, force=force)
    if not dry_run:
        apply(root, planned)
    elif any(p.action == "conflict" for p in planned):
        notes.append("a file exists and differs: the diff shows what --force would write")
    return ScaffoldResult(planned, notes)


def add_piece(piece: str, repo: str | Path, *, dry_run: bool = False, force: bool = False, model: str | None = None,
              alias: str | None = None, ci: str | None = None, reference: str | None = None, current: str | None = None,
              experiment: str | None = None, schedule: str | None = None, metric: str | None = None,
              train_command: str | None = None, canary_percent: int = 10, namespace: str = "default",
              tracking_uri: str | None = None) -> ScaffoldResult:
    from mlproof.scaffold.cli import check_piece
    from mlproof.scaffold.detect import detect
    from mlproof.scaffold.pieces import DRIFT_EXPERIMENT, PIECES, Options

    check_piece(piece)
    root = check_root(Path(repo))
    if schedule is not None:
        from mlproof.gate.cron import schedule_period

        if schedule_period(schedule) is None:
            raise MlproofError(f"--schedule {schedule[:60]!r} is not a cron expression (five fields, e.g. '0 6 * * *').")
    for name, value in (("--reference", reference), ("--current", current)):
        if value is not None and (value.startswith("/") or ".." in value.split("/")):
            raise MlproofError(f"{name} must be a path inside the repository, not {value[:60]!r}.")
    fit = detect(root, ci=ci, model=model, alias=alias, reference=reference, current=current, metric=metric,
                 train_command=train_command)
    options = Options(experiment=experiment or DRIFT_EXPERIMENT, schedule=schedule, canary_percent=canary_percent,
                      namespace=namespace, tracking_uri=tracking_uri)
    changes = PIECES[piece](fit, options)
    return _run(root, changes, options.notes, dry_run=dry_run, force=force)


# ----------------------------------------------------------------------------- init

def init_repository(repo: str | Path, *, dry_run: bool = False, force: bool = False) -> ScaffoldResult:
    from mlproof.scaffold.pieces import render

    root = check_root(Path(repo))
    kind, reason = _kind(root)
    notes: list[str] = []
    changes = [_config_change(root, kind, reason, render), _pre_commit_change(root, render, notes)]
    return _run(root, [c for c in changes if c is not None], notes, dry_run=dry_run, force=force)


def _kind(root: Path) -> tuple[str, str]:
    from mlproof.gate.context import GateContext
    from mlproof.gate.serving import serving
    from mlproof.model.kind import decide_kind
    from mlproof.scaffold.detect import _training_command

    ctx = GateContext.load(root)
    readme = next((ctx.text(rel) for rel in ("README.md", "README.rst", "README") if rel in ctx.model.texts), None)
    command, source = _training_command(ctx)
    closure, _ = serving(ctx)
    served = sorted({node[0] for node in closure})
    kind = decide_kind(ctx.files, readme, training=[source] if command else [], serving=served[:3], inference=[], ml_code=[])
    return kind.kind, kind.reason


def _config_change(root: Path, kind: str, reason: str, render) -> FileChange | None:
    """[tool.mlproof] appended to pyproject.toml, or .mlproof.toml when there is no pyproject.toml."""
    from mlproof.rubric.project_config import _validated

    import tomllib

    pyproject = root / "pyproject.toml"
    dedicated = root / ".mlproof.toml"
    if dedicated.is_file():
        return None  # .mlproof.toml wins over pyproject.toml: the repository is configured already
    if pyproject.is_file():
        text = pyproject.read_text(encoding="utf-8")
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as err:
            raise MlproofError(f"pyproject.toml is not valid TOML ({str(err).splitlines()[0][:80]}); nothing was written.") from None
        if isinstance(data.get("tool"), dict) and "mlproof" in data["tool"]:
            return FileChange("pyproject.toml", text)  # already there: unchanged
        section = render("config/tool-mlproof.toml.j2", table_header="[tool.mlproof]", waive_header="# [tool.mlproof.waive]",
                         kind=kind, kind_reason=reason)
        new = text.rstrip("\n") + "\n\n" + section
        _validated(tomllib.loads(new)["tool"]["mlproof"], "pyproject.toml [tool.mlproof]")
        return FileChange("pyproject.toml", new, additive=True)
    section = render("config/tool-mlproof.toml.j2", table_header="# .mlproof.toml: the [tool.mlproof] settings of this repository",
                     waive_header="# [waive]", kind=kind, kind_reason=reason)
    _validated(tomllib.loads(section), ".mlproof.toml")
    return FileChange(".mlproof.toml", section)


def _pre_commit_change(root: Path, render, notes: list[str]) -> FileChange | None:
    """mlproof's hooks (by id) in .pre-commit-config.yaml: a new file, or one more entry in `repos:`."""
    import yaml

    rev = f"v{__version__}"
    entry = render("config/pre-commit-entry.yaml.j2", repo_url=PRE_COMMIT_REPO, rev=rev)
    path = root / ".pre-commit-config.yaml"
    notes.append(f"pre-commit: the hooks are pinned to {rev}; `pre-commit autoupdate` moves them to the newest release")
    if not path.is_file():
        return FileChange(".pre-commit-config.yaml", render("config/pre-commit-config.yaml.j2", repo_url=PRE_COMMIT_REPO, rev=rev))
    text = path.read_text(encoding="utf-8")
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError:
        raise MlproofError(".pre-commit-config.yaml is not valid YAML; nothing was written.") from None
    repos = data.get("repos") if isinstance(data, dict) else None
    if not isinstance(repos, list):
        raise MlproofError(".pre-commit-config.yaml has no `repos:` list; nothing was written.")
    hooks = {hook.get("id") for repo in repos if isinstance(repo, dict) for hook in repo.get("hooks") or [] if isinstance(hook, dict)}
    if set(HOOK_IDS) <= hooks:
        return FileChange(".pre-commit-config.yaml", text)  # already there
    lines = text.rstrip("\n").split("\n")
    start = next(i for i, line in enumerate(lines) if re.match(r"^repos\s*:", line))
    end = next((i for i in range(start + 1, len(lines)) if lines[i] and not lines[i].startswith((" ", "-", "#", "\t"))), len(lines))
    indent = next((re.match(r"^(\s*)-", line).group(1) for line in lines[start + 1:end] if re.match(r"^\s*-", line)), "  ")
    block = [line.replace("  - repo:", f"{indent}- repo:", 1) if line.startswith("  - repo:") else indent + line[2:]
             for line in entry.rstrip("\n").split("\n")]
    new = "\n".join(lines[:end] + block + lines[end:]) + "\n"
    parsed = yaml.safe_load(new)
    if not any(isinstance(r, dict) and r.get("repo") == PRE_COMMIT_REPO for r in parsed.get("repos", [])):
        raise MlproofError(".pre-commit-config.yaml has a layout mlproof cannot extend; add the mlproof hooks by hand.")
    return FileChange(".pre-commit-config.yaml", new, additive=True)

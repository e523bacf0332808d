"""Load eval scenarios (evals/scenarios/*.yaml) and the texts each condition puts in context."""

from __future__ import annotations

import fnmatch
from pathlib import Path

import yaml
from pydantic import ValidationError

from mlproof.errors import MlproofError
from mlproof.evals.models import Scenario

PROJECT_ROOT = Path(__file__).resolve().parents[3]
SCENARIOS_DIR = PROJECT_ROOT / "evals" / "scenarios"
FIXTURES_DIR = PROJECT_ROOT / "evals" / "fixtures"
TRANSCRIPTS_DIR = PROJECT_ROOT / "evals" / "transcripts"

# The baseline gets a neutral assistant persona, nothing about mlproof.
BASELINE_SYSTEM = "You are a helpful assistant for a machine-learning team. Answer the user's question."
TOOLS_NOTE = (
    "You can call mlproof tools that read the project, the datasets and the MLflow store. "
    "Call them to collect evidence before answering, and cite only what the tools returned."
)


def load_scenario(path: Path) -> Scenario:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise MlproofError(f"Cannot read the scenario {path} ({err.strerror or err}).") from err
    except yaml.YAMLError as err:
        raise MlproofError(f"The scenario {path} is not valid YAML.") from err
    if not isinstance(data, dict):
        raise MlproofError(f"The scenario {path} is not a mapping of scenario fields.")
    data.setdefault("source", str(path))
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as err:
        first = err.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or "(top level)"
        raise MlproofError(f"The scenario {path} is invalid: {field}: {first['msg']}.") from err
    from mlproof.evals.graders import GRADERS  # late import: graders import heavy engines lazily anyway

    for spec in scenario.assertions:
        if spec.type not in GRADERS:
            raise MlproofError(f"The scenario {path} uses the unknown assertion type {spec.type!r}.")
    return scenario


def load_scenarios(directory: Path = SCENARIOS_DIR, pattern: str | None = None) -> list[Scenario]:
    """Every scenario in the directory whose id or file name matches the glob (all when None)."""
    if not directory.is_dir():
        raise MlproofError(f"The scenarios directory {directory} does not exist.")
    scenarios = [load_scenario(p) for p in sorted(directory.glob("*.yaml"))]
    seen: set[str] = set()
    for scenario in scenarios:
        if scenario.id in seen:
            raise MlproofError(f"Two scenarios share the id {scenario.id!r}.")
        seen.add(scenario.id)
    if pattern:
        patterns = [p.strip() for p in pattern.split(",") if p.strip()]
        scenarios = [
            s for s in scenarios
            if any(fnmatch.fnmatch(s.id, p) or fnmatch.fnmatch(Path(s.source or "").name, p) for p in patterns)
        ]
        if not scenarios:
            raise MlproofError(f"No scenario matches {pattern!r}.")
    return scenarios


def fixture_dir(scenario: Scenario, fixtures: Path = FIXTURES_DIR) -> Path | None:
    if scenario.fixture is None:
        return None
    path = fixtures / scenario.fixture
    if not path.is_dir():
        raise MlproofError(f"The scenario {scenario.id} needs the fixture {path}, which does not exist.")
    return path


def skills_dir() -> Path:
    """skills/ of this install: bundled in the wheel, or the source checkout's."""
    from mlproof.content import content_root

    return content_root() / "skills"


def skill_text(name: str, skills: Path | None = None) -> str:
    path = (skills or skills_dir()) / name / "SKILL.md"
    try:
        return path.read_text(encoding="utf-8")
    except OSError as err:
        raise MlproofError(f"The skill {name!r} has no readable {path} ({err.strerror or err}).") from err


def system_text(scenario: Scenario, condition: str, skills: Path | None = None) -> str:
    """What each condition puts in context besides the prompt."""
    if condition == "baseline":
        return BASELINE_SYSTEM
    text = f"Follow this skill when it applies.\n\n{skill_text(scenario.skill, skills)}"
    if condition == "skill+tools":
        text += "\n\n" + TOOLS_NOTE
    return text


def render_prompt(scenario: Scenario, fixture: Path | None, tracking_uri: str | None) -> str:
    """Fill {fixture} and {tracking_uri} in the scenario prompt."""
    values = {"fixture": str(fixture) if fixture else "", "tracking_uri": tracking_uri or ""}
    prompt = scenario.prompt
    for key, value in values.items():
        prompt = prompt.replace("{" + key + "}", value)
    return prompt.strip()

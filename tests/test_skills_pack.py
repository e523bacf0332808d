"""Skills and slash commands: valid Agent Skills (real `agentskills validate`), short, linked, on contract."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.helpers import require_tool

REPO = Path(__file__).resolve().parents[1]
SKILLS = REPO / "skills"
COMMANDS = REPO / "commands"
EXPECTED_SKILLS = ["anti-fake-pass-gate", "mlops-architect", "mlops-audit", "mlops-drift", "mlops-experiments", "mlops-patterns"]
EXPECTED_COMMANDS = {  # command -> the skill it drives
    "mlops-audit": "mlops-audit",
    "mlops-architect": "mlops-architect",
    "mlops-gate": "anti-fake-pass-gate",
    "mlops-drift": "mlops-drift",
    "mlops-patterns": "mlops-patterns",
    "mlops-experiments": "mlops-experiments",
}
# MCP tools each skill must name (the skill decides which tool the assistant calls).
REQUIRED_TOOLS = {
    "mlops-audit": ["audit_repo", "find_evidence", "explain_check", "get_model", "registry_hygiene"],
    "mlops-architect": ["audit_repo", "find_evidence", "search_runs", "get_model"],
    "anti-fake-pass-gate": ["gate_claim", "find_evidence", "get_model"],
    "mlops-drift": ["drift_report", "model_performance"],
    "mlops-patterns": ["audit_repo", "find_evidence", "ab_test"],
    "mlops-experiments": ["ab_test"],
}
LINK = re.compile(r"\[[^\]]*\]\(([^)\s#]+)(?:#[^)]*)?\)")


def agentskills() -> str:
    """The skills-ref CLI: next to this interpreter (the project venv), else on PATH."""
    beside = Path(sys.executable).with_name("agentskills")
    return str(beside) if beside.exists() else require_tool("agentskills")


def front_matter(path: Path) -> tuple[dict, str]:
    text = path.read_text(encoding="utf-8")
    match = re.match(r"^---\n(.*?)\n---\n(.*)$", text, flags=re.DOTALL)
    assert match, f"{path}: no YAML front matter"
    return yaml.safe_load(match.group(1)), match.group(2)


def test_the_six_skills_exist():
    assert sorted(p.parent.name for p in SKILLS.glob("*/SKILL.md")) == EXPECTED_SKILLS


@pytest.mark.parametrize("name", EXPECTED_SKILLS)
def test_agentskills_validate_accepts_each_skill(name):
    result = subprocess.run([agentskills(), "validate", str(SKILLS / name)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    properties = subprocess.run([agentskills(), "read-properties", str(SKILLS / name)],
                                capture_output=True, text=True, timeout=60)
    assert properties.returncode == 0 and f'"name": "{name}"' in properties.stdout


def test_agentskills_validate_rejects_a_broken_skill(tmp_path):
    """The validator is real and can fail: a name that does not match its folder is rejected."""
    broken = tmp_path / "mlops-broken"
    broken.mkdir()
    shutil.copy(SKILLS / "mlops-drift" / "SKILL.md", broken / "SKILL.md")
    result = subprocess.run([agentskills(), "validate", str(broken)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert "must match skill name" in result.stdout + result.stderr


@pytest.mark.parametrize("name", EXPECTED_SKILLS)
def test_skill_is_short_and_says_when_and_when_not(name):
    path = SKILLS / name / "SKILL.md"
    meta, body = front_matter(path)
    assert meta["name"] == name
    assert len(path.read_text(encoding="utf-8").splitlines()) < 500
    description = meta["description"]
    assert len(description) <= 1024
    assert "Use " in description or "use when" in description.lower()
    assert re.search(r"\bNot for\b|\bDo not\b|\bnot for\b", description), f"{name}: description must say when not to use it"


@pytest.mark.parametrize("name", EXPECTED_SKILLS)
def test_skill_names_its_tools(name):
    _, body = front_matter(SKILLS / name / "SKILL.md")
    missing = [tool for tool in REQUIRED_TOOLS[name] if f"`{tool}" not in body]
    assert not missing, f"{name} never names {missing}"


@pytest.mark.parametrize("name", EXPECTED_SKILLS)
def test_skill_links_references_one_level_deep(name):
    _, body = front_matter(SKILLS / name / "SKILL.md")
    targets = {t for t in LINK.findall(body) if not re.match(r"^[a-z]+:", t)}
    assert targets, f"{name} links no reference"
    for target in targets:
        resolved = (SKILLS / name / target).resolve()
        assert resolved.parent == (REPO / "references").resolve(), f"{name}: {target} is not a file directly in references/"
        assert resolved.is_file(), f"{name}: {target} does not exist"


def test_audit_skill_covers_every_catalog_check_and_the_output_shape():
    from mlproof.rubric.catalog import load_catalog

    _, body = front_matter(SKILLS / "mlops-audit" / "SKILL.md")
    catalog_ids = list(load_catalog().by_id())
    assert len(catalog_ids) >= 34
    missing = [check for check in catalog_ids if f"`{check}`" not in body]
    assert not missing, f"mlops-audit does not list {missing}"
    for level in range(4):
        assert re.search(rf"^\| {level} \|", body, flags=re.MULTILINE), f"maturity level {level} missing"
    for section in ("## Summary", "## Pillars", "## Risks", "## Roadmap"):
        assert section in body
    for horizon in ("1-2 weeks", "1-3 months", "3-6 months"):
        assert horizon in body
    assert "| Risk | Probability | Impact | Mitigation |" in body


def test_architect_skill_ends_with_the_four_assessments_and_says_when_not():
    _, body = front_matter(SKILLS / "mlops-architect" / "SKILL.md")
    for section in ("Confidence Assessment", "Risk Assessment", "Information Gaps", "Caveats"):
        assert section in body
    assert "inference" in body.lower() and "one-off" in body.lower()
    for topic in ("Experiment tracking", "Registry", "CI/CD for ML", "Automated retraining", "diagram", "roadmap"):
        assert topic.lower() in body.lower(), topic
    assert "400-500 words" in body and "550" in body, "the architect answer fits a page"


def test_experiments_skill_routes_the_statistics_to_the_tool():
    _, body = front_matter(SKILLS / "mlops-experiments" / "SKILL.md")
    for topic in ("sample size", "minimum detectable effect", "O'Brien-Fleming", "peek", "sample_ratio", "expected loss", "Welch"):
        assert topic.lower() in body.lower(), topic
    _, patterns = front_matter(SKILLS / "mlops-patterns" / "SKILL.md")
    assert "`mlops-experiments`" in patterns and "`ab_test`" in patterns


def test_gate_skill_lists_the_seven_proofs_in_order():
    _, body = front_matter(SKILLS / "anti-fake-pass-gate" / "SKILL.md")
    rows = re.findall(r"^\| ([1-7]) \| ([^|]+)\|", body, flags=re.MULTILINE)
    assert [number for number, _ in rows[:7]] == [str(i) for i in range(1, 8)]
    titles = " ".join(title.lower() for _, title in rows[:7])
    for words in ("alias", "schema", "canary", "drift", "retraining", "prediction logs", "rollback"):
        assert words in titles, words
    assert "BLOCKED" in body and "PASS" in body


def test_drift_skill_has_psi_bands_and_next_actions():
    _, body = front_matter(SKILLS / "mlops-drift" / "SKILL.md")
    for band in ("< 0.1", "0.1 – 0.25", "> 0.25"):
        assert band in body
    for action in ("investigate", "retrain", "roll back"):
        assert action in body.lower()
    for kind in ("Data (covariate) drift", "Prediction drift", "Concept drift"):
        assert kind in body


def test_commands_exist_with_front_matter_and_arguments():
    assert sorted(p.stem for p in COMMANDS.glob("*.md")) == sorted(EXPECTED_COMMANDS)
    for command, skill in EXPECTED_COMMANDS.items():
        meta, body = front_matter(COMMANDS / f"{command}.md")
        assert isinstance(meta.get("description"), str) and meta["description"].strip()
        assert isinstance(meta.get("argument-hint"), str) and meta["argument-hint"].strip()
        assert "$ARGUMENTS" in body, command
        assert f"`{skill}`" in body, f"/{command} should drive the {skill} skill"

"""Fenced code blocks of the skill pack's Markdown, with the marker that says how each one is checked.

A marker is an HTML comment on the line right before the opening fence:

  <!-- run: mlflow -->            Python, exec'd against a temporary SQLite MLflow store (main env)
  <!-- run: drift -->             Python, exec'd with mlproof's drift engine (main env)
  <!-- run: python -->            Python, exec'd as is (main env: numpy, scipy)
  <!-- run: refs SCENARIO -->     Python, run in the refs environment (.venv-refs) by the named scenario of
                                  tests/envs/refs_runner.py, which prepares its inputs and checks its effect
  <!-- check: kubernetes -->      YAML manifests, validated structurally (tests/k8s_shapes.py)
  <!-- check: github-workflow --> a GitHub Actions workflow, linted by actionlint (+ current pins)
  <!-- check: prometheus-rules -->Prometheus alerting/recording rules, checked by `promtool check rules`
  <!-- check: shellcheck -->      a shell snippet, linted by shellcheck
  <!-- check: yaml: REASON -->    YAML parsed only; REASON says why no validator runs
  <!-- illustrative: REASON -->   not run; REASON says why (needs a cluster, a diagram, an answer template)

Every block needs one: an unmarked block fails the tests.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SKILL_FILES = sorted((REPO / "skills").glob("*/SKILL.md"))
REFERENCE_FILES = sorted((REPO / "references").glob("*.md"))
COMMAND_FILES = sorted((REPO / "commands").glob("*.md"))
ALL_FILES = SKILL_FILES + REFERENCE_FILES + COMMAND_FILES

FENCE = re.compile(r"^```(\w*)\s*$")
MARKER = re.compile(r"^<!--\s*(run|check|illustrative):\s*(.*?)\s*-->\s*$")

RUN_KINDS = {"mlflow", "drift", "python", "refs"}
CHECK_KINDS = {"kubernetes", "github-workflow", "prometheus-rules", "shellcheck", "yaml"}
# Which marker kinds make sense for which fence language.
LANGUAGES_FOR = {
    "run": {"python"},
    "kubernetes": {"yaml"},
    "github-workflow": {"yaml"},
    "prometheus-rules": {"yaml"},
    "yaml": {"yaml"},
    "shellcheck": {"bash", "sh"},
}


@dataclass(frozen=True)
class Marker:
    verb: str  # run | check | illustrative
    kind: str  # mlflow, refs, kubernetes, ... ; "" for illustrative
    argument: str  # the refs scenario, or the reason

    @classmethod
    def parse(cls, line: str) -> Marker | None:
        match = MARKER.match(line)
        if not match:
            return None
        verb, rest = match.groups()
        if verb == "illustrative":
            return cls(verb, "", rest)
        kind, _, argument = rest.replace(":", " ", 1).partition(" ") if verb == "check" else rest.partition(" ")
        return cls(verb, kind.strip(), argument.strip())


@dataclass
class Block:
    path: Path
    line: int  # 1-based line of the opening fence
    language: str
    code: str
    marker: Marker | None

    @property
    def id(self) -> str:
        return f"{self.path.relative_to(REPO)}:{self.line}"

    @property
    def run(self) -> str | None:
        """The run kind (mlflow, drift, python, refs) or None."""
        return self.marker.kind if self.marker and self.marker.verb == "run" else None

    @property
    def check(self) -> str | None:
        return self.marker.kind if self.marker and self.marker.verb == "check" else None


def blocks_of(path: Path) -> list[Block]:
    """Fenced code blocks with their language and optional marker."""
    lines = path.read_text(encoding="utf-8").splitlines()
    found, i = [], 0
    while i < len(lines):
        match = FENCE.match(lines[i])
        if not match:
            i += 1
            continue
        start, language = i, match.group(1).lower()
        j = i + 1
        while j < len(lines) and not lines[j].startswith("```"):
            j += 1
        assert j < len(lines), f"{path}:{start + 1}: unclosed code fence"
        marker = Marker.parse(lines[start - 1]) if start > 0 else None
        found.append(Block(path, start + 1, language, "\n".join(lines[start + 1:j]), marker))
        i = j + 1
    return found


def prose_lines(path: Path) -> list[tuple[int, str]]:
    """(line number, text) of every line outside code fences."""
    result, inside = [], False
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.startswith("```"):
            inside = not inside
            continue
        if not inside:
            result.append((number, line))
    return result


ALL_BLOCKS = [block for path in ALL_FILES for block in blocks_of(path)]


def blocks(language: str | None = None, run: str | None = "any", check: str | None = "any") -> list[Block]:
    """Blocks filtered by fence language, run kind and check kind ("any" = no filter)."""
    return [
        b for b in ALL_BLOCKS
        if (language is None or b.language == language)
        and (run == "any" or b.run == run)
        and (check == "any" or b.check == check)
    ]


def marker_problem(block: Block) -> str | None:
    """Why a block's marker is missing or does not fit the block; None when it is fine."""
    marker = block.marker
    if marker is None:
        return f"{block.id}: ```{block.language} block has no run/check/illustrative marker on the line above"
    if marker.verb == "illustrative":
        return None if len(marker.argument) >= 10 else f"{block.id}: an illustrative marker needs a reason"
    kinds = RUN_KINDS if marker.verb == "run" else CHECK_KINDS
    if marker.kind not in kinds:
        return f"{block.id}: unknown {marker.verb} kind '{marker.kind}'"
    allowed = LANGUAGES_FOR["run" if marker.verb == "run" else marker.kind]
    if block.language not in allowed:
        return f"{block.id}: '{marker.verb}: {marker.kind}' does not fit a ```{block.language} block"
    if marker.kind == "refs" and not marker.argument:
        return f"{block.id}: 'run: refs' needs a scenario name"
    if marker.kind == "yaml" and len(marker.argument) < 10:
        return f"{block.id}: 'check: yaml' (parse only) needs the reason no validator runs"
    return None

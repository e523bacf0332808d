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

ALL_SECRETS = [p.secret for p in PLANTED] + list(SECRET_PARAMS.values())


def leaks(text: str, secrets: list[str] | None = None) -> list[str]:
    """The planted secrets (or a LEAK_FRAGMENT-long piece of one) found in `text`."""
    found = []
    for secret in secrets or ALL_SECRETS:
        pieces = {secret} | {secret[i:i + LEAK_FRAGMENT] for i in range(0, max(1, len(secret) - LEAK_FRAGMENT + 1))}
        if any(piece in text for piece in pieces if len(piece) >= min(LEAK_FRAGMENT, len(secret))):
            found.append(secret)
    return found

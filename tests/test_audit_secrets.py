"""Credentials are masked in every snippet, and a committed one fails gov.access_control."""

from __future__ import annotations

import pytest

from mlproof.repo.redact import find_secrets, redact
from mlproof.rubric.audit import find_evidence, run_audit
from mlproof.rubric.report import render_json, render_markdown

AWS = "AKIA" + "Q3EXAMPLZ7XKQ2DW4P1"[:16]
GITHUB = "ghp_" + "aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3zA5"
SLACK = "xoxb-" + "2210987654321-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx"
OPENAI = "sk-proj-" + "Z9y8X7w6V5u4T3s2R1q0P9o8N7m6"
DB_PASSWORD = "Hunter2-db-pass"

SECRET_VALUES = [AWS, GITHUB, SLACK, OPENAI, DB_PASSWORD, "MIIEpAIBAAKCAQEA"]


@pytest.mark.parametrize(("text", "secret"), [
    (f'aws_access_key_id = "{AWS}"', AWS),
    (f"token: {GITHUB}", GITHUB),
    (f"SLACK_TOKEN={SLACK}", SLACK),
    (f'client = OpenAI(api_key="{OPENAI}")', OPENAI),
    (f"url = postgres://admin:{DB_PASSWORD}@db.internal:5432/app", DB_PASSWORD),
    (f'password = "{DB_PASSWORD}"', DB_PASSWORD),
    (f"DB_PASSWORD: {DB_PASSWORD}", DB_PASSWORD),
])
def test_redact_masks_the_secret_and_keeps_the_rest(text, secret):
    masked = redact(text)
    assert secret not in masked
    assert "****" in masked
    assert find_secrets(text), "the same line must be reported as a secret"


@pytest.mark.parametrize("text", [
    'password = os.environ["DB_PASSWORD"]',
    "token: ${{ secrets.GITHUB_TOKEN }}",
    "password: ${DB_PASSWORD}",
    "def login(password: str) -> None:",
    "if password == confirm:",
    "tokenizer = AutoTokenizer.from_pretrained(name)",
    'mlflow.set_tracking_uri("http://127.0.0.1:5000")',
    "aws_access_key_id = AKIAIOSFODNN7EXAMPLE",
])
def test_references_and_examples_are_not_secrets(text):
    assert find_secrets(text) == []


@pytest.mark.parametrize("text", ["API_KEY: test-secret-key", 'db_password = "mock_password_123"', "TOKEN=testing-token-value"])
def test_test_double_values_are_not_findings_but_stay_masked(text):
    assert find_secrets(text) == []
    assert text.split("=")[-1].split(":")[-1].strip().strip('"') not in redact(text)


@pytest.mark.parametrize("text", ['export secrets_manager_name="titanic_secret_manager"', "DB_PASSWORD_FILE=/run/secrets/db_password",
                                  'token_url = "https://auth.example.org/oauth/token"', "API_KEY_ID: key-7f3a9c21"])
def test_names_that_point_at_a_secret_are_not_findings(text):
    assert find_secrets(text) == []


@pytest.mark.parametrize("text", ['db_password = "Xk9#mQ2vL8"', 'SECRET_KEY_PROD: "9f8e7d6c5b4a"', 'api_key_value = "a1b2c3d4e5f6"'])
def test_secret_names_with_other_endings_still_count(text):
    assert [hit.kind for hit in find_secrets(text)] == ["hard-coded-secret"]


def test_a_value_that_only_contains_test_is_still_a_secret():
    assert [hit.kind for hit in find_secrets('api_key = "prod-k3y-latest-9f8e7d"')] == ["hard-coded-secret"]


def test_private_key_block_is_masked_whole():
    block = "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA\nabc\n-----END RSA PRIVATE KEY-----\nafter"
    masked = redact(block)
    assert "MIIEpAIBAAKCAQEA" not in masked and masked.endswith("after")


def test_planted_secrets_fail_access_control_with_redacted_evidence(tmp_path):
    (tmp_path / "CODEOWNERS").write_text("* @acme/ml\n")  # would pass on its own
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "settings.yaml").write_text(
        f"database:\n  url: postgres://admin:{DB_PASSWORD}@db:5432/app\naws:\n  key: {AWS}\n", encoding="utf-8")
    (tmp_path / "deploy.py").write_text(f'import requests\nHEADERS = {{"Authorization": "token {GITHUB}"}}\n', encoding="utf-8")
    (tmp_path / "key.pem").write_text("-----BEGIN OPENSSH PRIVATE KEY-----\nMIIEpAIBAAKCAQEA\n-----END OPENSSH PRIVATE KEY-----\n")
    report = run_audit(tmp_path)
    result = report.check("gov.access_control")
    assert result.status == "fail"
    assert "hard-coded credential" in result.why
    assert {e.path for e in result.evidence} >= {"config/settings.yaml", "deploy.py"}
    assert all("****" in e.snippet for e in result.evidence)
    for text in (render_json(report), render_markdown(report)):
        for value in SECRET_VALUES:
            assert value not in text


def test_secrets_in_test_fixtures_and_comments_are_not_counted_as_assignments(tmp_path):
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_login.py").write_text('def test_login():\n    login(password="correct-horse-battery")\n')
    (tmp_path / "app.py").write_text('# password = "correct-horse-battery"\nimport os\nPASSWORD = os.environ["APP_PASSWORD"]\n')
    result = run_audit(tmp_path).check("gov.access_control")
    assert result.status == "pass", result.why
    assert result.evidence[0].path == "app.py" and result.evidence[0].line == 3


def test_find_evidence_snippets_are_redacted(tmp_path):
    (tmp_path / "train.py").write_text(f'import mlflow\nmlflow.log_metric("auc", 0.9)  # key {AWS}\n')
    evidence = find_evidence(tmp_path, "dev.experiment_tracking")
    assert evidence and evidence[0].path == "train.py"
    assert AWS not in evidence[0].snippet


@pytest.mark.parametrize("line, secret", [
    ("gcloud run deploy api --set-secrets=API_KEY=api-key:latest --secret=db-password", False),
    ("gcloud secrets versions access latest --secret=db-password", False),
    ("gcloud run services update api --update-secrets=TOKEN=hf-token:2,DB=db-pass:latest", False),
    # near misses: the same flags carrying a value that is no secret's name
    ("deploy --secret=Xy7qP2mK9vL4wR8t", True),
    ("deploy --secret=xk29dkw02kdl", True),
    ("mysql --password=db-password-9 db", True),
])
def test_a_flag_naming_a_managed_secret_is_no_hard_coded_secret(line, secret):
    from mlproof.repo.redact import find_secrets

    assert bool(find_secrets(line)) is secret


@pytest.mark.parametrize("line, secret", [
    ('NO_API_KEY = "No API key provided."', False),
    ('TOKEN_HELP = "paste your token here"', False),
    ('ERRORS = {"api_key": "Missing the API key in the header."}', False),
    # near misses: a passphrase is a sentence too, and a message-named key can still hold a key
    ('db_password: "Correct horse battery staple."', True),
    ('password = "Correct horse battery staple!"', True),
    ('NO_API_KEY = "x8Hk2mQ9pLw4"', True),
])
def test_a_message_about_a_credential_is_no_credential(line, secret):
    from mlproof.repo.redact import find_secrets

    assert bool(find_secrets(line)) is secret


def test_a_matched_name_that_is_not_on_the_line_is_shown_masked_only_where_it_holds_a_credential():
    from mlproof.repo.redact import safe_fragment

    assert safe_fragment("dotenv.load_dotenv", "load_dotenv()") == "dotenv.load_dotenv"  # a qualified call name
    shown = safe_fragment("curl -u admin:S3cretPassw0rd https://x", "run: make deploy")
    assert "S3cretPassw0rd" not in shown


def test_why_names_the_structural_match_instead_of_a_mask(tmp_path):
    from tests.audit_support import build, run_audit

    result = run_audit(build(tmp_path, {"app/__init__.py": "from dotenv import load_dotenv\n\nload_dotenv()\n"})).check("gov.access_control")
    assert result.status == "pass" and "dotenv.load_dotenv" in result.why, result.why

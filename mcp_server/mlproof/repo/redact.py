"""Mask credentials in text before it leaves the process.

Every snippet an engine shows (audit evidence, gate proofs, MCP tool output)
passes through `redact`, so a key committed by mistake is reported as *found*
without being copied anywhere. `find_secrets` is the detector side: it says
which lines hold what looks like a real, hard-coded credential.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MASK = "****"

# Token formats with a recognisable shape; the whole token is masked.
TOKEN_PATTERNS: dict[str, re.Pattern[str]] = {
    "aws-access-key": re.compile(r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA)[0-9A-Z]{16}\b"),
    "github-token": re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{22,})"),
    "slack-token": re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}"),
    "openai-style-key": re.compile(r"\bsk-(?:proj-|ant-|live-|test-)?[A-Za-z0-9_\-]{20,}"),
    "google-api-key": re.compile(r"\bAIza[0-9A-Za-z_\-]{35}\b"),
    "jwt": re.compile(r"\beyJ[A-Za-z0-9_\-]{10,}\.eyJ[A-Za-z0-9_\-]{10,}\.[A-Za-z0-9_\-]{10,}"),
}

# A PEM private key: mask from the BEGIN line to the END line (or the end of the text).
PRIVATE_KEY = re.compile(
    r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----.*?(?:-----END (?:[A-Z0-9]+ )*PRIVATE KEY-----|\Z)", re.S
)

# scheme://user:password@host  -> keep user and host, mask the password.
URL_PASSWORD = re.compile(r"(\b[a-zA-Z][a-zA-Z0-9+.\-]*://[^:/\s@'\"]+:)([^@\s/'\"]+)(@)")

# password = "value", api_key: value, "client_secret": "value" ... -> mask the value.
SECRET_NAME = r"(?:password|passwd|pwd|secret|secret[_\-]?key|token|auth[_\-]?token|access[_\-]?token|api[_\-]?key|apikey|access[_\-]?key|client[_\-]?secret|private[_\-]?key|aws_secret_access_key)"
ASSIGNMENT = re.compile(
    r"(?i)(\b[\w\-]*" + SECRET_NAME + r"[\w\-]*[\"']?\s*(?:=(?![=>])|:(?![:=])|:=|=>)\s*)([\"']?)([^\"'\s,;)}\]]+)([\"']?)"
)

# Values that refer to a secret instead of containing one (env lookups, templates, placeholders).
REFERENCE = re.compile(
    r"(?i)^(?:\$|\{|<|%|os\.|getenv|environ|secrets\.|vault|none|null|true|false|\*+$|x+$|\.\.\.$|"
    r"changeme|your|example|dummy|placeholder|redacted|required|optional|str\b|string|int\b|"
    r"self\.|args\.|config\.|cfg\.|settings\.|params\.|kwargs)"
)


def _mask_assignment(match: re.Match[str]) -> str:
    prefix, open_quote, value, close_quote = match.groups()
    if _is_reference(value, quoted=bool(open_quote)):
        return match.group(0)
    return f"{prefix}{open_quote}{MASK}{close_quote}"


def _is_reference(value: str, *, quoted: bool) -> bool:
    """True when the value names a secret kept elsewhere rather than holding one."""
    if REFERENCE.match(value):
        return True
    if not quoted and ("(" in value or re.fullmatch(r"[A-Za-z_][\w.]*", value) and not re.search(r"\d", value)):
        # a call or a bare identifier (password = user_password) is a variable, not a literal
        return True
    return False


def redact(text: str) -> str:
    """Return `text` with credentials masked; everything else unchanged."""
    if not text:
        return text
    text = PRIVATE_KEY.sub("-----BEGIN PRIVATE KEY----- " + MASK, text)
    for pattern in TOKEN_PATTERNS.values():
        text = pattern.sub(MASK, text)
    text = URL_PASSWORD.sub(lambda m: m.group(1) + MASK + m.group(3), text)
    text = ASSIGNMENT.sub(_mask_assignment, text)
    return text


@dataclass(frozen=True)
class SecretHit:
    """A line that holds what looks like a real credential."""

    kind: str
    line: int  # 1-based
    text: str  # the raw line (never show it; use redact(text))


# Example values vendors publish in their docs are not leaks.
_EXAMPLE_VALUE = re.compile(r"(?i)example|xxxx|dummy|fake|sample|placeholder|your[_\-]|<|\*\*\*")
# Assigned values that announce themselves as test doubles (API_KEY: test-secret-key in a CI test job).
# They are not findings, but redact() still masks them: a real secret may start with "test-" too.
_TEST_DOUBLE_VALUE = re.compile(r"(?i)^(?:test|testing|mock|fake|dummy)[_\-]")
# Names that point at a secret kept elsewhere (secrets_manager_name, token_url, secret_arn): their values
# are names, ids or places, not credentials. Again only for findings; redact() still masks them.
_POINTER_NAME = re.compile(r"(?i)[_\-](?:names?|ids?|arns?|manager|path|file|url|uri|env|var|key_?name|ref)[\"']?\s*(?:=|:|:=|=>)\s*$")
_WEAK_PASSWORDS_OK = {"password", "secret", "token", "test", "none", "null", ""}


def find_secrets(text: str, *, include_assignments: bool = True) -> list[SecretHit]:
    """Lines of `text` that contain a hard-coded credential.

    Known token formats and private keys always count; `password=...` style
    assignments and URL passwords only when `include_assignments` (code and
    config, not prose or test fixtures) and when the value is a literal.
    """
    hits: list[SecretHit] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if len(line) > 2000:
            line = line[:2000]
        if "PRIVATE KEY-----" in line and "BEGIN" in line:
            hits.append(SecretHit("private-key", number, line))
            continue
        kind = next((name for name, p in TOKEN_PATTERNS.items() if (m := p.search(line)) and not _EXAMPLE_VALUE.search(m.group(0))), None)
        if kind:
            hits.append(SecretHit(kind, number, line))
            continue
        if not include_assignments:
            continue
        url = URL_PASSWORD.search(line)
        if url and not REFERENCE.match(url.group(2)) and not _EXAMPLE_VALUE.search(url.group(2)) and url.group(2).lower() not in _WEAK_PASSWORDS_OK:
            hits.append(SecretHit("password-in-url", number, line))
            continue
        for m in ASSIGNMENT.finditer(line):
            value, quoted = m.group(3), bool(m.group(2))
            if (len(value) < 6 or _is_reference(value, quoted=quoted) or _EXAMPLE_VALUE.search(value)
                    or _TEST_DOUBLE_VALUE.match(value) or _POINTER_NAME.search(m.group(1))):
                continue
            if value.lower() in _WEAK_PASSWORDS_OK:
                continue
            hits.append(SecretHit("hard-coded-secret", number, line))
            break
    return hits

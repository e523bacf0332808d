"""Mask credentials in text before it leaves the process.

Every string an engine shows (audit evidence, gate proofs, MLflow facts, MCP
tool output, error messages) passes through `redact`, so a key committed by
mistake is reported as *found* without being copied anywhere. `find_secrets` is
the detector side: it says which lines hold what looks like a real, hard-coded
credential.

Every pattern here has bounded repetitions and starts with a literal or a short
character class, so `redact` is linear in the length of the text: a 2 MB line
costs well under a second, never minutes. Tokens with a distinctive prefix are
masked even when glued to other text (`\x1b[2Jghp_...` in an echoed argument).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MASK = "****"


@dataclass(frozen=True)
class Shape:
    """A credential with a recognisable shape. The named group `secret` (or the whole match) is masked.

    `finding`: a line holding it counts as a committed credential (gov.access_control fails).
    Shapes that are masked but are not findings name things that are often not secret on their own
    (a Twilio account SID) or are usually read from elsewhere (a Bearer header built in code)."""

    name: str
    regex: re.Pattern[str]
    literals: tuple[str, ...]  # lower case; text holding none of them cannot match (checked first: fast)
    finding: bool = True


def _shape(name: str, pattern: str, literals: str, finding: bool = True) -> Shape:
    return Shape(name, re.compile(pattern), tuple(literals.split()), finding)


SHAPES: list[Shape] = [
    _shape("aws-access-key", r"(?<![A-Z0-9])(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[0-9A-Z]{16}\b", "akia asia agpa aida aroa anpa anva aipa"),
    _shape("github-token", r"(?:gh[pousr]_[A-Za-z0-9]{30,255}|github_pat_[A-Za-z0-9_]{22,255})", "ghp_ gho_ ghu_ ghs_ ghr_ github_pat_"),
    _shape("gitlab-token", r"gl(?:pat|dt|rt|cbt|ptt|oas|ft|imt|soat|agent)-[A-Za-z0-9_\-]{20,255}",
           "glpat- gldt- glrt- glcbt- glptt- gloas- glft- glimt- glsoat- glagent-"),
    _shape("slack-token", r"xox[abposre]-[A-Za-z0-9-]{10,255}", "xox"),
    _shape("slack-webhook", r"\bhooks\.slack\.com/(?:services|workflows|triggers)/(?P<secret>[A-Za-z0-9_/\-]{8,255})", "hooks.slack.com"),
    _shape("discord-webhook", r"\bdiscord(?:app)?\.com/api/webhooks/(?P<secret>\d{5,30}/[A-Za-z0-9_\-]{20,255})", "/api/webhooks/"),
    _shape("openai-style-key", r"\bsk-(?:proj-|ant-|live-|test-|svcacct-|admin-)?[A-Za-z0-9_\-]{20,255}", "sk-"),
    _shape("stripe-key", r"(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,255}|\bwhsec_[A-Za-z0-9]{24,255}", "sk_live_ sk_test_ rk_live_ rk_test_ whsec_"),
    _shape("huggingface-token", r"hf_[A-Za-z0-9]{30,64}\b", "hf_"),
    _shape("npm-token", r"npm_[A-Za-z0-9]{36}\b", "npm_"),
    _shape("pypi-token", r"pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_\-]{40,255}", "pypi-"),
    _shape("sendgrid-key", r"SG\.[A-Za-z0-9_\-]{16,64}\.[A-Za-z0-9_\-]{16,64}", "sg."),
    _shape("databricks-token", r"\bdapi[0-9a-f]{32}(?:-\d)?\b", "dapi"),
    _shape("google-api-key", r"AIza[0-9A-Za-z_\-]{35}\b", "aiza"),
    # a JWT cut short (header and payload only) is still masked
    _shape("jwt", r"eyJ[A-Za-z0-9_\-]{10,4096}\.eyJ[A-Za-z0-9_\-]{10,4096}(?:\.[A-Za-z0-9_\-]{0,4096})?", "eyj"),
    _shape("twilio-sid", r"\b(?:AC|SK)[0-9a-fA-F]{32}\b", "ac sk", finding=False),
    # Authorization headers: `Authorization: Bearer <value>`, `Basic <base64>`.
    _shape("authorization-header", r"(?i)\b(?:proxy-)?authorization[\"']?\s{0,8}[:=]\s{0,8}[\"']?(?:(?:basic|bearer|token|digest|apikey|key)\s{1,8})?"
                                   r"(?P<secret>[A-Za-z0-9+/=._~\-]{8,4096})", "authorization", finding=False),
    _shape("basic-bearer", r"\b(?:[Bb]asic|[Bb]earer|BASIC|BEARER)\s{1,8}(?P<secret>(?=[A-Za-z0-9+/=._~\-]{0,4096}[0-9A-Z+/=])[A-Za-z0-9+/=._~\-]{8,4096})",
           "basic bearer", finding=False),
    # Azure storage and service bus connection strings, SAS signatures.
    _shape("azure-key", r"(?i)\b(?:AccountKey|SharedAccessKey|SharedAccessSignature|SharedSecret)\s{0,8}=\s{0,8}(?P<secret>[^;\"'\s]{1,1024})",
           "accountkey sharedaccess sharedsecret", finding=False),
    _shape("sas-signature", r"[?&]sig=(?P<secret>[^&\"'\s]{8,1024})", "sig=", finding=False),
    # ODBC / ADO connection strings: Pwd={a;b c} and Password=with spaces; (the value ends at `;`).
    _shape("connection-string-password", r"(?i)\b(?:pwd|password|passwd)\s{0,8}=\s{0,8}\{(?P<secret>[^}\n]{1,512})\}", "pwd passw", finding=False),
    _shape("connection-string-password", r"(?im)(?:(?<=;)|(?<=[\"'])|^)\s{0,8}(?:pwd|password|passwd)\s{0,8}=\s{0,8}"
                                         r"(?P<secret>[^;{}\"'\s][^;\n]{0,511})(?=;)", "pwd passw", finding=False),
    # Credentials on command lines: curl -u user:pw, --password pw, --token=..., docker login -p pw, mysql -ppw.
    _shape("command-line-credential", r"(?<![\w-])(?:-u|--user)(?:=|\s{1,8})[\"']?[^\s:\"'$]{1,128}:(?P<secret>[^\s\"']{1,512})", "-u --user",
           finding=False),
    _shape("command-line-credential", r"(?i)(?<![\w-])--(?:password|passwd|pass|pwd|token|access[-_]token|auth[-_]token|api[-_]?key|secret|"
                                      r"secret[-_]key|client[-_]secret|private[-_]key|registry[-_]password|db[-_]password|pat)"
                                      r"(?:=|\s{1,8})(?P<secret>\"[^\"\n]{1,512}\"|'[^'\n]{1,512}'|[^\s\"'$\\-][^\s\"'\\]{0,511})",
           "--pass --pwd --token --access --auth --api --secret --client --private --registry --db --pat", finding=False),
    _shape("command-line-credential", r"(?i)\b(?:login|sshpass|mysql|mysqladmin|mysqldump)\b[^\n]{0,256}?\s-p(?:\s{1,8}|(?=[^\s-]))"
                                      r"(?P<secret>[^\s\"'$\\-][^\s\"'\\]{0,511})", "login sshpass mysql", finding=False),
]
TOKEN_PATTERNS: dict[str, re.Pattern[str]] = {shape.name: shape.regex for shape in SHAPES if shape.finding}


def _literal_automaton():
    """One Aho-Corasick pass over the lower-cased text says which shapes can match at all."""
    import ahocorasick

    owners: dict[str, set[int]] = {}
    for index, shape in enumerate(SHAPES):
        for literal in shape.literals:
            owners.setdefault(literal, set()).add(index)
    automaton = ahocorasick.Automaton()
    for literal, indexes in owners.items():
        automaton.add_word(literal, frozenset(indexes))
    automaton.make_automaton()
    return automaton


_LITERALS = _literal_automaton()


def _possible_shapes(lower: str) -> list[Shape]:
    """The shapes (in SHAPES order) whose literals occur in `lower`."""
    found: set[int] = set()
    for _, indexes in _LITERALS.iter(lower):
        found |= indexes
        if len(found) == len(SHAPES):
            break
    return [SHAPES[i] for i in sorted(found)]

# Lower-case literals, one of which occurs on any line `find_secrets` reports (the scan's prefilter).
SECRET_ANCHORS = ("akia", "asia", "agpa", "aida", "aroa", "anpa", "anva", "aipa", "ghp_", "gho_", "ghu_", "ghs_", "ghr_",
                  "github_pat_", "glpat-", "gldt-", "glrt-", "glcbt-", "glptt-", "gloas-", "glft-", "glimt-", "glsoat-",
                  "glagent-", "xox", "hooks.slack.com", "discord", "sk-", "sk_live_", "sk_test_", "rk_live_", "rk_test_", "whsec_", "hf_", "npm_",
                  "pypi-", "sg.", "dapi", "aiza", "private key", "eyj", "password", "passwd", "pwd", "passphrase", "secret",
                  "token", "api_key", "api-key", "apikey", "access_key", "access-key", "accesskey", "://")

_PEM_BEGIN = re.compile(r"-----BEGIN (?:[A-Z0-9]{1,16} ){0,4}PRIVATE KEY( BLOCK)?-----")
_PEM_END = re.compile(r"-----END (?:[A-Z0-9]{1,16} ){0,4}PRIVATE KEY( BLOCK)?-----")

# scheme://user:password@host -> keep scheme, user and host, mask the password (which may hold `/`).
_URL_SCHEME_CHAR = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+.-")
_URL_CREDENTIALS = re.compile(r"(?P<user>[^:/\s@'\"]{0,256}):(?P<secret>[^@\s'\"]{1,256})@")

# password = "value", api_key: value, "client_secret": "value", os.environ["TOKEN"] = "value" -> mask the value.
SECRET_NAME = (r"(?:password|passwd|pwd|passphrase|secret|secret[_\-]?key|token|auth[_\-]?token|access[_\-]?token|api[_\-]?key|apikey|"
               r"access[_\-]?key|client[_\-]?secret|private[_\-]?key|aws_secret_access_key)")
_SECRET_WORD = re.compile("(?i)" + SECRET_NAME)
_SECRET_WORD_LOWER = re.compile(SECRET_NAME)  # on lower-cased text: ten times faster than (?i)
_ASSIGNMENT_TAIL = re.compile(
    r"(?i)[\w\-]{0,64}[\"']?\]?\s{0,8}(?:=(?![=>])|:(?![:=])|:=|=>)\s{0,8}"
    r"(?:[bru]{1,2}(?=[\"']))?"  # a Python bytes/raw/unicode literal is a literal too: b"...", r'...'
    r"(?:\"(?P<dq>[^\"\n]{1,512})\"|'(?P<sq>[^'\n]{1,512})'|(?P<oq>[\"']?)(?P<uq>[^\"'\s,;)}\]\\]{1,512})(?P<cq>[\"']?))"
)
_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-")
# environ.setdefault("API_TOKEN", "value"), os.putenv("DB_PASSWORD", "value")
_ENV_CALL = re.compile(r"(?i)\b(?:setdefault|putenv|setenv)\(\s{0,8}[\"'][\w\-]{0,64}" + SECRET_NAME +
                       r"[\w\-]{0,64}[\"']\s{0,8},\s{0,8}(?:\"(?P<dq>[^\"\n]{1,512})\"|'(?P<sq>[^'\n]{1,512})')")

# Values that refer to a secret instead of containing one (env lookups, templates, placeholders).
REFERENCE = re.compile(
    r"(?i)^(?:\$|\{|<|%|os\.|getenv|environ|secrets\.|vault|none|null|true|false|\*+$|x+$|\.\.\.$|"
    r"changeme|your|example|dummy|placeholder|redacted|required|optional|str\b|string|int\b|"
    r"self\.|args\.|config\.|cfg\.|settings\.|params\.|kwargs)"
)
_BARE_IDENTIFIER = re.compile(r"[A-Za-z_][\w.]*")
# An unquoted value that reads a variable: `response["NextToken"]`, `tokens[0]`, `get_token()`, `cfg.load(x)`.
# It is code, not a literal, so it is never a hard-coded secret (and masking it would only garble evidence).
_EXPRESSION = re.compile(r"[A-Za-z_$][\w$]{0,64}(?:\.[A-Za-z_$][\w$]{0,64}){0,8}\s{0,4}"
                         r"(?:\[[^\]\n]{0,128}\]|\()"  # a closed subscript (tokens[i + 1]) or a call
                         r"|lambda\b")


@dataclass(frozen=True)
class Assignment:
    """`name = value` with a credential-like name; `prefix` runs from the name to the value."""

    start: int  # of the name
    value_start: int
    value_end: int
    prefix: str
    value: str
    quoted: bool
    expression: bool = False  # unquoted code that reads a variable (see _EXPRESSION)


def _assignments(text: str):
    """Every credential-like assignment in `text`, left to right (keyword first, then the name around it)."""
    lower = text.lower()
    words, haystack = (_SECRET_WORD_LOWER, lower) if len(lower) == len(text) else (_SECRET_WORD, text)
    position = 0
    while (word := words.search(haystack, position)) is not None:
        tail = _ASSIGNMENT_TAIL.match(text, word.end())
        if tail is None:
            position = word.end()
            continue
        start = word.start()
        while start > 0 and word.start() - start < 64 and text[start - 1] in _NAME_CHARS:
            start -= 1
        group = next(g for g in ("dq", "sq", "uq") if tail.group(g) is not None)
        quoted = group != "uq" or bool(tail.group("oq"))
        prefix = text[start:tail.start(group)].rstrip("\"'")  # the name and the operator, without the opening quote
        expression = not quoted and _EXPRESSION.match(text, tail.start(group)) is not None
        yield Assignment(start, tail.start(group), tail.end(group), prefix, tail.group(group), quoted, expression)
        position = tail.end()


def _is_reference(value: str, *, quoted: bool) -> bool:
    """True when the value names a secret kept elsewhere rather than holding one."""
    if REFERENCE.match(value):
        return True
    if not quoted and ("(" in value or _BARE_IDENTIFIER.fullmatch(value) and not re.search(r"\d", value)):
        # a call or a bare identifier (password = user_password) is a variable, not a literal
        return True
    return False


_KEY_BODY_ON_LINE = re.compile(r"[A-Za-z0-9+/= \t]{0,4096}")
_KEY_BODY_LINES = re.compile(r"(?:\n[ \t]{0,16}[A-Za-z0-9+/=]{4,128}[ \t]{0,16}(?=\n|$)){0,512}")


def _mask_private_keys(text: str) -> str:
    """From each BEGIN ... PRIVATE KEY marker to its END marker; without one (or with quotes in between,
    which means the END belongs to other text), the key body that follows: the rest of the line and
    the base64 lines after it. Quotes are never masked, so masked JSON stays JSON."""
    if "PRIVATE KEY" not in text:
        return text
    out, position = [], 0
    while (begin := _PEM_BEGIN.search(text, position)) is not None:
        end = _PEM_END.search(text, begin.end(), begin.end() + 65536)
        if end is not None and not any(q in text[begin.end():end.start()] for q in "\"'"):
            stop = end.end()
        else:
            stop = _KEY_BODY_ON_LINE.match(text, begin.end()).end()
            stop = _KEY_BODY_LINES.match(text, stop).end()
        out.append(text[position:begin.start()] + "-----BEGIN PRIVATE KEY----- " + MASK)
        position = stop
    return "".join(out) + text[position:]


def _mask_url_passwords(text: str) -> str:
    if "://" not in text:
        return text
    out, position, search = [], 0, 0
    while (colon := text.find("://", search)) != -1:
        search = colon + 3
        scheme = colon
        while scheme > 0 and colon - scheme < 32 and text[scheme - 1] in _URL_SCHEME_CHAR:
            scheme -= 1
        if scheme == colon or not text[scheme].isalpha() or text.find("@", colon, colon + 520) == -1:
            continue
        credentials = _URL_CREDENTIALS.match(text, colon + 3)
        if credentials is None or credentials.group("secret") == MASK:
            continue
        out.append(text[position:credentials.start("secret")] + MASK)
        position = search = credentials.end("secret")
    return "".join(out) + text[position:]


def _mask_shape(shape: Shape, text: str) -> str:
    group = "secret" if "secret" in shape.regex.groupindex else 0

    def mask(match: re.Match[str]) -> str:
        value = match.group(group)
        if group and (REFERENCE.match(value.strip("\"'")) or value == MASK):
            return match.group(0)
        start, end = match.span(group)
        return text[match.start():start] + MASK + text[end:match.end()]

    return shape.regex.sub(mask, text)


def _mask_groups(regex: re.Pattern[str], text: str, groups: tuple[str, ...]) -> str:
    def mask(match: re.Match[str]) -> str:
        name = next(g for g in groups if match.group(g) is not None)
        if REFERENCE.match(match.group(name)):
            return match.group(0)
        start, end = match.span(name)
        return text[match.start():start] + MASK + text[end:match.end()]

    return regex.sub(mask, text)


_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


def _mask_assignments(text: str) -> str:
    out, position = [], 0
    for found in _assignments(text):
        if found.value == MASK or found.expression or _is_reference(found.value, quoted=found.quoted) or _counted_name(found.prefix):
            continue
        # an unquoted number becomes a quoted mask, so masked JSON and YAML stay parseable
        mask = f'"{MASK}"' if not found.quoted and _NUMBER.fullmatch(found.value) else MASK
        out.append(text[position:found.value_start] + mask)
        position = found.value_end
    return "".join(out) + text[position:]


def redact(text: str) -> str:
    """Return `text` with credentials masked; everything else unchanged."""
    if not text or not isinstance(text, str):
        return text
    text = _mask_private_keys(text)
    lower = text.lower()
    for shape in _possible_shapes(lower):
        text = _mask_shape(shape, text)
    lower = text.lower()
    text = _mask_url_passwords(text)
    if "setdefault(" in lower or "env(" in lower:
        text = _mask_groups(_ENV_CALL, text, ("dq", "sq"))
    return _mask_assignments(text)


SNIPPET_WINDOW = 4096  # characters of a line that are masked before a snippet is cut from them


def snippet(line: str, limit: int = 160) -> str:
    """A line as evidence: stripped, credentials masked over the whole window, *then* cut to `limit`
    (cutting first could split a credential so that its pattern no longer matches)."""
    text = redact(line.strip()[:SNIPPET_WINDOW])
    return text if len(text) <= limit else text[:limit - 1] + "…"


def safe_fragment(fragment: str, line: str) -> str:
    """`fragment` (a matched piece of `line`) as it may be shown: itself when masking the whole line
    leaves it intact, its masked form when that still reads the same in the masked line, else MASK."""
    if not fragment:
        return fragment
    if fragment not in line:  # a name the matcher built (a qualified call, a command), not a piece of the line
        return redact(fragment)
    masked_line = redact(line[:SNIPPET_WINDOW])
    if fragment in masked_line:
        return fragment
    masked = redact(fragment)
    return masked if masked != fragment and masked in masked_line else MASK


_NOT_SECRET_KEYS = frozenset({"next_page_token", "page_token"})  # paging cursors (MLflow's and mlproof's), not credentials
_NAME = re.compile(r"[\w\-]+")


def _counted_name(prefix: str) -> bool:
    """Names whose value is a cursor or a count (next_page_token, input_tokens, max_tokens), not a credential."""
    name = _NAME.match(prefix)
    if name is None:
        return False
    name = name.group(0).lower().replace("-", "_")
    return name in _NOT_SECRET_KEYS or name.endswith("tokens")


# Key names whose value is a credential, for structured data (MLflow params and tags, JSON):
# the last word of the key decides, so `tokenizer` and `max_tokens` stay visible.
_SECRET_KEY_WORDS = frozenset({
    "password", "passwd", "pwd", "passphrase", "secret", "token", "apikey", "credential", "credentials", "dsn",
    "privatekey", "secretkey", "accesskey", "accountkey", "clientsecret", "authtoken", "accesstoken", "connectionstring",
    "sastoken", "webhook", "webhookurl",
})
_KEY_SPLIT = re.compile(r"[.\-/\s]+|(?<=[a-z0-9])(?=[A-Z])")




def secret_key(key: str) -> bool:
    """True when a mapping key names a credential (`db_password`, `HF_TOKEN`, `api-key`, `mlflow.secret`)."""
    if not isinstance(key, str) or len(key) > 200 or key in _NOT_SECRET_KEYS:
        return False
    words = [w for w in _KEY_SPLIT.split(key.replace("_", ".")) if w]
    if not words:
        return False
    last = words[-1].lower()
    pair = "".join(words[-2:]).lower()
    return (last in _SECRET_KEY_WORDS or pair in _SECRET_KEY_WORDS) and key.lower() not in _NOT_SECRET_KEYS


def redact_value(key: str | None, value: str, *, secret: bool | None = None) -> str:
    """A mapping value, masked whole when its key names a credential (or `secret` says it sits under
    such a key), else redacted as text."""
    if secret is None:
        secret = key is not None and secret_key(key)
    if secret and value and not REFERENCE.match(value) and value.lower() not in _WEAK_PASSWORDS_OK:
        return MASK
    return redact(value)


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
_POINTER_NAME = re.compile(r"(?i)[_\-](?:names?|ids?|arns?|manager|path|file|url|uri|env|var|key_?name|ref)[\"']?\]?\s*(?:=|:|:=|=>)\s*$")
# `--secret=db-password`, `--set-secrets=API_KEY=api-key:latest`: a flag that names a secret held by a secret
# manager (gcloud, Cloud Run, Cloud Build). The value is the secret's name and version, not the secret.
_SECRET_NAME_FLAG = re.compile(r"(?i)(?:^|\s)--(?:(?:set|update)-)?secrets?(?:-name|-id)?=\s*$")
_SECRET_NAME = re.compile(r"^[a-z][a-z0-9]*(?:[-_][a-z0-9]+)+(?::(?:latest|\d+))?$"
                          r"|^(?:[A-Za-z_]\w*=[\w./-]+:(?:latest|\d+),?)+$")
# NO_API_KEY = "No API key provided.", TOKEN_HELP = "Paste your token here": a message about a credential.
_PROSE_VALUE = re.compile(r"^[A-Z][a-z]*(?: [\w'-]+){2,}[.!?]$")
_MESSAGE_NAME = re.compile(r"(?i)_(?:msg|message|detail|error|help|hint|text|label|prompt|description|title)[\"']?\]?\s*(?:=|:|:=|=>)\s*$")
_PASSWORD_NAME = re.compile(r"(?i)(?:^|[^a-z])(?:password|passwd|pwd|passphrase)[\"']?\]?\s*(?:=|:|:=|=>)\s*$")  # a sentence there is a passphrase
_WEAK_PASSWORDS_OK = {"password", "secret", "token", "test", "none", "null", ""}
MAX_SCANNED_LINE = 4096  # characters of a line find_secrets reads (a credential sits near where its line starts)


def find_secrets(text: str, *, include_assignments: bool = True) -> list[SecretHit]:
    """Lines of `text` that contain a hard-coded credential.

    Known token formats and private keys always count; `password=...` style
    assignments and URL passwords only when `include_assignments` (code and
    config, not prose or test fixtures) and when the value is a literal.
    """
    hits: list[SecretHit] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if len(line) > MAX_SCANNED_LINE:
            line = line[:MAX_SCANNED_LINE]
        if "PRIVATE KEY" in line and "BEGIN" in line and _PEM_BEGIN.search(line):
            hits.append(SecretHit("private-key", number, line))
            continue
        kind = next((shape.name for shape in _possible_shapes(line.lower()) if shape.finding
                     and (m := shape.regex.search(line)) and not _EXAMPLE_VALUE.search(m.group(0))), None)
        if kind:
            hits.append(SecretHit(kind, number, line))
            continue
        if not include_assignments:
            continue
        if _url_password(line):
            hits.append(SecretHit("password-in-url", number, line))
            continue
        for found in _assignments(line):
            value = found.value
            if (len(value) < 6 or found.expression or _is_reference(value, quoted=found.quoted) or _EXAMPLE_VALUE.search(value)
                    or _TEST_DOUBLE_VALUE.match(value) or _POINTER_NAME.search(found.prefix)
                    or (_SECRET_NAME_FLAG.search(found.prefix) and _SECRET_NAME.match(value))
                    or (found.quoted and _PROSE_VALUE.match(value) and not _PASSWORD_NAME.search(found.prefix))
                    or _MESSAGE_NAME.search(found.prefix)):
                continue
            if value.lower() in _WEAK_PASSWORDS_OK:
                continue
            hits.append(SecretHit("hard-coded-secret", number, line))
            break
    return hits


def _url_password(line: str) -> bool:
    """True when a URL in the line carries a literal password."""
    search = 0
    while (colon := line.find("://", search)) != -1:
        search = colon + 3
        if colon == 0 or line[colon - 1] not in _URL_SCHEME_CHAR or line.find("@", colon, colon + 520) == -1:
            continue
        credentials = _URL_CREDENTIALS.match(line, colon + 3)
        if credentials is None:
            continue
        secret = credentials.group("secret")
        if not REFERENCE.match(secret) and not _EXAMPLE_VALUE.search(secret) and secret.lower() not in _WEAK_PASSWORDS_OK:
            return True
    return False

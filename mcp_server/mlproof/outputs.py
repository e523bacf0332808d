"""The last step of every output path: credentials masked in everything that leaves the process.

Engines mask what they know to be risky (snippets, URIs); this module masks the rest, so a
field added tomorrow cannot leak. Each face has one choke point:

- the CLI writes through `RedactingStream` (stdout and stderr) and writes files with
  `write_report`; models are redacted with `redact_model` before they are rendered, so a
  `db_password` param is masked by its key, which no line of text would show;
- the MCP server builds every result with `redact_data` and every error with `safe_message`
  (server.tool_result / tool_error).
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

from mlproof.errors import SHOWN_INPUT_CHARS, MlproofError, quoted
from mlproof.repo.redact import redact, redact_value, secret_key

MAX_DEPTH = 64  # deeper data is not a report; it is cut rather than walked
MAX_MESSAGE_CHARS = 600
_LONG_QUOTED = re.compile(r"'([^'\n]{81,})'|\"([^\"\n]{81,})\"")
_LONG_WORD = re.compile(r"[^\s/]{%d,}" % (SHOWN_INPUT_CHARS + 1))  # paths (with /) are quoted where they are echoed


def redact_data(value: Any, key: str | None = None, depth: int = 0, *, under_secret: bool = False) -> Any:
    """`value` with every string masked: mapping values also by their key (`db_password: x`), and so is
    everything nested under such a key (`{"db_password": {"<run id>": x}}` in a run comparison)."""
    under_secret = under_secret or (key is not None and secret_key(key))
    if isinstance(value, str):
        return redact_value(key, value, secret=under_secret)
    if depth > MAX_DEPTH:
        return None
    if isinstance(value, dict):
        return {redact(k) if isinstance(k, str) else k: redact_data(v, k if isinstance(k, str) else None, depth + 1, under_secret=under_secret)
                for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact_data(v, key, depth + 1, under_secret=under_secret) for v in value]
    return value


def redact_model(model):
    """A copy of a pydantic model with every string redacted (its renderers then show only masked text)."""
    from pydantic import ValidationError

    data = redact_data(model.model_dump(mode="python"))
    try:
        return type(model).model_validate(data)
    except ValidationError:  # a field whose validator rejects the mask: keep the masked values unvalidated
        return type(model).model_construct(**data)


def safe_message(message: str) -> str:
    """An error message as shown: printable, quoted input cut to ~80 characters, credentials masked, bounded."""
    text = "".join(c if c.isprintable() else " " for c in str(message)[:MAX_MESSAGE_CHARS * 8])
    text = _LONG_QUOTED.sub(lambda m: quoted(m.group(1) if m.group(1) is not None else m.group(2)), text)
    text = redact(text)
    # an unquoted echo (an id inside a library's message) is cut too, after masking so no credential is split
    text = _LONG_WORD.sub(lambda m: m.group(0)[:SHOWN_INPUT_CHARS - 1] + "…", text)
    return text if len(text) <= MAX_MESSAGE_CHARS else text[:MAX_MESSAGE_CHARS - 1] + "…"


class RedactingStream(io.TextIOBase):
    """A text stream that masks credentials line by line before passing text on.

    Text is held until a line ends (newline or carriage return, so progress bars still
    move), because a credential split across two writes must be masked as one."""

    def __init__(self, target) -> None:
        super().__init__()
        self.target = target
        self._pending = ""

    def write(self, text: str) -> int:
        self._pending += text
        cut = max(self._pending.rfind("\n"), self._pending.rfind("\r"))
        if cut >= 0:
            ready, self._pending = self._pending[:cut + 1], self._pending[cut + 1:]
            self.target.write(redact(ready))
        if len(self._pending) > 1 << 20:  # one unterminated megabyte: mask and pass it on
            self.target.write(redact(self._pending))
            self._pending = ""
        return len(text)

    def flush(self) -> None:
        if self._pending:
            self.target.write(redact(self._pending))
            self._pending = ""
        self.target.flush()

    def isatty(self) -> bool:
        return self.target.isatty()

    def fileno(self) -> int:
        return self.target.fileno()

    def writable(self) -> bool:
        return True

    @property
    def encoding(self):  # type: ignore[override]
        return getattr(self.target, "encoding", "utf-8")

    @property
    def errors(self):  # type: ignore[override]
        return getattr(self.target, "errors", "strict")


def write_report(text: str, output: str | Path, *, what: str = "--output") -> Path:
    """Write a report file, masked, or raise one sentence saying why it cannot be written."""
    path = Path(output)
    try:
        if path.is_dir():
            raise MlproofError(f"{what} {quoted(str(path))} is a folder; give a file name.")
        if not path.parent.is_dir():
            raise MlproofError(f"The folder {quoted(str(path.parent))} for {what} does not exist.")
        path.write_text(redact(text), encoding="utf-8")
    except MlproofError:
        raise
    except (OSError, ValueError) as err:
        reason = getattr(err, "strerror", None) or type(err).__name__
        raise MlproofError(f"Cannot write the report to {quoted(str(path))}: {reason}.") from None
    return path

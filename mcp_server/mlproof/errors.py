"""User-facing errors.

Every engine raises `MlproofError` with one plain sentence for bad input
(missing path, unreadable file, unreachable MLflow ...). The CLI prints it on
one line and the MCP server returns it as a tool error; neither shows a traceback.
"""


import os


class MlproofError(Exception):
    """A problem the user can fix; the message is one plain sentence."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


SHOWN_INPUT_CHARS = 80  # an error message quotes at most this much of what it was given


def quoted(value: object, limit: int = SHOWN_INPUT_CHARS) -> str:
    """User input as an error message may quote it: in quotes, unprintable characters escaped,
    cut to `limit` characters, credentials masked (a URL or a flag can carry one)."""
    from mlproof.repo.redact import redact

    text = value if isinstance(value, str) else os.fsdecode(value) if isinstance(value, (bytes, os.PathLike)) else str(value)
    text = "".join(c if c.isprintable() else ascii(c)[1:-1] for c in text[:limit * 4])
    text = redact(text)
    if len(text) > limit:
        text = text[:limit - 1] + "…"
    return f"'{text}'"

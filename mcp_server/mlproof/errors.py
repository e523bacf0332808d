"""User-facing errors.

Every engine raises `MlproofError` with one plain sentence for bad input
(missing path, unreadable file, unreachable MLflow ...). The CLI prints it on
one line and the MCP server returns it as a tool error; neither shows a traceback.
"""


class MlproofError(Exception):
    """A problem the user can fix; the message is one plain sentence."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message

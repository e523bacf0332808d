"""Which folders the MCP server may read, and the check every path goes through.

The server reads only inside: the roots the client announces (MCP roots/list,
when the client supports it), the folders given with `mlproof serve --allow`,
and the working directory it was started in. Paths are resolved first
(symlinks included), so `../` tricks and links pointing outside are refused.
"""

from __future__ import annotations

import errno
import logging
import os
import warnings
from pathlib import Path
from urllib.parse import unquote, urlparse

from mlproof.errors import MlproofError, quoted
from mlproof.paths import check_path_text, os_error_sentence

log = logging.getLogger("mlproof.server")

# How long to wait for the client's roots/list answer before using the static roots alone.
ROOTS_TIMEOUT_SECONDS = 5.0


def file_uri_to_path(uri: str) -> Path | None:
    """`file:///a/b` → Path('/a/b'); any other scheme → None (only local folders can be roots)."""
    parsed = urlparse(uri)
    if parsed.scheme != "file":
        return None
    return Path(unquote(parsed.path))


def _resolved(paths) -> list[Path]:
    """Resolve and de-duplicate, keeping order."""
    seen: list[Path] = []
    for path in paths:
        real = Path(path).expanduser().resolve()
        if real not in seen:
            seen.append(real)
    return seen


class AllowedRoots:
    """The static roots (--allow folders and the working directory) plus the client's roots."""

    def __init__(self, allow: list[str | Path] | None = None, cwd: str | Path | None = None):
        for folder in allow or []:
            if not Path(folder).expanduser().is_dir():
                raise MlproofError(f"--allow {folder} is not an existing folder.")
        # The working directory comes first: relative paths start there when the client has no roots.
        self.static = _resolved([cwd or os.getcwd(), *(allow or [])])

    async def client_roots(self, ctx) -> list[Path]:
        """The local folders the connected client announced, or [] if it has no roots capability."""
        import anyio

        session = ctx.session
        capabilities = session.client_capabilities
        if capabilities is None or capabilities.roots is None:
            return []
        try:
            with anyio.fail_after(ROOTS_TIMEOUT_SECONDS), warnings.catch_warnings():
                # The SDK flags roots as deprecated for the 2026 protocol; today's clients still use it.
                warnings.simplefilter("ignore")
                result = await session.list_roots()
        except Exception as err:  # a client that fails roots/list still gets the static roots
            log.warning("roots/list failed (%s); using --allow folders and the working directory only.", err)
            return []
        paths = [file_uri_to_path(str(root.uri)) for root in result.roots]
        return _resolved(p for p in paths if p is not None)

    async def current(self, ctx=None) -> list[Path]:
        """Client roots first (so relative paths resolve against the client's project), then the static ones."""
        client = await self.client_roots(ctx) if ctx is not None else []
        return _resolved([*client, *self.static])


def describe(roots: list[Path]) -> str:
    return ", ".join(str(root) for root in roots)


def resolve_inside(path: str, roots: list[Path], *, what: str = "path", must_exist: bool = True) -> Path:
    """The real path of `path` if it lies inside one of `roots`; MlproofError otherwise.

    Relative paths are taken from the first root (the client's project when it
    announced one, else the working directory).
    """
    if not isinstance(path, str) or not path.strip():
        raise MlproofError(f"The {what} is empty; give a file or folder path.")
    check_path_text(path, what)
    if not path.isprintable():
        raise MlproofError(f"The {what} {quoted(path)} contains control characters.")
    candidate = Path(path).expanduser()
    if not candidate.is_absolute():
        candidate = roots[0] / candidate
    try:
        real = Path(os.path.realpath(candidate))  # follows symlinks, so a link cannot point the check elsewhere
        os.path.realpath(candidate, strict=True) if must_exist else None
        exists = real.exists()
    except OSError as err:
        if err.errno in (errno.ELOOP, errno.ENAMETOOLONG):
            raise MlproofError(os_error_sentence(err, path, what)) from None
        exists = False
    if not any(real == root or real.is_relative_to(root) for root in roots):
        raise MlproofError(
            f"The {what} {quoted(path)} is outside the folders this server may read ({describe(roots)}); "
            "open that folder in your client or start the server with --allow."
        )
    if must_exist and not exists:
        raise MlproofError(f"The {what} {quoted(path)} does not exist.")
    return real

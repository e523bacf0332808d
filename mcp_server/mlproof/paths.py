"""Checks on a path a user or a client gave, before and while the disk is asked about it.

Shared by every face that takes a path (audit, MCP roots, drift datasets), so a NUL byte,
a 5,000-character path or a symlink loop gets the same one sentence everywhere.
"""

from __future__ import annotations

import errno
import os

from mlproof.errors import MlproofError, quoted

PATH_MAX = 4096  # bytes: a longer path cannot be opened (ENAMETOOLONG)


def check_path_text(text: str, what: str = "path") -> None:
    """Refuse what no file system call can take: a NUL byte or more than PATH_MAX bytes."""
    if "\0" in text:
        raise MlproofError(f"The {what} {quoted(text)} contains a NUL byte; pass a real path.")
    if len(os.fsencode(text)) > PATH_MAX:
        raise MlproofError(f"The {what} {quoted(text)} is longer than the {PATH_MAX} bytes the system allows.")


def os_error_sentence(err: OSError, text: str, what: str = "path") -> str | None:
    """One sentence for the OSErrors a path itself causes (loop, name too long, permission); None for others."""
    if err.errno == errno.ELOOP:
        return f"The {what} {quoted(text)} is a symlink loop."
    if err.errno == errno.ENAMETOOLONG:
        return f"The {what} {quoted(text)} has a name longer than the system allows."
    if err.errno in (errno.EACCES, errno.EPERM):
        return f"The {what} {quoted(text)} cannot be read (permission denied)."
    return None

"""Run git on a repository mlproof does not trust, so that nothing the repository configures runs.

A repository is data here: it may come from an archive or a mounted folder, and its
`.git/config` (or a file it pulls in with `include.path` / `includeIf`) can name programs
that git starts on its own. The one that fires for the commands mlproof runs
(`rev-parse`, `ls-files`) is `core.fsmonitor`; hooks (`post-index-change`), filter and diff
drivers, pagers, editors, credential helpers and ssh commands fire for others. So every
git call goes through `run_git`, which:

- starts from an environment without the caller's GIT_* variables (no GIT_DIR or
  GIT_CONFIG_* pointing elsewhere), with system and global config switched off;
- overrides, on the command line (the highest-priority config scope, above the
  repository's own files and anything they include), every key that names a program;
- takes no optional locks, so reading the index never rewrites it;
- has a timeout and never prompts.

Why not read `.git/index` without git: the file list must honour git's ignore rules
(nested .gitignore files, info/exclude, negations) and index formats v2-v4 with
split and sparse indexes; re-implementing that would trade a closed door for a
list of subtle differences. Plumbing with every program key overridden runs no
repository code, which the tests check on a repository that configures them all.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

# Config keys that name a program, set to something that runs nothing. Command-line `-c` wins over
# the repository's config and its includes, so these hold whatever `.git/config` says.
NEUTRAL_CONFIG = (
    "core.fsmonitor=false",  # the hook git runs from ls-files/status to ask which files changed
    "core.untrackedCache=false",  # no index rewrites to store the untracked cache
    "core.hooksPath=/dev/null",  # no hooks (post-index-change, reference-transaction, ...)
    "core.pager=cat",
    "core.editor=false",
    "core.sshCommand=false",
    "core.askPass=",
    "core.gitProxy=",
    "credential.helper=",  # an empty value clears the list of helpers
    "diff.external=",
    "protocol.allow=never",  # no fetching of any kind (submodules, promisor remotes)
    "core.alternateRefsCommand=",
    "gpg.program=false",
    "core.quotepath=off",
)

# Variables that would make git read another repository or config, or run a program.
_DROPPED_PREFIXES = ("GIT_",)
_DROPPED = {"PAGER", "EDITOR", "VISUAL", "SSH_ASKPASS", "LESSOPEN", "LESSCLOSE"}


def git_environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(_DROPPED_PREFIXES) and k not in _DROPPED}
    env.update({
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_OPTIONAL_LOCKS": "0",
        "GIT_PAGER": "cat",
        "PAGER": "cat",
        "GIT_ASKPASS": "",
        "GIT_SSH_COMMAND": "false",
        "GIT_NO_REPLACE_OBJECTS": "1",
        "GIT_PROTOCOL_FROM_USER": "0",
    })
    return env


def git_command(root: str | Path, *args: str) -> list[str]:
    command = ["git", "--no-pager"]
    for setting in NEUTRAL_CONFIG:
        command += ["-c", setting]
    return [*command, "-C", str(root), *args]


def run_git(root: str | Path, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[bytes] | None:
    """`git -C root args...` with the repository's programs switched off; None when git is missing,
    times out or cannot start. The caller reads returncode and stdout (bytes)."""
    try:
        return subprocess.run(git_command(root, *args), capture_output=True, timeout=timeout, env=git_environment(),
                              stdin=subprocess.DEVNULL)
    except (OSError, subprocess.SubprocessError, ValueError):
        return None

"""Find `models:/...` URIs in a repository and say how each one pins the model.

Serving code should load `models:/name@alias` or `models:/name/<version>`.
`models:/name/latest` changes under the server's feet, and stage URIs
(`models:/name/Production`) rely on registry stages, deprecated since MLflow 2.9.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from pydantic import BaseModel

from mlproof.errors import MlproofError

MODEL_URI = re.compile(r"""models:/(?P<name>[^\s/@'"`]+)(?:@(?P<alias>[\w\-]+)|/(?P<ref>[\w\-.]+))?""")
STAGES = {"production", "staging", "archived", "none"}
Pinning = Literal["alias", "version", "latest", "stage", "model_id", "unpinned"]


class ModelUriUse(BaseModel):
    path: str
    line: int
    uri: str
    model: str
    pinning: Pinning
    snippet: str


def classify(match: re.Match[str]) -> Pinning:
    if match.group("alias"):
        return "alias"
    ref = match.group("ref")
    if ref is None:
        return "model_id" if match.group("name").startswith("m-") else "unpinned"
    if ref.isdigit():
        return "version"
    if ref.lower() == "latest":
        return "latest"
    if ref.lower() in STAGES:
        return "stage"
    return "unpinned"


def find_model_uris(repo: str | Path) -> list[ModelUriUse]:
    """Every `models:/` URI in the repository's text files, with how it pins the model."""
    from mlproof.repo.redact import redact
    from mlproof.repo.walk import list_files

    root = Path(repo)
    if not root.is_dir():
        raise MlproofError(f"The repository path {root} does not exist or is not a directory.")
    uses: list[ModelUriUse] = []
    for item in list_files(root).files:  # git-aware, skips vendored folders and binaries
        try:
            text = item.abs.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        if "models:/" not in text:
            continue
        for number, line in enumerate(text.splitlines(), start=1):
            for match in MODEL_URI.finditer(line):
                uses.append(ModelUriUse(path=item.rel, line=number, uri=match.group(0),
                                        model=match.group("name"), pinning=classify(match), snippet=redact(line.strip())[:200]))
    return uses

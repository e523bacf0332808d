"""What kind of repository this is, and why we think so.

The kind decides which checks can apply:
- `project`: a model is trained and/or served here: every check applies;
- `template`: a generator or starter (cookiecutter, copier, "skeleton"): its
  files are what generated projects get, so they are graded like a project's;
- `tutorial`: a course, workshop, book or set of lessons: graded on what the
  repository really contains (its exercises are its code);
- `library`: reusable code with no model trained or served, or a package whose
  model code lives only in its examples and docs: model checks are n/a when
  nothing is found, and a library's examples never count as its practice;
- `serving-only`: serves a model trained elsewhere: training checks are n/a
  when nothing is found.

Every decision carries the facts that made it, as `path[:line]` strings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

RepoKindName = Literal["project", "template", "tutorial", "library", "serving-only"]

TEMPLATE_PATH = re.compile(r"\{\{\s*cookiecutter|\{\{\s*\w+\s*\}\}|(?:^|/)cookiecutter\.json$|(?:^|/)copier\.ya?ml$|(?:^|/)prompts\.ya?ml$")
TEMPLATE_TITLE = re.compile(r"(?i)\b(?:template|skeleton|boilerplate|starter(?:s| kit)?|scaffold(?:ing)?|cookiecutter)\b")
LESSON_FOLDER = re.compile(r"(?i)(?:^|/)(?:week|lesson|lecture|chapter|module|day|lab|session|exercise|unit|part|step|scenario)[ _-]?\d+[^/]*/")
TUTORIAL_TITLE = re.compile(r"(?i)\b(?:tutorial|workshop|course|book|lessons?|hands-on|bootcamp|zoomcamp|guide|walkthrough|lab|labs|scenarios|series|learn(?:ing)? (?:mlops|ml)|mlops basics)\b")
NUMBERED_NOTEBOOK = re.compile(r"(?:^|/)\d{1,3}[ _.-][^/]*\.ipynb$")
README = re.compile(r"(?i)^readme(?:\.md|\.rst|\.txt)?$")
# Where a package keeps code that shows how to use it, rather than code it runs.
EXAMPLE_DIR = re.compile(r"(?i)(?:^|/)(?:examples?|samples?|demos?|tutorials?|docs?|doc_src|cookbook)/")
PACKAGE_FILE = re.compile(r"^(?:[^/]+/){0,2}(?:setup\.py|setup\.cfg|pyproject\.toml)$")
HEADING = re.compile(r"^\s{0,3}#{1,2}\s+(.+?)\s*#*\s*$|^(.+)\n[=]{3,}\s*$", re.M)


@dataclass
class RepoKind:
    kind: RepoKindName
    reason: str
    evidence: list[str] = field(default_factory=list)


def readme_title(readme_text: str | None) -> str | None:
    """The first heading of the top-level README."""
    if not readme_text:
        return None
    found = HEADING.search(readme_text[:20000])
    if not found:
        return None
    return (found.group(1) or found.group(2) or "").strip()[:120] or None


def decide_kind(paths: list[str], readme_text: str | None, *, training: list[str], serving: list[str],
                inference: list[str], ml_code: list[str]) -> RepoKind:
    """The kind, from the path list, the README's title and where model code lives.

    `training`, `serving`, `inference` and `ml_code` are `path[:line]` locations of source files
    (not tests, not notebooks) that train a model, serve predictions, load a model to predict, or
    import ML libraries.
    """
    template_paths = [p for p in paths if TEMPLATE_PATH.search(p)]
    title = readme_title(readme_text)
    if template_paths:
        return RepoKind("template", f"project-template markers ({template_paths[0]})", template_paths[:3])
    lesson_folders = sorted({m.group(0).rstrip("/") for p in paths for m in [LESSON_FOLDER.search(p)] if m})
    notebooks = [p for p in paths if NUMBERED_NOTEBOOK.search(p)]
    if title and TUTORIAL_TITLE.search(title) and (lesson_folders or notebooks or training or ml_code):
        return RepoKind("tutorial", f"the README calls it a {TUTORIAL_TITLE.search(title).group(0).lower()} ('{title[:60]}')",
                        ["README"] + lesson_folders[:2])
    if len(lesson_folders) >= 3:
        return RepoKind("tutorial", f"lesson folders ({', '.join(lesson_folders[:3])})", lesson_folders[:3])
    if title and TEMPLATE_TITLE.search(title):
        return RepoKind("template", f"the README calls it a {TEMPLATE_TITLE.search(title).group(0).lower()} ('{title[:60]}')", ["README"])
    core = [where for where in training + serving + inference if not EXAMPLE_DIR.search(where)]
    packaged = [p for p in paths if PACKAGE_FILE.search(p) and not EXAMPLE_DIR.search(p)]
    if (training or serving) and not core and packaged:
        shown = (training or serving)[0]
        return RepoKind("library", f"a package ({packaged[0]}) whose model code is only in its examples ({shown})",
                        packaged[:1] + (training or serving)[:2])
    if training:
        return RepoKind("project", f"model training code ({training[0]})", training[:3])
    if serving and inference:
        return RepoKind("serving-only", f"serves a model ({serving[0]}) but no code here trains one", serving[:2] + inference[:1])
    if serving or inference:
        where = (serving or inference)[0]
        return RepoKind("project", f"model serving or inference code ({where})", (serving or inference)[:3])
    if ml_code:
        return RepoKind("project", f"ML libraries used in source code ({ml_code[0]})", ml_code[:3])
    return RepoKind("library", "no code trains, serves or loads a model", [])

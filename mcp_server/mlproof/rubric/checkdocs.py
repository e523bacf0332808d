"""The check reference page (docs/checks.md), generated from the catalog, and links into it.

SARIF rules carry a `helpUri` per check; it points at the check's heading in this page,
at the address the package declares as "Check docs" in `[project.urls]`. The page is
written by `mlproof checks --format docs > docs/checks.md` and a test keeps it in sync.
"""

from __future__ import annotations

import re
from functools import lru_cache

from mlproof.rubric.catalog import Check, load_catalog

DOCS_URL_LABEL = "Check docs"
# Used only when the package metadata cannot be read (a source tree that was never installed).
FALLBACK_DOCS_URL = "https://github.com/mlproof/mlproof/blob/main/docs/checks.md"
FALLBACK_HOMEPAGE = "https://github.com/mlproof/mlproof"


def check_anchor(check_id: str) -> str:
    """The fragment GitHub gives the heading `### <check id>`: lower case, punctuation but - and _ dropped."""
    return re.sub(r"[^\w\- ]", "", check_id.lower()).replace(" ", "-")


@lru_cache(maxsize=8)
def project_url(label: str, fallback: str) -> str:
    """An address from the installed package's metadata ([project.urls] in pyproject.toml)."""
    from importlib.metadata import PackageNotFoundError, metadata

    try:
        entries = metadata("mlproof").get_all("Project-URL") or []
    except PackageNotFoundError:
        return fallback
    for entry in entries:
        name, _, url = entry.partition(",")
        if name.strip() == label:
            return url.strip()
    return fallback


def docs_url() -> str:
    return project_url(DOCS_URL_LABEL, FALLBACK_DOCS_URL)


def homepage_url() -> str:
    return project_url("Homepage", FALLBACK_HOMEPAGE)


def check_help_uri(check_id: str) -> str:
    return f"{docs_url()}#{check_anchor(check_id)}"


def _check_section(check: Check) -> list[str]:
    tests = ", ".join(check.ml_test_score) or "none"
    applies = {"model": "repositories with model code", "training": "repositories that train a model",
               "serving": "repositories with a serving layer", "none": "every repository"}[check.needs]
    return [
        f"### {check.id}",
        "",
        f"**{check.title}** · weight {check.weight} · effort {check.effort} · impact {check.impact} · "
        f"applies to {applies} · ML Test Score: {tests}",
        "",
        f"**Why it matters.** {check.why}",
        "",
        f"**How mlproof detects it.** {check.detection}",
        "",
        f"**How to fix it.** {check.fix}",
        "",
    ]


def render_check_docs() -> str:
    """docs/checks.md: one section per check, grouped by pillar, in catalog order."""
    catalog = load_catalog()
    lines = [
        "# mlproof audit checks",
        "",
        "<!-- Generated from mcp_server/mlproof/rubric/catalog.yaml by "
        "`mlproof checks --format docs > docs/checks.md`; do not edit by hand. -->",
        "",
        f"{len(catalog.checks)} checks in {len(catalog.pillars)} pillars. A check passes, is partial, fails, or "
        "does not apply (n/a); its weight (1-3) counts in the pillar and overall scores. "
        "`mlproof explain CHECK_ID` prints the same text.",
        "",
    ]
    for pillar, name in catalog.pillars.items():
        checks = [c for c in catalog.checks if c.pillar == pillar]
        lines += [f"## {name} (`{pillar}`)", ""]
        lines += [f"- [{c.id}](#{check_anchor(c.id)}): {c.title}" for c in checks]
        lines.append("")
        for check in checks:
            lines += _check_section(check)
    return "\n".join(lines).rstrip() + "\n"

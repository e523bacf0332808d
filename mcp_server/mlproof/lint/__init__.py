"""`mlproof lint`: deprecated MLOps APIs in code and config, from one shared list (deprecated_apis.yaml)."""

from mlproof.lint.engine import lint_paths, lint_text
from mlproof.lint.models import LintFinding, LintReport
from mlproof.lint.rules import Rule, load_rules

__all__ = ["LintFinding", "LintReport", "Rule", "lint_paths", "lint_text", "load_rules"]

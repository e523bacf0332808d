"""CI entry points: the step behind the GitHub Action and the GitLab template (step.py)."""

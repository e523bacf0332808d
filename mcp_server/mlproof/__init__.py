"""mlproof: evidence-backed MLOps checks for people, CI and AI assistants."""

__version__ = "0.1.0"

"""Eval harness: measure MLOps answers with and without the mlproof skills and tools.

A scenario (evals/scenarios/*.yaml) is a prompt, an optional fixture project and
graded assertions. Each scenario runs under conditions (baseline, skill,
skill+tools) through a provider (Anthropic, OpenAI-compatible, any CLI agent,
or recorded transcripts), for N epochs; graders check every answer against facts
the mlproof engines compute, and the report compares pass rates with a paired
bootstrap interval.
"""

CONDITIONS = ("baseline", "skill", "skill+tools")

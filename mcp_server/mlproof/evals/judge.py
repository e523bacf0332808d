"""Optional model-graded rubric, through the same chat providers as the answers.

The judge sees the question, the answer and the criteria, and must reply with
JSON: one verdict and reason per criterion. Each criterion becomes an
assertion result like the deterministic ones; an unparseable judge reply fails
the criteria it did not grade, with that reason.
"""

from __future__ import annotations

import json
import re

from mlproof.evals.models import AssertionResult, Scenario, Transcript
from mlproof.evals.providers.base import ChatProvider
from mlproof.evals.providers.http import EpisodeError

JUDGE_SYSTEM = (
    "You grade answers to MLOps questions strictly. For each numbered criterion decide whether the answer "
    "meets it. Reply with JSON only: {\"criteria\": [{\"id\": 1, \"pass\": true, \"why\": \"one sentence\"}, ...]}."
)


def judge_prompt(scenario: Scenario, prompt: str, answer: str) -> str:
    criteria = "\n".join(f"{i}. {c}" for i, c in enumerate(scenario.rubric, start=1))
    return f"QUESTION:\n{prompt}\n\nANSWER:\n{answer}\n\nCRITERIA:\n{criteria}\n\nReply with the JSON object only."


def parse_verdicts(text: str, count: int) -> dict[int, tuple[bool, str]]:
    """Criterion number -> (pass, why) from the judge's reply (tolerates prose or fences around the JSON)."""
    match = re.search(r"\{.*\}", text, re.DOTALL)
    if not match:
        return {}
    try:
        data = json.loads(match.group(0))
    except json.JSONDecodeError:
        return {}
    verdicts = {}
    for item in data.get("criteria", []) if isinstance(data, dict) else []:
        try:
            number = int(item["id"])
        except (KeyError, TypeError, ValueError):
            continue
        if 1 <= number <= count and isinstance(item.get("pass"), bool):
            verdicts[number] = (item["pass"], str(item.get("why", "")).strip() or "no reason given")
    return verdicts


async def judge(provider: ChatProvider, scenario: Scenario, prompt: str, transcript: Transcript) -> list[AssertionResult]:
    if not scenario.rubric or transcript.error:
        return []
    try:
        reply = await provider.complete(JUDGE_SYSTEM, judge_prompt(scenario, prompt, transcript.answer))
        text = reply.text
    except EpisodeError as err:
        text, failure = "", f"the judge failed: {err}"
    else:
        failure = "the judge's reply did not grade this criterion"
    verdicts = parse_verdicts(text, len(scenario.rubric))
    results = []
    for number, criterion in enumerate(scenario.rubric, start=1):
        passed, why = verdicts.get(number, (False, failure))
        results.append(AssertionResult(name=f"rubric {number}: {criterion[:60]}", type="rubric", passed=passed, why=f"judge ({provider.model}): {why}"))
    return results

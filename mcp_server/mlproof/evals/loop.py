"""The tool-use loop: ask the model, run the tools it asks for, repeat until it answers.

Bounded by `max_turns`; a model that still wants tools after the last turn gets
its last text recorded with an error, so a runaway loop is a failed episode,
not a hang.
"""

from __future__ import annotations

import time

from mlproof.evals.models import ToolCallRecord, Transcript, Usage
from mlproof.evals.providers.base import ChatProvider, Episode


async def run_chat_episode(provider: ChatProvider, episode: Episode) -> Transcript:
    started = time.perf_counter()
    tools = await episode.toolbox.specs()
    session = provider.start(episode.system, episode.prompt, tools)
    usage = Usage()
    records: list[ToolCallRecord] = []
    texts: list[str] = []
    error: str | None = None
    turns = 0
    while True:
        turns += 1
        turn = await session.next_turn()
        usage.add(turn.usage)
        if turn.text.strip():
            texts.append(turn.text.strip())
        if not turn.tool_calls:
            break
        if turns >= provider.max_turns:
            error = f"The model still asked for tools after {provider.max_turns} turns; the loop stopped."
            break
        outcomes = []
        for call in turn.tool_calls:
            outcome = await episode.toolbox.call(call.name, call.arguments)
            records.append(ToolCallRecord(name=call.name, arguments=call.arguments, result=outcome.text, is_error=outcome.is_error))
            outcomes.append((call, outcome))
        session.add_tool_results(outcomes)
    # The final answer is the last turn's text; earlier turns are usually "let me check" preambles.
    answer = texts[-1] if texts else ""
    return Transcript(
        scenario=episode.scenario.id,
        condition=episode.condition,
        provider=provider.name,
        model=provider.model,
        answer=answer,
        tool_calls=records,
        usage=usage,
        turns=turns,
        duration_s=round(time.perf_counter() - started, 3),
        error=error,
    )

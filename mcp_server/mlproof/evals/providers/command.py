"""Any CLI agent as a provider: the prompt goes to its stdin, the answer comes from its stdout.

The agent runs in a scratch copy of the fixture (so it cannot damage the
bundled project), with a bounded timeout. It brings its own tools (e.g. Claude
Code with the mlproof plugin installed); the condition is passed in the
environment (MLPROOF_EVAL_CONDITION) and the skill text is prepended to the prompt.
"""

from __future__ import annotations

import asyncio
import os
import shlex
import shutil
import time

from mlproof.errors import MlproofError
from mlproof.evals.models import Transcript
from mlproof.evals.providers.base import Episode, Provider
from mlproof.evals.providers.http import EpisodeError


class CommandProvider(Provider):
    name = "command"

    def __init__(self, command: str | None, model: str | None = None, timeout: float = 900.0):
        if not command or not command.strip():
            raise MlproofError("The command provider needs --command (or MLPROOF_EVAL_COMMAND), e.g. --command 'claude -p'.")
        self.argv = shlex.split(command)
        if shutil.which(self.argv[0]) is None:
            raise MlproofError(f"The command provider cannot find the program {self.argv[0]!r} on PATH.")
        self.model = model
        self.timeout = timeout

    async def run(self, episode: Episode) -> Transcript:
        stdin = (episode.system.strip() + "\n\n---\n\n" if episode.system.strip() else "") + episode.prompt
        env = dict(os.environ)
        env.update({
            "MLPROOF_EVAL_SCENARIO": episode.scenario.id,
            "MLPROOF_EVAL_CONDITION": episode.condition,
            "MLPROOF_EVAL_EPOCH": str(episode.epoch),
        })
        if self.model:
            env["MLPROOF_EVAL_MODEL"] = self.model
        started = time.perf_counter()
        process = await asyncio.create_subprocess_exec(
            *self.argv,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            cwd=str(episode.workdir) if episode.workdir else None,
            env=env,
        )
        try:
            out, err = await asyncio.wait_for(process.communicate(stdin.encode()), timeout=self.timeout)
        except asyncio.TimeoutError:
            process.kill()
            await process.wait()
            raise EpisodeError(f"{self.argv[0]} did not finish within {self.timeout:.0f} s.")
        if process.returncode != 0:
            last = (err.decode(errors="replace").strip().splitlines() or ["no stderr"])[-1]
            raise EpisodeError(f"{self.argv[0]} exited with code {process.returncode}: {last[:200]}")
        return Transcript(
            scenario=episode.scenario.id,
            condition=episode.condition,
            provider=self.name,
            model=self.model,
            answer=out.decode(errors="replace").strip(),
            duration_s=round(time.perf_counter() - started, 3),
        )

"""Recorded transcripts as a provider: offline CI, and grading answers produced elsewhere.

A transcript file (YAML or JSON) is a `Transcript`: scenario, condition, answer,
the tool calls with their results, usage. Files live anywhere under the
transcripts directory; epoch N of a (scenario, condition) pair replays the
N-th matching file in path order, wrapping around when there are fewer files
than epochs.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import yaml
from pydantic import ValidationError

from mlproof.errors import MlproofError
from mlproof.evals.models import Scenario, Transcript
from mlproof.evals.providers.base import Episode, Provider


def load_transcript(path: Path) -> Transcript:
    try:
        text = path.read_text(encoding="utf-8")
        data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
        return Transcript.model_validate(data)
    except (OSError, UnicodeDecodeError) as err:
        raise MlproofError(f"Cannot read the transcript {path} ({err}).") from err
    except (yaml.YAMLError, json.JSONDecodeError) as err:
        raise MlproofError(f"The transcript {path} is not valid YAML/JSON.") from err
    except ValidationError as err:
        first = err.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or "(top level)"
        raise MlproofError(f"The transcript {path} is not a transcript: {field}: {first['msg']}.") from err


def save_transcript(transcript: Transcript, directory: Path, epoch: int) -> Path:
    """Write a transcript in the replay format (used by --record)."""
    target = directory / transcript.scenario / f"{transcript.condition}.{epoch}.yaml"
    target.parent.mkdir(parents=True, exist_ok=True)
    from mlproof.outputs import redact_data

    data = redact_data(transcript.model_dump(mode="json"))  # a recorded answer may quote a credential
    target.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return target


class ReplayProvider(Provider):
    name = "replay"

    def __init__(self, directory: Path):
        directory = Path(directory)
        if not directory.is_dir():
            raise MlproofError(f"The transcripts directory {directory} does not exist.")
        self.directory = directory
        self.recorded: dict[tuple[str, str], list[Transcript]] = defaultdict(list)
        files = sorted(p for p in directory.rglob("*") if p.suffix in (".yaml", ".yml", ".json") and p.is_file())
        for path in files:
            transcript = load_transcript(path)
            self.recorded[(transcript.scenario, transcript.condition)].append(transcript)
        if not self.recorded:
            raise MlproofError(f"The transcripts directory {directory} holds no transcripts.")

    def skip_reason(self, scenario: Scenario, condition: str) -> str | None:
        if (scenario.id, condition) not in self.recorded:
            return f"no recorded transcript for {scenario.id} / {condition} in {self.directory}"
        return None

    async def run(self, episode: Episode) -> Transcript:
        options = self.recorded[(episode.scenario.id, episode.condition)]
        return options[episode.epoch % len(options)].model_copy(deep=True)

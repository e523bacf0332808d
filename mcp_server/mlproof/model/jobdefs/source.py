"""Helpers the job parsers share: script values as Steps, small value coercions."""

from __future__ import annotations

from typing import Any

from mlproof.model.jobs import Step
from mlproof.model.shell import runnable_lines
from mlproof.model.yamldata import line_of


def script_steps(value: Any, path: str, line: int | None, *, name: str = "", image: str = "", cwd: str = "") -> list[Step]:
    """One Step per logical shell line of a script value (a string, maybe a block, or a list of them)."""
    steps: list[Step] = []
    items = value if isinstance(value, list) else [value]
    item_lines = getattr(value, "item_lines", [])
    for index, item in enumerate(items):
        item_line = item_lines[index] if index < len(item_lines) else line
        if isinstance(item, list):  # nested lists (anchors, !reference) flatten, as the CI systems do
            steps.extend(script_steps(item, path, item_line, name=name, image=image, cwd=cwd))
            continue
        if not isinstance(item, str) or not item.strip():
            continue
        first = line_of(item, item_line)
        if first is not None and getattr(item, "style", None) in ("|", ">"):
            first += 1
        for step_line, command in runnable_lines(str(item), first):
            steps.append(Step(command=command, path=path, line=step_line, name=name, image=image, cwd=cwd))
    return steps

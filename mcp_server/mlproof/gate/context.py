"""One repository as the gate sees it: the repository model, its execution closures, the signals.

Built once per gate call and shared by every proof, so each file is parsed once
and each closure computed once.
"""

from __future__ import annotations

import functools
from pathlib import Path

import yaml

from mlproof.evidence import Evidence, Link
from mlproof.gate.flow import Flow
from mlproof.gate.values import FileValues

SIGNALS_FILE = Path(__file__).with_name("signals.yaml")


@functools.lru_cache(maxsize=1)
def load_signals() -> dict:
    with SIGNALS_FILE.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


class GateContext:
    def __init__(self, model, signals: dict | None = None):
        self.model = model
        self.signals = signals or load_signals()
        self.flow = Flow(model, tuple(self.signals["serving"]["protocol_methods"]))
        self._values: dict[str, FileValues] = {}
        self.cache: dict[str, object] = {}  # proof modules keep their shared results here (the serving closure ...)

    @classmethod
    def load(cls, root) -> "GateContext":
        from mlproof.model.build import RepoModel

        return cls(RepoModel.load(root))

    @property
    def root(self):
        return self.model.root

    @property
    def files(self) -> list[str]:
        return [item.rel for item in self.model.inventory.files]

    def python_files(self) -> list[str]:
        return [rel for rel in self.files if rel.endswith(".py")]

    def values(self, rel: str) -> FileValues:
        if rel not in self._values:
            self._values[rel] = FileValues(self.flow, rel, self.signals)
        return self._values[rel]

    def text(self, rel: str) -> str:
        return self.model.texts.get(rel) or ""

    def named_calls(self, words, skip=lambda rel: False):
        """(file values, scope, qualified callee, call) for every call in the Python files that contain one of
        `words` (a cheap text test before parsing), except files `skip` refuses."""
        for rel in self.python_files():
            if skip(rel) or not any(word in self.text(rel) for word in words):
                continue
            index = self.flow.index(rel)
            if index is None:
                continue
            values = self.values(rel)
            for scope in list(index.scopes):
                for call in index.calls_in(scope):
                    yield values, scope, values.qualify(call.func), call

    def evidence(self, rel: str, line: int | None, detector: str, chain: list[Link] | None = None) -> Evidence:
        return Evidence(kind="file", path=rel, line=line, snippet=self.flow.line(rel, line), detector=f"gate:{detector}",
                        context="code" if rel.endswith(".py") else "config", chain=list(chain or []))

    def jobs(self) -> list:
        """Every job definition, or none when the job parser is not available in this build."""
        if "jobs" not in self.cache:
            try:
                self.cache["jobs"] = list(self.model.jobs)
            except NotImplementedError:
                self.cache["jobs"] = []
        return self.cache["jobs"]

    def reaches(self, job) -> list:
        key = f"reaches:{id(job)}"
        if key not in self.cache:
            try:
                self.cache[key] = self.model.reaches(job)
            except NotImplementedError:
                self.cache[key] = []
        return self.cache[key]

    def resolve_command(self, command: str, path: str, line: int | None) -> list:
        try:
            return self.model.resolver.resolve(command, path, line)
        except NotImplementedError:
            return []

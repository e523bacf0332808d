"""HPC batch scripts: Slurm (#SBATCH), PBS/Torque (#PBS) and LSF (#BSUB).

A batch script is a job someone submits by hand (`sbatch train.slurm`), so its
trigger is `manual`; its steps are the script's own command lines. The
scheduler reads directives only in the script's leading comment block, so a
file is a batch script only when a directive comes before its first command:
a script that writes `#SBATCH` lines into a heredoc is a generator, not a job.
"""

from __future__ import annotations

import posixpath
import re
import shlex
from dataclasses import dataclass

from mlproof.model.jobs import Job, Step, Trigger
from mlproof.model.repofiles import RepoFiles
from mlproof.model.shell import runnable_lines



@dataclass(frozen=True)
class Scheduler:
    system: str
    submitter: str  # the command that submits the script
    name_options: tuple[str, ...]  # options that name the job
    start_options: tuple[str, ...]  # a one-off deferred start time (not a recurring schedule)


SCHEDULERS = {
    "#SBATCH": Scheduler("slurm", "sbatch", ("-J", "--job-name"), ("-b", "--begin")),
    "#PBS": Scheduler("pbs", "qsub", ("-N",), ("-a",)),
    "#BSUB": Scheduler("lsf", "bsub", ("-J",), ("-b",)),
}
SUFFIXES = (".sh", ".bash", ".slurm", ".sbatch", ".sbat", ".job", ".pbs", ".qsub", ".lsf", ".bsub", ".batch")
SNIFF = ((SUFFIXES, tuple(SCHEDULERS)),)
_DIRECTIVE = re.compile(r"^(#SBATCH|#PBS|#BSUB)\s+(.*)$")


def parse(source: RepoFiles) -> list[Job]:
    jobs = []
    for rel in source.containing(SUFFIXES, tuple(SCHEDULERS)):
        job = _batch_script(rel, source.text(rel) or "")
        if job:
            jobs.append(job)
    return jobs


def _batch_script(rel: str, text: str) -> Job | None:
    lines = text.split("\n")
    directives: list[tuple[int, str, list[str]]] = []  # (line, prefix, option words)
    for number, physical in enumerate(lines, 1):
        stripped = physical.strip()
        if stripped and not stripped.startswith("#"):
            break  # the first command ends the directive block
        match = _DIRECTIVE.match(stripped)
        if match:
            directives.append((number, match.group(1), _option_words(match.group(2))))
    if not directives:
        return None
    first_line, prefix, _ = directives[0]
    scheduler = SCHEDULERS[prefix]
    options = [word for _, p, words in directives if p == prefix for word in words]
    name = _option_value(options, scheduler.name_options)[:80] or posixpath.basename(rel)
    detail = f"submitted by hand with {scheduler.submitter}"
    start = _option_value(options, scheduler.start_options)
    if start:
        detail += f" (deferred start: {start[:40]})"
    job = Job(scheduler.system, name, rel, first_line, [Trigger("manual", rel, first_line, detail)])
    job.steps = [Step(command, rel, line, name=name) for line, command in runnable_lines(text, 1)]
    return job


def _option_words(text: str) -> list[str]:
    text = text.split(" #", 1)[0]  # a trailing comment after the directive
    try:
        return shlex.split(text)
    except ValueError:
        return text.split()


def _option_value(words: list[str], names: tuple[str, ...]) -> str:
    """The value of the first of `names` among directive words (`-J x`, `--job-name=x`, `-Jx`)."""
    for index, word in enumerate(words):
        option, equals, inline = word.partition("=")
        if option in names:
            if equals:
                return inline
            return words[index + 1] if index + 1 < len(words) else ""
        for name in names:
            if len(name) == 2 and word.startswith(name) and len(word) > 2:
                return word[2:]
    return ""

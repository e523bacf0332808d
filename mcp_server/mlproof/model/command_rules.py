"""Rules the command resolver applies, as data: wrappers, launchers, option tables, tool names.

Adding a wrapper or a multi-verb CLI is a line here, not code in commands.py.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Wrapper:
    """A prefix that runs the command after it: `sudo`, `timeout 60`, `poetry run`, `conda run -n env`."""

    value_options: frozenset[str] = field(default_factory=frozenset)  # options that take the next word
    positional: int = 0  # plain arguments before the command (timeout's DURATION)
    cwd_options: frozenset[str] = field(default_factory=frozenset)  # options whose value is the new working directory


def _w(value_options: str = "", positional: int = 0, cwd_options: str = "") -> Wrapper:
    return Wrapper(frozenset(value_options.split()), positional, frozenset(cwd_options.split()))


_CONDA = _w("-n --name -p --prefix --cwd", cwd_options="--cwd")
_MPI = _w("-np -n -N -H --host --hostfile -x -p --nodes --ntasks --ntasks-per-node --gpus -c --cpus-per-task "
          "--partition -t --time --mem -A --account -J --job-name --map-by --bind-to")

# Keys are the wrapper's words; the longest match wins.
WRAPPERS: dict[tuple[str, ...], Wrapper] = {
    ("sudo",): _w("-u -g -C -D -h -p -U -r -t -T"),
    ("time",): _w("-f -o --format --output"),
    ("nice",): _w("-n --adjustment"),
    ("nohup",): _w(),
    ("env",): _w("-u --unset -C --chdir -S --split-string", cwd_options="-C --chdir"),
    ("timeout",): _w("-s --signal -k --kill-after", positional=1),
    ("xvfb-run",): _w("-n --server-num -s --server-args -e --error-file -f --auth-file -p --xauth-protocol -w --wait"),
    ("stdbuf",): _w("-i -o -e"),
    ("ionice",): _w("-c -n -p"),
    ("unbuffer",): _w(),
    ("exec",): _w(),
    ("command",): _w(),
    ("poetry", "run"): _w("-C --directory -P --project", cwd_options="-C --directory"),
    ("uv", "run"): _w("--with --python -p --package --extra --group --env-file --directory --project --index "
                      "--with-requirements --with-editable --only-group --no-group", cwd_options="--directory"),
    ("pipenv", "run"): _w(),
    ("conda", "run"): _CONDA,
    ("mamba", "run"): _CONDA,
    ("micromamba", "run"): _CONDA,
    ("pipx", "run"): _w("--spec --python --index-url"),
    ("uvx",): _w("--from --with --python -p"),
    ("npx",): _w("-p --package"),
    ("dotenv", "run"): _w("-f --file"),
    ("mpirun",): _MPI,
    ("mpiexec",): _MPI,
    ("srun",): _MPI,
    ("horovodrun",): _MPI,
    ("ray", "job", "submit"): _w("--address --working-dir --runtime-env --runtime-env-json --submission-id "
                                 "--entrypoint-num-cpus --entrypoint-num-gpus --entrypoint-resources"),
    ("hatch", "run"): _w(),  # after its scripts are looked up (commands.py)
    ("pdm", "run"): _w("-p --project"),
    ("pixi", "run"): _w("-e --environment --manifest-path"),
    ("rye", "run"): _w(),
}
MAX_WRAPPER_WORDS = max(len(k) for k in WRAPPERS)

# Launchers that run a Python script or module given among their own options.
PYTHON_LAUNCHERS: dict[tuple[str, ...], str] = {
    ("torchrun",): "torchrun",
    ("accelerate", "launch"): "accelerate launch",
    ("deepspeed",): "deepspeed",
    ("spark-submit",): "spark-submit",
    ("composer",): "composer",
    ("lightning", "run", "model"): "lightning run",
}
PYTHON_MODULE_ALIASES = {"torch.distributed.run": "torchrun", "torch.distributed.launch": "torchrun", "py.test": "pytest"}

# Servers given a module:attribute app, or a script file.
APP_SERVERS = {"uvicorn", "gunicorn", "hypercorn", "daphne", "granian", "waitress-serve"}
FILE_SERVERS = {("streamlit", "run"), ("fastapi", "run"), ("fastapi", "dev"), ("panel", "serve"), ("bokeh", "serve"),
                ("gradio",), ("chainlit", "run"), ("solara", "run")}

# Steps the job parsers write as references, not shell: GitHub `uses:`, CircleCI orbs, Azure tasks.
STEP_REFERENCES = {"uses:", "orb:", "task:"}
PYTHON_PROGRAM = re.compile(r"^(?:python(?:\d+(?:\.\d+)?)?|py|pypy3?|ipython3?)$")
SHELL_PROGRAMS = {"bash", "sh", "zsh", "dash", "ksh"}
# HPC batch submitters: they run a script file (or a --wrap'ed / inline command) on a cluster node.
BATCH_SUBMITTERS = {"sbatch", "qsub", "bsub"}
BATCH_WRAP_OPTIONS = {"--wrap"}  # sbatch --wrap="python train.py"
SOURCE_PROGRAMS = {"source", "."}
PYTEST_SUBCOMMANDS = {("hatch", "test"), ("rye", "test")}  # project tools whose test command is pytest
PROGRAM_VARIABLE_HINTS = ("pytest", "python", "pip", "make", "dvc", "poetry")  # $(PYTHON), ${PYTEST_CMD} ...
PROGRAM_ALIASES = {"pip3": "pip", "py.test": "pytest", "gmake": "make", "inv": "invoke", "go-task": "task",
                   "docker-compose": "docker compose", "podman-compose": "docker compose", "yarnpkg": "yarn"}

# CLIs whose first sub-command names what they do: the tool is the first two words.
MULTI_VERB = {
    "kubectl", "helm", "docker", "podman", "terraform", "tofu", "terragrunt", "gcloud", "gsutil", "bq", "az", "aws",
    "sam", "cdk", "sls", "serverless", "pulumi", "dvc", "great_expectations", "gx", "mlflow", "kedro", "zenml",
    "bentoml", "kfp", "databricks", "anyscale", "sky", "modal", "wandb", "huggingface-cli", "hf", "ray", "prefect",
    "airflow", "dbt", "git", "gh", "pip", "uv", "poetry", "conda", "mamba", "npm", "yarn", "pnpm", "pre-commit",
    "cml", "twine", "pyflyte", "flytectl", "argo", "seldon", "kserve", "skaffold", "kustomize", "eksctl", "copilot",
    "fly", "heroku", "vercel", "firebase", "sagemaker", "cog", "truss", "baseten", "replicate", "pdm", "hatch",
    "pixi", "rye", "flask", "jupyter", "streamlit", "fastapi", "ruff", "coverage",
}
SUBCOMMAND = re.compile(r"^[A-Za-z][\w:-]*$")  # a second word that names a sub-command, not a path or "."
# Global options (before the sub-command) that take a value: `kubectl -n prod apply`, `helm --kube-context x upgrade`.
GLOBAL_VALUE_OPTIONS = {"-n", "--namespace", "--context", "--kube-context", "--kubeconfig", "-C", "--project",
                        "--region", "--profile", "--config", "-f", "--file", "-p", "--project-name", "--host", "-H",
                        "--log-level", "--subscription", "--resource-group", "-g", "--workspace-name", "-w",
                        "--chdir", "--env-file", "--output", "-o", "--format"}

# Builtins that only set up the shell; they reach nothing worth reporting.
SHELL_NOISE = {"[", "[[", "test", "true", "false", ":", "set", "shopt", "local", "readonly", "declare", "typeset",
               "unset", "trap", "exit", "return", "shift", "wait", "break", "continue", "alias", "umask", "ulimit",
               "popd", "eval", "let", "hash", "type", "which", "sleep",
               # string and path utilities, mostly seen inside $(...)
               "dirname", "basename", "pwd", "date", "realpath", "readlink", "whoami", "hostname", "uname", "nproc",
               "seq", "tr", "cut", "head", "tail", "wc", "sort", "uniq", "tee", "xargs"}

# Environment variables CI systems point at the repository checkout.
ROOT_VARIABLES = re.compile(
    r"^(?:\$\{\{\s*github\.workspace\s*\}\}|\$\{?(?:GITHUB_WORKSPACE|CI_PROJECT_DIR|CODEBUILD_SRC_DIR|WORKSPACE|"
    r"BUILD_SOURCESDIRECTORY|BITBUCKET_CLONE_DIR|CIRCLE_WORKING_DIRECTORY|DRONE_WORKSPACE|PWD|TRAVIS_BUILD_DIR|"
    r"SYSTEM_DEFAULTWORKINGDIRECTORY|PROJECT_ROOT|REPO_ROOT|ROOT_DIR)\}?|\$\(Build\.SourcesDirectory\)|"
    r"\$\(System\.DefaultWorkingDirectory\)|\$\(pwd\)|\$\(git rev-parse --show-toplevel\)|/workspace|~/project)(?=/|$)"
)

PYTEST_VALUE_OPTIONS = {
    "-k", "-m", "-c", "-p", "-n", "-o", "-W", "-r", "--rootdir", "--cov", "--cov-report", "--cov-config", "--junitxml",
    "--junit-xml", "--maxfail", "--durations", "--log-level", "--tb", "--timeout", "--basetemp", "--confcutdir",
    "--ignore", "--ignore-glob", "--deselect", "--dist", "--reruns", "--html", "--alluredir", "--benchmark-json",
    "--cov-fail-under", "--numprocesses", "--junit-prefix", "--capture", "--import-mode", "--log-cli-level",
    "--log-file", "--override-ini", "--config-file", "--report-log", "--randomly-seed",
}
COVERAGE_VALUE_OPTIONS = {"--rcfile", "--source", "--omit", "--include", "--context", "--concurrency", "--data-file"}
DOCKER_RUN_VALUE_OPTIONS = {
    "-e", "--env", "-v", "--volume", "-w", "--workdir", "-p", "--publish", "--name", "--network", "--net", "-u", "--user",
    "--entrypoint", "--env-file", "--mount", "--shm-size", "--platform", "-m", "--memory", "--cpus", "--gpus", "-l",
    "--label", "--add-host", "--device", "--ipc", "--runtime", "--hostname", "-h", "--restart", "--cap-add",
    "--cap-drop", "--security-opt", "--ulimit", "--tmpfs", "--log-driver", "--log-opt", "--pid", "--cidfile", "--dns",
    "--expose", "--link", "--volumes-from", "--stop-signal", "--pull", "--cpuset-cpus", "--memory-swap", "--group-add",
    "--label-file", "--attach", "-a",
}
COMPOSE_VALUE_OPTIONS = {"-e", "--env", "-v", "--volume", "-w", "--workdir", "-u", "--user", "--name", "--entrypoint",
                         "-p", "--publish", "-l", "--label", "--scale", "-t", "--timeout", "--exit-code-from"}
COMPOSE_GLOBAL_VALUE_OPTIONS = {"-f", "--file", "-p", "--project-name", "--profile", "--env-file", "--project-directory"}
APP_SERVER_VALUE_OPTIONS = {
    "-w", "--workers", "-b", "--bind", "-k", "--worker-class", "-c", "--config", "-t", "--timeout", "--threads",
    "--log-level", "--access-logfile", "--error-logfile", "-e", "--env", "--chdir", "--pythonpath", "--max-requests",
    "--graceful-timeout", "--keep-alive", "-u", "-g", "--name", "--host", "--port", "--app-dir", "--root-path",
    "--env-file", "--uds", "--loop", "--http", "--ws", "--lifespan", "--limit-concurrency", "--forwarded-allow-ips",
}

"""Commands followed to what they reach (mlproof.model.commands), with the chain of links as evidence.

Fixtures are small repositories the tests build as dicts; nothing is executed.
"""

from __future__ import annotations

import textwrap

import pytest
from mlproof.model.commands import MAX_REACHES, CommandResolver, Reach, tool_name
from mlproof.model.jobs import parse_jobs


def repo(files: dict[str, str]) -> dict[str, str]:
    return {path: textwrap.dedent(text).lstrip("\n") for path, text in files.items()}


def modules_of(files: dict[str, str]) -> dict[str, str]:
    """dotted module -> file, for files under src/ (what the code model provides)."""
    out = {}
    for path in files:
        if path.startswith("src/") and path.endswith(".py"):
            dotted = path[4:-3].replace("/", ".")
            out[dotted.removesuffix(".__init__")] = path
    return out


def resolve(files: dict[str, str], command: str, cwd: str = "") -> list[Reach]:
    return CommandResolver(files, modules_of(files)).resolve(command, "ci.yml", 7, cwd=cwd)


def chain(reach: Reach) -> list[tuple[str, int | None, str]]:
    return [(link.path, link.line, link.relation) for link in reach.chain]


def reached(reaches: list[Reach]) -> list[tuple[str | None, str | None]]:
    return [(r.tool, r.file) for r in reaches]


# --- chains the issue names --------------------------------------------------------------------------

def test_workflow_step_to_makefile_to_pytest():
    files = repo({
        ".github/workflows/ci.yml": """
            on: push
            jobs:
              test:
                runs-on: ubuntu-latest
                steps:
                  - run: make test
            """,
        "Makefile": """
            PYTEST := python -m pytest
            .PHONY: test install
            install:
            \tpip install -e .
            test: install
            \t@$(PYTEST) tests/ -q
            """,
        "tests/test_model.py": "def test_x():\n    assert 1\n",
    })
    step = parse_jobs(files)[0].steps[0]
    reaches = CommandResolver(files, {}).resolve_step(step)
    assert reached(reaches) == [("pip install", None), ("pytest", "tests")]
    pytest_reach = reaches[1]
    assert chain(pytest_reach) == [(".github/workflows/ci.yml", 6, "runs"), ("Makefile", 6, "make target")]
    assert pytest_reach.chain[0].snippet == "- run: make test"
    assert pytest_reach.chain[1].snippet == "@$(PYTEST) tests/ -q"
    assert pytest_reach.argv == ["pytest", "tests/", "-q"] and pytest_reach.text == "python -m pytest tests/ -q"


def test_make_target_that_only_echoes_reaches_echo_not_pytest():
    files = repo({"Makefile": "test:\n\t@echo \"running pytest\"\n"})
    reaches = resolve(files, "make test")
    assert reached(reaches) == [("echo", None)]
    assert chain(reaches[0]) == [("ci.yml", 7, "runs"), ("Makefile", 2, "make target")]


def test_schedule_to_bash_script_to_python_module_to_file():
    files = repo({
        ".github/workflows/nightly.yml": """
            on:
              schedule:
                - cron: "0 2 * * *"
            jobs:
              retrain:
                steps:
                  - run: bash scripts/retrain.sh --full
            """,
        "scripts/retrain.sh": """
            #!/usr/bin/env bash
            set -euo pipefail
            cd "$(dirname "$0")/.."
            # python -m churn.old_train
            MODULE=churn.train
            python -m "$MODULE" --config configs/train.yaml
            """,
        "src/churn/__init__.py": "",
        "src/churn/train.py": "print('train')\n",
    })
    job = parse_jobs(files)[0]
    assert job.scheduled
    reaches = CommandResolver(files, modules_of(files)).resolve_step(job.steps[0])
    assert reached(reaches) == [(None, "src/churn/train.py")]
    assert chain(reaches[0]) == [
        (".github/workflows/nightly.yml", 7, "runs"),
        ("scripts/retrain.sh", 6, "script line"),
        ("src/churn/train.py", None, "python module"),
    ]


def test_script_that_only_echoes_train_reaches_no_training_code():
    files = repo({"train.sh": "#!/bin/sh\necho \"train the model\"\n# python train.py\n", "train.py": ""})
    reaches = resolve(files, "./train.sh")
    assert reached(reaches) == [("echo", None)]
    assert chain(reaches[0])[-1] == ("train.sh", 2, "script line")


def test_dvc_repro_follows_the_stage_and_its_upstream():
    files = repo({
        "dvc.yaml": """
            stages:
              prepare:
                cmd: python src/prepare.py
                outs: [data/prepared]
              train:
                cmd: python src/train.py
                deps: [data/prepared, src/train.py]
              report:
                cmd: python src/report.py
            """,
        "src/prepare.py": "", "src/train.py": "", "src/report.py": "",
    })
    reaches = resolve(files, "dvc repro train")
    assert reached(reaches) == [(None, "src/prepare.py"), (None, "src/train.py")]
    assert chain(reaches[1]) == [("ci.yml", 7, "runs"), ("dvc.yaml", 6, "dvc stage"), ("src/train.py", None, "python file")]
    assert len(resolve(files, "dvc repro")) == 3
    assert reached(resolve({}, "dvc repro")) == [("dvc repro", None)]  # no dvc.yaml: the tool is still reported


def test_tox_runs_pytest_with_posargs_default():
    files = repo({
        "tox.ini": """
            [tox]
            envlist = py311, lint
            [testenv]
            deps = pytest
            commands =
                pytest {posargs:tests} -q
            [testenv:lint]
            commands = ruff check .
            """,
        "tests/test_a.py": "",
    })
    reaches = resolve(files, "tox -e py311")
    assert reached(reaches) == [("pytest", "tests")]
    assert chain(reaches[0]) == [("ci.yml", 7, "runs"), ("tox.ini", 6, "tox env")]
    assert reached(resolve(files, "tox")) == [("pytest", "tests"), ("ruff check", None)]


def test_nox_session_runs_pytest():
    files = repo({
        "noxfile.py": """
            import nox

            nox.options.sessions = ["tests"]

            @nox.session(python=["3.11"])
            def tests(session):
                session.install("-e", ".")
                session.run("pytest", "-q", "tests/unit", *session.posargs)
                session.notify("coverage")

            @nox.session
            def coverage(session):
                session.run("coverage", "report")

            @nox.session
            def lint(session):
                session.run("ruff", "check", ".")
            """,
        "tests/unit/test_a.py": "",
    })
    reaches = resolve(files, "nox")
    assert reached(reaches) == [("pytest", "tests/unit"), ("coverage report", None)]
    assert chain(reaches[0])[-1] == ("noxfile.py", 8, "nox session")
    assert reached(resolve(files, "nox -s lint")) == [("ruff check", None)]


def test_poetry_console_script_reaches_its_module():
    files = repo({
        "pyproject.toml": """
            [tool.poetry]
            name = "churn"
            [tool.poetry.scripts]
            churn-train = "churn.train:main"
            """,
        "src/churn/__init__.py": "", "src/churn/train.py": "",
    })
    reaches = resolve(files, "poetry run churn-train --epochs 2")
    assert reached(reaches) == [(None, "src/churn/train.py")]
    assert chain(reaches[0]) == [("ci.yml", 7, "runs"), ("pyproject.toml", 4, "console script"),
                                 ("src/churn/train.py", None, "python module")]


# --- task runners -----------------------------------------------------------------------------------------

def test_task_runners_just_taskfile_invoke_npm_and_pyproject_tables():
    files = repo({
        "justfile": "default: test\n\ntest:\n    pytest -q\n",
        "Taskfile.yml": """
            version: '3'
            tasks:
              train:
                deps: [prep]
                cmds:
                  - python src/train.py
              prep:
                cmds: [python src/prep.py]
            """,
        "tasks.py": "from invoke import task\n\n@task\ndef run_train(c):\n    c.run('python src/train.py')\n",
        "package.json": '{\n  "scripts": {\n    "test": "jest --ci"\n  }\n}\n',
        "pyproject.toml": """
            [tool.poe.tasks]
            test = "pytest tests"
            check = ["test", "lint"]
            lint = {cmd = "ruff check ."}
            [tool.pdm.scripts]
            fit = {call = "churn.train:main"}
            [tool.hatch.envs.default.scripts]
            cov = "pytest --cov"
            [tool.pixi.tasks]
            train = {cmd = "python src/train.py", depends-on = ["prep"]}
            prep = "python src/prep.py"
            """,
        "src/train.py": "", "src/prep.py": "", "src/churn/__init__.py": "", "src/churn/train.py": "",
    })
    assert reached(resolve(files, "just")) == [("pytest", None)]
    assert reached(resolve(files, "task train")) == [(None, "src/prep.py"), (None, "src/train.py")]
    assert reached(resolve(files, "inv run-train")) == [(None, "src/train.py")]
    assert reached(resolve(files, "npm test")) == [("jest", None)]
    assert chain(resolve(files, "npm test")[0])[-1] == ("package.json", 3, "npm script")
    assert reached(resolve(files, "poetry run poe check")) == [("pytest", None), ("ruff check", None)]
    assert reached(resolve(files, "pdm run fit")) == [(None, "src/churn/train.py")]
    assert reached(resolve(files, "hatch run cov")) == [("pytest", None)]
    assert reached(resolve(files, "pixi run train")) == [(None, "src/prep.py"), (None, "src/train.py")]
    assert reached(resolve(files, "pdm run python src/train.py")) == [(None, "src/train.py")]  # not a script: a command


def test_make_prerequisites_variables_subdirectories_and_default_goal():
    files = repo({
        "Makefile": """
            PY ?= python3
            DATA = data/raw
            all: train
            train: prepare
            \t$(PY) src/train.py --data $(DATA)
            prepare:
            \t-$(MAKE) -C pipeline build
            """,
        "pipeline/Makefile": "build:\n\tbash run.sh\n",
        "pipeline/run.sh": "python ../src/prep.py\n",
        "src/train.py": "", "src/prep.py": "",
    })
    reaches = resolve(files, "make")
    assert reached(reaches) == [(None, "src/prep.py"), (None, "src/train.py")]
    assert [link.path for link in reaches[0].chain] == ["ci.yml", "Makefile", "pipeline/Makefile", "pipeline/run.sh", "src/prep.py"]
    assert reaches[1].argv == ["python3", "src/train.py", "--data", "data/raw"]
    missing = resolve(files, "make deploy")
    assert reached(missing) == [("make", None)] and missing[0].argv == ["make", "deploy"]


def test_mlflow_run_docker_compose_kedro_and_notebooks():
    files = repo({
        "MLproject": """
            name: churn
            entry_points:
              main:
                parameters:
                  alpha: {type: float, default: 0.5}
                command: "python src/train.py --alpha {alpha}"
            """,
        "docker-compose.yml": "services:\n  trainer:\n    build: .\n    command: python -m churn.train\n",
        "src/churn/__init__.py": "", "src/churn/train.py": "", "src/train.py": "",
        "src/churn/pipeline_registry.py": "", "src/churn/pipelines/train/pipeline.py": "",
        "notebooks/eval.ipynb": "{}",
    })
    run = resolve(files, "mlflow run . -P alpha=0.1")
    assert reached(run) == [(None, "src/train.py")] and run[0].argv == ["python", "src/train.py", "--alpha", "0.1"]
    assert chain(run[0])[1] == ("MLproject", 6, "mlflow entry point")
    assert reached(resolve(files, "docker compose run --rm trainer")) == [(None, "src/churn/train.py")]
    assert reached(resolve(files, "docker run --rm -v $PWD:/app -w /app img:1 python src/train.py")) == [(None, "src/train.py")]
    assert reached(resolve(files, "kedro run --pipeline train")) == [("kedro run", "src/churn/pipelines/train/pipeline.py")]
    assert reached(resolve(files, "jupyter nbconvert --to notebook --execute notebooks/eval.ipynb")) == [
        ("jupyter nbconvert", "notebooks/eval.ipynb")]
    assert reached(resolve(files, "jupyter nbconvert --to html notebooks/eval.ipynb")) == [("jupyter nbconvert", None)]
    assert reached(resolve(files, "papermill notebooks/eval.ipynb out.ipynb -p n 3")) == [("papermill", "notebooks/eval.ipynb")]


# --- command lines: wrappers, chains, working directory --------------------------------------------------

@pytest.mark.parametrize("command", [
    "python src/train.py",
    "python3 -u src/train.py --epochs 3",
    "FOO=1 BAR=2 python src/train.py",
    "sudo -E python src/train.py",
    "time python src/train.py",
    "timeout 3600 python src/train.py",
    "xvfb-run -a python src/train.py",
    "env PYTHONPATH=src python src/train.py",
    "poetry run python src/train.py",
    "uv run --with torch python src/train.py",
    "pipenv run python src/train.py",
    "conda run -n ml --no-capture-output python src/train.py",
    "hatch run python src/train.py",
    "pdm run python src/train.py",
    "nohup python src/train.py > log.txt 2>&1 &",
    "coverage run src/train.py",
    "torchrun --nproc_per_node 2 src/train.py",
    "accelerate launch --num_processes 2 src/train.py",
    "cd src && python train.py",
    "cd ./src; python train.py",
    "(cd src && python train.py)",
    "pip install -r requirements.txt && python src/train.py",
    ".venv/bin/python src/train.py",
    "$(PYTHON) src/train.py",
    "docker run --rm -e X=1 image:tag python src/train.py",
    "docker compose run trainer python src/train.py",
])
def test_wrappers_and_chains_reach_the_file(command):
    files = {"src/train.py": "", "requirements.txt": ""}
    files_reached = [r.file for r in resolve(files, command)]
    assert "src/train.py" in files_reached


@pytest.mark.parametrize("command, tool", [
    ("kubectl -n prod apply -f k8s/", "kubectl apply"),
    ("helm upgrade --install api chart/", "helm upgrade"),
    ("docker build -t img .", "docker build"),
    ("terraform -chdir=infra apply -auto-approve", "terraform apply"),
    ("gcloud ai endpoints deploy-model x", "gcloud ai"),
    ("az ml online-deployment update -f d.yml", "az ml"),
    ("aws sagemaker create-training-job --cli-input-json x", "aws sagemaker"),
    ("sam deploy --guided", "sam deploy"),
    ("dvc push -r storage", "dvc push"),
    ("great_expectations checkpoint run orders", "great_expectations checkpoint"),
    ("evidently ui", "evidently"),
    ("python -m pip install -U pip", "pip install"),
    ("pip3 install .", "pip install"),
    ("mlflow models serve -m models:/churn@champion", "mlflow models"),
    ("helm rollback api 3", "helm rollback"),
])
def test_other_commands_become_normalised_tools(command, tool):
    reaches = resolve({}, command)
    assert [r.tool for r in reaches] == [tool]
    assert reaches[0].text == command and reaches[0].argv[0] in command


def test_pytest_paths_and_unittest_modules():
    files = {"tests/unit/test_a.py": "", "tests/test_b.py": "", "src/pkg/__init__.py": "", "src/pkg/tests.py": ""}
    assert reached(resolve(files, "pytest -k 'not slow' --cov src tests/unit tests/test_b.py::test_x")) == [
        ("pytest", "tests/unit"), ("pytest", "tests/test_b.py")]
    assert reached(resolve(files, "py.test")) == [("pytest", None)]
    assert reached(resolve(files, "python -m unittest pkg.tests")) == [("unittest", "src/pkg/tests.py")]


def test_python_module_package_main_and_inline_code():
    files = {"src/churn/__init__.py": "", "src/churn/__main__.py": "", "src/churn/train.py": ""}
    assert reached(resolve(files, "python -m churn")) == [(None, "src/churn/__main__.py")]
    assert reached(resolve(files, "python -c 'from churn.train import main; main()'")) == [(None, "src/churn/train.py")]
    assert reached(resolve(files, "python -m black --check .")) == [("black", None)]
    assert reached(resolve(files, "python missing.py")) == [("python", None)]


def test_step_working_directory_and_app_servers():
    files = {"svc/app/main.py": "", "svc/app/__init__.py": "", "svc/dashboard.py": ""}
    modules = {"app.main": "svc/app/main.py", "app": "svc/app/__init__.py"}
    resolver = CommandResolver(files, modules)
    assert reached(resolver.resolve("python dashboard.py", "ci.yml", 3, cwd="svc")) == [(None, "svc/dashboard.py")]
    assert reached(resolver.resolve("gunicorn -w 2 -b 0.0.0.0:80 app.main:app", "Procfile", 1)) == [("gunicorn", "svc/app/main.py")]
    assert reached(resolver.resolve("streamlit run svc/dashboard.py", "x", 1)) == [("streamlit run", "svc/dashboard.py")]


def test_step_that_executes_a_file_directly():
    files = repo({
        "dags/etl.py": """
            from airflow import DAG
            from airflow.operators.python import PythonOperator
            with DAG("etl", schedule="@daily"):
                PythonOperator(task_id="fit", python_callable=print)
            """,
    })
    step = parse_jobs(files)[0].steps[0]
    reaches = CommandResolver(files, {}).resolve_step(step)
    assert reached(reaches) == [(None, "dags/etl.py")]
    assert chain(reaches[0]) == [("dags/etl.py", 4, "runs"), ("dags/etl.py", None, "python file")]


def test_snippets_are_source_lines_stripped_and_capped():
    long_command = "python src/train.py " + "--flag " * 60
    files = {"ci.yml": f"steps:\n  - run: make\n  - run: {long_command}\n", "Makefile": "all:\n\t   echo hi   \n", "src/train.py": ""}
    resolver = CommandResolver(files, {})
    make_reach = resolver.resolve("make", "ci.yml", 2)[0]
    assert [link.snippet for link in make_reach.chain] == ["- run: make", "echo hi"]
    long_reach = resolver.resolve(long_command, "ci.yml", 3)[0]
    assert len(long_reach.chain[0].snippet) == 200 and long_reach.chain[0].snippet.endswith("...")


def test_tool_name_of_empty_and_plain_commands():
    assert tool_name([]) == ""
    assert tool_name(["/usr/bin/python3.11", "x.py"]) == "python"
    assert tool_name(["docker-compose", "up"]) == "docker compose"
    assert tool_name(["kubectl"]) == "kubectl"


# --- hostile repositories ------------------------------------------------------------------------------------

def test_self_recursive_make_targets_and_scripts_stop():
    files = {
        "Makefile": "loop:\n\t$(MAKE) loop\nping:\n\t$(MAKE) pong\npong:\n\t$(MAKE) ping\n\tpytest\n",
        "again.sh": "bash again.sh\npython -m pytest\n",
    }
    assert resolve(files, "make loop") == []
    assert reached(resolve(files, "make ping")) == [("pytest", None)]
    assert reached(resolve(files, "bash again.sh")) == [("pytest", None)]


def test_fifty_level_include_chain_is_bounded():
    files = {"Makefile": "include inc0.mk\n"}
    files.update({f"inc{i}.mk": f"include inc{i + 1}.mk\nt{i}:\n\tpython t{i}.py\n" for i in range(50)})
    resolver = CommandResolver(files, {})
    assert reached(resolver.resolve("make t2", "ci.yml", 1)) == [("python", None)]
    beyond = resolver.resolve("make t49", "ci.yml", 1)
    assert reached(beyond) == [("make", None)]  # past the include budget the target is unknown, and says so


def test_variable_expansion_bomb_and_fan_out_are_bounded():
    bomb = "".join(f"V{i} = " + f"$(V{i + 1})" * 8 + "\n" for i in range(12)) + "V12 = xxxxxxxxxx\n"
    fan_out = "all: " + " ".join(f"t{i}" for i in range(400)) + "\n" + "".join(f"t{i}:\n\tpython a{i}.py\n" for i in range(400))
    resolver = CommandResolver({"Makefile": bomb + "big:\n\techo $(V0)\n", "fan/Makefile": fan_out}, {})
    expanded = resolver.resolve("make big", "ci.yml", 1)
    assert len(expanded) == 1 and len(expanded[0].text) <= 8_010
    assert 0 < len(resolver.resolve("make -C fan", "ci.yml", 1)) <= MAX_REACHES


def test_deep_script_chain_is_bounded_by_depth():
    files = {f"s{i}.sh": f"bash s{i + 1}.sh\n" for i in range(30)}
    files["s30.sh"] = "pytest\n"
    reaches = resolve(files, "bash s0.sh")
    assert len(reaches) == 1 and reaches[0].tool == "bash" and len(reaches[0].chain) <= 10


def test_tox_in_pyproject_native_and_legacy_and_setup_cfg_console_script():
    files = {
        "pyproject.toml": textwrap.dedent('''
            [tool.tox]
            env_list = ["3.12", "lint"]
            [tool.tox.env_run_base]
            commands = [["pytest", {replace = "posargs", default = ["tests"], extend = true}]]
            [tool.tox.env.lint]
            commands = [["ruff", "check", "."]]
            '''),
        "lib/pyproject.toml": '[tool.tox]\nlegacy_tox_ini = """\n[tox]\nenvlist = py\n[testenv]\ncommands = pytest -x\n"""\n',
        "lib/setup.cfg": "[options.entry_points]\nconsole_scripts =\n    fit = pkg.fit:main\n",
        "tests/test_a.py": "", "src/pkg/__init__.py": "", "src/pkg/fit.py": "",
    }
    native = resolve(files, "tox")
    assert reached(native) == [("pytest", "tests"), ("ruff check", None)]
    assert chain(native[0])[-1] == ("pyproject.toml", 5, "tox env")
    legacy = resolve(files, "tox", cwd="lib")
    assert reached(legacy) == [("pytest", None)] and chain(legacy[0])[-1] == ("lib/pyproject.toml", 6, "tox env")
    assert chain(resolve(files, "fit")[0])[1:] == [("lib/setup.cfg", 3, "console script"), ("src/pkg/fit.py", None, "python module")]


def test_make_file_option_and_dvc_exp_run_with_foreach_stage():
    files = {"build.mk": "go:\n\tpython fit.py\n", "fit.py": "",
             "dvc.yaml": "stages:\n  train:\n    foreach: [a, b]\n    do:\n      cmd: python fit.py ${item}\n"}
    assert chain(resolve(files, "make -f build.mk go")[0])[1] == ("build.mk", 2, "make target")
    assert reached(resolve(files, "dvc exp run train")) == [(None, "fit.py")]
    assert chain(resolve(files, "dvc exp run")[0])[1] == ("dvc.yaml", 5, "dvc stage")


def test_repository_executables_by_path_and_shebang():
    files = {"scripts/run.sh": "python fit.py\n", "scripts/fit.py": "", "bin/train": "#!/usr/bin/env python3\nprint(1)\n",
             "bin/tool": "#!/usr/bin/env node\n"}
    assert reached(resolve(files, "./run.sh", cwd="scripts")) == [(None, "scripts/fit.py")]
    assert reached(resolve(files, "bin/train --epochs 1")) == [(None, "bin/train")]
    assert reached(resolve(files, "bin/tool")) == [("tool", None)]
    assert reached(resolve(files, "./missing.sh")) == [("missing.sh", None)]


def test_lines_after_a_top_level_exit_never_run():
    files = {"retrain.sh": "if [ -n \"$DRY\" ]; then\n  exit 0\nfi\necho skipping\nexit 0\npython train.py\n", "train.py": "",
             "ok.sh": "check() {\n  exit 1\n}\npython train.py\n"}
    assert reached(resolve(files, "bash retrain.sh")) == [("echo", None)]
    assert reached(resolve(files, "bash ok.sh")) == [(None, "train.py")]


def test_command_substitutions_run_too_and_path_helpers_are_not_reported():
    files = {"fit.py": "", "Makefile": "V := $(shell python fit.py --version)\nall:\n\techo $(V) $(UNSET) $(wildcard *.py)\n",
             "sub/Makefile": "TAG = $(strip $(shell git describe))\nall:\n\techo $(TAG) $$HOME\n"}
    assert reached(resolve(files, 'EXEC_ARN=$(aws sagemaker start-pipeline-execution --pipeline-name "$P")')) == [("aws sagemaker", None)]
    assert reached(resolve(files, "MODEL=`python fit.py`; cd \"$(dirname \"$0\")\"")) == [(None, "fit.py")]
    make_reaches = resolve(files, "make")
    assert reached(make_reaches) == [(None, "fit.py"), ("echo", None)]
    # unknown to make, or make functions: kept as parameters, never read as commands
    assert make_reaches[1].argv == ["echo", "$(python fit.py --version)", "${UNSET}", "${wildcard *.py}"]
    nested = resolve(files, "make -C sub")
    assert reached(nested) == [("git describe", None), ("echo", None)] and nested[1].argv[-1] == "$HOME"


def test_make_paths_to_the_makefile_itself_are_its_directory():
    files = {"ml/ui/build.py": "", "ml/fit.py": "", "ml/Makefile": (
        "ROOT_DIR := $(shell dirname $(realpath $(firstword $(MAKEFILE_LIST))))\n"
        "HERE := $(dir $(abspath $(lastword $(MAKEFILE_LIST))))\n"
        "all:\n\tcd $(ROOT_DIR)/ui && python build.py\n\tpython $(HERE)fit.py\n")}
    assert reached(resolve(files, "make -C ml")) == [(None, "ml/ui/build.py"), (None, "ml/fit.py")]


def test_batch_submitters_follow_the_script_wrap_and_stdin():
    files = repo({
        "hpc/train.slurm": "#!/bin/bash\n#SBATCH -p gpu\nsrun --ntasks 2 python -m pkg.train\n",
        "hpc/job.lsf": "#BSUB -J x\npython src/pkg/evaluate.py\n",
        "src/pkg/train.py": "", "src/pkg/evaluate.py": "",
    })
    reaches = resolve(files, "sbatch -p gpu --array=1-3 hpc/train.slurm lr=0.1")
    assert reached(reaches) == [(None, "src/pkg/train.py")]
    assert chain(reaches[0]) == [("ci.yml", 7, "runs"), ("hpc/train.slurm", 3, "script line"),
                                 ("src/pkg/train.py", None, "python module")]
    assert reached(resolve(files, 'sbatch --wrap="python -m pkg.train"')) == [(None, "src/pkg/train.py")]
    assert reached(resolve(files, "bsub -n 4 < hpc/job.lsf")) == [(None, "src/pkg/evaluate.py")]
    assert reached(resolve(files, "qsub -N x hpc/missing.pbs")) == [("qsub", None)]


def test_hostile_command_lines_are_read_in_bounded_time():
    files = {"Makefile": "test:\n\tpytest\n", "x/Makefile": "test:\n\tpytest\n"}
    resolver = CommandResolver(files, {})
    nested = "echo " + "$(" * 20_000 + "python train.py" + ")" * 20_000  # once a RecursionError
    assert reached(resolver.resolve(nested, "ci.yml", 1))[-1] == ("echo", None)
    grouped = "( pytest" + ")" * 50_000
    assert reached(resolver.resolve(grouped, "ci.yml", 1)) == [("pytest", None)]
    many_dirs = "make " + "-C x " * 20_000 + "test"  # only the first words of a command are read
    assert reached(resolver.resolve(many_dirs, "ci.yml", 1)) == [("make", None)]


def test_thousands_of_continued_lines_join_in_linear_time():
    from mlproof.model.shell import MAX_JOINED, logical_lines

    text = "python train.py \\\n" * 20_000 + "--done\n"
    lines = logical_lines(text)
    assert [number for number, _ in lines[:3]] == [1, 2 + MAX_JOINED, 3 + 2 * MAX_JOINED]
    assert all(line.startswith("python train.py python train.py") for _, line in lines[:-1])
    open_quote = "echo 'start\n" + "still quoted\n" * 20_000 + "end'\npytest\n"
    assert [line.split("\n")[0] for _, line in logical_lines(open_quote)][:1] == ["echo 'start"]

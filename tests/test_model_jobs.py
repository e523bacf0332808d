"""Job definitions parsed as data (mlproof.model.jobs): each system with a positive case and a near miss.

Every fixture is a small repository the test builds as a dict of path -> text.
"""

from __future__ import annotations

import textwrap

from mlproof.model.jobs import Job, parse_jobs


def repo(files: dict[str, str]) -> dict[str, str]:
    return {path: textwrap.dedent(text).lstrip("\n") for path, text in files.items()}


def jobs_of(files: dict[str, str], skipped: dict[str, str] | None = None) -> dict[str, Job]:
    return {job.name: job for job in parse_jobs(files, skipped)}


def kinds(job: Job) -> list[str]:
    return sorted(t.kind for t in job.triggers if not t.disabled)


def commands(job: Job) -> list[str]:
    return [s.command for s in job.steps]


# --- GitHub Actions ----------------------------------------------------------------------------------

WORKFLOW = """
name: retrain
on:
  push:
    branches: [main]
  pull_request:
  schedule:
    - cron: "0 3 * * 1"
  workflow_dispatch:
jobs:
  train:
    runs-on: ubuntu-latest
    container: python:3.11
    defaults:
      run:
        working-directory: ml
    steps:
      - uses: actions/checkout@v4
      - name: Train
        run: |
          pip install -r requirements.txt
          # a comment line is not a command
          python train.py \\
            --epochs 3 && echo done
      - if: false
        run: python never.py
"""


def test_github_triggers_steps_and_their_lines():
    files = {".github/workflows/retrain.yml": textwrap.dedent(WORKFLOW).lstrip("\n")}
    job = jobs_of(files)["train"]
    assert job.system == "github-actions" and (job.path, job.line) == (".github/workflows/retrain.yml", 10)
    assert kinds(job) == ["manual", "pull_request", "push", "schedule"]
    schedule = job.scheduled[0]
    assert (schedule.detail, schedule.line) == ("0 3 * * 1", 7)
    assert commands(job) == ["uses: actions/checkout@v4", "pip install -r requirements.txt", "python train.py --epochs 3 && echo done"]
    assert [s.line for s in job.steps] == [17, 20, 22]
    assert {s.cwd for s in job.steps[1:]} == {"ml"} and {s.image for s in job.steps} == {"python:3.11"}


def test_github_commented_out_or_empty_schedule_is_no_trigger():
    commented = WORKFLOW.replace('  schedule:\n    - cron: "0 3 * * 1"\n', '#  schedule:\n#    - cron: "0 3 * * 1"\n')
    empty = WORKFLOW.replace('    - cron: "0 3 * * 1"\n', "")
    for text in (commented, empty):
        job = jobs_of({".github/workflows/retrain.yml": textwrap.dedent(text).lstrip("\n")})["train"]
        assert job.scheduled == [] and "schedule" not in kinds(job)


def test_github_manual_only_workflow_and_disabled_job():
    files = repo({".github/workflows/manual.yml": """
        on: workflow_dispatch
        jobs:
          retrain:
            runs-on: ubuntu-latest
            steps:
              - run: python train.py
          nightly:
            if: ${{ false }}
            runs-on: ubuntu-latest
            steps:
              - run: python drift.py
        """})
    jobs = jobs_of(files)
    assert kinds(jobs["retrain"]) == ["manual"] and jobs["retrain"].scheduled == []
    assert jobs["nightly"].disabled and jobs["nightly"].scheduled == []


def test_github_on_as_list_and_event_filtered_job():
    files = repo({".github/workflows/ci.yml": """
        on: [push, pull_request]
        jobs:
          test: {runs-on: x, steps: [{run: pytest}]}
        """, ".github/workflows/both.yml": """
        on:
          push:
          schedule:
            - cron: '0 0 * * *'
        jobs:
          drift:
            if: github.event_name == 'schedule'
            steps: [{run: python drift.py}]
          lint:
            if: github.event_name != 'schedule'
            steps: [{run: ruff check .}]
        """})
    jobs = jobs_of(files)
    assert kinds(jobs["test"]) == ["pull_request", "push"]
    assert kinds(jobs["drift"]) == ["schedule"]
    assert kinds(jobs["lint"]) == ["push"]


def test_github_reusable_workflow_and_composite_action_are_inlined():
    files = repo({".github/workflows/nightly.yml": """
        on:
          schedule:
            - cron: '0 2 * * *'
        jobs:
          call:
            uses: ./.github/workflows/train.yml
        """, ".github/workflows/train.yml": """
        on: workflow_call
        jobs:
          fit:
            steps:
              - uses: ./.github/actions/setup
              - run: python -m pkg.train
        """, ".github/actions/setup/action.yml": """
        runs:
          using: composite
          steps:
            - run: pip install -e .
              shell: bash
        """})
    jobs = parse_jobs(files)
    caller = next(j for j in jobs if j.name == "call")
    assert caller.scheduled and caller.scheduled[0].detail == "0 2 * * *"
    assert [(s.command, s.path, s.line) for s in caller.steps] == [
        ("pip install -e .", ".github/actions/setup/action.yml", 4),
        ("python -m pkg.train", ".github/workflows/train.yml", 6),
    ]
    callee = next(j for j in jobs if j.name == "fit")
    assert kinds(callee) == ["upstream"] and "nightly.yml" in callee.triggers[0].detail


def test_github_workflow_outside_the_workflows_folder_or_cron_in_docs_is_not_a_job():
    files = repo({
        ".github/workflows/old/nightly.yml": "on: {schedule: [{cron: '0 0 * * *'}]}\njobs: {a: {steps: [{run: x}]}}\n",
        "README.md": "Our schedule:\n\n    cron: '0 2 * * *'\n",
        "config/schedule.yaml": "schedule:\n  cron: '0 2 * * *'\n",
    })
    assert parse_jobs(files) == []


# --- GitLab CI -------------------------------------------------------------------------------------------

def test_gitlab_rules_includes_extends_and_default_scripts():
    files = repo({".gitlab-ci.yml": """
        include:
          - local: ci/templates.yml
        default:
          before_script:
            - pip install -e .
        test:
          script:
            - pytest
        retrain:
          extends: .train
          rules:
            - if: $CI_PIPELINE_SOURCE == "schedule"
        review:
          script: [python review.py]
          rules:
            - if: $CI_PIPELINE_SOURCE == "merge_request_event"
            - when: manual
        off:
          script: [python off.py]
          rules:
            - when: never
        """, "ci/templates.yml": """
        .train:
          image: python:3.11
          script:
            - python train.py
        """})
    jobs = jobs_of(files)
    assert ".train" not in jobs
    assert kinds(jobs["test"]) == ["push"] and commands(jobs["test"]) == ["pip install -e .", "pytest"]
    retrain = jobs["retrain"]
    assert kinds(retrain) == ["schedule"] and retrain.scheduled[0].detail == "GitLab pipeline schedule (cron set in the UI)"
    assert (retrain.steps[-1].command, retrain.steps[-1].path, retrain.steps[-1].line) == ("python train.py", "ci/templates.yml", 4)
    assert retrain.steps[-1].image == "python:3.11"
    assert kinds(jobs["review"]) == ["manual", "pull_request"]
    assert jobs["off"].disabled and jobs["off"].triggers == []


def test_gitlab_job_without_rules_is_not_scheduled_and_except_schedules_drops_it():
    files = repo({".gitlab-ci.yml": """
        train:
          script: [python train.py]
        nightly:
          script: [python drift.py]
          only: [schedules]
        build:
          script: [make]
          except: [schedules]
        """})
    jobs = jobs_of(files)
    assert kinds(jobs["train"]) == ["push"]
    assert kinds(jobs["nightly"]) == ["schedule"]
    assert kinds(jobs["build"]) == ["push"]


# --- Azure Pipelines --------------------------------------------------------------------------------------

def test_azure_schedules_templates_and_task_scripts():
    files = repo({"azure-pipelines.yml": """
        trigger: none
        pr: none
        schedules:
          - cron: "0 4 * * *"
            displayName: nightly
            branches: {include: [main]}
        stages:
          - stage: Train
            jobs:
              - job: fit
                steps:
                  - template: templates/setup.yml
                  - task: AzureCLI@2
                    inputs:
                      scriptType: bash
                      scriptLocation: inlineScript
                      inlineScript: |
                        az ml job create -f job.yml
                  - task: PythonScript@0
                    inputs:
                      scriptPath: src/train.py
        """, "templates/setup.yml": """
        steps:
          - script: pip install -r requirements.txt
        """})
    jobs = parse_jobs(files)
    assert [j.name for j in jobs] == ["Train/fit"]  # the template file is not a pipeline of its own
    job = jobs[0]
    assert kinds(job) == ["schedule"] and job.scheduled[0].detail == "0 4 * * * (nightly)"
    assert {t.kind for t in job.triggers if t.disabled} == {"push", "pull_request"}
    assert ("pip install -r requirements.txt", "templates/setup.yml", 2) in [(s.command, s.path, s.line) for s in job.steps]
    assert "az ml job create -f job.yml" in commands(job) and "python src/train.py" in commands(job)


def test_azure_default_trigger_is_push_and_no_schedule():
    files = {"azure-pipelines.yml": "steps:\n  - script: pytest\n"}
    job = parse_jobs(files)[0]
    assert kinds(job) == ["push"] and job.scheduled == [] and commands(job) == ["pytest"]


# --- Jenkins ------------------------------------------------------------------------------------------------

JENKINSFILE = """
pipeline {
  agent { docker { image 'python:3.11' } }
  triggers {
    cron('H 2 * * *')
    // cron('H 5 * * *')
    pollSCM('H/15 * * * *')
  }
  stages {
    stage('Test') {
      steps {
        sh 'make test'
        sh '''
          python -m pkg.train
        '''
      }
    }
    stage('Drift') {
      when { triggeredBy 'TimerTrigger' }
      steps { sh(script: "python drift.py", returnStatus: true) }
    }
    stage('Old') {
      when { expression { return false } }
      steps { sh 'python old.py' }
    }
  }
}
"""


def test_jenkins_triggers_stages_and_sh_steps():
    jobs = jobs_of({"Jenkinsfile": textwrap.dedent(JENKINSFILE).lstrip("\n")})
    test = jobs["Test"]
    assert [t.detail for t in test.scheduled] == ["H 2 * * *"]  # the commented-out cron is no trigger
    assert [(s.command, s.line) for s in test.steps] == [("make test", 11), ("python -m pkg.train", 13)]
    assert test.steps[0].image == "python:3.11"
    assert any(t.kind == "push" and "pollSCM" in t.detail for t in test.triggers)
    assert kinds(jobs["Drift"]) == ["schedule"] and commands(jobs["Drift"]) == ["python drift.py"]
    assert jobs["Old"].disabled and jobs["Old"].scheduled == []


def test_jenkins_without_triggers_is_push_only():
    text = "pipeline { agent any\n stages { stage('t') { steps { sh 'pytest' } } } }\n"
    job = jobs_of({"Jenkinsfile": text})["t"]
    assert kinds(job) == ["push"] and commands(job) == ["pytest"]


# --- CircleCI ------------------------------------------------------------------------------------------------

def test_circleci_scheduled_workflow_commands_and_orbs():
    files = repo({".circleci/config.yml": """
        version: 2.1
        commands:
          setup:
            steps:
              - run: pip install -e .
        jobs:
          train:
            docker:
              - image: cimg/python:3.11
            steps:
              - checkout
              - setup
              - run:
                  name: fit
                  command: python train.py
              - aws-cli/setup
        workflows:
          nightly:
            triggers:
              - schedule:
                  cron: "0 1 * * *"
                  filters: {branches: {only: [main]}}
            jobs: [train]
          ci:
            jobs:
              - train
        """})
    jobs = jobs_of(files)
    nightly, ci = jobs["nightly/train"], jobs["ci/train"]
    assert kinds(nightly) == ["schedule"] and nightly.scheduled[0].detail == "0 1 * * *"
    assert kinds(ci) == ["push"]
    assert commands(nightly) == ["pip install -e .", "python train.py", "orb: aws-cli/setup"]
    assert nightly.steps[1].image == "cimg/python:3.11"


# --- Cloud Build, CodeBuild, cloud schedulers -----------------------------------------------------------

def test_cloud_build_steps_and_trigger_outside_the_repository():
    files = repo({"cloudbuild.yaml": """
        steps:
          - name: gcr.io/cloud-builders/docker
            args: ["build", "-t", "img", "."]
          - name: python:3.11
            entrypoint: bash
            args:
              - -c
              - |
                pip install .
                python -m pkg.train
        """})
    job = parse_jobs(files)[0]
    assert job.system == "cloud-build"
    assert [(t.kind, t.detail) for t in job.triggers] == [("other", "build trigger defined outside the repository")]
    assert commands(job) == ["docker build -t img .", "pip install .", "python -m pkg.train"]
    assert job.steps[2].line == 10 and job.scheduled == []


def test_cloud_build_recognised_by_content_under_any_name():
    files = repo({
        "deploy/retrain.yaml": """
            # Cloud Build config, submitted with: gcloud builds submit --config deploy/retrain.yaml
            steps:
              - name: gcr.io/cloud-builders/gcloud
                args: [ai, custom-jobs, create, --region=us-central1]
              - name: python:3.11
                entrypoint: python
                args: [-m, pkg.train]
            timeout: 3600s
            """,
        "ci/pipeline.json": '{\n  "steps": [\n    {"name": "python", "entrypoint": "pytest", "args": ["-q"]}\n  ]\n}\n',
    })
    jobs = {job.path: job for job in parse_jobs(files)}
    assert set(jobs) == {"deploy/retrain.yaml", "ci/pipeline.json"}
    job = jobs["deploy/retrain.yaml"]
    assert job.system == "cloud-build" and job.line == 2
    assert [(t.kind, t.detail) for t in job.triggers] == [("other", "build trigger defined outside the repository")]
    assert commands(job) == ["gcloud ai custom-jobs create --region=us-central1", "python -m pkg.train"]
    assert [s.line for s in job.steps] == [4, 7] and job.steps[1].image == "python:3.11"
    assert commands(jobs["ci/pipeline.json"]) == ["pytest -q"]


def test_yaml_with_steps_of_other_shapes_is_not_cloud_build():
    files = repo({
        "docs/tutorial.yaml": "steps:\n  - name: Install\n    run: pip install .\n",  # GitHub-style steps
        "pipelines/build.yml": "pool: {vmImage: ubuntu-latest}\nsteps:\n  - script: make test\n    name: test\n",
        "recipes/steps.yaml": "steps:\n  - name: wash\n  - name: cut\n",  # names, no builder step
        "drone-like.yml": "kind: pipeline\nsteps:\n  - name: t\n    image: python\n    commands: [pytest]\n",
        "nested.yaml": "build:\n  steps:\n    - name: gcr.io/cloud-builders/docker\n      args: [build, .]\n",
        "commented.yaml": "# steps:\n#   - name: gcr.io/cloud-builders/docker\n#     args: [build, .]\nother: 1\n",
    })
    skipped: dict[str, str] = {}
    assert [j for j in parse_jobs(files, skipped) if j.system == "cloud-build"] == []
    assert skipped == {}


def test_cloud_build_trigger_and_scheduler_declared_in_terraform():
    files = repo({"cloudbuild.yaml": "steps:\n  - name: python\n    args: [python, train.py]\n", "infra/main.tf": """
        resource "google_cloudbuild_trigger" "retrain" {
          filename = "cloudbuild.yaml"
          github {
            push { branch = "^main$" }
          }
        }
        resource "google_cloud_scheduler_job" "nightly" {
          schedule = "0 5 * * *"
          http_target {
            uri = "https://cloudbuild.googleapis.com/v1/${google_cloudbuild_trigger.retrain.id}:run"
          }
        }
        """})
    job = next(j for j in parse_jobs(files) if j.system == "cloud-build")
    assert kinds(job) == ["push", "schedule"] and job.scheduled[0].detail == "0 5 * * *"
    assert job.scheduled[0].path == "infra/main.tf"


def test_codebuild_phases():
    files = repo({"buildspec.yml": """
        version: 0.2
        phases:
          install:
            commands: [pip install -r requirements.txt]
          build:
            commands:
              - python train.py
        """})
    job = parse_jobs(files)[0]
    assert job.system == "codebuild" and commands(job) == ["pip install -r requirements.txt", "python train.py"]
    assert kinds(job) == ["other"] and job.scheduled == []


def test_eventbridge_schedule_attached_to_a_sam_function_and_disabled_event():
    files = repo({"template.yaml": """
        Resources:
          Nightly:
            Type: AWS::Events::Rule
            Properties:
              ScheduleExpression: cron(0 2 * * ? *)
              Targets:
                - Arn: !GetAtt DriftFunction.Arn
                  Id: drift
          DriftFunction:
            Type: AWS::Serverless::Function
            Properties:
              Handler: app.handler
              CodeUri: drift/
              Events:
                Hourly:
                  Type: Schedule
                  Properties:
                    Schedule: rate(1 hour)
                    Enabled: false
        """, "drift/app.py": "def handler(event, context):\n    pass\n"})
    jobs = parse_jobs(files)
    rule = next(j for j in jobs if j.name == "Nightly")
    assert rule.scheduled[0].detail == "cron(0 2 * * ? *)" and rule.scheduled[0].line == 5
    assert [s.file for s in rule.steps] == ["drift/app.py"] and "DriftFunction" in rule.detail
    hourly = next(j for j in jobs if j.name == "DriftFunction")
    assert hourly.scheduled == [] and hourly.triggers[0].disabled


def test_terraform_event_rule_names_its_target_and_paused_scheduler():
    files = repo({"main.tf": """
        resource "aws_cloudwatch_event_rule" "retrain" {
          schedule_expression = "rate(7 days)"
        }
        resource "aws_cloudwatch_event_target" "to_pipeline" {
          rule = aws_cloudwatch_event_rule.retrain.name
          arn  = aws_sagemaker_pipeline.training.arn
        }
        resource "google_cloud_scheduler_job" "paused" {
          schedule = "0 4 * * *"
          paused   = true
        }
        # resource "aws_cloudwatch_event_rule" "old" { schedule_expression = "rate(1 day)" }
        """})
    jobs = jobs_of(files)
    retrain = jobs["aws_cloudwatch_event_rule.retrain"]
    assert retrain.scheduled[0].detail == "rate(7 days)" and retrain.steps == []
    assert retrain.detail == "target: aws_sagemaker_pipeline.training"
    assert jobs["google_cloud_scheduler_job.paused"].scheduled == []
    assert "aws_cloudwatch_event_rule.old" not in jobs


# --- Kubernetes, Argo, Helm -------------------------------------------------------------------------------

CRONJOB = """
apiVersion: batch/v1
kind: CronJob
metadata:
  name: drift-check
spec:
  schedule: "0 */6 * * *"
  suspend: SUSPEND
  jobTemplate:
    spec:
      template:
        spec:
          containers:
            - name: drift
              image: registry/drift:1.2
              command: ["/bin/sh", "-c"]
              args:
                - |
                  python -m monitor.drift --reference data/ref.parquet
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: api}
"""


def test_kubernetes_cronjob_schedule_and_container_command():
    job = parse_jobs({"deploy/cron.yaml": textwrap.dedent(CRONJOB.replace("SUSPEND", "false")).lstrip("\n")})[0]
    assert (job.system, job.name) == ("kubernetes-cronjob", "drift-check")
    assert job.scheduled[0].detail == "0 */6 * * *" and job.scheduled[0].line == 6
    step = job.steps[0]
    assert (step.command, step.image, step.line) == ("python -m monitor.drift --reference data/ref.parquet", "registry/drift:1.2", 18)


def test_suspended_cronjob_and_manifests_without_cronjob():
    suspended = parse_jobs({"cron.yaml": textwrap.dedent(CRONJOB.replace("SUSPEND", "true")).lstrip("\n")})[0]
    assert suspended.disabled and suspended.scheduled == []
    files = {"k8s/deploy.yaml": "# kind: CronJob (planned)\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\n"}
    assert parse_jobs(files) == []


def test_argo_cron_workflow_and_helm_templated_cronjob():
    files = repo({"argo/retrain.yaml": """
        apiVersion: argoproj.io/v1alpha1
        kind: CronWorkflow
        metadata: {name: retrain}
        spec:
          schedule: "0 1 * * 0"
          workflowSpec:
            templates:
              - name: fit
                container: {image: me/train, command: [python, train.py]}
        """, "chart/templates/score.yaml": """
        {{- if .Values.score.enabled }}
        apiVersion: batch/v1
        kind: CronJob
        metadata:
          name: {{ .Release.Name }}-score
        spec:
          schedule: {{ .Values.score.schedule | quote }}
          jobTemplate:
            spec:
              template:
                spec:
                  containers:
                    - name: score
                      image: "{{ .Values.image }}"
                      args: ["python", "score.py"]
        {{- end }}
        """})
    jobs = {j.system: j for j in parse_jobs(files)}
    assert commands(jobs["argo-cronworkflow"]) == ["python train.py"] and jobs["argo-cronworkflow"].scheduled
    helm = jobs["kubernetes-cronjob"]
    assert [t.detail for t in helm.scheduled] == ["{{ .Values.score.schedule | quote }}"]
    assert commands(helm) == ["python score.py"] and helm.steps[0].line == 15


# --- Databricks, Anyscale, Prefect, Azure ML --------------------------------------------------------------

def test_databricks_bundle_jobs_schedule_pause_and_tasks():
    files = repo({"databricks.yml": "bundle: {name: churn}\ninclude:\n  - resources/*.yml\n", "resources/jobs.yml": """
        resources:
          jobs:
            retrain:
              name: retrain
              schedule:
                quartz_cron_expression: "0 0 2 * * ?"
                timezone_id: UTC
              tasks:
                - task_key: fit
                  notebook_task: {notebook_path: ../notebooks/train}
                - task_key: score
                  spark_python_task: {python_file: ../src/score.py}
            paused:
              name: paused
              schedule:
                quartz_cron_expression: "0 0 3 * * ?"
                pause_status: PAUSED
              tasks:
                - task_key: t
                  python_wheel_task: {package_name: churn, entry_point: train}
            adhoc:
              tasks:
                - task_key: t
                  notebook_task: {notebook_path: /Workspace/Users/x/nb}
        """, "notebooks/train.ipynb": "{}", "src/score.py": ""})
    jobs = jobs_of(files)
    retrain = jobs["retrain"]
    assert retrain.scheduled[0].detail == "0 0 2 * * ? (UTC)" and retrain.scheduled[0].line == 6
    assert [s.file for s in retrain.steps] == ["notebooks/train.ipynb", "src/score.py"]
    assert jobs["paused"].scheduled == [] and commands(jobs["paused"]) == ["train"]
    assert kinds(jobs["adhoc"]) == ["manual"] and commands(jobs["adhoc"]) == ["databricks notebook /Workspace/Users/x/nb"]


def test_anyscale_job_and_schedule():
    files = repo({"anyscale/job.yaml": "name: fit\nentrypoint: python train.py --epochs 3\ncompute_config: gpu\n",
                 "anyscale/schedule.yaml": "name: nightly\ncron_expression: '0 0 * * *'\njob_config:\n  entrypoint: python drift.py\n",
                 "compose.yaml": "services:\n  api:\n    entrypoint: python app.py\n"})
    jobs = jobs_of(files)
    assert kinds(jobs["fit"]) == ["manual"] and commands(jobs["fit"]) == ["python train.py --epochs 3"]
    assert jobs["nightly"].scheduled[0].detail == "0 0 * * *" and commands(jobs["nightly"]) == ["python drift.py"]
    assert set(jobs) == {"fit", "nightly"}


def test_prefect_yaml_and_python_serve():
    files = repo({"prefect.yaml": """
        deployments:
          - name: nightly
            entrypoint: flows/train.py:train
            schedules:
              - cron: "0 2 * * *"
                active: false
          - name: hourly
            entrypoint: flows/train.py:train
            schedule: {interval: 3600}
        """, "flows/train.py": """
        from prefect import flow

        @flow
        def train():
            ...

        if __name__ == "__main__":
            train.serve(name="served", cron="0 4 * * *")
        """, "deploy.py": """
        from prefect import flow
        flow.from_source(source=".", entrypoint="flows/train.py:train").deploy(name="remote", cron="0 1 * * *")
        """})
    jobs = jobs_of(files)
    assert jobs["nightly"].scheduled == [] and jobs["nightly"].triggers[0].disabled
    assert jobs["hourly"].scheduled[0].detail == "interval: 3600" and jobs["hourly"].steps[0].file == "flows/train.py"
    served = jobs["served"]
    assert served.scheduled[0].detail == "cron: 0 4 * * *" and served.steps[0].file == "flows/train.py"
    assert jobs["remote"].scheduled and jobs["remote"].steps[0].file == "flows/train.py"  # the entrypoint of from_source


def test_azure_ml_schedule_yaml_follows_the_job_file():
    files = repo({"ml/schedule.yml": """
        $schema: https://azuremlschemas.azureedge.net/latest/schedule.schema.json
        name: nightly-retrain
        trigger:
          type: recurrence
          frequency: day
          interval: 1
        create_job: ./train-job.yml
        """, "ml/train-job.yml": "command: python train.py --data ${{inputs.data}}\ncode: ../src\n"})
    job = parse_jobs(files)[0]
    assert job.scheduled[0].detail == "every 1 day"
    assert [(s.command, s.path, s.cwd) for s in job.steps] == [("python train.py --data ${{inputs.data}}", "ml/train-job.yml", "src")]


# --- Airflow and SDK schedules in Python ---------------------------------------------------------------------

def test_airflow_dags_schedules_and_tasks():
    files = repo({"dags/train.py": '''
        """Docs mention DAG("fake", schedule="@hourly") but that is a string."""
        from datetime import timedelta
        from airflow import DAG
        from airflow.decorators import dag, task
        from airflow.operators.bash import BashOperator
        from airflow.operators.python import PythonOperator
        from pipeline.train import fit

        SCHEDULE = "0 6 * * *"

        with DAG(
            dag_id="retrain",
            schedule=SCHEDULE,
        ) as retrain_dag:
            prep = BashOperator(task_id="prep", bash_command="python -m pipeline.prep")
            train = PythonOperator(task_id="train", python_callable=fit)

        @dag(schedule=None)
        def on_demand():
            @task
            def evaluate():
                ...
            evaluate()

        on_demand()
        '''})
    jobs = jobs_of(files)
    assert set(jobs) == {"retrain", "on_demand"}
    retrain = jobs["retrain"]
    assert retrain.scheduled[0].detail == "0 6 * * *" and retrain.scheduled[0].line == 13
    assert [(s.command, s.file) for s in retrain.steps] == [("python -m pipeline.prep", None), ("", "dags/train.py")]
    on_demand = jobs["on_demand"]
    assert kinds(on_demand) == ["manual"] and on_demand.scheduled == []
    assert [s.name for s in on_demand.steps] == ["evaluate"]


def test_sdk_schedule_calls_vertex_azure_ml_cdk():
    files = repo({"pipelines/schedule.py": """
        from google.cloud import aiplatform
        job = aiplatform.PipelineJob(display_name="train", template_path="pipeline.json")
        schedule = aiplatform.PipelineJobSchedule(pipeline_job=job, display_name="nightly-train", cron="TZ=UTC 0 2 * * *")
        """, "aml/schedule.py": """
        from azure.ai.ml.entities import JobSchedule, CronTrigger
        schedule = JobSchedule(name="drift-daily", trigger=CronTrigger(expression="0 3 * * *"), create_job=pipeline)
        """, "infra/stack.py": """
        from aws_cdk import aws_events as events, aws_events_targets as targets
        events.Rule(self, "NightlyDrift", schedule=events.Schedule.cron(minute="0", hour="2"),
                    targets=[targets.LambdaFunction(drift_fn)])
        events.Rule(self, "OnUpload", event_pattern=pattern)
        weekly = events.Rule(self, f"Retrain-{env}", schedule=events.Schedule.rate(Duration.days(7)))
        weekly.add_target(target=targets.CodePipeline(pipeline=train_pipeline))
        """, "notes/plan.py": "# aiplatform.PipelineJobSchedule(cron='0 0 * * *') is planned\nprint('no schedule here')\n"})
    jobs = jobs_of(files)
    assert set(jobs) == {"nightly-train", "drift-daily", "NightlyDrift", "Retrain-{env}"}
    assert jobs["Retrain-{env}"].detail == "target: targets.CodePipeline(pipeline=train_pipeline)"
    assert jobs["nightly-train"].system == "vertex-ai" and "0 2 * * *" in jobs["nightly-train"].scheduled[0].detail
    assert jobs["drift-daily"].steps[0].file == "aml/schedule.py" and "0 3 * * *" in jobs["drift-daily"].scheduled[0].detail
    assert "LambdaFunction(drift_fn)" in jobs["NightlyDrift"].detail and jobs["NightlyDrift"].steps == []


# --- Bitbucket, Drone, Travis ----------------------------------------------------------------------------------

def test_bitbucket_drone_travis():
    files = repo({"bitbucket-pipelines.yml": """
        pipelines:
          default:
            - step:
                script: [pytest]
          custom:
            retrain:
              - step:
                  script: [python train.py]
        """, ".drone.yml": """
        kind: pipeline
        name: nightly
        trigger:
          event: [cron]
        steps:
          - name: drift
            image: python:3.11
            commands: [python drift.py]
        """, ".travis.yml": """
        script: pytest
        jobs:
          include:
            - name: retrain
              if: type = cron
              script: python train.py
        """})
    jobs = jobs_of(files)
    assert kinds(jobs["default#1"]) == ["push"] and kinds(jobs["custom/retrain#1"]) == ["manual"]
    assert kinds(jobs["nightly"]) == ["schedule"] and commands(jobs["nightly"]) == ["python drift.py"]
    assert kinds(jobs["build"]) == ["pull_request", "push"] and kinds(jobs["retrain"]) == ["schedule"]


# --- hostile input ---------------------------------------------------------------------------------------------

LAUGHS = "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 9)}]\n" for i in range(8))


def test_hostile_yaml_is_refused_and_recorded():
    huge_workflow = "on: push\njobs:\n  t:\n    steps:\n" + "      - run: echo hi\n" * 240_000  # about 5 MB
    files = {
        ".github/workflows/laughs.yml": "on: push\njobs:\n  j:\n    steps:\n      - run: make\n" + LAUGHS,
        ".github/workflows/huge.yml": huge_workflow,
        ".github/workflows/deep.yml": "on: push\njobs: " + "[" * 5000 + "]" * 5000 + "\n",
        ".github/workflows/broken.yml": "on: [push\njobs: {",
        "k8s/laughs.yaml": "kind: CronJob\nspec: {schedule: '* * * * *'}\n" + LAUGHS,
        "k8s/recursive.yaml": "kind: CronJob\nspec: &s {schedule: '* * * * *', again: *s}\n",
        ".github/workflows/ok.yml": "on: push\njobs:\n  ok:\n    steps: [{run: pytest}]\n",
    }
    skipped: dict[str, str] = {}
    jobs = jobs_of(files, skipped)
    assert set(jobs) == {"ok"}
    assert set(skipped) == set(files) - {".github/workflows/ok.yml"}


def test_schedule_conditions_in_gitlab_workflow_azure_condition_and_circleci_pipeline():
    files = repo({
        ".gitlab-ci.yml": """
            workflow:
              rules:
                - if: $CI_PIPELINE_SOURCE == "schedule"
                - if: $CI_COMMIT_BRANCH
            retrain:
              script: [python train.py]
            """,
        "azure-pipelines.yml": """
            schedules:
              - cron: "0 0 * * *"
            jobs:
              - job: drift
                condition: eq(variables['Build.Reason'], 'Schedule')
                steps: [{script: python drift.py}]
              - job: test
                condition: ne(variables['Build.Reason'], 'Schedule')
                steps: [{script: pytest}]
            """,
        ".circleci/config.yml": """
            version: 2.1
            jobs:
              drift: {docker: [{image: python}], steps: [{run: python drift.py}]}
            workflows:
              scheduled:
                when:
                  equal: [scheduled_pipeline, << pipeline.trigger_source >>]
                jobs: [drift]
            """,
    })
    jobs = jobs_of(files)
    assert kinds(jobs["retrain"]) == ["push", "schedule"]
    assert kinds(jobs["drift"]) == ["schedule"] and kinds(jobs["test"]) == ["push"]
    scheduled = jobs["scheduled/drift"].scheduled
    assert [t.detail for t in scheduled] == ["CircleCI scheduled pipeline (schedule set in the project settings)"]


def test_more_python_schedules_airflow_links_sagemaker_kubeflow_apscheduler():
    files = repo({
        "dags/a.py": """
            from airflow import DAG
            from airflow.operators.trigger_dagrun import TriggerDagRunOperator
            with DAG("ingest", schedule="@hourly"):
                TriggerDagRunOperator(task_id="go", trigger_dag_id="train")
            """,
        "dags/b.py": """
            from airflow.models import DAG
            from airflow.operators.bash import BashOperator
            dag = DAG("train", schedule_interval=None)
            BashOperator(task_id="fit", bash_command="python -m pipeline.train", dag=dag)
            """,
        "pipelines/schedule.py": """
            from sagemaker.workflow.triggers import PipelineSchedule
            import kfp
            nightly = PipelineSchedule(name="sm-nightly", cron="0 3 ? * * *")
            kfp.Client().create_recurring_run(experiment_id="e", job_name="kfp-weekly", cron_expression="0 0 * * 0",
                                              pipeline_package_path="pipeline.yaml", enabled=False)
            """,
        "monitor/service.py": """
            from apscheduler.schedulers.blocking import BlockingScheduler
            scheduler = BlockingScheduler()
            def check_drift():
                ...
            scheduler.add_job(check_drift, "cron", hour=2)
            """,
        "pipeline.yaml": "{}",
    })
    jobs = jobs_of(files)
    assert [t.detail for t in jobs["train"].triggers if t.kind == "upstream"] == ["triggered by DAG ingest"]
    assert jobs["train"].scheduled == [] and [s.command for s in jobs["train"].steps] == ["python -m pipeline.train"]
    assert jobs["sm-nightly"].system == "sagemaker" and jobs["sm-nightly"].scheduled[0].detail == "cron: 0 3 ? * * *"
    assert jobs["kfp-weekly"].scheduled == [] and jobs["kfp-weekly"].steps[0].file == "pipeline.yaml"
    assert jobs["check_drift"].system == "apscheduler" and jobs["check_drift"].scheduled[0].detail == "cron hour=2"


def test_callers_prefilter_limits_which_files_are_read_for_content():
    files = {"ops/cron.yaml": textwrap.dedent(CRONJOB.replace("SUSPEND", "false")).lstrip("\n"), "notes.yaml": "a: 1\n"}
    assert parse_jobs(files, sniffed=set()) == []  # the caller's prefilter found no candidate
    assert [j.name for j in parse_jobs(files, sniffed={"ops/cron.yaml"})] == ["drift-check"]
    from mlproof.model.jobs import content_needles
    assert "CronJob" in content_needles()[".yaml"] and "airflow" in content_needles()[".py"]


def test_run_block_stops_at_a_top_level_exit():
    files = repo({".github/workflows/nightly.yml": """
        on: {schedule: [{cron: '0 1 * * *'}]}
        jobs:
          retrain:
            steps:
              - run: |
                  echo "retraining is paused"
                  exit 0
                  python train.py
        """})
    assert commands(jobs_of(files)["retrain"]) == ['echo "retraining is paused"']


def test_build_from_flow_timetable_tekton_kubeflow_and_gcloud_scheduler():
    files = repo({
        "flows/deploy.py": """
            from prefect.deployments import Deployment
            from prefect.server.schemas.schedules import CronSchedule
            from flows.train import train
            Deployment.build_from_flow(flow=train, name="weekly", schedule=CronSchedule(cron="0 6 * * 1"))
            Deployment.build_from_flow(flow=train, name="adhoc")
            """,
        "flows/train.py": "from prefect import flow\n@flow\ndef train():\n    pass\n",
        "dags/tt.py": """
            from airflow import DAG
            from airflow.timetables.trigger import CronTriggerTimetable
            from airflow.operators.bash import BashOperator
            with DAG("tt", timetable=CronTriggerTimetable("0 4 * * *", timezone="UTC")) as dag:
                BashOperator(task_id="fit", bash_command="python -m pkg.train")
            """,
        "tekton/run.yaml": """
            apiVersion: tekton.dev/v1
            kind: PipelineRun
            metadata:
              name: ci
              annotations:
                pipelinesascode.tekton.dev/on-event: "[push, pull_request]"
            spec:
              pipelineSpec:
                tasks:
                  - name: test
                    taskSpec:
                      steps:
                        - name: t
                          image: python
                          script: |
                            pytest -q
            """,
        "ops/schedule.sh": "gcloud scheduler jobs create http nightly-train --schedule='0 2 * * *' --uri=https://run.app/train\n",
        "kfp/recurring.yaml": """
            apiVersion: kubeflow.org/v1beta1
            kind: ScheduledWorkflow
            metadata: {name: retrain}
            spec:
              enabled: false
              trigger:
                cronSchedule: {cron: "0 0 * * *"}
            """,
    })
    files["docs/ops.md"] = "Run `gcloud scheduler jobs create http x --schedule='0 1 * * *'` to schedule it.\n"
    jobs = {job.name: job for job in parse_jobs(files)}
    assert set(jobs) == {"tt", "weekly", "adhoc", "retrain", "nightly-train", "ci"}  # the Markdown mention is no job
    assert [(t.kind, t.line) for t in jobs["weekly"].triggers] == [("schedule", 4)] and "0 6 * * 1" in jobs["weekly"].scheduled[0].detail
    assert [(s.file, s.line) for s in jobs["weekly"].steps] == [("flows/train.py", 4)]
    assert kinds(jobs["adhoc"]) == ["manual"]
    assert "0 4 * * *" in jobs["tt"].scheduled[0].detail and commands(jobs["tt"]) == ["python -m pkg.train"]
    assert jobs["retrain"].disabled and jobs["retrain"].scheduled == []
    assert jobs["nightly-train"].scheduled[0].detail == "0 2 * * *" and jobs["nightly-train"].detail == "target: https://run.app/train"
    assert kinds(jobs["ci"]) == ["pull_request", "push"] and [(s.command, s.line) for s in jobs["ci"].steps] == [("pytest -q", 16)]


# --- HPC batch scripts -------------------------------------------------------------------------------

SLURM = """
#!/bin/bash
#SBATCH --job-name=finetune
#SBATCH --partition=gpu --gres=gpu:1   # one GPU
#SBATCH --begin=now+1hour

module load cuda
srun python -m pkg.train --epochs 3
"""


def test_slurm_pbs_and_lsf_scripts_are_manual_jobs_with_their_commands():
    files = repo({
        "hpc/train.slurm": SLURM,
        "hpc/eval.pbs": "#!/bin/sh\n#PBS -N evaluate\n#PBS -l walltime=01:00:00\ncd $PBS_O_WORKDIR\npython eval.py\n",
        "hpc/sweep.sh": "#BSUB -J sweep\n#BSUB -n 4\nbash run_sweep.sh\n",
    })
    jobs = jobs_of(files)
    assert {name: job.system for name, job in jobs.items()} == {"finetune": "slurm", "evaluate": "pbs", "sweep": "lsf"}
    slurm = jobs["finetune"]
    assert (slurm.path, slurm.line) == ("hpc/train.slurm", 2)
    assert [(t.kind, t.line, t.detail) for t in slurm.triggers] == [
        ("manual", 2, "submitted by hand with sbatch (deferred start: now+1hour)")]
    assert [(s.line, s.command) for s in slurm.steps] == [(6, "module load cuda"), (7, "srun python -m pkg.train --epochs 3")]
    assert slurm.scheduled == []
    assert commands(jobs["evaluate"]) == ["cd $PBS_O_WORKDIR", "python eval.py"]
    assert jobs["evaluate"].triggers[0].detail == "submitted by hand with qsub"


def test_sbatch_lines_that_are_not_a_batch_script_header_are_not_jobs():
    files = repo({
        "tools/make_jobs.sh": "#!/bin/bash\nfor lr in 1 2; do\ncat > job_$lr.sh <<EOF\n#SBATCH -J lr$lr\npython train.py\nEOF\ndone\n",
        "late.sh": "#!/bin/bash\necho start\n#SBATCH --job-name=too-late\npython train.py\n",
        "README.sh.md": "#SBATCH --job-name=doc\n",
        "notes.sh": "# see #SBATCH options in the wiki\npython a.py\n",
    })
    assert parse_jobs(files) == []


def test_implied_triggers_and_every_step_cite_a_line():
    files = repo({
        "azure-pipelines.yml": "pool: {vmImage: ubuntu-latest}\nsteps:\n  - script: pytest\n",
        "Jenkinsfile": "pipeline {\n  agent any\n  stages {\n    stage('t') { steps { sh 'make test' } }\n  }\n}\n",
        ".travis.yml": "language: python\nscript: pytest\n",
        "cloudbuild.yaml": "steps:\n  - name: python\n    args: [python, train.py]\n",
        "buildspec.yml": "version: 0.2\nphases:\n  build:\n    commands: [pytest]\n",
        "anyscale/job.yaml": "name: fit\nentrypoint: python train.py\ncompute_config: gpu\n",
        "prefect.yaml": "deployments:\n  - name: adhoc\n    entrypoint: flows/train.py:train\n",
    })
    jobs = parse_jobs(files)
    assert len(jobs) == 7
    for job in jobs:
        assert job.line is not None and job.steps, job.name
        assert all(isinstance(t.line, int) and t.path == job.path for t in job.triggers), job.name
        assert all(isinstance(s.line, int) for s in job.steps), job.name
    implied = {job.system: job.triggers[0].line == job.line for job in jobs if job.system != "azure-pipelines"}
    assert all(implied.values()) and len(implied) == 6
    azure = next(job for job in jobs if job.system == "azure-pipelines")
    assert [(t.kind, t.line) for t in azure.triggers] == [("push", azure.line)]


# --- hostile inputs: each would take minutes if a parser went quadratic or exponential ----------------
# The sizes are chosen so that a linear parser finishes at once and a quadratic one does not; the tests
# check what is found, never how long it took.

def test_jenkinsfile_with_thousands_of_unclosed_stages_is_read_in_one_pass():
    stages = "".join(f"stage('s{i}') {{ steps {{ sh 'python s{i}.py' \n" for i in range(3000))
    jobs = parse_jobs({"Jenkinsfile": "pipeline { triggers { cron('H 2 * * *') }\n stages {\n" + stages})
    assert len(jobs) == 3000  # every stage is unclosed, so each nests in the one before: each is still a job
    assert [(s.command, s.line) for s in jobs[-1].steps] == [("python s2999.py", 3002)]
    assert all(len(job.steps) == 1 for job in jobs) and jobs[0].scheduled[0].detail == "H 2 * * *"


def test_oversized_jenkinsfile_is_recorded_not_parsed():
    skipped: dict[str, str] = {}
    text = "pipeline { stages { stage('t') { steps { sh 'pytest' } } } }\n" + "// padding\n" * 30_000
    assert parse_jobs({"Jenkinsfile": text}, skipped) == []
    assert skipped == {"Jenkinsfile": "too large to parse"}


def test_helm_template_with_endless_open_braces_is_blanked_in_linear_time():
    text = "kind: CronJob\nspec:\n  schedule: {{ .Values.cron | quote }}\n  # " + "{{ " * 100_000 + "\n"
    argo = ("kind: CronWorkflow\nspec:\n  schedule: '0 1 * * *'\n  workflowSpec:\n    templates:\n      - name: fit\n"
            "        container: {image: t, command: [python, fit.py, --lr, '{{workflow.parameters.lr}}']}\n")
    jobs = parse_jobs({"chart/templates/cron.yaml": text, "argo/fit.yaml": argo})
    assert [(j.system, [t.detail for t in j.triggers]) for j in jobs] == [
        ("argo-cronworkflow", ["0 1 * * *"]), ("kubernetes-cronjob", ["{{ .Values.cron | quote }}"])]
    assert commands(jobs[0]) == ["python fit.py --lr '{{workflow.parameters.lr}}'"]  # quoted templates stay as written


def test_reusable_workflows_fanning_out_inline_each_file_once_per_job():
    files = {f".github/workflows/w{i}.yml": "on: [push, workflow_call]\njobs:\n" + "".join(
        f"  j{k}:\n    uses: ./.github/workflows/w{i + 1}.yml\n" for k in range(30)) for i in range(4)}
    files[".github/workflows/w4.yml"] = "on: workflow_call\njobs:\n  leaf:\n    steps:\n      - run: pytest\n"
    caller = next(j for j in parse_jobs(files) if j.path == ".github/workflows/w0.yml" and j.name == "j0")
    assert [(s.command, s.path) for s in caller.steps] == [("pytest", ".github/workflows/w4.yml")]


def test_self_referencing_templates_and_commands_stay_bounded():
    files = {
        "azure-pipelines.yml": "steps:\n  - template: t.yml\n",
        "t.yml": "steps:\n" + "  - template: t.yml\n" * 50 + "  - script: pytest\n",
        ".circleci/config.yml": "version: 2.1\ncommands:\n" + "".join(
            f"  c{i}:\n    steps: [" + ", ".join(f"c{k}" for k in range(30) if k != i) + f", {{run: python c{i}.py}}]\n"
            for i in range(30)) + "jobs:\n  t:\n    steps: [c0]\nworkflows:\n  w:\n    jobs: [t]\n",
        ".gitlab-ci.yml": "".join(f".h{i}:\n  extends: [" + ", ".join(f".h{k}" for k in range(20) if k != i) + "]\n"
                                  for i in range(20)) + ".h0:\n  script: [pytest]\nj:\n  extends: [.h1, .h2]\n",
    }
    jobs = {job.system: job for job in parse_jobs(files)}
    azure = commands(jobs["azure-pipelines"])
    assert set(azure) == {"pytest"} and 0 < len(azure) <= 200
    circle = commands(jobs["circleci"])
    assert len(circle) == len(set(circle)) and "python c0.py" in circle and len(circle) <= 30
    assert commands(jobs["gitlab-ci"]) == ["pytest"]


def test_yaml_of_tiny_nodes_is_refused_before_composing_and_long_jobs_are_cut():
    tiny = "- a\n" * 200_000
    run_block = "on: push\njobs:\n  big:\n    steps:\n      - run: |\n" + "          python step.py\n" * 2_500
    skipped: dict[str, str] = {}
    jobs = parse_jobs({".github/workflows/tiny.yml": tiny, ".github/workflows/big.yml": run_block}, skipped)
    assert [len(job.steps) for job in jobs] == [2_000]
    assert skipped == {".github/workflows/tiny.yml": "not readable as YAML within the size and alias budget",
                       ".github/workflows/big.yml": "partly read: only the first 2,000 steps of a job kept"}

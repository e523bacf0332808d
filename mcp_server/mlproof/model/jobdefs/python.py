"""Schedules defined in Python, read with `ast` (nothing is imported or run).

- Airflow DAGs: `DAG(...)`, `with DAG(...)`, `@dag(...)` with schedule/schedule_interval/
  timetable; operators become Steps (BashOperator's command; Python tasks point at the DAG
  file, whose imports the code model follows). TriggerDagRunOperator links DAGs.
- SDK schedule calls, as data in SCHEDULE_CALLS: Prefect serve/deploy, Vertex AI
  PipelineJobSchedule/create_schedule, Azure ML JobSchedule and v1 Schedule.create,
  SageMaker PipelineSchedule, Kubeflow create_recurring_run, APScheduler, AWS CDK events.Rule.
"""

from __future__ import annotations

import ast
import posixpath
import re
from dataclasses import dataclass

from mlproof.model.jobs import Job, Step, Trigger
from mlproof.model.repofiles import RepoFiles, join
from mlproof.model import pyast
from mlproof.model.shell import logical_lines

# The packages a scheduling file must import (SCHEDULE_CALLS[].needs, and Airflow): cheap to look for.
NEEDLES = ("airflow", "prefect", "aiplatform", "azure", "sagemaker", "kfp", "apscheduler", "aws_cdk")
SNIFF = (((".py",), NEEDLES),)
AIRFLOW_PRESETS = {"@hourly", "@daily", "@weekly", "@monthly", "@quarterly", "@yearly", "@annually", "@midnight"}
AIRFLOW_DEFAULT = "no schedule argument (Airflow 2 default: daily; Airflow 3: none)"
MAX_DAGS = 500  # DAG definitions read per file (each task is matched against them)
SCHEDULE_KWARGS = ("schedule", "schedule_interval", "timetable")
PYTHON_OPERATORS = {"PythonOperator", "PythonVirtualenvOperator", "BranchPythonOperator", "ExternalPythonOperator",
                    "ShortCircuitOperator"}
NO_OP_OPERATORS = {"EmptyOperator", "DummyOperator"}
DISABLING_KWARGS = {"paused": True, "enabled": False, "active": False, "is_enabled": False}


@dataclass(frozen=True)
class ScheduleCall:
    """A call that schedules work: matched by the end of its qualified name, in a file importing `needs`."""

    suffix: str
    needs: str  # top-level package the file must import (keeps `.serve()` of other libraries out)
    system: str
    kwargs: tuple[str, ...]  # keywords that carry the schedule
    unscheduled: str = ""  # trigger detail when none of them is given ("" = not a job then)


PREFECT_SCHEDULE = ("cron", "interval", "rrule", "schedule", "schedules")
SCHEDULE_CALLS = (
    ScheduleCall("serve", "prefect", "prefect", PREFECT_SCHEDULE, "served without a schedule"),
    ScheduleCall("deploy", "prefect", "prefect", PREFECT_SCHEDULE, "deployed without a schedule"),
    ScheduleCall("to_deployment", "prefect", "prefect", PREFECT_SCHEDULE, "deployed without a schedule"),
    ScheduleCall("build_from_flow", "prefect", "prefect", PREFECT_SCHEDULE, "deployed without a schedule"),
    ScheduleCall("PipelineJobSchedule", "google", "vertex-ai", ("cron",)),
    ScheduleCall("create_schedule", "google", "vertex-ai", ("cron",)),
    ScheduleCall("JobSchedule", "azure", "azure-ml", ("trigger",)),
    ScheduleCall("Schedule.create", "azureml", "azure-ml", ("recurrence",)),
    ScheduleCall("PipelineSchedule", "sagemaker", "sagemaker", ("cron", "rate", "at")),
    ScheduleCall("create_recurring_run", "kfp", "kubeflow", ("cron_expression", "interval_second", "periodic_interval")),
    ScheduleCall("add_job", "apscheduler", "apscheduler", ("trigger",)),
    ScheduleCall("scheduled_job", "apscheduler", "apscheduler", ("trigger",)),
    ScheduleCall("Rule", "aws_cdk", "aws-cdk", ("schedule",)),
)


def parse(source: RepoFiles) -> list[Job]:
    jobs: list[Job] = []
    dag_triggers: list[tuple[str, Trigger]] = []
    for rel in source.containing((".py",), NEEDLES):
        tree = source.python(rel)
        if tree is None:
            continue
        module = _Module(source, rel, tree)
        if "airflow" in module.roots:
            found, triggered = module.airflow_dags()
            jobs.extend(found)
            dag_triggers.extend(triggered)
        jobs.extend(module.schedule_calls())
    by_name = {job.name: job for job in jobs if job.system == "airflow"}
    for target, trigger in dag_triggers:
        if target in by_name:
            by_name[target].triggers.append(trigger)
    return jobs


class _Module:
    def __init__(self, source: RepoFiles, rel: str, tree: ast.Module):
        self.source = source
        self.rel = rel
        self.tree = tree
        self.aliases: dict[str, str] = {}
        self.roots: set[str] = set()
        self.constants: dict[str, str] = {}
        self.functions: dict[str, ast.FunctionDef | ast.AsyncFunctionDef] = {}
        self.nodes = list(ast.walk(tree))  # walked once: a large module makes every walk count
        for node in self.nodes:
            if isinstance(node, ast.Import):
                for alias in node.names:
                    self.aliases[alias.asname or alias.name.split(".")[0]] = alias.name if alias.asname else alias.name.split(".")[0]
                    self.roots.add(alias.name.split(".")[0])
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                self.roots.add(node.module.split(".")[0])
                for alias in node.names:
                    self.aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                self.functions.setdefault(node.name, node)
        for node in tree.body:
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                value = pyast.literal(node.value)
                if isinstance(value, str):
                    self.constants[node.targets[0].id] = value
        self.calls = [n for n in self.nodes if isinstance(n, ast.Call)]
        self.assigned = {id(n.value): pyast.qualified(n.targets[0], {}) for n in self.nodes
                         if isinstance(n, ast.Assign) and isinstance(n.value, ast.Call) and len(n.targets) == 1}

    def name(self, node: ast.AST) -> str:
        return pyast.qualified(node, self.aliases)

    # --- Airflow ---------------------------------------------------------------------------------

    def airflow_dags(self) -> tuple[list[Job], list[tuple[str, Trigger]]]:
        dags: list[tuple[Job, range, str]] = []  # job, line range it owns, variable bound to it
        for node in self.nodes:
            if len(dags) >= MAX_DAGS:
                break
            if isinstance(node, (ast.With, ast.AsyncWith)):
                for item in node.items:
                    if isinstance(item.context_expr, ast.Call) and self._is_dag(item.context_expr):
                        var = item.optional_vars.id if isinstance(item.optional_vars, ast.Name) else ""
                        body = range(node.lineno, (node.end_lineno or node.lineno) + 1)
                        dags.append((self._dag_job(item.context_expr, ""), body, var))
            elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Call) and self._is_dag(node.value):
                var = node.targets[0].id if isinstance(node.targets[0], ast.Name) else ""
                dags.append((self._dag_job(node.value, ""), range(0), var))
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                for decorator in node.decorator_list:
                    call = decorator if isinstance(decorator, ast.Call) else None
                    target = call.func if call else decorator
                    if self.name(target).endswith(("decorators.dag", "sdk.dag")) or self.name(target) == "airflow.dag":
                        job = self._dag_job(call, node.name, node.lineno)
                        dags.append((job, range(node.lineno, (node.end_lineno or node.lineno) + 1), ""))
        if not dags:
            return [], []
        triggered: list[tuple[str, Trigger]] = []
        for call in self.calls:
            operator = self.name(call.func).rsplit(".", 1)[-1]
            if operator.endswith(("Operator", "Sensor")) and operator not in NO_OP_OPERATORS:
                owner = self._owner(dags, call)
                owner.steps.extend(self._operator_steps(call, operator))
                if operator == "TriggerDagRunOperator":
                    target = pyast.literal(pyast.keyword(call, "trigger_dag_id").value) if pyast.keyword(call, "trigger_dag_id") else None
                    if isinstance(target, str):
                        triggered.append((target, Trigger("upstream", self.rel, call.lineno, f"triggered by DAG {owner.name}")))
        for function in self.functions.values():
            for decorator in function.decorator_list:
                target = decorator.func if isinstance(decorator, ast.Call) else decorator
                qualified = self.name(target)
                if re.search(r"(?:decorators|sdk)\.task(?:\.\w+)?$", qualified) or qualified.startswith("airflow.decorators.task"):
                    owner = self._owner(dags, function)
                    owner.steps.extend(self._task_function_steps(function, qualified))
        return [job for job, _, _ in dags], triggered

    def _is_dag(self, call: ast.Call) -> bool:
        qualified = self.name(call.func)
        return qualified.endswith(".DAG") and qualified.startswith("airflow")

    def _dag_job(self, call: ast.Call | None, function_name: str, line: int | None = None) -> Job:
        dag_id = function_name
        if call is not None:
            first = pyast.literal(call.args[0]) if call.args else None
            keyword = pyast.keyword(call, "dag_id")
            named = pyast.literal(keyword.value) if keyword else None
            dag_id = named if isinstance(named, str) else first if isinstance(first, str) else dag_id
        job = Job("airflow", dag_id or posixpath.basename(self.rel), self.rel, line or (call.lineno if call else None))
        job.triggers.append(self._dag_trigger(call))
        return job

    def _dag_trigger(self, call: ast.Call | None) -> Trigger:
        keyword = next((k for k in (call.keywords if call else []) if k.arg in SCHEDULE_KWARGS), None)
        if keyword is None:
            return Trigger("other", self.rel, call.lineno if call else None, AIRFLOW_DEFAULT)
        value = keyword.value
        line = value.lineno
        literal = pyast.literal(value)
        if isinstance(value, ast.Name) and value.id in self.constants:
            literal = self.constants[value.id]
        if literal is None:
            return Trigger("manual", self.rel, line, "schedule=None (triggered by hand, by the API or by another DAG)")
        if isinstance(literal, str):
            if literal in ("@once", "@continuous"):
                return Trigger("other", self.rel, line, literal)
            return Trigger("schedule", self.rel, line, literal)
        called = self.name(value.func).rsplit(".", 1)[-1] if isinstance(value, ast.Call) else ""
        if isinstance(value, (ast.List, ast.Tuple)) or called in ("Dataset", "Asset"):
            return Trigger("upstream", self.rel, line, "datasets: " + pyast.source_text(value))
        return Trigger("schedule", self.rel, line, pyast.source_text(value))

    def _owner(self, dags: list[tuple[Job, range, str]], node: ast.AST) -> Job:
        """The DAG a task belongs to: the `with`/@dag body holding it, its `dag=` variable, else the first DAG."""
        inside = [(len(span), job) for job, span, _ in dags if node.lineno in span]
        if inside:
            return min(inside, key=lambda pair: pair[0])[1]
        keyword = pyast.keyword(node, "dag") if isinstance(node, ast.Call) else None
        if keyword is not None and isinstance(keyword.value, ast.Name):
            for job, _, var in dags:
                if var == keyword.value.id:
                    return job
        return dags[0][0]

    def _operator_steps(self, call: ast.Call, operator: str) -> list[Step]:
        task_id = pyast.literal(pyast.keyword(call, "task_id").value) if pyast.keyword(call, "task_id") else None
        name = f"{task_id if isinstance(task_id, str) else ''} ({operator})".strip()
        strings = {k.arg: pyast.literal(k.value) for k in call.keywords if k.arg}
        lines = {k.arg: k.value.lineno for k in call.keywords if k.arg}
        command_key = next((k for k in ("bash_command", "command") if isinstance(strings.get(k), str)), None)
        image = strings.get("image") if isinstance(strings.get("image"), str) else ""
        if command_key:
            return [Step(text, self.rel, line, name=name, image=image)
                    for line, text in logical_lines(strings[command_key], lines[command_key])]
        words = [str(w) for key in ("cmds", "arguments", "command") if isinstance(strings.get(key), list) for w in strings[key]]
        if words:
            return [Step(" ".join(words), self.rel, call.lineno, name=name, image=image)]
        if isinstance(strings.get("application"), str):
            return [Step(f"spark-submit {strings['application']}", self.rel, lines["application"], name=name)]
        notebook = strings.get("input_nb")
        if isinstance(notebook, str):
            found = next((c for c in (join("", notebook), join(posixpath.dirname(self.rel), notebook)) if self.source.has(c)), None)
            return [Step("", self.rel, lines["input_nb"], name=name, file=found or self.rel)]
        return [Step("", self.rel, call.lineno, name=name, file=self.rel)]

    def _task_function_steps(self, function: ast.FunctionDef | ast.AsyncFunctionDef, qualified: str) -> list[Step]:
        if qualified.endswith("task.bash"):
            returned = [n.value for n in ast.walk(function) if isinstance(n, ast.Return) and n.value is not None]
            text = pyast.literal(returned[0]) if returned else None
            if isinstance(text, str):
                return [Step(t, self.rel, ln, name=function.name) for ln, t in logical_lines(text, returned[0].lineno)]
        return [Step("", self.rel, function.lineno, name=function.name, file=self.rel)]

    # --- SDK schedule calls ----------------------------------------------------------------------

    def schedule_calls(self) -> list[Job]:
        decorated = {id(d): f.name for f in self.functions.values() for d in f.decorator_list if isinstance(d, ast.Call)}
        jobs = []
        for call in self.calls:
            qualified = self.name(call.func)
            if qualified == "prefect.serve":
                continue  # serve(d1, d2) only runs deployments built by the calls it is given
            for rule in SCHEDULE_CALLS:
                if (qualified == rule.suffix or qualified.endswith("." + rule.suffix)) and rule.needs in self.roots:
                    job = self._schedule_job(call, rule, decorated.get(id(call), ""))
                    if job:
                        jobs.append(job)
                    break
        return jobs

    def _schedule_job(self, call: ast.Call, rule: ScheduleCall, target_name: str = "") -> Job | None:
        keyword = next((k for k in call.keywords if k.arg in rule.kwargs), None)
        value = keyword.value if keyword else None
        if value is None and rule.system == "apscheduler":  # add_job(func, "cron", hour=2) / @scheduled_job("cron", ...)
            position = 0 if target_name else 1
            value = call.args[position] if len(call.args) > position else None
            if not target_name and call.args and isinstance(call.args[0], ast.Name):
                target_name = call.args[0].id
        disabled = any(pyast.literal(k.value) == v for k, v in ((pyast.keyword(call, n), v) for n, v in DISABLING_KWARGS.items()) if k)
        if value is None:
            if not rule.unscheduled:
                return None
            trigger = Trigger("manual", self.rel, call.lineno, rule.unscheduled)
        else:
            literal = pyast.literal(value)
            detail = literal if isinstance(literal, str) else pyast.source_text(value)
            if rule.system == "apscheduler":
                extras = [f"{k.arg}={pyast.source_text(k.value)}" for k in call.keywords if k.arg not in ("id", "name", "trigger")]
                detail = " ".join([detail] + extras)[:pyast.MAX_DETAIL]
            trigger = Trigger("schedule", self.rel, value.lineno, f"{keyword.arg}: {detail}" if keyword else detail, disabled=disabled)
        name = (target_name if rule.system == "apscheduler" and target_name else "") or self._job_name(call, rule)
        job = Job(rule.system, name, self.rel, call.lineno, [trigger])
        if rule.system == "aws-cdk":
            targets = [pyast.source_text(pyast.keyword(call, "targets").value)] if pyast.keyword(call, "targets") else []
            targets += [pyast.source_text(arg) for arg in self._added_targets(call)]
            job.detail = f"target: {', '.join(targets)}" if targets else "target not declared here"
        else:
            job.steps.append(Step("", self.rel, call.lineno, name=name, file=self._flow_file(call, rule)))
        return job

    def _added_targets(self, call: ast.Call) -> list[ast.AST]:
        """Arguments of `rule.add_target(...)` calls on the variable this call is assigned to."""
        variable = self.assigned.get(id(call))
        targets = []
        for other in self.calls:
            func = other.func
            if variable and isinstance(func, ast.Attribute) and func.attr == "add_target" and pyast.qualified(func.value, {}) == variable:
                given = other.args[0] if other.args else pyast.keyword(other, "target")
                targets.append(given.value if isinstance(given, ast.keyword) else given)
        return [t for t in targets if t is not None]

    def _job_name(self, call: ast.Call, rule: ScheduleCall) -> str:
        for key in ("name", "display_name", "job_name", "id", "rule_name"):
            keyword = pyast.keyword(call, key)
            value = pyast.string_value(keyword.value) if keyword else ""
            if value:
                return value
        if rule.system == "aws-cdk" and len(call.args) > 1 and pyast.string_value(call.args[1]):
            return pyast.string_value(call.args[1])  # construct id
        if isinstance(call.func, ast.Attribute) and isinstance(call.func.value, ast.Name):
            return call.func.value.id
        return rule.suffix

    def _flow_file(self, call: ast.Call, rule: ScheduleCall) -> str:
        """The file that holds the scheduled code: an entrypoint/package path, an imported flow's module, or this file."""
        chained = call.func.value if isinstance(call.func, ast.Attribute) and isinstance(call.func.value, ast.Call) else None
        for holder in filter(None, (call, chained)):  # flow.from_source(entrypoint=...).deploy(...)
            for key in ("entrypoint", "pipeline_package_path", "template_path"):
                keyword = pyast.keyword(holder, key)
                value = pyast.literal(keyword.value) if keyword else None
                if isinstance(value, str):
                    candidate = join("", value.split(":")[0])
                    if self.source.has(candidate):
                        return candidate
        flow = call.func.value if isinstance(call.func, ast.Attribute) else None
        if rule.suffix == "build_from_flow":
            keyword = pyast.keyword(call, "flow")
            flow = keyword.value if keyword else (call.args[0] if call.args else None)
        if isinstance(flow, ast.Name) and flow.id not in self.functions and flow.id in self.aliases:
            module = self.aliases[flow.id].rsplit(".", 1)[0]
            for candidate in (module.replace(".", "/") + ".py", "src/" + module.replace(".", "/") + ".py"):
                if self.source.has(candidate):
                    return candidate
        return self.rel

"""What the audit understands about a repository, one general rule per row: a positive case and its near miss.

Each row builds a small repository (on top of tests.audit_support.BASE, a module that trains a model), audits
it and checks one status. The near miss differs from the positive case only in what the rule is about (a
comment instead of code, an unused import, a plan instead of a description, ...), so a rule that matches
text instead of meaning fails one of the two.
"""

from __future__ import annotations

import pytest

from tests.audit_support import build
from mlproof.rubric.audit import run_audit

# (id, files, check, expected status)
ROWS: list[tuple[str, dict[str, str], str, str]] = [
    # aliases and from-imports resolve to the qualified call
    ("alias call", {"src/t.py": "from google.cloud import aiplatform as vai\nvai.init(experiment='e')\nvai.start_run('r1')\nvai.log_metrics({'acc': 0.9})\n"},
     "dev.experiment_tracking", "pass"),
    ("alias call in a docstring", {"src/t.py": '"""Example:\n    vai.start_run("r1")\n    vai.log_metrics({"acc": 0.9})\n"""\n'},
     "dev.experiment_tracking", "fail"),
    ("from-import call", {"src/t.py": "from mlflow import log_metric, start_run\n\nwith start_run():\n    log_metric('auc', 0.9)\n"},
     "dev.experiment_tracking", "pass"),
    ("from-import call commented out", {"src/t.py": "# from mlflow import log_metric\n# log_metric('auc', 0.9)\n"},
     "dev.experiment_tracking", "fail"),
    # an import that is never used is a mention
    ("used import", {"src/s.py": "import optuna\n\nstudy = optuna.create_study()\nstudy.optimize(lambda t: 0.0, n_trials=5)\n"}, "dev.hpo", "pass"),
    ("unused import", {"src/s.py": "import optuna\n\nprint('tuning later')\n"}, "dev.hpo", "fail"),
    # a dependency declaration alone is a mention
    ("declared and used", {"requirements.txt": "shap==0.45\n", "src/e.py": "import shap\nexplainer = shap.TreeExplainer(model)\n"}, "gov.explainability", "pass"),
    ("declared only", {"requirements.txt": "shap==0.45\n"}, "gov.explainability", "fail"),
    # code under `if False:` does nothing
    ("live code", {"src/d.py": "from scipy.stats import ks_2samp\nstat = ks_2samp(reference, current)\n"}, "monitor.data_drift", "pass"),
    ("dead code", {"src/d.py": "from scipy.stats import ks_2samp\nif False:\n    stat = ks_2samp(reference, current)\n"}, "monitor.data_drift", "fail"),
    # route decorators split over lines are still routes
    ("multi-line route", {"src/api.py": "from fastapi import APIRouter\nrouter = APIRouter()\n\n\n@router.post(\n    '/predict',\n    response_model=dict,\n)\ndef predict(body: dict):\n    return model.predict(body)\n"},
     "deploy.serving", "pass"),
    ("route that serves no model", {"src/api.py": "from fastapi import APIRouter\nrouter = APIRouter()\n\n\n@router.get(\n    '/health',\n)\ndef health():\n    return {'ok': True}\n"},
     "deploy.serving", "partial"),
    ("route whose handler predicts", {"src/app.py": "import joblib\nfrom flask import Flask\n\napp = Flask(\n    __name__,\n)\nMODEL = joblib.load('model.joblib')\n\n\n@app.route('/api/<scenario>/<identifier>', methods=['POST'])\ndef score(scenario, identifier):\n    return {'y': MODEL.predict([[1.0]]).tolist()}\n"},
     "deploy.serving", "pass"),
]


@pytest.mark.parametrize("files, check_id, expected", [row[1:] for row in ROWS], ids=[row[0] for row in ROWS])
def test_rule(tmp_path, files, check_id, expected):
    result = run_audit(build(tmp_path, files)).check(check_id)
    assert result.status == expected, result.why
    if expected in ("pass", "partial"):
        assert any(e.path in files and e.statement in (None, "affirm") for e in result.evidence), result.evidence

"""Benchmark: `mlproof audit` on a generated 20,000-file repository vs ripgrep.

The peer is ripgrep searching the very same content patterns (the catalog's
`re` signals) over the same tree in the same run. mlproof does more than the
peer (path signals, secret scanning, notebook parsing, grading), so the ratio
is conservative. Usage: python scripts/bench/bench_audit.py [--files N] [--runs R]
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "mcp_server"))

from mlproof.rubric.audit import run_audit  # noqa: E402
from mlproof.rubric.engine import signal_table  # noqa: E402

WORDS = "customer churn feature score tenure charges label split batch epoch metric weight layer loss vector frame column".split()

PY_TEMPLATES = [
    "import numpy as np\nimport pandas as pd\n\n\ndef {f}(frame: pd.DataFrame) -> pd.DataFrame:\n    \"\"\"Compute {w1} {w2} for each row.\"\"\"\n    frame = frame.copy()\n    frame['{w1}_{w2}'] = frame['{w1}'] * {n}\n    return frame\n",
    "from sklearn.ensemble import RandomForestClassifier\n\n\ndef train_{f}(x, y, seed={n}):\n    model = RandomForestClassifier(n_estimators={n}, random_state=seed)\n    model.fit(x, y)\n    return model\n",
    "import mlflow\n\n\ndef log_{f}(metrics: dict) -> None:\n    with mlflow.start_run():\n        for name, value in metrics.items():\n            mlflow.log_metric(name, value)\n",
    "class {c}:\n    def __init__(self, {w1}, {w2}):\n        self.{w1} = {w1}\n        self.{w2} = {w2}\n\n    def {f}(self):\n        return self.{w1} + self.{w2}  # {w1} plus {w2}\n",
    "import logging\n\nlog = logging.getLogger(__name__)\n\n\ndef {f}(items):\n    total = 0\n    for item in items:\n        total += len(item)\n        log.debug('%s %s', item, total)\n    return total\n",
]
MD_TEMPLATE = "# {c}\n\nThis module handles the {w1} and {w2} steps of the pipeline. See the design notes.\n\n## Usage\n\n```bash\npython -m {f}\n```\n"
YAML_TEMPLATE = "{w1}:\n  {w2}: {n}\n  enabled: true\nmodel:\n  learning_rate: 0.0{n}\n  layers: [{n}, {n}]\n"
TEST_TEMPLATE = "from pkg.{f} import {f}\n\n\ndef test_{f}():\n    assert {f} is not None\n"


def generate(root: Path, files: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    (root / ".github" / "workflows").mkdir(parents=True)
    (root / ".github" / "workflows" / "ci.yml").write_text("on: [push]\njobs:\n  t:\n    runs-on: ubuntu-latest\n    steps:\n      - run: pytest\n")
    (root / "requirements.txt").write_text("numpy==1.26.4\npandas==2.2.0\nscikit-learn==1.4.2\nmlflow==2.12.1\n")
    (root / "Dockerfile").write_text("FROM python:3.11-slim\nCOPY . /app\n")
    for index in range(files):
        package = root / f"pkg{index // 400:03d}"
        package.mkdir(exist_ok=True)
        fill = {"f": f"step_{index}", "c": f"Step{index}", "w1": rng.choice(WORDS), "w2": rng.choice(WORDS), "n": rng.randint(1, 99)}
        roll = rng.random()
        if roll < 0.70:
            body = "\n\n".join(rng.choice(PY_TEMPLATES).format(**fill) for _ in range(rng.randint(2, 8)))
            (package / f"module_{index}.py").write_text(body)
        elif roll < 0.80:
            (package / f"test_module_{index}.py").write_text(TEST_TEMPLATE.format(**fill))
        elif roll < 0.92:
            (package / f"README_{index}.md").write_text(MD_TEMPLATE.format(**fill))
        else:
            (package / f"config_{index}.yaml").write_text(YAML_TEMPLATE.format(**fill))


def best_of(runs: int, action) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--files", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    rg = shutil.which("rg")
    if rg is None:
        print("bench_audit: ripgrep (rg) is not installed; run `make test-tools` (installs it as root).", file=sys.stderr)
        return 2

    workdir = Path(tempfile.mkdtemp(prefix="mlproof-bench-audit-"))
    try:
        repo = workdir / "repo"
        repo.mkdir()
        generate(repo, args.files)
        patterns = workdir / "patterns.txt"
        patterns.write_text("\n".join(signal_table().content_patterns()) + "\n")
        rg_cmd = [rg, "--count", "--hidden", "--no-messages", "-f", str(patterns), str(repo)]
        check = subprocess.run(rg_cmd, capture_output=True, text=True)
        if check.returncode not in (0, 1):
            print(f"bench_audit: ripgrep rejected the patterns: {check.stderr.strip()}", file=sys.stderr)
            return 2

        run_audit(repo)  # warm the page cache and the compiled catalog
        report = run_audit(repo)
        ours = best_of(args.runs, lambda: run_audit(repo))
        peer = best_of(args.runs, lambda: subprocess.run(rg_cmd, stdout=subprocess.DEVNULL, check=False))
        peer_1 = best_of(args.runs, lambda: subprocess.run([*rg_cmd[:1], "-j1", *rg_cmd[1:]], stdout=subprocess.DEVNULL, check=False))
        files = report.scan.files_read
        result = {
            "files_read": files,
            "patterns": len(signal_table().content_patterns()),
            "mlproof_seconds": round(ours, 3),
            "mlproof_files_per_second": round(files / ours),
            "ripgrep_seconds": round(peer, 3),
            "ripgrep_single_thread_seconds": round(peer_1, 3),
            "ratio_vs_ripgrep": round(ours / peer, 2),
            "ratio_vs_ripgrep_single_thread": round(ours / peer_1, 2),
            "target_ratio": 3.0,
        }
        out = ROOT / "bench-results"
        out.mkdir(exist_ok=True)
        (out / "bench_audit.json").write_text(json.dumps(result, indent=2))
        print(f"mlproof audit: {files} files in {ours:.2f} s ({result['mlproof_files_per_second']} files/s)")
        print(f"ripgrep, same {result['patterns']} patterns: {peer:.2f} s (default threads), {peer_1:.2f} s (-j1)")
        print(f"ratio mlproof/ripgrep: {result['ratio_vs_ripgrep']}x (target <= 3x); vs single-thread rg: {result['ratio_vs_ripgrep_single_thread']}x")
        return 0
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

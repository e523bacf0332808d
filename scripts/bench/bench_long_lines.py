"""Benchmark: `mlproof audit` on single-line files of 1 MB and 2 MB vs ripgrep on the same files.

A minified bundle or a one-line JSON dump is a few megabytes on one line; a catalog pattern
like `assert.*accuracy` tried at every `assert` of such a line used to take time growing with
the square of its length (100 KB: 44 s). The peer is ripgrep with the catalog's content
patterns on the same file in the same run; the ratio shows what a linear-time scan costs
against a DFA engine. Also reported: `redact` on the same lines, and the growth factor from
1 MB to 2 MB (about 2 means linear). Usage: python scripts/bench/bench_long_lines.py [--runs R]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "mcp_server"))

from bench_audit import best_of  # noqa: E402 - the same timing rule as the audit benchmark
from mlproof.repo.redact import redact  # noqa: E402
from mlproof.rubric.audit import run_audit  # noqa: E402
from mlproof.rubric.engine import signal_table  # noqa: E402

SIZES = (1_000_000, 2_000_000)
# What one long line is made of: a minified bundle, the worst case of the old patterns, and a line of credentials.
SHAPES = {
    "minified": ("js", "var a=require('x');function f(b){return b.map(function(c){return c+1})};if(a){log.info(b)}"),
    "assert-heavy": ("py", "assert x "),
    "log-heavy": ("py", "log.info( "),
    "secret-soup": ("yaml", "password=hunter2 token: abc https://u:p@h/ Bearer Zm9vYmFy1 --token x "),
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()
    rg = shutil.which("rg")
    if rg is None:
        print("bench_long_lines: ripgrep (rg) is not installed; run `make test-tools` (installs it as root).", file=sys.stderr)
        return 2
    workdir = Path(tempfile.mkdtemp(prefix="mlproof-bench-lines-"))
    results = []
    try:
        patterns = workdir / "patterns.txt"
        patterns.write_text("\n".join(signal_table().content_patterns()) + "\n")
        for name, (suffix, unit) in SHAPES.items():
            row = {"shape": name}
            for size in SIZES:
                repo = workdir / f"{name}-{size}"
                repo.mkdir()
                line = (unit * (size // len(unit) + 1))[:size]
                (repo / f"bundle.{suffix}").write_text(line + "\n")
                audit = lambda: run_audit(repo, max_bytes=4 * 1024 * 1024)  # noqa: E731
                ours = best_of(args.runs, audit)
                assert audit().scan.files_read == 1
                peer = best_of(args.runs, lambda: subprocess.run([rg, "--count", "--no-messages", "-f", str(patterns), str(repo)],
                                                                stdout=subprocess.DEVNULL, check=False))
                masking = best_of(args.runs, lambda: redact(line))
                mb = size // 1_000_000
                row.update({f"audit_{mb}mb_s": round(ours, 3), f"ripgrep_{mb}mb_s": round(peer, 3),
                            f"ratio_{mb}mb": round(ours / peer, 1), f"redact_{mb}mb_s": round(masking, 3)})
            row["growth_1mb_to_2mb"] = round(row["audit_2mb_s"] / row["audit_1mb_s"], 2)
            results.append(row)
            print(f"{name:13} audit 1 MB {row['audit_1mb_s']:.2f} s, 2 MB {row['audit_2mb_s']:.2f} s (x{row['growth_1mb_to_2mb']}); "
                  f"ripgrep {row['ripgrep_1mb_s']:.3f} / {row['ripgrep_2mb_s']:.3f} s; ratio {row['ratio_1mb']} / {row['ratio_2mb']}; "
                  f"redact {row['redact_1mb_s']:.2f} / {row['redact_2mb_s']:.2f} s")
        out = ROOT / "bench-results"
        out.mkdir(exist_ok=True)
        (out / "bench_long_lines.json").write_text(json.dumps(results, indent=2))
        return 0
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

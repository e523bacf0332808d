"""File listing and reading: git-aware, .gitignore, skips counted, bad input as one sentence."""

from __future__ import annotations

import os
import subprocess

import pytest

from mlproof.errors import MlproofError
from mlproof.repo.walk import list_files
from mlproof.rubric.audit import run_audit


def write(root, rel, text="x = 1\n", mode="w"):
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if mode == "wb":
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def git(root, *args):
    subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True,
                   env={**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t"})


def test_git_repository_lists_tracked_and_untracked_but_not_ignored(tmp_path):
    write(tmp_path, ".gitignore", "secret_data/\n*.log\n")
    write(tmp_path, "tracked.py")
    write(tmp_path, "untracked.py")
    write(tmp_path, "secret_data/raw.py")
    write(tmp_path, "run.log", "log\n")
    git(tmp_path, "init", "-q")
    git(tmp_path, "add", "tracked.py", ".gitignore")
    git(tmp_path, "commit", "-q", "-m", "init")
    inventory = list_files(tmp_path)
    assert inventory.source == "git"
    names = {f.rel for f in inventory.files}
    assert {"tracked.py", "untracked.py", ".gitignore"} <= names
    assert "secret_data/raw.py" not in names and "run.log" not in names


def test_plain_walk_honours_gitignore_and_skips_vendored_folders(tmp_path):
    write(tmp_path, ".gitignore", "/build_out/\n*.tmp\n!keep.tmp\ndata/**/cache\n")
    write(tmp_path, "src/a.py")
    write(tmp_path, "build_out/gen.py")
    write(tmp_path, "x.tmp")
    write(tmp_path, "keep.tmp")
    write(tmp_path, "data/v1/cache", "c\n")
    write(tmp_path, ".venv/lib/site.py")
    write(tmp_path, "node_modules/pkg/index.js")
    inventory = list_files(tmp_path)
    assert inventory.source == "walk"
    names = {f.rel for f in inventory.files}
    assert names == {".gitignore", "src/a.py", "keep.tmp"}
    assert inventory.skipped["vendored or generated folder"] == 2
    assert inventory.skipped["ignored by .gitignore"] == 3


def test_binaries_large_and_non_utf8_files_are_skipped_and_counted(tmp_path):
    write(tmp_path, "train.py", "import mlflow\nmlflow.log_metric('a', 1)\n")
    write(tmp_path, "model.pkl", b"\x80\x04binary", mode="wb")
    write(tmp_path, "blob.py", b"import x\x00\x01", mode="wb")
    write(tmp_path, "latin.py", "café = 1\n".encode("latin-1"), mode="wb")
    write(tmp_path, "big.py", "x = 1\n" * 400_000)
    report = run_audit(tmp_path, max_bytes=1024 * 1024)
    skipped = report.scan.skipped
    assert skipped["binary file"] == 2  # by extension (model.pkl) and by content (blob.py)
    assert skipped["not UTF-8 text"] == 1
    assert skipped["larger than 1 MiB"] == 1
    assert report.check("dev.experiment_tracking").status == "pass"


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symlinks")
def test_symlinks_outside_root_and_loops_are_never_followed(tmp_path):
    outside = tmp_path / "outside"
    write(outside, "leak.py", "import mlflow\nmlflow.log_metric('x', 1)\n")
    root = tmp_path / "repo"
    write(root, "ok.py")
    (root / "escape.py").symlink_to(outside / "leak.py")
    (root / "escape_dir").symlink_to(outside, target_is_directory=True)
    (root / "loop_a").symlink_to(root / "loop_b")
    (root / "loop_b").symlink_to(root / "loop_a")
    (root / "inside.py").symlink_to(root / "ok.py")
    report = run_audit(root)
    skipped = report.scan.skipped
    assert skipped["symlink pointing outside the scanned folder (not followed)"] == 1
    assert skipped["symlinked folder (not followed)"] == 1
    assert skipped["broken or looping symlink"] == 2
    assert report.check("dev.experiment_tracking").status != "pass"  # the outside file was not read


@pytest.mark.parametrize(("make", "message"), [
    (lambda p: p / "missing", "does not exist"),
    (lambda p: write(p, "file.py"), "is a file, not a folder"),
])
def test_bad_paths_raise_one_sentence(tmp_path, make, message):
    with pytest.raises(MlproofError) as err:
        run_audit(make(tmp_path))
    assert message in str(err.value) and "\n" not in str(err.value)


@pytest.mark.skipif(os.geteuid() == 0, reason="root can read every file")
def test_unreadable_file_is_counted(tmp_path):
    path = write(tmp_path, "secret.py")
    path.chmod(0)
    try:
        assert run_audit(tmp_path).scan.skipped["unreadable file"] == 1
    finally:
        path.chmod(0o644)


def test_unknown_pillar_is_rejected(tmp_path):
    with pytest.raises(MlproofError, match="Unknown pillar"):
        run_audit(tmp_path, only="security")


def test_audit_never_writes_into_the_repository(tmp_path):
    write(tmp_path, "train.py", "model.fit(x, y)\n")
    before = sorted((p.relative_to(tmp_path), p.stat().st_mtime_ns) for p in tmp_path.rglob("*"))
    run_audit(tmp_path)
    after = sorted((p.relative_to(tmp_path), p.stat().st_mtime_ns) for p in tmp_path.rglob("*"))
    assert before == after


def test_progress_callback_reaches_the_total(tmp_path):
    for i in range(30):
        write(tmp_path, f"m{i}.py")
    calls = []
    run_audit(tmp_path, progress=lambda done, total: calls.append((done, total)))
    assert calls and calls[-1] == (30, 30)
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)


def test_parallel_scan_gives_the_same_report_as_a_serial_scan(tmp_path, monkeypatch):
    from mlproof.rubric import engine

    for i in range(60):
        write(tmp_path, f"pkg/m{i}.py", f"import mlflow\nmlflow.log_metric('m{i}', {i})\nnp.random.seed({i})\n")
    write(tmp_path, "README.md", "Uses DVC for data.\n")
    write(tmp_path, "bad.py", b"\xff\xfe", mode="wb")
    serial = run_audit(tmp_path)
    monkeypatch.setattr(engine, "PARALLEL_MIN_FILES", 10)
    monkeypatch.setenv("MLPROOF_SCAN_WORKERS", "2")
    # servers other test modules share for the session (daemon threads) would send the engine to its
    # serial path, which is right for the MCP server but not what this test is about
    monkeypatch.setattr(engine.threading, "active_count", lambda: 1)
    used = []
    real = engine._scan_parallel
    monkeypatch.setattr(engine, "_scan_parallel", lambda *a: used.append(real(*a)) or used[-1])
    calls = []
    parallel = run_audit(tmp_path, progress=lambda d, t: calls.append((d, t)))
    assert used == [True], "the parallel path must have run"
    assert parallel.model_dump(exclude={"scan"}) == serial.model_dump(exclude={"scan"})
    assert parallel.scan.skipped == serial.scan.skipped == {"not UTF-8 text": 1}
    assert parallel.scan.files_read == serial.scan.files_read == 61
    assert calls[-1] == (62, 62)


def test_stopping_for_saturated_signals_leaves_the_report_unchanged(tmp_path, monkeypatch):
    from mlproof.rubric import engine

    # 80 files repeat the same practices (far past the evidence kept per bucket); late files also
    # mention them in comments and docstrings, and one late file holds the only rollback code.
    for i in range(80):
        body = f"import mlflow\nmlflow.log_metric('m{i}', {i})\nnp.random.seed({i})\n"
        if i > 50:
            body += "# mlflow.log_metric('old', 0) kept for reference\n\"\"\"np.random.seed(1) in prose\"\"\"\n"
        write(tmp_path, f"pkg/m{i}.py", body)
    write(tmp_path, "pkg/y_only_mentions.py", "# we used mlflow.log_metric( here once\nx = 1\n")
    write(tmp_path, "pkg/z_rollback.py", "def rollback_model(client):\n    client.set_registered_model_alias('m', 'champion', '1')\n")
    write(tmp_path, "docs/notes.md", "We call mlflow.log_metric( and np.random.seed( everywhere.\n")

    stopped = engine.scan(list_files(tmp_path))
    assert any(stopped.exhausted.values()), "the repeated signals must have saturated"
    monkeypatch.setattr(engine, "_possible_buckets", lambda signal, kind: None)  # never stop looking
    engine._TABLE = None  # rebuild the table with the patched rule
    try:
        full = engine.scan(list_files(tmp_path))
        assert not any(full.exhausted.values())
        exhaustive_report = run_audit(tmp_path)
    finally:
        engine._TABLE = None
        monkeypatch.undo()
    assert run_audit(tmp_path).model_dump(exclude={"generated_at"}) == exhaustive_report.model_dump(exclude={"generated_at"})
    # What the early stop leaves out is only mentions (comments) of practices whose full-strength evidence is full.
    kept = {h for hits in stopped.hits.values() for h in hits}
    every = {h for hits in full.hits.values() for h in hits}
    assert kept <= every
    assert {(h.path, h.context, h.level) for h in every - kept} == {("pkg/y_only_mentions.py", "comment", "partial")}

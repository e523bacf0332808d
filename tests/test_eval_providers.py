"""The tool-use loop end to end: real HTTP (a scripted LLM on 127.0.0.1), real MCP server in-process, real drift engine."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from mlproof.errors import MlproofError
from mlproof.evals.providers import make_provider
from mlproof.evals.runner import run_eval
from mlproof.evals.scenarios import FIXTURES_DIR, load_scenarios
from tests.eval_fake_llm import ScriptedLLM

FRAUD = FIXTURES_DIR / "fraud-feast"
SKILL_MARKER = "SKILL-TEXT-MARKER-7f3a"


@pytest.fixture
def skills_dir(tmp_path: Path) -> Path:
    """A skill directory with a recognizable SKILL.md, to see the skill text reach the model."""
    skill = tmp_path / "skills" / "mlops-drift"
    skill.mkdir(parents=True)
    (skill / "SKILL.md").write_text(f"---\nname: mlops-drift\n---\n{SKILL_MARKER}: call drift_report first.\n")
    return tmp_path / "skills"


def drift_args() -> dict:
    return {"reference": str(FRAUD / "data/transactions_reference.csv"), "current": str(FRAUD / "data/transactions_current.csv")}


def run(provider_name: str, llm: ScriptedLLM, skills_dir: Path, conditions: list[str], monkeypatch):
    env = {"anthropic": ("ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL", llm.url),
           "openai": ("OPENAI_API_KEY", "OPENAI_BASE_URL", llm.url + "/v1")}[provider_name]
    monkeypatch.setenv(env[0], "test-key-123")
    monkeypatch.setenv(env[1], env[2])
    provider = make_provider(provider_name, model="scripted-model")
    scenarios = load_scenarios(pattern="drift-fraud-transactions")

    async def go():
        try:
            return await run_eval(scenarios, conditions, provider, skills_dir=skills_dir, resamples=200)
        finally:
            await provider.aclose()

    return asyncio.run(go())


@pytest.mark.parametrize("provider_name", ["anthropic", "openai"])
def test_tool_use_loop_end_to_end(provider_name, skills_dir, monkeypatch):
    with ScriptedLLM(drift_args()) as llm:
        result = run(provider_name, llm, skills_dir, ["baseline", "skill+tools"], monkeypatch)

    baseline, tools = (next(e for e in result.episodes if e.condition == c) for c in ("baseline", "skill+tools"))
    # skill+tools: the model asked for drift_report, mlproof's real MCP server ran the drift engine,
    # the model answered from the result; two requests, one tool call, answer graded as passing.
    assert [c.name for c in tools.transcript.tool_calls] == ["drift_report"]
    call = tools.transcript.tool_calls[0]
    assert not call.is_error, call.result[:300]
    assert '"merchant_category"' in call.result and '"statistic"' in call.result
    assert tools.transcript.turns == 2
    assert tools.transcript.usage.output_tokens == 100
    assert tools.passed, [a for a in tools.assertions if not a.passed]
    # baseline: no tools offered, no skill text, the generic answer fails the grounded assertions.
    assert baseline.transcript.tool_calls == []
    assert not baseline.passed
    failed = {a.type for a in baseline.assertions if not a.passed}
    assert {"drift_agrees", "numbers_match"} <= failed

    bodies = [r["body"] for r in llm.requests]
    assert len(bodies) == 3
    first_baseline, first_tools = bodies[0], bodies[1]
    assert "tools" not in first_baseline
    offered = {t["name"] if provider_name == "anthropic" else t["function"]["name"] for t in first_tools["tools"]}
    assert "drift_report" in offered and "best_run" in offered
    if provider_name == "anthropic":
        assert all(r["path"] == "/v1/messages" for r in llm.requests)
        assert all(r["headers"]["x-api-key"] == "test-key-123" for r in llm.requests)
        assert all(r["headers"]["anthropic-version"] == "2023-06-01" for r in llm.requests)
        assert SKILL_MARKER in first_tools["system"] and SKILL_MARKER not in first_baseline["system"]
        schema = next(t for t in first_tools["tools"] if t["name"] == "drift_report")["input_schema"]
        final_blocks = bodies[2]["messages"][-1]["content"]
        assert final_blocks[0]["type"] == "tool_result" and final_blocks[0]["tool_use_id"] == "toolu_1"
    else:
        assert all(r["path"] == "/v1/chat/completions" for r in llm.requests)
        assert all(r["headers"]["authorization"] == "Bearer test-key-123" for r in llm.requests)
        assert SKILL_MARKER in first_tools["messages"][0]["content"]
        schema = next(t for t in first_tools["tools"] if t["function"]["name"] == "drift_report")["function"]["parameters"]
        tool_message = bodies[2]["messages"][-1]
        assert tool_message["role"] == "tool" and tool_message["tool_call_id"] == "call_1"
    assert {"reference", "current"} <= set(schema["properties"])


def test_tool_error_goes_back_to_the_model(skills_dir, monkeypatch):
    """A path outside the allowed roots is refused by the server; the model sees the error and the episode fails its grades."""
    with ScriptedLLM({"reference": "/etc/passwd", "current": "/etc/hosts"}) as llm:
        result = run("anthropic", llm, skills_dir, ["skill+tools"], monkeypatch)
        result_blocks = [b for r in llm.requests for m in r["body"]["messages"] if isinstance(m["content"], list)
                         for b in m["content"] if b.get("type") == "tool_result"]
    assert result_blocks and result_blocks[0]["is_error"] is True
    episode = result.episodes[0]
    assert episode.transcript.tool_calls[0].is_error
    assert "refused" in episode.transcript.answer
    assert not episode.passed


def test_missing_key_is_one_clear_error(monkeypatch):
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(MlproofError, match="ANTHROPIC_API_KEY"):
        make_provider("anthropic")
    with pytest.raises(MlproofError, match="OPENAI_API_KEY"):
        make_provider("openai")


def test_rejected_key_stops_the_run(skills_dir, monkeypatch):
    """HTTP 401 from the provider is a one-sentence MlproofError, not a silent failed episode."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    import threading

    class Deny(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            self.rfile.read(int(self.headers.get("content-length", 0)))
            data = b'{"error": {"type": "authentication_error", "message": "invalid x-api-key"}}'
            self.send_response(401)
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Deny)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        monkeypatch.setenv("ANTHROPIC_API_KEY", "wrong")
        monkeypatch.setenv("ANTHROPIC_BASE_URL", f"http://127.0.0.1:{server.server_address[1]}")
        provider = make_provider("anthropic")
        scenarios = load_scenarios(pattern="open-accuracy-decay")
        with pytest.raises(MlproofError, match=r"rejected the API key \(HTTP 401: invalid x-api-key\)"):
            asyncio.run(run_eval(scenarios, ["baseline"], provider, skills_dir=skills_dir))
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_model_graded_rubric_through_the_same_provider(skills_dir, monkeypatch):
    """--judge: each rubric criterion becomes an assertion with the judge's verdict and reason."""
    with ScriptedLLM(drift_args()) as llm:
        monkeypatch.setenv("ANTHROPIC_API_KEY", "test-key-123")
        monkeypatch.setenv("ANTHROPIC_BASE_URL", llm.url)
        provider = make_provider("anthropic", model="scripted-model")
        judge_provider = make_provider("anthropic", model="scripted-judge")
        scenarios = load_scenarios(pattern="drift-fraud-transactions")

        async def go():
            try:
                return await run_eval(scenarios, ["skill+tools"], provider, judge_provider=judge_provider,
                                      skills_dir=skills_dir, resamples=100)
            finally:
                await provider.aclose()
                await judge_provider.aclose()

        result = asyncio.run(go())
    rubric = [a for a in result.episodes[0].assertions if a.type == "rubric"]
    assert len(rubric) == len(scenarios[0].rubric) == 3
    assert [a.passed for a in rubric] == [True, False, False]
    assert "names the drifted columns" in rubric[0].why and "scripted-judge" in rubric[0].why
    assert "did not grade this criterion" in rubric[2].why
    assert not result.episodes[0].passed  # a failed rubric criterion fails the episode
    assert result.judge == "scripted-judge"


def test_parse_verdicts_ignores_malformed_items():
    from mlproof.evals.judge import parse_verdicts

    text = 'ok {"criteria": [{"id": 1, "pass": true, "why": "a"}, {"id": 2, "pass": "yes"}, {"id": 9, "pass": false}]}'
    assert parse_verdicts(text, 3) == {1: (True, "a")}
    assert parse_verdicts("no json at all", 2) == {}

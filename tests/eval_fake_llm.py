"""A tiny scripted LLM server on 127.0.0.1 speaking the Anthropic Messages and OpenAI chat formats.

It is a real HTTP server (in a thread), so the providers' httpx code, headers
and JSON shapes are exercised for real. The script: when tools are offered and
no tool result has come back yet, ask for `drift_report` on the fixture's two
datasets; once the tool result arrives, answer with the statistics read from it
(so the answer's numbers come from the real tool). Without tools it answers
with a fixed generic text. Every request is recorded for assertions.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

GENERIC_ANSWER = "## Verdict\nI cannot inspect the files, but drift is common; check PSI above 0.2.\n"


def answer_from_drift(result_text: str, is_error: bool = False) -> str:
    """Write the final answer from the drift tool's JSON, the way a careful model would."""
    if is_error or result_text.startswith("ERROR: "):
        return f"## Verdict\nThe drift tool refused the request: {result_text}\n"
    report = json.loads(result_text)
    lines = ["## Verdict", report["verdict"], "", "## Evidence", ""]
    for col in report["columns"]:
        state = "drifted" if col["drifted"] else "stable"
        lines.append(f"- {col['column']}: {col['method']} statistic {col['statistic']:.4f} "
                     f"(threshold {col['threshold']}) — {state}")
    lines += ["", "## Next steps", "Review the upstream pipelines of the drifted columns."]
    return "\n".join(lines)


class ScriptedLLM:
    def __init__(self, tool_args: dict, tool_name: str = "drift_report"):
        self.tool_args = tool_args
        self.tool_name = tool_name
        self.requests: list[dict] = []  # {"path", "headers", "body"}
        handler = self._handler()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> "ScriptedLLM":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)

    # -- the two wire formats -------------------------------------------------
    def anthropic_reply(self, body: dict) -> dict:
        usage = {"input_tokens": 100 * len(body["messages"]), "output_tokens": 50}
        if "You grade answers" in body.get("system", ""):
            # Judge mode: pass criterion 1, fail criterion 2, wrapped in prose as real models do.
            verdicts = {"criteria": [{"id": 1, "pass": True, "why": "names the drifted columns"},
                                     {"id": 2, "pass": False, "why": "ignores the dataset-level verdict"}]}
            return {"id": "msg_j", "type": "message", "role": "assistant", "stop_reason": "end_turn", "usage": usage,
                    "content": [{"type": "text", "text": "Here is my grading:\n```json\n" + json.dumps(verdicts) + "\n```"}]}
        results = [b for m in body["messages"] if m["role"] == "user" and isinstance(m["content"], list)
                   for b in m["content"] if b.get("type") == "tool_result"]
        if body.get("tools") and not results:
            return {"id": "msg_1", "type": "message", "role": "assistant", "stop_reason": "tool_use", "usage": usage,
                    "content": [{"type": "text", "text": "Let me compute the drift."},
                                {"type": "tool_use", "id": "toolu_1", "name": self.tool_name, "input": self.tool_args}]}
        text = answer_from_drift(results[-1]["content"], results[-1].get("is_error", False)) if results else GENERIC_ANSWER
        return {"id": "msg_2", "type": "message", "role": "assistant", "stop_reason": "end_turn", "usage": usage,
                "content": [{"type": "text", "text": text}]}

    def openai_reply(self, body: dict) -> dict:
        usage = {"prompt_tokens": 100 * len(body["messages"]), "completion_tokens": 50}
        results = [m for m in body["messages"] if m["role"] == "tool"]
        if body.get("tools") and not results:
            message = {"role": "assistant", "content": None, "tool_calls": [
                {"id": "call_1", "type": "function",
                 "function": {"name": self.tool_name, "arguments": json.dumps(self.tool_args)}}]}
            return {"id": "c1", "object": "chat.completion", "usage": usage,
                    "choices": [{"index": 0, "finish_reason": "tool_calls", "message": message}]}
        text = answer_from_drift(results[-1]["content"]) if results else GENERIC_ANSWER
        return {"id": "c2", "object": "chat.completion", "usage": usage,
                "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": text}}]}

    def _handler(self):
        llm = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server API
                length = int(self.headers.get("content-length", 0))
                body = json.loads(self.rfile.read(length))
                llm.requests.append({"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()}, "body": body})
                if self.path == "/v1/messages":
                    reply, status = llm.anthropic_reply(body), 200
                elif self.path == "/v1/chat/completions":
                    reply, status = llm.openai_reply(body), 200
                else:
                    reply, status = {"error": {"message": f"no route {self.path}"}}, 404
                data = json.dumps(reply).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):  # keep pytest output clean
                pass

        return Handler

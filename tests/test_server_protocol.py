"""The MCP surface besides tools: resources, prompts, allowed roots, HTTP transport, cold start.

All through real clients: the SDK's ClientSession over a stdio subprocess, and
the SDK's streamable HTTP client against `mlproof serve --http`.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time

import anyio
import pytest
from mcp.shared.exceptions import MCPError

from mlproof import content
from tests.server_harness import REPO, assert_tool_error, mcp_session, server_env, structured

HEAVY_MODULES = ("mlflow", "pandas", "scipy", "pyarrow", "sklearn", "polars", "numpy")
PROMPTS = {"audit": {"path": "."}, "architect": {"requirements": "3 data scientists, batch scoring nightly"},
           "gate": {"claim": "the churn model is deployed"}, "drift_triage": {"reference": "ref.csv", "current": "cur.csv"}}


def test_resources_and_prompts():
    """One session: every resource listed and read, every prompt rendered."""

    async def scenario():
        async with mcp_session(cwd=REPO) as session:
            await every_skill_reference_command_and_check_is_listed_and_readable(session)
            await prompts_render_with_arguments_and_require_the_required_ones(session)

    anyio.run(scenario)


async def every_skill_reference_command_and_check_is_listed_and_readable(session):
    from mlproof.rubric.catalog import load_catalog

    listed = {str(r.uri): r for r in (await session.list_resources()).resources}
    templates = {t.uri_template for t in (await session.list_resource_templates()).resource_templates}
    assert {"mlproof://skills/{name}", "mlproof://references/{name}", "mlproof://checks/{check_id}"} <= templates

    for kind in ("skills", "references", "commands"):
        on_disk = {f"mlproof://{kind}/{doc.name}": doc for doc in content.documents(kind)}
        assert on_disk, f"the repository ships {kind}"
        assert set(on_disk) <= set(listed), f"every {kind[:-1]} is listed"
        for uri, doc in on_disk.items():
            read = await session.read_resource(uri)
            assert read.contents[0].text == doc.read(), uri
            assert read.contents[0].mime_type == "text/markdown"

    checks = load_catalog().checks
    check_uris = {uri for uri in listed if uri.startswith("mlproof://checks/")}
    assert check_uris == {f"mlproof://checks/{c.id}" for c in checks}
    for check in checks:
        text = (await session.read_resource(f"mlproof://checks/{check.id}")).contents[0].text
        assert check.id in text and check.title in text
    catalog = (await session.read_resource("mlproof://checks")).contents[0].text
    assert all(c.id in catalog for c in checks)

    for missing in ("mlproof://skills/no-such-skill", "mlproof://checks/NOPE-99", "mlproof://references/../README"):
        with pytest.raises(MCPError):
            await session.read_resource(missing)


async def prompts_render_with_arguments_and_require_the_required_ones(session):
    prompts = {p.name: p for p in (await session.list_prompts()).prompts}
    assert set(PROMPTS) <= set(prompts)
    for name, arguments in PROMPTS.items():
        prompt = prompts[name]
        assert prompt.description
        assert all(arg.description for arg in prompt.arguments), name
        rendered = await session.get_prompt(name, arguments)
        text = rendered.messages[0].content.text
        for value in arguments.values():
            assert value in text, f"{name} prompt uses its argument"
    tool_named = {"audit": "audit_repo", "gate": "gate_claim", "drift_triage": "drift_report"}
    for name, tool in tool_named.items():
        text = (await session.get_prompt(name, PROMPTS[name])).messages[0].content.text
        assert f"`{tool}`" in text, f"{name} tells the assistant which tool collects the evidence"
    with pytest.raises(MCPError):
        await session.get_prompt("gate", {})  # claim is required


def test_paths_are_limited_to_client_roots_allow_folders_and_cwd(tmp_path):
    project = tmp_path / "project"
    outside = tmp_path / "outside"
    project.mkdir()
    outside.mkdir()
    for folder in (project, outside):
        (folder / "data.csv").write_text("x\n" + "\n".join(str(i % 7) for i in range(50)) + "\n")
    (project / "escape.csv").symlink_to(outside / "data.csv")  # a link inside the root pointing out of it
    empty = tmp_path / "empty"
    empty.mkdir()

    async def drift(session, reference, current="data.csv"):
        return await session.call_tool("drift_report", {"reference": reference, "current": current})

    async def scenario():
        # The client announces `project` as its root; the server runs in an unrelated empty folder.
        async with mcp_session(cwd=empty, roots=[project]) as session:
            structured(await drift(session, "data.csv"))  # relative paths start at the client's root
            structured(await drift(session, str(project / "data.csv")))
            message = assert_tool_error(await drift(session, str(outside / "data.csv")), "outside the folders")
            assert str(project) in message and str(empty) in message, "the error names the allowed roots"
            assert_tool_error(await drift(session, "escape.csv"), "outside the folders")
            assert_tool_error(await drift(session, "../outside/data.csv"), "outside the folders")
        # Without client roots, only --allow folders and the working directory are readable.
        async with mcp_session(cwd=empty, allow=[outside]) as session:
            structured(await drift(session, str(outside / "data.csv"), str(outside / "data.csv")))
            assert_tool_error(await drift(session, str(project / "data.csv")), "outside the folders", str(outside))

    anyio.run(scenario)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"server exited early: {process.stderr.read()}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise AssertionError(f"server did not listen on {port} within {timeout_s} s")


def test_streamable_http_transport_serves_the_same_tools(tmp_path):
    from mcp import Client

    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "mlproof", "serve", "--http", f"127.0.0.1:{port}"],
        cwd=tmp_path, env=server_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        wait_for_port(port, process)

        async def scenario():
            async with Client(f"http://127.0.0.1:{port}/mcp") as client:
                names = {tool.name for tool in (await client.list_tools()).tools}
                assert {"audit_repo", "drift_report", "gate_claim"} <= names
                result = await client.call_tool("drift_report", {"reference": {"x": [1, 2, 3] * 30}, "current": {"x": [1, 2, 3] * 30}})
                assert not result.is_error and result.structured_content["dataset_drift"] is False
                assert_tool_error(await client.call_tool("drift_report", {"reference": "/etc/passwd", "current": "/etc/passwd"}),
                                  "outside the folders")

        anyio.run(scenario)
    finally:
        process.terminate()
        process.wait(timeout=20)
    assert process.stdout.read() == "", "nothing but the protocol may use stdout"


def test_listing_everything_imports_no_heavy_library():
    """initialize, tools/list, resources/list, prompts/list and a resource read stay light."""
    script = f"""
import json, sys, anyio
from mcp import Client
from mlproof.server import create_server

async def main():
    async with Client(create_server()) as client:
        await client.list_tools()
        await client.list_resources()
        await client.list_prompts()
        await client.read_resource("mlproof://checks")
    print(json.dumps([m for m in {HEAVY_MODULES!r} if m in sys.modules]))

anyio.run(main)
"""
    out = subprocess.run([sys.executable, "-c", script], cwd=REPO, env=server_env(), capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []

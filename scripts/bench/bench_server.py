"""Cold start of the mlproof MCP server against a minimal SDK server, same run.

Measures, for each server, the wall time from spawning the process to the
answers of `initialize` and `tools/list` over stdio, with the SDK's own client.
The peer is the smallest useful server: MCPServer with one tool. mlproof
registers 11 tools, resources and prompts but must not import mlflow, pandas,
scipy or pyarrow before a tool needs them; the target is a ratio within 1.5x.

Run: .venv/bin/python scripts/bench/bench_server.py [--rounds N]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import anyio
from mcp.client.session import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client

ROOT = Path(__file__).resolve().parents[2]
TARGET_RATIO = 1.5

MINIMAL_SERVER = '''
from mcp.server.mcpserver import MCPServer

server = MCPServer("minimal")

@server.tool()
def echo(text: str) -> str:
    """Return the text."""
    return text

server.run()
'''


async def time_cold_start(params: StdioServerParameters) -> tuple[float, float, int]:
    """Seconds to the initialize answer, seconds to the tools/list answer, number of tools."""
    start = time.perf_counter()
    with open(Path(tempfile.gettempdir()) / "bench_server.stderr.log", "a") as errlog:
        async with stdio_client(params, errlog=errlog) as (read, write):
            async with ClientSession(read, write) as session:
                await session.initialize()
                initialized = time.perf_counter() - start
                tools = await session.list_tools()
                listed = time.perf_counter() - start
    return initialized, listed, len(tools.tools)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7, help="cold starts per server (default 7)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        minimal_path = Path(tmp) / "minimal_server.py"
        minimal_path.write_text(MINIMAL_SERVER)
        servers = {
            "minimal SDK server": StdioServerParameters(command=sys.executable, args=[str(minimal_path)], cwd=tmp),
            "mlproof serve": StdioServerParameters(command=sys.executable, args=["-m", "mlproof", "serve"], cwd=str(ROOT)),
        }
        results: dict[str, list[tuple[float, float, int]]] = {name: [] for name in servers}
        anyio.run(time_cold_start, servers["mlproof serve"])  # warm the OS file cache once, not timed
        for _ in range(args.rounds):  # alternate so both see the same machine load
            for name, params in servers.items():
                results[name].append(anyio.run(time_cold_start, params))

    print(f"MCP cold start over stdio: spawn → initialize → tools/list, median of {args.rounds} rounds")
    medians = {}
    for name, runs in results.items():
        init = statistics.median(r[0] for r in runs)
        listed = statistics.median(r[1] for r in runs)
        medians[name] = listed
        print(f"  {name:20s} initialize {init * 1000:7.0f} ms   tools/list {listed * 1000:7.0f} ms   ({runs[0][2]} tools)")
    ratio = medians["mlproof serve"] / medians["minimal SDK server"]
    verdict = "within" if ratio <= TARGET_RATIO else "OVER"
    print(f"ratio mlproof / minimal = {ratio:.2f}x ({verdict} the {TARGET_RATIO}x target)")
    out = ROOT / "bench-results" / "server.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"rounds": args.rounds, "median_tools_list_s": medians, "ratio": ratio, "target": TARGET_RATIO}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())

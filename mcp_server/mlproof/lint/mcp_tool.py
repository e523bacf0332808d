"""The MCP tool `lint_files`: `mlproof lint` for MCP clients (read-only, paths inside the client's roots)."""

from typing import Annotated

from mcp.server.mcpserver import Context
from mcp_types import CallToolResult
from pydantic import Field

from mlproof.errors import MlproofError

MAX_PATHS = 200


def register(server) -> None:
    """Add lint_files to an MlproofServer (called from mlproof.server.create_server)."""
    from mlproof.lint.models import LintReport
    from mlproof.server import LOCAL_READ, guarded, run_sync, tool_result

    @server.tool(annotations=LOCAL_READ, title="Lint files for deprecated MLOps APIs")
    @guarded
    async def lint_files(
        ctx: Context,
        paths: Annotated[list[str], Field(min_length=1, max_length=MAX_PATHS,
                                          description="Files or folders inside the client's roots (Python, notebooks, YAML/TOML/JSON, shell, Markdown).")],
        ignore: Annotated[list[str] | None, Field(description="Rule ids (mlflow.stage_uri) or libraries (airflow) to skip.")] = None,
    ) -> Annotated[CallToolResult, LintReport]:
        """Find deprecated or removed MLOps APIs in code and config: MLflow registry stages and
        artifact_path=, Evidently before 0.7, BentoML before 1.2, KFP v1, Airflow
        schedule_interval, Great Expectations before 1.0, Seldon Core v1, old Feast names and more.
        Each finding gives path:line, what matched, the replacement and why. Comments, docstrings
        and Markdown prose are skipped. Read-only."""
        from mlproof.lint import lint_paths

        checked = [str(await server.path(ctx, value, "path to lint")) for value in paths]
        if not checked:
            raise MlproofError("lint_files needs at least one path.")
        report = await run_sync(lint_paths, checked, ignore=ignore or [])
        return tool_result(report)

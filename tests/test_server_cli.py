"""`mlproof serve` refuses bad options with one line and exit code 2, before any protocol starts."""

from __future__ import annotations

import subprocess
import sys

import pytest

from mlproof.errors import MlproofError
from mlproof.server_cli import is_loopback, parse_host_port
from tests.server_harness import server_env


@pytest.mark.parametrize("args, fragment", [
    (["--allow", "/no/such/folder"], "--allow /no/such/folder is not an existing folder"),
    (["--http", "127.0.0.1:port"], "is not HOST:PORT"),
    (["--http", "127.0.0.1:70000"], "outside 1-65535"),
])
def test_bad_serve_options_exit_2_with_one_line(args, fragment, tmp_path):
    out = subprocess.run([sys.executable, "-m", "mlproof", "serve", *args], cwd=tmp_path, env=server_env(),
                         capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert out.returncode == 2
    assert out.stdout == ""
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and fragment in lines[0], out.stderr


def test_http_address_forms():
    assert parse_host_port("127.0.0.1:8765") == ("127.0.0.1", 8765)
    assert parse_host_port("[::1]:9000") == ("::1", 9000)
    assert parse_host_port("8765") == ("127.0.0.1", 8765)
    with pytest.raises(MlproofError):
        parse_host_port("localhost:")
    assert is_loopback("localhost") and is_loopback("::1") and not is_loopback("0.0.0.0")

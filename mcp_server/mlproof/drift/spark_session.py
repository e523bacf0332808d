"""The SparkSession the Spark drift engine runs on, and Spark's failures as one sentence.

pyspark is an optional extra (`mlproof[spark]`): nothing outside this module and
spark_engine.py imports it, and both load only when the Spark engine is asked for.

Where mlproof starts the JVM itself, the JVM's stdout and stderr go to a log file
(`spark_log_path()`), so a terminal, a JSON report on stdout or an MCP stdio channel
never sees Java's start-up chatter, progress bars or stack traces.
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
import tempfile
import threading
import warnings
from pathlib import Path
from urllib.parse import urlsplit

from mlproof.errors import MlproofError

INSTALL_HINT = "The Spark engine needs `pip install mlproof[spark]` (pyspark is not installed)."
DEFAULT_MASTER = "local[*]"
# A master that does not answer fails within this many seconds (connect, then one tiny job).
MASTER_TIMEOUT_S = float(os.environ.get("MLPROOF_SPARK_TIMEOUT", "30"))
LOCAL_SHUFFLE_PARTITIONS = 8  # the engine's shuffles are small (counts per bin); 200 tasks would be overhead


def spark_log_path() -> Path:
    return Path(tempfile.gettempdir()) / f"mlproof-spark-{os.getuid() if hasattr(os, 'getuid') else 'user'}.log"


def import_pyspark():
    """The pyspark.sql module, or one sentence on how to install it."""
    # pyspark warns about the installed pandas version when it converts data; the engine never uses pandas.
    warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas")
    try:
        import pyspark.sql as sql
    except ImportError:
        raise MlproofError(INSTALL_HINT) from None
    _quiet_python_loggers()
    return sql


def is_spark_dataframe(data) -> bool:
    """True for a pyspark DataFrame, checked without importing pyspark."""
    return type(data).__module__.startswith("pyspark.sql") and hasattr(data, "sparkSession")


def _quiet_python_loggers() -> None:
    # pyspark logs every analysis error as a JSON line on stderr before raising it; py4j logs
    # connection noise when the JVM goes away. The error itself reaches the user as one sentence.
    from pyspark.logger import PySparkLogger

    for name in ("DataFrameQueryContextLogger", "SQLQueryContextLogger"):
        PySparkLogger.getLogger(name).setLevel(logging.CRITICAL + 10)
    for name in ("py4j", "py4j.java_gateway", "py4j.clientserver"):
        logging.getLogger(name).setLevel(logging.CRITICAL + 10)


def get_session(master: str | None = None):
    """The active SparkSession (when it fits `master`), else a new one on `master` (default local[*])."""
    sql = import_pyspark()
    # The JVM's active session is per thread; the one started here serves every thread (the MCP server's workers).
    active = sql.SparkSession.getActiveSession() or (_started[0] if _started and not _stopped(_started[0]) else None)
    if active is not None:
        running = active.sparkContext.master
        if master is None or master == running:
            return active
        raise MlproofError(f"A Spark session on {_shown(running)} is already running in this process; pass no master or that one.")
    master = master or DEFAULT_MASTER
    check_master_address(master)
    check_java()
    local = master.startswith("local")
    settings = {"spark.app.name": "mlproof-drift", "spark.ui.showConsoleProgress": "false", "spark.sql.session.timeZone": "UTC"}
    if local:
        # A laptop run listens on loopback only and needs no web UI; a cluster driver must stay reachable.
        settings.update({"spark.ui.enabled": "false", "spark.driver.bindAddress": "127.0.0.1", "spark.driver.host": "127.0.0.1",
                         "spark.sql.shuffle.partitions": str(LOCAL_SHUFFLE_PARTITIONS)})
    log_start = spark_log_path().stat().st_size if spark_log_path().exists() else 0
    try:
        session = _start(sql, master, settings)
        _started[:] = [session]
    except Exception as err:  # the JVM did not start: Java broken, ports refused, bad configuration, a silent master
        raise MlproofError(start_failure(master, err, _log_since(log_start))) from None
    session.sparkContext.setLogLevel("ERROR")
    if not local:
        check_runs_a_job(session, master)
    return session


_started: list = []  # the session get_session started, reused while it runs


def start_failure(master: str, err, log_text: str) -> str:
    """One sentence on why the session did not start, from the error and what the JVM logged meanwhile."""
    if "All masters are unresponsive" in log_text:
        # Spark's standalone client retries registering for about a minute, then stops the context.
        return (f"The Spark master {_shown(master)} accepted the connection but never registered the application "
                f"(Spark gave up after its retries); see {spark_log_path()}.")
    return f"Spark could not start on {_shown(master)} ({short_error(err)}); see {spark_log_path()}."


def _log_since(offset: int) -> str:
    try:
        with open(spark_log_path(), "rb") as log:
            log.seek(offset)
            return log.read(1_000_000).decode("utf-8", "replace")
    except OSError:
        return ""


def _stopped(session) -> bool:
    return session.sparkContext._jsc is None


def check_java() -> None:
    """Spark's launcher needs a `java` (JAVA_HOME/bin/java or one on PATH)."""
    home = os.environ.get("JAVA_HOME")
    if home and (Path(home) / "bin" / "java").exists():
        return
    if not home and shutil.which("java"):
        return
    where = f"JAVA_HOME={_shown(home)} has no bin/java" if home else "no `java` on PATH and JAVA_HOME is not set"
    raise MlproofError(f"The Spark engine needs Java 17 or newer ({where}).")


def check_master_address(master: str) -> None:
    """Fail fast on a master URL that is malformed or whose host does not accept connections."""
    if master.startswith("local") or master in ("yarn",):
        return
    if master.startswith("spark://"):
        hosts = master[len("spark://"):].split(",")  # spark://h1:7077,h2:7077 for standby masters
        addresses = [_host_port(h, 7077, master) for h in hosts]
    elif master.startswith("k8s://"):
        url = urlsplit(master[len("k8s://"):] if "://" in master[len("k8s://"):] else "https://" + master[len("k8s://"):])
        addresses = [(url.hostname or "", url.port or 443)]
    else:
        raise MlproofError(f"The Spark master {_shown(master)} is not one of local[*], local[N], spark://HOST:PORT, k8s://URL or yarn.")
    reasons = []
    for host, port in addresses:
        try:
            with socket.create_connection((host, port), timeout=min(10.0, MASTER_TIMEOUT_S)):
                return
        except OSError as err:
            reasons.append(err.strerror or type(err).__name__)
    raise MlproofError(f"The Spark master {_shown(master)} does not answer ({reasons[-1].lower()}).")


def _host_port(text: str, default_port: int, master: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":") if ":" in text else (text, "", str(default_port))
    try:
        return host, int(port)
    except ValueError:
        raise MlproofError(f"The Spark master {_shown(master)} has no valid port.") from None


def check_runs_a_job(session, master: str) -> None:
    """A master that accepts the connection but never schedules (no workers, wrong service) fails in bounded time."""
    outcome: dict = {}

    def probe():
        try:
            outcome["rows"] = session.range(1).count()
        except Exception as err:  # cancelled or failed; reported below
            outcome["error"] = err

    worker = threading.Thread(target=probe, daemon=True)
    worker.start()
    worker.join(MASTER_TIMEOUT_S)
    if "rows" in outcome:
        return
    session.sparkContext.cancelAllJobs()
    session.stop()
    why = f"ran no job within {MASTER_TIMEOUT_S:g} s" if worker.is_alive() else short_error(outcome.get("error", "no answer"))
    raise MlproofError(f"The Spark master {_shown(master)} accepted the connection but {why} (are workers registered?).")


def _start(sql, master: str, settings: dict):
    """A SparkSession whose JVM writes its stdout and stderr to spark_log_path(), never to ours.

    The gateway is launched here rather than by getOrCreate so the JVM gets the log file as its
    output; no file descriptor of this process is touched (the MCP server's stdout stays the protocol).
    """
    from pyspark import SparkConf, SparkContext
    from pyspark.java_gateway import launch_gateway

    conf = SparkConf().setMaster(master).setAll(list(settings.items()))
    with open(spark_log_path(), "ab") as log:
        gateway = launch_gateway(conf, popen_kwargs={"stdout": log, "stderr": log})
    context = SparkContext(conf=conf, gateway=gateway)
    return sql.SparkSession(context)


def short_error(err, hide: str | None = None) -> str:
    """The first line of a Spark/py4j error without the Java stack or the error-class prefix.

    At most 80 characters: Spark's messages often repeat the input (a path, a column), which is
    already named, shortened, in the sentence around them; `hide` (that input) is replaced by "it".
    """
    text = str(getattr(err, "getMessage", lambda: None)() or err) if not isinstance(err, str) else err
    line = next((part.strip() for part in text.strip().splitlines() if part.strip()), type(err).__name__)
    if line.startswith("[") and "]" in line:
        line = line.split("]", 1)[1].strip() or line
    line = line.split(" SQLSTATE")[0].rstrip(" .;")
    if hide:
        line = line.replace(f"file:{hide}", "it").replace(hide, "it")
    line = "".join(ch for ch in line if ch.isprintable())
    return line if len(line) <= 80 else line[:77] + "..."


def _shown(text: str | None) -> str:
    text = "".join(ch for ch in str(text) if ch.isprintable())
    return text if len(text) <= 80 else text[:77] + "..."

"""A Spark session for shopcase: ``local[N]`` on one machine, or a cluster's master URL.

The master comes from the argument, else ``$SPARK_MASTER``, else ``local[N]`` with one thread per core.
Everything that can go wrong before the JVM starts is checked first, with one clear error: pyspark or
Java missing (``RuntimeError`` saying what to install), a master URL that is malformed or (for
``spark://``) cannot be reached (``ValueError``), a session already running on another master.

Why the settings: Python workers must run this interpreter (``PYSPARK_PYTHON``; else they start the
system Python, which lacks pyarrow and shopcase); the UI and the console progress bar are noise in
notebooks and tests; timestamps stay wall-clock (session time zone UTC, Parquet timestamps without a
zone), so nothing shifts between pandas and Spark.
"""

from __future__ import annotations

import os
import re
import socket
import sys
import tempfile
import warnings
from collections.abc import Mapping
from pathlib import Path

from shopcase.runner import REQUIREMENTS
from shopcase.validate import check_int, check_number

MASTER_ENV = "SPARK_MASTER"
"""Environment variable naming the master when no ``master`` argument is given."""

_LOCAL = re.compile(r"local(\[(\d+|\*)(,\d+)?\])?$")
_STANDALONE = re.compile(r"spark://([^,/:]+:\d+)(,[^,/:]+:\d+)*$")
_OTHER = re.compile(r"(yarn|k8s://\S+)$")
MASTER_FORMS = "local, local[N], local[*], spark://host:port[,host:port...], yarn, k8s://https://host:port"


QUIET_LOG4J = """\
rootLogger.level = error
rootLogger.appenderRef.stderr.ref = console
appender.console.type = Console
appender.console.name = console
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %d{yy/MM/dd HH:mm:ss} %p %c{1}: %m%n%ex
"""
"""Spark's logging for the driver: errors only (its default prints start-up notices into every notebook)."""


def _quiet_log4j() -> str:
    path = Path(tempfile.gettempdir()) / "shopcase-spark-log4j2.properties"
    if not path.exists() or path.read_text() != QUIET_LOG4J:
        path.write_text(QUIET_LOG4J)
    return f"-Dlog4j.configurationFile=file:{path}"


def missing_spark_requirements() -> list[str]:
    """What this machine lacks to run Spark (install hints; empty: it can run), as the notebook runner says it."""
    return [REQUIREMENTS[name][1] for name in ("pyspark", "java") if not REQUIREMENTS[name][0]()]


def default_master() -> str:
    """``$SPARK_MASTER`` if set, else ``local[N]`` with N = the cores this process may use."""
    if os.environ.get(MASTER_ENV):
        return os.environ[MASTER_ENV]
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cores = os.cpu_count() or 1
    return f"local[{cores}]"


def check_master(master: str, timeout: float = 5.0) -> str:
    """Return ``master`` if it is a master URL Spark accepts and, for ``spark://``, every host answers.

    Raises ``ValueError`` naming the URL: malformed, or a standalone master that refuses or does not
    answer a TCP connection within ``timeout`` seconds (checked before a JVM starts, so a typo costs
    seconds, not a hanging job). ``yarn`` and ``k8s://`` are passed on unchecked (their clients check).
    """
    if not isinstance(master, str) or not master:
        raise ValueError(f"master must be a non-empty string ({MASTER_FORMS}), got {master!r}")
    if _LOCAL.match(master):
        match = re.match(r"local\[(\d+)", master)
        if match and int(match.group(1)) < 1:
            raise ValueError(f"master {master!r}: local[N] needs N >= 1")
        return master
    if _OTHER.match(master):
        return master
    if not _STANDALONE.match(master):
        raise ValueError(f"master {master!r} is not a master URL; expected one of: {MASTER_FORMS}")
    check_number(timeout, "timeout", low=0.0, low_inclusive=False)
    for address in master.removeprefix("spark://").split(","):
        host, port = address.rsplit(":", 1)
        try:
            with socket.create_connection((host, int(port)), timeout=timeout):
                pass
        except OSError as exc:
            raise ValueError(
                f"master {master!r} cannot be reached: {host}:{port} did not accept a connection within "
                f"{timeout:g} s ({exc}); is the Spark master running and the address right?"
            ) from exc
    return master


def spark_session(
    master: str | None = None,
    app_name: str = "shopcase",
    shuffle_partitions: int | None = None,
    driver_memory: str | None = None,
    config: Mapping[str, str] | None = None,
    ui: bool = False,
    timeout: float = 5.0,
):
    """Start (or return the running) Spark session.

    Parameters
    ----------
    master : str, optional
        ``local[N]``, ``spark://host:7077``, ``yarn`` or ``k8s://...``; default ``$SPARK_MASTER`` or
        ``local[<cores>]`` (see ``default_master``).
    app_name : str
        The application's name on the cluster.
    shuffle_partitions : int, optional
        ``spark.sql.shuffle.partitions``: partitions after a join or aggregation (Spark's default 200
        suits a cluster; a few per core suit one machine, e.g. 4 for tests).
    driver_memory : str, optional
        ``spark.driver.memory`` (e.g. ``"4g"``); only takes effect when this call starts the JVM.
    config : mapping, optional
        Further Spark settings, applied last.
    ui : bool
        Keep Spark's web UI (off by default: notebooks and tests do not need a web server).
    timeout : float
        Seconds to wait for a ``spark://`` master to accept a connection.

    Returns
    -------
    pyspark.sql.SparkSession

    Raises
    ------
    RuntimeError
        pyspark or Java is missing (the message says what to install).
    ValueError
        A malformed or unreachable master, bad arguments, or a session already running on another master.
    """
    master = check_master(master if master is not None else default_master(), timeout)
    if shuffle_partitions is not None:
        check_int(shuffle_partitions, "shuffle_partitions")
    missing = missing_spark_requirements()
    if missing:
        raise RuntimeError(f"Spark needs {' and '.join(missing)}")
    # pyspark 4.3 warns on every pandas conversion that it does not "fully support" pandas 3; the
    # conversions shopcase uses are tested equal to the single-machine results (tests/spark).
    warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas", category=FutureWarning)
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None:
        running = active.sparkContext.master
        if running != master:
            raise ValueError(
                f"a Spark session is already running on master {running!r}; stop it (spark.stop()) "
                f"before starting one on {master!r}"
            )
        return active
    if master.startswith("local"):
        # The workers must be this interpreter (with pyarrow and shopcase); on a cluster the executors'
        # Python is the cluster's business (PYSPARK_PYTHON set there).
        os.environ["PYSPARK_PYTHON"] = sys.executable
        os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
        # One machine: bind to loopback (no network needed, and no warning about the host name).
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    settings = {
        "spark.ui.enabled": str(bool(ui)).lower(),
        "spark.ui.showConsoleProgress": "false",
        "spark.driver.extraJavaOptions": _quiet_log4j(),
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.execution.arrow.pyspark.enabled": "true",
        "spark.sql.parquet.inferTimestampNTZ.enabled": "true",
    }
    if shuffle_partitions is not None:
        settings["spark.sql.shuffle.partitions"] = str(shuffle_partitions)
    if driver_memory is not None:
        settings["spark.driver.memory"] = str(driver_memory)
    settings.update({str(k): str(v) for k, v in (config or {}).items()})
    builder = SparkSession.builder.master(master).appName(app_name)
    for key, value in settings.items():
        builder = builder.config(key, value)
    try:
        spark = builder.getOrCreate()
    except Exception as exc:  # the JVM did not start: say so in one line, keep the cause
        raise RuntimeError(f"Spark did not start on master {master!r}: {exc}") from exc
    spark.sparkContext.setLogLevel("ERROR")
    return spark

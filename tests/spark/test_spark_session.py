"""The session: master URLs checked before a JVM starts, the settings tests and notebooks rely on, skip/require."""

import socket

import pytest
import spark_helpers

from shopcase.spark import check_master, default_master, spark_session


@pytest.mark.parametrize("master", ["local", "local[2]", "local[*]", "local[4,2]", "yarn", "k8s://https://k:6443"])
def test_accepted_master_urls(master):
    assert check_master(master) == master


@pytest.mark.parametrize("master", ["", "locale[2]", "local[0]", "spark://", "http://host:7077", "spark://h"])
def test_malformed_master_urls_are_refused(master):
    with pytest.raises(ValueError, match="master"):
        check_master(master)


def test_an_unreachable_master_fails_before_spark_starts():
    with socket.socket() as probe:  # a port nobody listens on: bound, never listening
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
        with pytest.raises(ValueError, match=f"cannot be reached: 127.0.0.1:{port}"):
            spark_session(f"spark://127.0.0.1:{port}", timeout=2)


def test_the_master_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("SPARK_MASTER", "spark://somewhere:7077")
    assert default_master() == "spark://somewhere:7077"
    monkeypatch.delenv("SPARK_MASTER")
    assert default_master().startswith("local[")


def test_missing_spark_skips_for_a_user_and_fails_when_required(monkeypatch):
    monkeypatch.setattr(spark_helpers, "missing_spark_requirements", lambda: ["Java 17"])
    monkeypatch.delenv(spark_helpers.REQUIRE_ENV, raising=False)
    with pytest.raises(pytest.skip.Exception, match="need Java 17"):
        spark_helpers.require_spark()
    monkeypatch.setenv(spark_helpers.REQUIRE_ENV, "1")
    with pytest.raises(pytest.fail.Exception, match="requires them"):
        spark_helpers.require_spark()


def test_missing_spark_is_one_clear_error(monkeypatch):
    from shopcase.spark import session

    monkeypatch.setattr(session, "missing_spark_requirements", lambda: ["Java 17 or newer"])
    with pytest.raises(RuntimeError, match="Spark needs Java 17 or newer"):
        spark_session("local[1]")


def test_the_session_runs_quietly_in_utc(spark):
    conf = spark.sparkContext.getConf()
    assert conf.get("spark.ui.enabled") == "false"
    assert conf.get("spark.ui.showConsoleProgress") == "false"
    assert spark.conf.get("spark.sql.session.timeZone") == "UTC"
    assert spark_session("local[2]") is spark  # the running session is reused
    with pytest.raises(ValueError, match="already running"):
        spark_session("local[1]")

"""The same marts on Spark as on DuckDB, from the same lake (`make test-scale`).

One `make run`-like materialization against the sandboxes fills a lake and the DuckDB warehouse;
then dbt builds every model and data test on the `spark` target (a local pyspark session) and
orchestration/parity.py compares every mart row by row (numbers rounded to 6 decimals). A second
Spark round rebuilds one interval month incrementally (insert_overwrite by partition) and the marts
must still be identical. Slow (a JVM and ~500 dbt nodes), so outside `make test`.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from connectors.settings import PROJECT_ROOT, load_settings
from orchestration.parity import compare_marts
from orchestration.spark import build_on_spark, run_dbt_on_spark

# One group: the module's tests share one lake and one Spark build (on one xdist worker).
pytestmark = [pytest.mark.scale, pytest.mark.xdist_group("spark-parity"), pytest.mark.timeout(2400)]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("spark-parity")
    dagster_home = data_dir / "dagster_home"
    dagster_home.mkdir()
    shutil.copy(PROJECT_ROOT / "dagster_home" / "dagster.yaml", dagster_home / "dagster.yaml")
    env = {**os.environ, "UTILITY_DATA_DIR": str(data_dir), "DAGSTER_HOME": str(dagster_home),
           "UTILITY_SPARK_DIR": str(data_dir / "spark")}
    for name in ("UTILITY_LAKE_URI", "UTILITY_VENDORS"):
        env.pop(name, None)
    # Lake and DuckDB warehouse, exactly as `make run` makes them.
    subprocess.run([sys.executable, "-m", "orchestration.run"], env=env, cwd=PROJECT_ROOT, check=True,
                   capture_output=True, text=True, timeout=1200)
    settings = load_settings(env)
    try:
        summary = build_on_spark(settings, env=env)
    except subprocess.CalledProcessError as error:
        pytest.fail(f"dbt build on Spark failed:\n{error.output}\n{error.stderr}")
    return settings, env, summary


def _assert_identical(settings, env) -> None:
    report = compare_marts(settings.warehouse_path, Path(env["UTILITY_SPARK_DIR"]))
    assert report.tables, "no marts to compare"
    assert report.equal, "Spark's marts differ from DuckDB's:\n" + "\n".join(t.describe() for t in report.differing)


def test_every_model_and_test_builds_on_spark(built):
    _settings, _env, summary = built
    assert "ERROR=0" in summary and "PASS=" in summary, summary


def test_marts_identical_on_spark_and_duckdb(built):
    settings, env, _summary = built
    report = compare_marts(settings.warehouse_path, Path(env["UTILITY_SPARK_DIR"]))
    assert len(report.tables) >= 13
    assert sum(t.duckdb_rows for t in report.tables) > 10_000, "too little data to compare"
    _assert_identical(settings, env)


def test_a_month_rebuilt_incrementally_on_spark_stays_identical(built):
    """insert_overwrite by partition (macros/partitions.sql, month_partitioned_config): rebuilding
    one month of the partitioned marts replaces exactly that month."""
    settings, env, _summary = built
    window = {"interval_window_start": "2026-03-01T00:00:00+00:00", "interval_window_end": "2026-04-01T00:00:00+00:00"}
    try:
        run_dbt_on_spark(["run", "--select", "tag:month_partitioned", "--vars", json.dumps(window)], settings, env=env)
    except subprocess.CalledProcessError as error:
        pytest.fail(f"incremental dbt run on Spark failed:\n{error.output}\n{error.stderr}")
    _assert_identical(settings, env)

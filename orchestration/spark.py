"""Build the dbt project on Spark from the same lake: the `spark` target of dbt_project/profiles.yml.

Here the target is a local pyspark session (dbt-spark `method: session`) whose warehouse and Derby
metastore live in UTILITY_SPARK_DIR (default `$UTILITY_DATA_DIR/spark`); on a cluster the same
models run through dbt-spark's thrift or http methods (docs/scaling.md). dbt writes its Spark
artifacts to `dbt_project/target/spark/`, so the DuckDB manifest Dagster loads is never replaced.

CLI (`make spark`): `python -m orchestration.spark [--compare] [-- <dbt build arguments>]` builds
every model and data test on Spark, then, with --compare, compares the marts with the DuckDB
warehouse row by row (orchestration/parity.py).
"""

from __future__ import annotations

import argparse
import logging
import os
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from connectors.lake import Lake
from connectors.pipeline import ensure_lake_layout
from connectors.settings import DBT_PROJECT_DIR, Settings, load_settings

log = logging.getLogger(__name__)

SPARK_TARGET = "spark"
SPARK_TARGET_PATH = DBT_PROJECT_DIR / "target" / "spark"
SPARK_LOG_PATH = DBT_PROJECT_DIR / "logs" / "spark"
# dbt unit tests mock their inputs with SQL fixtures written for DuckDB (the development engine);
# they test model logic, which parity with DuckDB already covers on Spark.
DEFAULT_EXCLUDE = ("--exclude-resource-type", "unit_test")


def spark_dir(settings: Settings, env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    value = env.get("UTILITY_SPARK_DIR", "").strip()
    return Path(value).resolve() if value else settings.data_dir / "spark"


def dbt_executable() -> str:
    """The dbt of this environment (next to the running Python), else the one on PATH."""
    candidate = Path(sys.executable).with_name("dbt")
    return str(candidate) if candidate.exists() else "dbt"


def run_dbt_on_spark(command: Sequence[str], settings: Settings | None = None, *,
                     env: Mapping[str, str] | None = None) -> subprocess.CompletedProcess:
    """`dbt <command> --target spark` in its own process (one Spark session, one Derby metastore
    user: Derby admits one process per UTILITY_SPARK_DIR). Raises CalledProcessError on failure."""
    from .dbt import dbt_environment

    settings = settings or load_settings(env)
    ensure_lake_layout(Lake(settings.lake_dir))
    folder = spark_dir(settings, env)
    folder.mkdir(parents=True, exist_ok=True)
    process_env = {**(os.environ if env is None else env), **dbt_environment(settings, env),
                   "UTILITY_SPARK_DIR": str(folder)}
    args = [dbt_executable(), *command, "--target", SPARK_TARGET, "--project-dir", str(DBT_PROJECT_DIR),
            "--profiles-dir", str(DBT_PROJECT_DIR), "--target-path", str(SPARK_TARGET_PATH),
            "--log-path", str(SPARK_LOG_PATH)]
    log.info("dbt on Spark: %s (spark dir %s)", " ".join(command), folder)
    started = time.monotonic()
    result = subprocess.run(args, env=process_env, cwd=DBT_PROJECT_DIR, text=True, capture_output=True)
    log.info("dbt on Spark finished in %.0f s with exit code %s", time.monotonic() - started, result.returncode)
    if result.returncode != 0:
        raise subprocess.CalledProcessError(result.returncode, args, output=_dbt_summary(result.stdout),
                                            stderr=result.stderr[-4000:])
    return result


def _dbt_summary(stdout: str) -> str:
    """dbt's own lines (errors, the summary), without Spark's JVM chatter."""
    lines = [line for line in stdout.splitlines() if not line.startswith(("WARNING:", "Using Spark", "Setting default"))
             and " WARN " not in line]
    return "\n".join(lines[-80:])


def build_on_spark(settings: Settings | None = None, extra_args: Sequence[str] = (), *,
                   env: Mapping[str, str] | None = None) -> str:
    """Every model and data test on Spark; returns dbt's summary lines."""
    result = run_dbt_on_spark(["build", *DEFAULT_EXCLUDE, *extra_args], settings, env=env)
    return _dbt_summary(result.stdout)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build the dbt project on Spark from the lake.")
    parser.add_argument("--compare", action="store_true",
                        help="then compare the marts with the DuckDB warehouse row by row")
    parser.add_argument("dbt_args", nargs="*", help="more `dbt build` arguments, after `--`")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    settings = load_settings()
    try:
        print(build_on_spark(settings, args.dbt_args))
    except subprocess.CalledProcessError as error:
        print(error.output, file=sys.stderr)
        print(f"dbt on Spark failed (exit {error.returncode})", file=sys.stderr)
        return 1
    if args.compare:
        from .parity import compare_marts

        report = compare_marts(settings.warehouse_path, spark_dir(settings))
        print(report.describe())
        return 0 if report.equal else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

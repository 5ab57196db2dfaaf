"""The lake on S3, end to end: `python -m orchestration.run` (every vendor's sandbox over HTTP ->
policy -> Parquet lake in an S3-compatible server on loopback -> dbt build reading the lake
through s3fs -> DuckDB marts) gives the very marts of the same run on a local lake, writes no
local lake folder, and leaves no AWS secret in the run's output, the Dagster instance, the
warehouse or the lake.

Each run is the `sync_everything` job over every interval month, executed in process
(`execute_in_process`, as tests/e2e/conftest.py does) in a child process of its own, so that each
has its own environment (UTILITY_DATA_DIR, UTILITY_LAKE_URI, the AWS variables). Two identical
sets of small sandboxes (same seed, scale and "today", the helpers of
tests/e2e/test_crash_recovery.py) serve the two runs, which run at the same time: vendor-side state
a run changes (Bayou's unlocks, WattzOn's jobs) never leaks from one into the other. The S3 run's
endpoint is given as AWS_ENDPOINT_URL_S3 (the service-specific variable; the integration tests
use AWS_ENDPOINT_URL)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta

import pytest

from connectors.lake import EMPTY_FILE, TMP_PREFIX
from connectors.registry import VENDORS
from tests.e2e.test_crash_recovery import (
    PROJECT,
    SMALL_SCALE,
    assert_same_marts,
    date_months_before,
    run_base_env,
    small_sandboxes,
)
from tests.s3server import SECRET_KEY, moto_s3

BUCKET = "utility-e2e-lake"
PREFIX = "acme/raw"
RUN_TIMEOUT_S = 400
# The job in process (every step in this child process, one after the other), every interval month.
RUN_JOB = """
from dagster import DagsterInstance
from orchestration.definitions import defs
from orchestration.partitions import full_range, range_tags
with DagsterInstance.get() as instance:
    result = defs.resolve_job_def("sync_everything").execute_in_process(
        instance=instance, raise_on_error=False, tags=range_tags(*full_range()),
        run_config={"loggers": {"console": {"config": {"log_level": "INFO"}}}})
raise SystemExit(0 if result.success else 1)
"""


class JobRun:
    def __init__(self, name: str, env: dict[str, str], log_dir) -> None:
        self.name = name
        log_dir.mkdir(parents=True, exist_ok=True)
        self.log_path = log_dir / f"{name}.log"
        self.started = time.monotonic()
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen([sys.executable, "-c", RUN_JOB], cwd=PROJECT, env=env,
                                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait(self) -> None:
        try:
            self.process.wait(timeout=RUN_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, 9)
            self.process.wait(timeout=30)
            pytest.fail(f"{self.name} did not finish within {RUN_TIMEOUT_S} s:\n{self.log()[-4000:]}")
        self.elapsed = time.monotonic() - self.started
        assert self.process.returncode == 0, f"{self.name} failed:\n{self.log()[-6000:]}"

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, 9)
            self.process.wait(timeout=30)


def _without_aws(env: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in env.items() if not k.startswith("AWS_")}


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> Iterator[dict]:
    root = tmp_path_factory.mktemp("s3-lake")
    policy_file = root / "policy.yml"
    shutil.copy(PROJECT / "policy.yml", policy_file)
    as_of = datetime.now(UTC).date() - timedelta(days=1)  # readings end before the wall clock
    settings = {
        **SMALL_SCALE,
        **{f"{name.upper()}_SANDBOX_AS_OF": as_of.isoformat() for name in VENDORS},
        **{f"{name.upper()}_SANDBOX_SEED": "7" for name in VENDORS},
    }
    with ExitStack() as stack:
        s3 = stack.enter_context(moto_s3(BUCKET, endpoint_variable="AWS_ENDPOINT_URL_S3"))
        series = {}
        for label in ("local", "s3"):
            sandbox_env = stack.enter_context(small_sandboxes(settings))
            data_dir = root / label
            (data_dir / "dagster_home").mkdir(parents=True)
            shutil.copy(PROJECT / "dagster_home" / "dagster.yaml", data_dir / "dagster_home" / "dagster.yaml")
            env = {
                **_without_aws(run_base_env()),
                **sandbox_env,
                "UTILITY_DATA_DIR": str(data_dir),
                "UTILITY_POLICY_FILE": str(policy_file),
                "UTILITY_INTERVAL_START": date_months_before(as_of, 6),
                "DAGSTER_HOME": str(data_dir / "dagster_home"),
                "PYTHONUNBUFFERED": "1",
                "UTILITY_SYNC_SHARDS": "1",  # one step per sync: the data is small
            }
            if label == "s3":
                env.update(s3.env)
                env["UTILITY_LAKE_URI"] = f"s3://{BUCKET}/{PREFIX}/"
            series[label] = {"data_dir": data_dir, "env": env}
        started = {label: JobRun(f"{label}-lake", spec["env"], root / "logs") for label, spec in series.items()}
        try:
            for run in started.values():
                run.wait()
        finally:
            for run in started.values():
                run.stop()
        yield {"root": root, "s3": s3, "series": series, "runs": started}


@pytest.mark.timeout(600)
def test_the_marts_built_from_an_s3_lake_equal_those_from_a_local_lake(runs):
    local, s3_series = runs["series"]["local"], runs["series"]["s3"]
    fingerprint = assert_same_marts(local["data_dir"] / "warehouse.duckdb", s3_series["data_dir"] / "warehouse.duckdb",
                                    "S3 lake vs local lake")
    assert fingerprint["fct_bills"][0] > 0 and fingerprint["fct_intervals"][0] > 0
    print("\n".join([*(f"{run.name}: {run.elapsed:.1f} s" for run in runs["runs"].values()),
                     *(f"marts.{t}: {rows} rows" for t, (rows, _) in sorted(fingerprint.items()))]))


def test_the_s3_run_wrote_its_lake_to_the_bucket_only(runs):
    s3, data_dir = runs["s3"], runs["series"]["s3"]["data_dir"]
    local_lake = runs["series"]["local"]["data_dir"] / "lake"
    assert not (data_dir / "lake").exists(), "the S3 run wrote a local lake folder"
    assert not [p for p in data_dir.rglob("*.parquet")], "the S3 run wrote Parquet files locally"
    keys = s3.keys(BUCKET)
    assert keys and all(k.startswith(f"{PREFIX}/") for k in keys)
    relative = {k.removeprefix(f"{PREFIX}/") for k in keys}
    assert not [k for k in relative if k.rsplit("/", 1)[-1].startswith(TMP_PREFIX)]
    # The same datasets as the local lake, each with its schema file; the same month partitions.
    def datasets(names):
        return {n.rsplit("/", 1)[0] for n in names if n.endswith(EMPTY_FILE)}

    local_files = {str(p.relative_to(local_lake)) for p in local_lake.rglob("*") if p.is_file()}
    assert datasets(relative) == datasets(local_files)
    for vendor in ("bayou", "wattzon", "arcadia"):
        def months(names):
            return {n.split("/")[2] for n in names if n.startswith(f"{vendor}/intervals/month=")}

        assert months(relative) == months(local_files) != set(), vendor
    assert {f"policy/{name}/policy.parquet" for name in ("customer_policies", "policy_windows", "unlocked_bills")} \
        <= relative


def test_no_aws_secret_in_the_output_the_dagster_instance_the_warehouse_or_the_lake(runs):
    s3, series = runs["s3"], runs["series"]["s3"]
    secret = SECRET_KEY.encode()
    assert SECRET_KEY not in runs["runs"]["s3"].log()
    for path in series["data_dir"].rglob("*"):  # the warehouse, the Dagster instance (event log, metadata)
        if path.is_file():
            assert secret not in path.read_bytes(), path
    client = s3.client()
    for key in s3.keys(BUCKET):
        assert secret not in client.get_object(Bucket=BUCKET, Key=key)["Body"].read(), key
    assert "filesystems" in (PROJECT / "dbt_project" / "profiles.yml").read_text()
    assert SECRET_KEY not in (PROJECT / "dbt_project" / "profiles.yml").read_text()
    assert os.environ.get("AWS_SECRET_ACCESS_KEY") != SECRET_KEY  # the runs got it, this process did not


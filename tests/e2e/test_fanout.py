"""Fan-out end to end: the same sync, once sequentially and once fanned out across processes,
gives the same marts.

Both runs are `python -m orchestration.run` (what `make run` runs: the `sync_everything` job with
the multiprocess executor) in a process of its own, each with its own data dir and Dagster home,
against its own set of small sandboxes (same seed, scale and "today": identical vendor data, and
vendor-side state such as Bayou's unlocked bills never leaks from one run into the other):

* sequential: UTILITY_SYNC_SHARDS=1 and UTILITY_MAX_CONCURRENT=1, one step at a time, one step
  per sync (today's behaviour);
* fanned out: UTILITY_SYNC_SHARDS=2 and UTILITY_MAX_CONCURRENT=2, every sync with a shard key
  split into two shard steps plus a report step, at most 2 steps of a vendor at once.

Every mart must be equal (a content hash of every column but the load bookkeeping), the fanned-out
run must have run its shard steps in processes of their own, some of them at the same time, and
never more steps of one vendor at once than its limit.
"""

from __future__ import annotations

import shutil
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from connectors.registry import VENDORS

from .conftest import PipelineRun
from .test_backfill import marts_fingerprint as interval_marts_fingerprint
from .test_crash_recovery import (
    PROJECT,
    PipelineRun as OrchestrationRun,
    date_months_before,
    first_differences,
    marts_fingerprint,
    run_base_env,
    small_sandboxes,
)

# A little more than the crash tests' smallest scale, so that every sharded sync has customers in
# more than one shard; still a few months of 15-minute readings per vendor.
SCALE = {
    "BAYOU_SANDBOX_CUSTOMERS": "4", "BAYOU_SANDBOX_MONTHS": "6",
    "WATTZON_SANDBOX_PROFILES": "3", "WATTZON_SANDBOX_MONTHS": "6",
    "ARCADIA_SANDBOX_USERS": "2", "ARCADIA_SANDBOX_MONTHS": "6",
    "URJANET_SANDBOX_ACCOUNTS": "6", "URJANET_SANDBOX_MONTHS": "6",
}
SHARDS = 2
MAX_CONCURRENT = 2
VENDOR_LIMIT = 2
VENDOR_TAG = "utility_data/vendor"


# Two complete runs of ~45 and ~20 step processes on a shared machine.
pytestmark = [pytest.mark.scale, pytest.mark.timeout(2400)]


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("fanout")
    policy_file = root / "policy.yml"
    shutil.copy(PROJECT / "policy.yml", policy_file)
    # The vendors' "today" is yesterday: no new reading appears between the two runs.
    as_of = datetime.now(UTC).date() - timedelta(days=1)
    settings = {
        **SCALE,
        **{f"{name.upper()}_SANDBOX_AS_OF": as_of.isoformat() for name in VENDORS},
        **{f"{name.upper()}_SANDBOX_SEED": "7" for name in VENDORS},
    }
    modes = {
        "sequential": {"UTILITY_SYNC_SHARDS": "1", "UTILITY_MAX_CONCURRENT": "1"},
        "fanned_out": {"UTILITY_SYNC_SHARDS": str(SHARDS), "UTILITY_MAX_CONCURRENT": str(MAX_CONCURRENT),
                       **{f"UTILITY_{name.upper()}_MAX_PARALLEL": str(VENDOR_LIMIT) for name in VENDORS}},
    }
    done = {}
    with ExitStack() as stack:
        for label, mode in modes.items():
            sandbox_env = stack.enter_context(small_sandboxes(settings))
            data_dir = root / label
            home = data_dir / "dagster_home"
            home.mkdir(parents=True)
            shutil.copy(PROJECT / "dagster_home" / "dagster.yaml", home / "dagster.yaml")
            series = {"data_dir": data_dir, "env": {
                **run_base_env(), **sandbox_env, **mode,
                "UTILITY_DATA_DIR": str(data_dir),
                "UTILITY_POLICY_FILE": str(policy_file),
                "UTILITY_INTERVAL_START": date_months_before(as_of, 6),
                "DAGSTER_HOME": str(home),
                "PYTHONUNBUFFERED": "1",
            }}
            run = OrchestrationRun(label, series, root / "logs")
            run.wait()
            done[label] = run
        yield done


def run_steps(data_dir: Path) -> tuple[dict, dict]:
    """The run's steps as {step key: (start, end, pid)} from its Dagster instance, and the run's tags."""
    from dagster import DagsterEventType, DagsterInstance

    with DagsterInstance.from_config(str(data_dir / "dagster_home")) as instance:
        (record,) = instance.get_run_records()
        steps: dict[str, list] = {}
        for entry in instance.all_logs(record.dagster_run.run_id):
            event = entry.dagster_event
            if event is None or not entry.step_key:
                continue
            step = steps.setdefault(entry.step_key, [None, None, None])
            if event.event_type == DagsterEventType.STEP_START:
                step[0], step[2] = entry.timestamp, event.pid
            elif event.event_type in (DagsterEventType.STEP_SUCCESS, DagsterEventType.STEP_FAILURE):
                step[1] = entry.timestamp
        return {key: tuple(value) for key, value in steps.items()}, dict(record.dagster_run.tags)


def vendor_of(step_key: str) -> str | None:
    name = step_key.split(".")[0].split("__")[0]
    return name if name in VENDORS else None


def most_at_once(intervals: list[tuple[float, float]]) -> int:
    edges = sorted([(start, 1) for start, _ in intervals] + [(end, -1) for _, end in intervals])
    running = peak = 0
    for _, change in edges:
        running += change
        peak = max(peak, running)
    return peak


def test_the_fanned_out_run_builds_the_same_marts_as_the_sequential_one(runs):
    sequential, fanned = runs["sequential"].data_dir, runs["fanned_out"].data_dir
    expected = marts_fingerprint(sequential / "warehouse.duckdb")
    actual = marts_fingerprint(fanned / "warehouse.duckdb")
    assert expected and all(rows for table, (rows, _) in expected.items() if table != "quarantine"), expected
    differing = sorted(t for t in expected.keys() | actual.keys() if expected.get(t) != actual.get(t))
    assert not differing, first_differences(sequential / "warehouse.duckdb", fanned / "warehouse.duckdb", differing)
    # and the interval fingerprint test_backfill uses
    assert interval_marts_fingerprint(PipelineRun(sequential, None, None, None)) == \
        interval_marts_fingerprint(PipelineRun(fanned, None, None, None))


def test_the_fanned_out_run_ran_its_shards_in_parallel_processes_bounded_per_vendor(runs):
    steps, _ = run_steps(runs["fanned_out"].data_dir)
    sharded = [(v, s) for v, spec in VENDORS.items() for s in spec.syncs if s.shard_key]
    assert {v for v, _ in sharded} == set(VENDORS)  # every vendor fans out
    for vendor, sync in sharded:
        name = f"{vendor}__{sync.name}"
        shard_steps = {f"{name}.{name}__shard_{i}" for i in range(SHARDS)}
        assert shard_steps <= steps.keys(), (name, sorted(k for k in steps if k.startswith(name)))
        assert f"{name}.{name}__report" in steps
    # one process per step, none of them the orchestrating process
    pids = [pid for _, _, pid in steps.values()]
    assert None not in pids and len(set(pids)) == len(pids)
    # steps ran at the same time, within the bounds: at most MAX_CONCURRENT in all, VENDOR_LIMIT per vendor
    intervals = {key: (start, end) for key, (start, end, _) in steps.items()}
    assert most_at_once(list(intervals.values())) == MAX_CONCURRENT
    shard_intervals = [span for key, span in intervals.items() if "__shard_" in key]
    assert most_at_once(shard_intervals) >= 2, "no two shard steps ran at the same time"
    for vendor in VENDORS:
        of_vendor = [span for key, span in intervals.items() if vendor_of(key) == vendor and "__report" not in key]
        assert 1 <= most_at_once(of_vendor) <= VENDOR_LIMIT, vendor
    # several shards landed data: the lake has one load per shard that found work
    with duckdb.connect() as con:
        loads = con.execute(f"select count(distinct _load_id) from read_parquet("
                            f"'{fanned_lake(runs)}/bayou/intervals/**/*.parquet', hive_partitioning = false)").fetchone()[0]
    assert loads >= 2


def fanned_lake(runs) -> Path:
    return runs["fanned_out"].data_dir / "lake"


def test_the_sequential_run_ran_one_step_per_sync(runs):
    steps, _ = run_steps(runs["sequential"].data_dir)
    assert not [key for key in steps if "__shard_" in key]
    assert "bayou__bills" in steps
    intervals = [(start, end) for start, end, _ in steps.values()]
    assert most_at_once(intervals) == 1

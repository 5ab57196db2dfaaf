"""Crashes and idempotency, end to end.

Every run here is `python -m orchestration.run` (what `make run` runs: the `sync_everything` job
over every interval month, in process) as a separate process in its own process group, against
small sandboxes started once in this test process. A run is killed with SIGKILL (its dbt child
included) at points observed from outside, by watching its data dir and its log: no crash hooks
exist in production code. Resumption can only come from what is on disk (the lake, its cursors,
the warehouse and the Dagster instance of that data dir).

* Series B: killed mid-write (a `.tmp-*` file exists and the writer is frozen before its rename),
  mid-ingestion (the first interval file is visible) and during dbt (the warehouse file appears);
  after each kill no partial file is visible to a reader and every visible Parquet file reads
  whole; then one run completes, leaves no `.tmp-*` file, and has marked the killed runs failed
  and freed the `warehouse` concurrency slot they held.
* Series A, alongside: one uninterrupted run (the baseline), then the same sync again.

The marts of B must equal A's, and A's second run must leave them unchanged, by a content hash of
every mart column but the load bookkeeping. A backfill over months already loaded is proven to
leave the marts unchanged by tests/e2e/test_backfill.py (test_rerunning_a_month_leaves_the_marts_unchanged).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from connectors.lake import EMPTY_FILE, TMP_PREFIX
from connectors.registry import VENDORS

PROJECT = Path(__file__).resolve().parents[2]
# Small enough that a complete run is dominated by dbt's own start-up, large enough that every
# vendor lands bills and several months of 15-minute readings.
SMALL_SCALE = {
    "BAYOU_SANDBOX_CUSTOMERS": "2", "BAYOU_SANDBOX_MONTHS": "6",
    "WATTZON_SANDBOX_PROFILES": "2", "WATTZON_SANDBOX_MONTHS": "6",
    "ARCADIA_SANDBOX_USERS": "1", "ARCADIA_SANDBOX_MONTHS": "6",
    "URJANET_SANDBOX_ACCOUNTS": "4", "URJANET_SANDBOX_MONTHS": "6",
}
INTERVAL_VENDORS = ("bayou", "wattzon", "arcadia")
# Columns a re-run changes by design: which load a row came from and when it was extracted.
LOAD_BOOKKEEPING = {"load_id", "extracted_at", "_load_id", "_extracted_at", "last_extracted_at"}
RUN_TIMEOUT_S = 900  # a loaded 2-core machine: every step is a process
POLL_S = 0.002


@pytest.fixture(scope="module")
def scenario(tmp_path_factory) -> Iterator[dict]:
    """Two identical sets of small sandboxes (same seed, scale and "today"): one for the baseline
    series, one for the crash series, so that vendor-side state a run changes (Bayou's unlocked
    bills, WattzOn's jobs) never leaks from one series into the other."""
    root = tmp_path_factory.mktemp("crash-recovery")
    policy_file = root / "policy.yml"
    shutil.copy(PROJECT / "policy.yml", policy_file)  # both series read the very same policy
    # The vendors' "today" is yesterday: their readings then end before the wall clock does, so
    # a run a few minutes later is not offered a new 15-minute reading (real vendors do that, and
    # the marts then rightly differ).
    as_of = datetime.now(UTC).date() - timedelta(days=1)
    first_month = date_months_before(as_of, 6)
    settings = {
        **SMALL_SCALE,
        **{f"{name.upper()}_SANDBOX_AS_OF": as_of.isoformat() for name in VENDORS},
        **{f"{name.upper()}_SANDBOX_SEED": "7" for name in VENDORS},
    }
    with ExitStack() as stack:
        series = {}
        for label in ("baseline", "crashes"):
            sandbox_env = stack.enter_context(small_sandboxes(settings))
            data_dir = root / label
            (data_dir / "dagster_home").mkdir(parents=True)
            # The project's instance settings, the `warehouse` pool included, in a home per series:
            # a killed run leaves its records (and any slot it held) for the next run to meet.
            shutil.copy(PROJECT / "dagster_home" / "dagster.yaml", data_dir / "dagster_home" / "dagster.yaml")
            series[label] = {
                "data_dir": data_dir,
                "env": {
                    **run_base_env(),
                    **sandbox_env,
                    "UTILITY_DATA_DIR": str(data_dir),
                    "UTILITY_POLICY_FILE": str(policy_file),
                    "UTILITY_INTERVAL_START": first_month,
                    "DAGSTER_HOME": str(data_dir / "dagster_home"),
                    "PYTHONUNBUFFERED": "1",
                    # One step per sync: fewer step processes (seconds each on 2 cores); the
                    # fanned-out run has its own test (tests/e2e/test_fanout.py).
                    "UTILITY_SYNC_SHARDS": "1",
                },
            }
        yield {"root": root, **series}


def date_months_before(day, months: int) -> str:
    index = day.year * 12 + day.month - 1 - months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def run_base_env() -> dict[str, str]:
    """This process's environment without anything that points a connector somewhere (another
    test's credentials or sandbox URLs) or changes what a run does."""
    prefixes = tuple(f"{name.upper()}_" for name in VENDORS) + ("UTILITY_", "DAGSTER_", "DBT_")
    return {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}


@contextmanager
def small_sandboxes(settings: dict[str, str]) -> Iterator[dict[str, str]]:
    """Every vendor's sandbox, started here with the given data settings; yields the environment
    that points a run's connectors at them (as `make run` exports it)."""
    started, exported = [], {}
    try:
        with pytest.MonkeyPatch.context() as patch:
            for name, value in settings.items():
                patch.setenv(name, value)
            for spec in VENDORS.values():
                server = spec.start_sandbox()
                started.append(server)
                exported.update(spec.sandbox_env(server))
        yield exported
    finally:
        for server in started:
            server.stop()


class PipelineRun:
    """`python -m orchestration.run` in its own process group (dbt's processes belong to it)."""

    def __init__(self, name: str, series: dict, log_dir: Path) -> None:
        self.name = name
        self.data_dir: Path = series["data_dir"]
        self.lake = self.data_dir / "lake"
        self.log_path = log_dir / f"{name}.log"
        log_dir.mkdir(parents=True, exist_ok=True)
        self.started = time.monotonic()
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "orchestration.run"], cwd=PROJECT, env=series["env"],
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)

    @property
    def running(self) -> bool:
        return self.process.poll() is None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def log_tail(self, chars: int = 4000) -> str:
        return self.log()[-chars:]

    def signal(self, signum: int) -> None:
        os.killpg(self.process.pid, signum)

    def kill(self) -> None:
        self.signal(signal.SIGKILL)
        self.process.wait(timeout=30)
        self.elapsed = time.monotonic() - self.started

    def wait(self) -> None:
        try:
            self.process.wait(timeout=RUN_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.kill()
            pytest.fail(f"{self.name} did not finish within {RUN_TIMEOUT_S} s:\n{self.log_tail()}")
        self.elapsed = time.monotonic() - self.started
        assert self.process.returncode == 0, f"{self.name} failed:\n{self.log_tail()}"

    def kill_when(self, point: str, reached: Callable[[], object]) -> object:
        """Poll `reached()` until it returns something, then SIGKILL the run. The run finishing
        first means the kill point was missed: a test failure, never a silent pass."""
        deadline = time.monotonic() + RUN_TIMEOUT_S
        while time.monotonic() < deadline:
            found = reached()
            if found:
                self.kill()
                return found
            if not self.running:
                pytest.fail(f"{self.name}: the run ended (exit {self.process.returncode}) before the kill point "
                            f"'{point}' was observed:\n{self.log_tail()}")
            time.sleep(POLL_S)
        self.kill()
        pytest.fail(f"{self.name}: kill point '{point}' not reached within {RUN_TIMEOUT_S} s:\n{self.log_tail()}")


# -- what is on disk ---------------------------------------------------------------------------

def temp_files(lake: Path) -> list[Path]:
    found = []
    for directory, _, files in os.walk(lake):
        found.extend(Path(directory, f) for f in files if f.startswith(TMP_PREFIX))
    return found


def visible_parquet_files(lake: Path) -> list[Path]:
    """What the readers read: dbt's sources and `Lake.glob` take `[!.]*.parquet` under each dataset."""
    return sorted(p for p in lake.rglob("*.parquet") if not p.name.startswith("."))


def interval_data_files(lake: Path) -> list[Path]:
    found = []
    for vendor in INTERVAL_VENDORS:
        intervals = lake / vendor / "intervals"
        if intervals.is_dir():
            for month in os.scandir(intervals):
                if month.is_dir() and month.name.startswith("month="):
                    found.extend(Path(month.path, f.name) for f in os.scandir(month.path)
                                 if not f.name.startswith((".", "_")))
    return found


def assert_no_partial_file_is_visible(lake: Path, when: str) -> int:
    """Every file a reader globs is a whole Parquet file (footer, schema and every row group
    decode); what a killed writer left behind is only under `.tmp-` names, which no reader globs.
    Returns how many visible files were checked."""
    visible = visible_parquet_files(lake)
    assert not [p for p in visible if p.name.startswith(TMP_PREFIX)]
    for path in visible:
        try:
            pq.read_table(path)
        except Exception as error:  # noqa: BLE001 - any decoding error is the finding
            pytest.fail(f"{when}: {path.relative_to(lake)} is visible to readers but not a whole Parquet file: {error}")
    # The glob dbt's sources use, through DuckDB, over every dataset of every vendor.
    with duckdb.connect() as con:
        for dataset in sorted({p.parent for p in visible if p.name == EMPTY_FILE}):
            con.execute(f"select count(*) from read_parquet('{dataset}/**/[!.]*.parquet', "
                        "hive_partitioning = false, union_by_name = true)").fetchone()
    return len(visible)


# -- the marts ---------------------------------------------------------------------------------

def mart_columns(warehouse: Path) -> dict[str, list[str]]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute("select table_name, column_name from duckdb_columns() "
                           "where schema_name = 'marts' order by table_name, column_index").fetchall()
    columns: dict[str, list[str]] = {}
    for table, column in rows:
        if column not in LOAD_BOOKKEEPING:
            columns.setdefault(table, []).append(column)
    return columns


def marts_fingerprint(warehouse: Path) -> dict[str, tuple[int, int]]:
    """(rows, sum of row hashes) per mart table over every column but the load bookkeeping: equal
    fingerprints mean the same multiset of rows."""
    columns = mart_columns(warehouse)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return {table: tuple(con.execute(
            f"select count(*), coalesce(sum(hash({', '.join(quoted(c) for c in cols)})), 0) from marts.{quoted(table)}"
        ).fetchone()) for table, cols in columns.items()}


def quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def first_differences(expected: Path, actual: Path, tables: list[str], limit: int = 5) -> str:
    """The first rows of each differing table found on one side only (`except all`)."""
    columns = mart_columns(expected)
    lines = []
    with duckdb.connect() as con:
        con.execute(f"attach '{expected}' as expected (read_only)")
        con.execute(f"attach '{actual}' as actual (read_only)")
        for table in tables:
            select = ", ".join(quoted(c) for c in columns.get(table, []))
            for only_in, other in (("expected", "actual"), ("actual", "expected")):
                rows = con.execute(f"select {select} from {only_in}.marts.{quoted(table)} except all "
                                   f"select {select} from {other}.marts.{quoted(table)} limit {limit}").fetchall()
                for row in rows:
                    lines.append(f"{table}: only in {only_in}: {dict(zip(columns[table], row))}")
    return "\n".join(lines)


def assert_same_marts(expected: Path, actual: Path, what: str) -> dict[str, tuple[int, int]]:
    want, got = marts_fingerprint(expected), marts_fingerprint(actual)
    differing = sorted(t for t in set(want) | set(got) if want.get(t) != got.get(t))
    assert not differing, (
        f"{what}: marts differ in {differing}\n"
        + "\n".join(f"  {t}: expected {want.get(t)}, got {got.get(t)}" for t in differing)
        + "\n" + first_differences(expected, actual, [t for t in differing if t in want and t in got]))
    return want


# -- the test ----------------------------------------------------------------------------------

class BaselineSeries(threading.Thread):
    """Series A in the background: one uninterrupted run, its marts' fingerprint, the same sync
    again. Runs while the crash series runs, so the two share the machine's cores."""

    def __init__(self, scenario: dict) -> None:
        super().__init__(name="baseline-series", daemon=True)
        self.scenario = scenario
        self.runs: list[PipelineRun] = []
        self.first_fingerprint: dict | None = None
        self.first_warehouse: Path | None = None
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            series, logs = self.scenario["baseline"], self.scenario["root"] / "logs"
            first = PipelineRun("baseline-1", series, logs)
            self.runs.append(first)
            first.wait()
            warehouse = series["data_dir"] / "warehouse.duckdb"
            self.first_fingerprint = marts_fingerprint(warehouse)
            # A copy of the first run's warehouse, to name the differing rows if the second differs.
            self.first_warehouse = series["data_dir"].parent / "baseline-1.duckdb"
            shutil.copy(warehouse, self.first_warehouse)
            again = PipelineRun("baseline-2", series, logs)
            self.runs.append(again)
            again.wait()
        except BaseException as error:  # noqa: BLE001 - re-raised in the test's thread
            self.error = error

    def stop(self) -> None:
        for run in self.runs:
            if run.running:
                run.kill()


@pytest.mark.timeout(2400)
def test_killed_runs_recover_to_the_marts_of_an_uninterrupted_run_and_a_second_sync_changes_nothing(scenario):
    baseline = BaselineSeries(scenario)
    baseline.start()
    try:
        crashes = crash_series(scenario)
        baseline.join(timeout=2 * RUN_TIMEOUT_S)
        if baseline.error is not None:
            raise baseline.error
        assert not baseline.is_alive(), "the baseline series did not finish"
    finally:
        baseline.stop()
    warehouse_a = scenario["baseline"]["data_dir"] / "warehouse.duckdb"
    warehouse_b = scenario["crashes"]["data_dir"] / "warehouse.duckdb"

    # Idempotency: the same sync twice leaves the marts unchanged.
    assert marts_fingerprint(warehouse_a) == baseline.first_fingerprint, (
        "the same sync run twice changed the marts\n" + first_differences(
            baseline.first_warehouse, warehouse_a,
            [t for t, fp in marts_fingerprint(warehouse_a).items() if baseline.first_fingerprint.get(t) != fp]))
    # Crash recovery: the killed-and-resumed series ends with the marts of the uninterrupted one.
    fingerprint = assert_same_marts(warehouse_a, warehouse_b, "after the crashes")
    assert fingerprint["fct_intervals"][0] > 0 and fingerprint["fct_bills"][0] > 0
    report = scenario["root"] / "report.txt"
    report.write_text("\n".join([
        *(f"{run.name}: {run.elapsed:.1f} s" for run in baseline.runs),
        *(f"{name}: {detail}" for name, detail in crashes),
        *(f"marts.{t}: {rows} rows" for t, (rows, _) in sorted(fingerprint.items())),
    ]) + "\n")
    print(report.read_text())


def crash_series(scenario: dict) -> list[tuple[str, str]]:
    series, logs = scenario["crashes"], scenario["root"] / "logs"
    lake = series["data_dir"] / "lake"
    warehouse = series["data_dir"] / "warehouse.duckdb"
    notes: list[tuple[str, str]] = []

    def after_kill(run: PipelineRun, point: str, detail: str) -> None:
        checked = assert_no_partial_file_is_visible(lake, f"after the kill {point}")
        leftovers = len(temp_files(lake))
        notes.append((run.name, f"killed {point} after {run.elapsed:.1f} s: {detail}; "
                                f"{checked} visible files read whole, {leftovers} .tmp- leftovers"))

    # 1. Mid-write: a `.tmp-` file exists. The run is frozen (SIGSTOP) first, so we know whether
    #    the writer was still before its rename; if not (the file was already renamed), it goes on
    #    and the next write is tried.
    run = PipelineRun("crash-1-mid-write", series, logs)

    def frozen_mid_write() -> Path | None:
        for tmp in temp_files(lake):
            if tmp.name.endswith(EMPTY_FILE):
                continue  # a schema file; a data file's write is the interesting one
            run.signal(signal.SIGSTOP)
            if tmp.exists():
                return tmp
            run.signal(signal.SIGCONT)
        return None

    caught = run.kill_when("mid-write (.tmp- file present, before its rename)", frozen_mid_write)
    assert caught.exists(), "the half-written file should have survived the kill under its .tmp- name"
    after_kill(run, "mid-write", f"{caught.relative_to(lake)}")

    # 2. Mid-ingestion: the first interval file of some vendor is visible.
    run = PipelineRun("crash-2-first-interval-file", series, logs)
    known = set(interval_data_files(lake))
    new_file = run.kill_when("first interval file", lambda: next(
        (p for p in interval_data_files(lake) if p not in known), None))
    after_kill(run, "mid-ingestion", f"{new_file.relative_to(lake)} had just landed")

    # 3. The first dbt build: the warehouse file appears.
    run = PipelineRun("crash-3-warehouse-build", series, logs)
    run.kill_when("warehouse file created", warehouse.exists)
    # Often the kill lands before DuckDB wrote the file's headers: an empty file, which DuckDB
    # cannot open. The next run must remove it (orchestration/recovery.py), not fail on it for ever.
    after_kill(run, "during dbt (warehouse_models)",
               f"the warehouse file had just been created ({warehouse.stat().st_size} bytes)")

    # Then one run completes, from what is on disk only.
    run = PipelineRun("crash-4-completes", series, logs)
    run.wait()
    assert not temp_files(lake), f"leftover .tmp- files after a complete run: {temp_files(lake)}"
    assert_no_partial_file_is_visible(lake, "after the completing run")
    notes.append((run.name, f"completed in {run.elapsed:.1f} s, no .tmp- files left"))
    assert_killed_runs_were_reclaimed(series["data_dir"] / "dagster_home", killed=3)
    return notes


def assert_killed_runs_were_reclaimed(dagster_home: Path, killed: int) -> None:
    """Each run after a kill marked the dead run failed and freed the `warehouse` slot it held
    (orchestration/recovery.py); a slot left claimed would have blocked every later run for ever."""
    from dagster import DagsterInstance

    with DagsterInstance.from_config(str(dagster_home)) as instance:
        statuses = sorted(run.status.value for run in instance.get_runs())
        assert statuses == sorted(["FAILURE"] * killed + ["SUCCESS"]), statuses
        assert not instance.event_log_storage.get_concurrency_info("warehouse").claimed_slots


def test_a_run_whose_process_is_gone_is_marked_failed_and_gives_back_its_warehouse_slot(tmp_path):
    """What the crash series relies on, in isolation and fast: a run tagged by a process that no
    longer exists (or whose pid now belongs to a later process) is reclaimed; a live one is not."""
    from dagster import DagsterInstance, DagsterRunStatus, job, op

    from orchestration.recovery import RUN_PROCESS_TAG, reclaim_killed_runs, run_process_tags

    @op
    def step():
        pass

    @job
    def some_job():
        step()

    shutil.copy(PROJECT / "dagster_home" / "dagster.yaml", tmp_path / "dagster.yaml")
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    live_tag = run_process_tags()[RUN_PROCESS_TAG]
    host, pid, started = live_tag.rsplit(":", 2)
    tags = {
        "gone": f"{host}:{gone.pid}:{started}",
        "pid reused": f"{host}:{pid}:{int(started or 0) - 1}",
        "live": live_tag,
    }
    with DagsterInstance.from_config(str(tmp_path)) as instance:
        runs = {name: instance.create_run_for_job(some_job, status=DagsterRunStatus.STARTED, tags={RUN_PROCESS_TAG: tag})
                for name, tag in tags.items()}
        # The pool as a run's first claim sets it up: the default limit (1) of the project's dagster.yaml.
        assert instance.event_log_storage.initialize_concurrency_limit_to_default("warehouse")
        assert instance.event_log_storage.claim_concurrency_slot("warehouse", runs["gone"].run_id, "step").is_claimed
        assert not instance.event_log_storage.claim_concurrency_slot("warehouse", runs["live"].run_id, "step").is_claimed

        reclaimed = reclaim_killed_runs(instance)

        expected = {runs["gone"].run_id} | ({runs["pid reused"].run_id} if started else set())
        assert set(reclaimed) == expected
        status = {name: instance.get_run_by_id(run.run_id).status for name, run in runs.items()}
        assert status["gone"] == DagsterRunStatus.FAILURE and status["live"] == DagsterRunStatus.STARTED
        # The slot went to the live run, which was waiting for it.
        info = instance.event_log_storage.get_concurrency_info("warehouse")
        assert [slot.run_id for slot in info.claimed_slots] in ([], [runs["live"].run_id])
        assert instance.event_log_storage.claim_concurrency_slot("warehouse", runs["live"].run_id, "step").is_claimed


def test_a_warehouse_killed_while_being_created_is_removed_and_nothing_else_is(tmp_path):
    from orchestration.recovery import discard_unborn_warehouse

    whole = tmp_path / "whole.duckdb"
    duckdb.connect(str(whole)).close()  # a new, empty database: its headers only
    headers = whole.read_bytes()
    cases = {"empty": b"", "headers cut short": headers[:4096], "whole": headers, "not duckdb": b"hello"}
    for name, content in cases.items():
        (tmp_path / f"{name}.duckdb").write_bytes(content)
    (tmp_path / "empty.duckdb.wal").write_bytes(b"")
    removed = {name for name in cases if discard_unborn_warehouse(tmp_path / f"{name}.duckdb")}
    assert removed == {"empty", "headers cut short"}
    assert not (tmp_path / "empty.duckdb.wal").exists()
    assert not discard_unborn_warehouse(tmp_path / "missing.duckdb")
    duckdb.connect(str(tmp_path / "whole.duckdb")).close()

"""Recovering from a killed run: what `make run`, `make backfill` and every dbt step do first.

A run killed mid-way (SIGKILL, the OOM killer, a power cut) leaves three things behind: `.tmp-`
files in the lake (never visible to readers; `Lake.cleanup_temp_files` removes those no live
writer holds), a Dagster run still marked STARTED that holds its concurrency slot, and, if it
died while DuckDB was creating the warehouse, a file DuckDB cannot open. The next run resumes from
the lake and the warehouse, never from the dead run.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

# Tag on the runs this command starts: the host, pid and start time of the process executing them,
# so that a later run can tell a run that was killed (SIGKILL, OOM killer, power loss) from
# one still going. An in-process run that dies keeps status STARTED and keeps the concurrency slot
# its step held (the `warehouse` pool, limit 1): every later run would wait for that slot for ever.
RUN_PROCESS_TAG = "utility/run_process"
UNFINISHED = ("NOT_STARTED", "STARTING", "STARTED", "CANCELING")


def process_start_ticks(pid: int) -> str:
    """When the process started (clock ticks since boot, /proc/<pid>/stat field 22): a pid reused by
    a later process has another. Empty where there is no procfs; the pid alone is checked then."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            return stat.read().rsplit(b")", 1)[1].split()[19].decode()
    except (OSError, IndexError):
        return ""


def run_process_tags() -> dict[str, str]:
    pid = os.getpid()
    return {RUN_PROCESS_TAG: f"{socket.gethostname()}:{pid}:{process_start_ticks(pid)}"}


def run_process_is_gone(tag: str) -> bool:
    host, pid_text, started = tag.rsplit(":", 2)
    if host != socket.gethostname() or not pid_text.isdigit():
        return False  # another machine's process: nothing to tell from here
    pid = int(pid_text)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        pass  # exists, under another user
    return bool(started) and process_start_ticks(pid) != started


# A new DuckDB file starts with its main header and two database headers (4 KiB each); the main
# header carries the magic bytes at offset 8.
DUCKDB_HEADERS_BYTES = 3 * 4096
DUCKDB_MAGIC = b"DUCK"


def discard_unborn_warehouse(warehouse_path) -> bool:
    """Remove a warehouse file whose creation was killed (empty, or its headers cut short): it holds
    no data, and DuckDB refuses to open it ("not a valid DuckDB database file"), so every later dbt
    build would fail. dbt creates it again. Any other file is left alone."""
    path = Path(warehouse_path)
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return False
    if size >= DUCKDB_HEADERS_BYTES:
        return False
    with open(path, "rb") as fh:
        head = fh.read(12)
    if size and head[8:12] != DUCKDB_MAGIC:
        return False  # not something DuckDB started: not ours to delete
    path.unlink()
    path.with_name(path.name + ".wal").unlink(missing_ok=True)
    return True


def reclaim_killed_runs(instance) -> list[str]:
    """Mark failed the runs of these commands whose process is gone, and free the concurrency slots
    they held. Resuming is the next run's job: it starts from the lake and the warehouse, not from
    the dead run."""
    from dagster import DagsterRunStatus, RunsFilter

    statuses = [DagsterRunStatus[name] for name in UNFINISHED]
    reclaimed = []
    for run in instance.get_runs(filters=RunsFilter(statuses=statuses)):
        tag = run.tags.get(RUN_PROCESS_TAG)
        if not tag or not run_process_is_gone(tag):
            continue
        instance.report_run_failed(run, message=f"the process executing this run ({tag}) is gone: it was killed")
        if instance.event_log_storage.supports_global_concurrency_limits:
            instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)
        reclaimed.append(run.run_id)
    return reclaimed

"""The lake writer: atomic files, month partitions, bounded buffers, schema files."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import duckdb
import pyarrow as pa
import pytest

from connectors.lake import EMPTY_FILE, SCHEMA_SUMMARY_FILE, Entity, Lake, changed_rows, new_load_id, read_latest

TS = pa.timestamp("us", tz="UTC")
READINGS = Entity.with_meta("readings", [("meter_id", pa.string()), ("start", TS), ("kwh", pa.float64())],
                            partition_by_month_of="start", key=("meter_id", "start"))
THINGS = Entity.with_meta("things", [("id", pa.string()), ("value", pa.int64())], key=("id",))


def readings(months: int, per_month: int = 3, meter: str = "m1") -> pa.Table:
    rows = []
    for m in range(months):
        for i in range(per_month):
            rows.append({"meter_id": meter, "start": datetime(2024, 1 + m, 1 + i, tzinfo=UTC), "kwh": float(i),
                         "_load_id": "L", "_extracted_at": datetime(2024, 12, 1, tzinfo=UTC)})
    return pa.Table.from_pylist(rows, schema=READINGS.schema)


def test_partitions_by_month_and_leaves_no_temp_files(tmp_path):
    lake = Lake(tmp_path)
    with lake.writer("v", READINGS, "load1") as writer:
        writer.write(readings(3))
    directory = lake.dataset_dir("v", "readings")
    assert sorted(p.name for p in directory.iterdir()) == [SCHEMA_SUMMARY_FILE, EMPTY_FILE, "month=2024-01", "month=2024-02", "month=2024-03"]
    assert not list(tmp_path.rglob(".tmp-*"))
    assert writer.stats.rows == 9 and len(writer.stats.files) == 3
    with duckdb.connect() as con:
        assert con.execute(f"select count(*) from read_parquet('{lake.glob('v', 'readings')}', "
                           "hive_partitioning = false)").fetchone()[0] == 9


def test_open_partitions_are_bounded(tmp_path):
    lake = Lake(tmp_path)
    writer = lake.writer("v", READINGS, "load1", max_open_partitions=2)
    for month in range(6):
        writer.write(readings(month + 1).slice(month * 3, 3))
        assert len(writer._buffers) <= 2
    writer.close()
    assert writer.stats.rows == 18 and len(writer.stats.partitions) == 6


def test_a_failed_write_leaves_nothing_visible(tmp_path, monkeypatch):
    lake = Lake(tmp_path)
    import pyarrow.parquet as pq

    def broken(table, path, **kwargs):
        open(path, "wb").write(b"PAR1 half a file")
        raise OSError("disk full")

    monkeypatch.setattr(pq, "write_table", broken)
    with pytest.raises(OSError, match="disk full"):
        with lake.writer("v", THINGS, "load1") as w:
            w.write(pa.Table.from_pylist([{"id": "a", "value": 1, "_load_id": "l", "_extracted_at": None}],
                                         schema=THINGS.schema))
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]


def test_empty_dataset_is_readable_and_latest_wins(tmp_path):
    lake = Lake(tmp_path)
    lake.ensure_dataset("v", THINGS)
    assert read_latest(lake, "v", THINGS).num_rows == 0
    t0 = datetime(2024, 1, 1, tzinfo=UTC)
    for i, value in enumerate([1, 2]):
        with lake.writer("v", THINGS, new_load_id()) as writer:
            writer.write(pa.Table.from_pylist([{"id": "a", "value": value, "_load_id": f"L{i}",
                                                "_extracted_at": t0 + timedelta(hours=i)}], schema=THINGS.schema))
    assert read_latest(lake, "v", THINGS).to_pylist()[0]["value"] == 2


def test_changed_rows_keeps_only_new_or_different_records():
    t0 = datetime(2024, 1, 1, tzinfo=UTC)
    latest = pa.Table.from_pylist([{"id": "a", "value": 1, "_load_id": "L0", "_extracted_at": t0},
                                   {"id": "b", "value": 2, "_load_id": "L0", "_extracted_at": t0}], schema=THINGS.schema)
    new = pa.Table.from_pylist([{"id": "a", "value": 1, "_load_id": "L1", "_extracted_at": t0},
                                {"id": "b", "value": 3, "_load_id": "L1", "_extracted_at": t0},
                                {"id": "c", "value": 4, "_load_id": "L1", "_extracted_at": t0}], schema=THINGS.schema)
    assert changed_rows(new, latest, ("id",))["id"].to_pylist() == ["b", "c"]


def test_cleanup_removes_dead_writers_temp_files_but_not_a_live_writers(tmp_path):
    """A killed writer's `.tmp-` file is removed; one a live writer holds (its flock, as
    write_parquet_atomic takes it) is left alone, so a run cleaning up never breaks another's write."""
    import fcntl

    from connectors.lake import TMP_PREFIX

    lake = Lake(tmp_path)
    directory = tmp_path / "bayou" / "bills"
    directory.mkdir(parents=True)
    dead = directory / f"{TMP_PREFIX}dead-0001.parquet"
    dead.write_bytes(b"PAR1 cut short")
    live = directory / f"{TMP_PREFIX}live-0002.parquet"
    with open(live, "wb") as held:
        fcntl.flock(held.fileno(), fcntl.LOCK_EX)
        assert lake.cleanup_temp_files() == 1
        assert not dead.exists() and live.exists()
    assert lake.cleanup_temp_files() == 1  # its writer is gone: now it goes too
    assert not live.exists()

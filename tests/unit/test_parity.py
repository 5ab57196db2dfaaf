"""orchestration/parity.py without Spark: a DuckDB warehouse against Spark-shaped Parquet folders."""

from __future__ import annotations

from datetime import date, datetime, timezone
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
from orchestration.parity import compare_marts, spark_table_dir

ROWS = [
    ("m1", datetime(2026, 3, 1, 5, tzinfo=timezone.utc), 1.25, "12.50", date(2026, 3, 1)),
    ("m1", datetime(2026, 3, 1, 6, tzinfo=timezone.utc), 0.1 + 0.2, "3.10", date(2026, 3, 1)),
    ("m2", datetime(2026, 4, 2, 0, tzinfo=timezone.utc), None, None, date(2026, 4, 1)),
]


def _warehouse(path: Path) -> Path:
    with duckdb.connect(str(path)) as con:
        con.execute("set TimeZone = 'UTC'")
        con.execute("create schema marts")
        con.execute("create table marts.readings (meter varchar, interval_start timestamptz, usage double, "
                    "amount decimal(18, 2), interval_month date)")
        con.executemany("insert into marts.readings values (?, ?, ?, cast(? as decimal(18, 2)), ?)", ROWS)
    return path


def _spark_table(spark_dir: Path, rows, *, drop_column: str | None = None) -> None:
    """As Spark writes a table partitioned by interval_month: part files in Hive folders, the
    partition column only in the folder name, plus Spark's _SUCCESS and .crc files."""
    folder = spark_table_dir(spark_dir, "readings")
    for month in sorted({r[4] for r in rows}):
        part = folder / f"interval_month={month.isoformat()}"
        part.mkdir(parents=True)
        chosen = [r for r in rows if r[4] == month]
        columns = {
            "meter": pa.array([r[0] for r in chosen], pa.string()),
            "interval_start": pa.array([r[1] for r in chosen], pa.timestamp("us", tz="UTC")),
            "usage": pa.array([r[2] for r in chosen], pa.float64()),
            "amount": pa.array([None if r[3] is None else __import__("decimal").Decimal(r[3]) for r in chosen],
                               pa.decimal128(18, 2)),
        }
        if drop_column:
            columns.pop(drop_column)
        pq.write_table(pa.table(columns), part / "part-00000-abc.c000.snappy.parquet")
        (part / ".part-00000-abc.c000.snappy.parquet.crc").write_bytes(b"crc")
    (folder / "_SUCCESS").write_bytes(b"")


def test_identical_tables_compare_equal(tmp_path):
    _spark_table(tmp_path / "spark", ROWS)
    report = compare_marts(_warehouse(tmp_path / "w.duckdb"), tmp_path / "spark")
    assert report.equal, report.describe()
    assert [t.table for t in report.tables] == ["readings"]
    assert "no differences" in report.describe()


def test_float_noise_below_the_precision_is_no_difference(tmp_path):
    noisy = [(r[0], r[1], None if r[2] is None else r[2] + 1e-9, r[3], r[4]) for r in ROWS]
    _spark_table(tmp_path / "spark", noisy)
    assert compare_marts(_warehouse(tmp_path / "w.duckdb"), tmp_path / "spark").equal


def test_a_timestamp_partition_folder_is_compared_as_a_timestamp(tmp_path):
    """Spark writes a TIMESTAMP partition value into the folder name; DuckDB reads it back as text."""
    warehouse = tmp_path / "w.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        con.execute("set TimeZone = 'UTC'")
        con.execute("create schema marts")
        con.execute("create table marts.months as select 'm1' as meter, timestamptz '2026-03-01 00:00:00+00' as month_start")
    folder = spark_table_dir(tmp_path / "spark", "months") / "month_start=2026-03-01 00%3A00%3A00"
    folder.mkdir(parents=True)
    pq.write_table(pa.table({"meter": ["m1"]}), folder / "part-00000.parquet")
    assert compare_marts(warehouse, tmp_path / "spark").equal


def test_a_changed_value_is_named_with_its_row(tmp_path):
    changed = list(ROWS)
    changed[1] = ("m1", ROWS[1][1], 0.31, "3.10", ROWS[1][4])
    _spark_table(tmp_path / "spark", changed)
    report = compare_marts(_warehouse(tmp_path / "w.duckdb"), tmp_path / "spark")
    assert not report.equal
    (table,) = report.differing
    assert (table.only_in_duckdb, table.only_in_spark) == (1, 1)
    text = table.describe()
    assert "only in DuckDB: meter=m1, interval_start=2026-03-01 06:00:00.000000, usage=0.3," in text
    assert "only in Spark: meter=m1, interval_start=2026-03-01 06:00:00.000000, usage=0.31," in text


def test_a_missing_row_and_a_missing_column_are_differences(tmp_path):
    _spark_table(tmp_path / "spark", ROWS[:2], drop_column="amount")
    report = compare_marts(_warehouse(tmp_path / "w.duckdb"), tmp_path / "spark")
    (table,) = report.differing
    assert table.missing_columns == {"Spark": ["amount"]}
    assert (table.duckdb_rows, table.spark_rows, table.only_in_duckdb) == (3, 2, 1)
    assert "meter=m2" in table.describe()


def test_a_table_spark_never_built_is_a_difference(tmp_path):
    (tmp_path / "spark").mkdir()
    report = compare_marts(_warehouse(tmp_path / "w.duckdb"), tmp_path / "spark")
    assert not report.equal
    assert "no folder at" in report.describe()


def test_no_marts_is_never_equal(tmp_path):
    path = tmp_path / "empty.duckdb"
    duckdb.connect(str(path)).close()
    assert not compare_marts(path, tmp_path / "spark").equal

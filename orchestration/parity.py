"""The marts built on Spark compared with the marts built on DuckDB, row by row.

Both builds read the same lake (dbt_project/macros/lake_sources.sql). The DuckDB marts are read
from the warehouse file, the Spark marts straight from their Parquet folders in Spark's
warehouse directory (`<spark dir>/warehouse/marts.db/<table>/`, Hive partition folders
included), so the comparison needs no Spark session and works on a cluster's files too.

Every value is normalised before the comparison, so that only meaning can differ:
* floating-point and decimal numbers rounded to `decimals` places (DEFAULT_DECIMALS, 6: well below
  a Wh or a tenth of a cent; the two engines add floats in different orders);
* instants rendered in UTC, dates and times as ISO text, everything else as text.
Rows are compared as multisets (EXCEPT ALL both ways): zero differences, or the first rows that
differ, per table, with their columns.

CLI: `python -m orchestration.parity --warehouse data/warehouse.duckdb --spark-dir data/spark`
(exit 1 when a table differs).
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

DEFAULT_DECIMALS = 6
MARTS_SCHEMA = "marts"
# Spark's own files in a table folder (_SUCCESS, .crc checksums) are not data.
SPARK_DATA_FILES = "**/[!._]*.parquet"

_NUMERIC = ("DOUBLE", "FLOAT", "REAL", "DECIMAL")
_TEXT_AS_IS = ("VARCHAR", "BOOLEAN", "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UUID")


@dataclass
class TableParity:
    table: str
    duckdb_rows: int
    spark_rows: int
    only_in_duckdb: int = 0
    only_in_spark: int = 0
    missing_columns: dict[str, list[str]] = field(default_factory=dict)  # engine -> columns it lacks
    examples: list[str] = field(default_factory=list)  # the first differing rows, described

    @property
    def equal(self) -> bool:
        return not (self.only_in_duckdb or self.only_in_spark or self.missing_columns
                    or self.duckdb_rows != self.spark_rows)

    def describe(self) -> str:
        if self.equal:
            return f"{self.table}: {self.duckdb_rows} rows, identical"
        lines = [f"{self.table}: DuckDB {self.duckdb_rows} rows, Spark {self.spark_rows} rows; "
                 f"{self.only_in_duckdb} only in DuckDB, {self.only_in_spark} only in Spark"]
        for engine, columns in self.missing_columns.items():
            lines.append(f"  columns missing on {engine}: {', '.join(columns)}")
        lines += [f"  {example}" for example in self.examples]
        return "\n".join(lines)


@dataclass
class ParityReport:
    tables: list[TableParity]
    decimals: int

    @property
    def equal(self) -> bool:
        return bool(self.tables) and all(t.equal for t in self.tables)

    @property
    def differing(self) -> list[TableParity]:
        return [t for t in self.tables if not t.equal]

    def describe(self) -> str:
        head = (f"{len(self.tables)} marts compared (numbers rounded to {self.decimals} decimals): "
                + ("no differences" if self.equal else f"{len(self.differing)} differ"))
        return "\n".join([head] + [t.describe() for t in self.tables])


def spark_table_dir(spark_dir: Path, table: str, schema: str = MARTS_SCHEMA) -> Path:
    """Where Spark (warehouse dir `<spark_dir>/warehouse`, see dbt_project/profiles.yml) keeps a table."""
    return Path(spark_dir) / "warehouse" / f"{schema}.db" / table


def _normalised(column: str, data_type: str, decimals: int) -> str:
    quoted = '"' + column.replace('"', '""') + '"'
    kind = data_type.upper()
    if kind.startswith(_NUMERIC):
        value = f"cast(round(cast({quoted} as double), {decimals}) as varchar)"
    elif kind.startswith("TIMESTAMP WITH TIME ZONE") or kind == "TIMESTAMPTZ":
        value = f"strftime(timezone('UTC', {quoted}), '%Y-%m-%d %H:%M:%S.%f')"
    elif kind.startswith("TIMESTAMP"):
        value = f"strftime({quoted}, '%Y-%m-%d %H:%M:%S.%f')"
    else:
        value = f"cast({quoted} as varchar)"
    return f"{value} as {quoted}"


def _columns(con: duckdb.DuckDBPyConnection, relation: str) -> dict[str, str]:
    return {name: data_type for name, data_type, *_ in con.execute(f"describe {relation}").fetchall()}


def compare_table(con: duckdb.DuckDBPyConnection, table: str, spark_dir: Path, *, decimals: int,
                  max_examples: int = 5) -> TableParity:
    duck = f'warehouse.{MARTS_SCHEMA}."{table}"'
    duck_rows = con.execute(f"select count(*) from {duck}").fetchone()[0]
    folder = spark_table_dir(spark_dir, table)
    files = sorted(p for p in folder.rglob("*.parquet") if not p.name.startswith((".", "_"))) if folder.exists() else []
    if not files:
        # Spark writes no file for an empty partitioned table; a missing folder is a missing table.
        parity = TableParity(table, duck_rows, 0)
        if not folder.exists():
            parity.missing_columns["Spark"] = ["(the whole table: no folder at " + str(folder) + ")"]
        return parity
    con.execute(f"create or replace temp view spark_mart as select * from read_parquet("
                f"'{folder}/{SPARK_DATA_FILES}', hive_partitioning = true, union_by_name = true)")
    duck_columns = _columns(con, duck)
    spark_columns = _columns(con, "spark_mart")
    parity = TableParity(table, duck_rows, con.execute("select count(*) from spark_mart").fetchone()[0])
    for engine, have, other in (("Spark", spark_columns, duck_columns), ("DuckDB", duck_columns, spark_columns)):
        lacking = [c for c in other if c not in have]
        if lacking:
            parity.missing_columns[engine] = lacking
    shared = [c for c in duck_columns if c in spark_columns]
    # Spark's values typed as DuckDB's first: a Hive partition column comes back from its folder
    # name as text (`month_start=2026-03-01 00%3A00%3A00`), an INT where DuckDB has a BIGINT.
    spark_typed = ", ".join(
        f'cast("{c}" as {duck_columns[c]}) as "{c}"' if spark_columns[c] != duck_columns[c] else f'"{c}"'
        for c in shared)
    duck_select = ", ".join(_normalised(c, duck_columns[c], decimals) for c in shared)
    con.execute(f"create or replace temp view duck_norm as select {duck_select} from {duck}")
    con.execute(f"create or replace temp view spark_norm as select {duck_select} "
                f"from (select {spark_typed} from spark_mart)")
    order = ", ".join(f'"{c}"' for c in shared)
    for side, first, second in (("only in DuckDB", "duck_norm", "spark_norm"), ("only in Spark", "spark_norm", "duck_norm")):
        count = con.execute(f"select count(*) from (select * from {first} except all select * from {second})").fetchone()[0]
        if side == "only in DuckDB":
            parity.only_in_duckdb = count
        else:
            parity.only_in_spark = count
        if count:
            rows = con.execute(f"select * from (select * from {first} except all select * from {second}) "
                               f"order by {order} limit {max_examples}").fetchall()
            for row in rows:
                parity.examples.append(f"{side}: " + ", ".join(f"{c}={v}" for c, v in zip(shared, row)))
    return parity


def compare_marts(warehouse: Path, spark_dir: Path, *, decimals: int = DEFAULT_DECIMALS,
                  tables: list[str] | None = None) -> ParityReport:
    """Every table of the warehouse's `marts` schema (or `tables`) against Spark's copy."""
    with duckdb.connect() as con:
        con.execute("set TimeZone = 'UTC'")
        con.execute(f"attach '{warehouse}' as warehouse (read_only)")
        names = tables or [r[0] for r in con.execute(
            "select table_name from information_schema.tables where table_catalog = 'warehouse' "
            "and table_schema = ? and table_type = 'BASE TABLE' order by table_name", [MARTS_SCHEMA]).fetchall()]
        return ParityReport([compare_table(con, name, Path(spark_dir), decimals=decimals) for name in names], decimals)


def main(argv: list[str] | None = None) -> int:
    from connectors.settings import load_settings

    settings = load_settings()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--warehouse", type=Path, default=settings.warehouse_path, help="the DuckDB warehouse file")
    parser.add_argument("--spark-dir", type=Path, default=settings.data_dir / "spark",
                        help="UTILITY_SPARK_DIR of the Spark build (its warehouse/ folder holds the marts)")
    parser.add_argument("--decimals", type=int, default=DEFAULT_DECIMALS, help="rounding of non-integer numbers")
    args = parser.parse_args(argv)
    report = compare_marts(args.warehouse, args.spark_dir, decimals=args.decimals)
    print(report.describe())
    return 0 if report.equal else 1


if __name__ == "__main__":
    sys.exit(main())

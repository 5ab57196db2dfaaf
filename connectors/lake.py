"""The Parquet lake: append-only, atomic, Hive-partitioned where it pays.

Layout and schemas are documented in docs/lake.md. Writers never modify a visible file:
each file is written under a `.tmp-` name in its final directory and renamed into place,
so readers (dbt, DuckDB, Spark) see whole files or nothing.
"""

from __future__ import annotations

import fcntl
import os
import secrets
import threading
import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

EMPTY_FILE = "_empty.parquet"
TMP_PREFIX = ".tmp-"
META_COLUMNS = [("_load_id", pa.string()), ("_extracted_at", pa.timestamp("us", tz="UTC"))]
DEFAULT_MAX_ROWS_PER_FILE = 1_000_000


def new_load_id(now: datetime | None = None) -> str:
    """Sortable and unique: `20261123T010203.123456Z-1a2b3c4d`. Microseconds, so that two loads in
    the same second still sort in time order (read_latest breaks `_extracted_at` ties on it)."""
    now = now or datetime.now(UTC)
    return f"{now.strftime('%Y%m%dT%H%M%S.%fZ')}-{secrets.token_hex(4)}"


@dataclass(frozen=True)
class Entity:
    """A raw dataset: its name, Arrow schema (metadata columns included) and partitioning."""

    name: str
    schema: pa.Schema
    partition_by_month_of: str | None = None  # a timestamp column; files go under month=YYYY-MM/
    key: tuple[str, ...] = ()
    description: str = ""
    preview_columns: tuple[str, ...] = ()  # shown in Dagster metadata: ids and dates, no personal data

    @staticmethod
    def with_meta(name: str, fields: list[tuple[str, pa.DataType]], **kwargs) -> Entity:
        return Entity(name=name, schema=pa.schema(fields + META_COLUMNS), **kwargs)


def write_parquet_atomic(table: pa.Table, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.parent / f"{TMP_PREFIX}{uuid.uuid4().hex}-{path.name}"
    # The writer holds an exclusive flock on its temp file until the rename, so that
    # cleanup_temp_files (run by another process) removes only the files of dead writers: the
    # kernel releases the lock when the process dies, however it dies.
    with open(tmp, "wb") as held:
        fcntl.flock(held.fileno(), fcntl.LOCK_EX)
        try:
            pq.write_table(table, tmp, compression="zstd")
            os.fsync(held.fileno())
            os.replace(tmp, path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
    return path


def _held_by_a_live_writer(tmp: Path) -> bool:
    try:
        with open(tmp, "rb") as probe:
            fcntl.flock(probe.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    except FileNotFoundError:
        return True  # renamed or removed meanwhile: nothing to clean
    return False


class Lake:
    def __init__(self, root: str | Path) -> None:
        self.root = Path(root).resolve()

    def dataset_dir(self, namespace: str, entity: str) -> Path:
        return self.root / namespace / entity

    def has_data(self, namespace: str, entity: str) -> bool:
        directory = self.dataset_dir(namespace, entity)
        return directory.exists() and any(
            p for p in directory.rglob("*.parquet") if p.name != EMPTY_FILE and not p.name.startswith(TMP_PREFIX)
        )

    def glob(self, namespace: str, entity: str) -> str:
        """The DuckDB glob for a dataset: the zero-row schema file included, `.tmp-` files not
        (DuckDB's `*` matches names that start with a dot)."""
        return str(self.dataset_dir(namespace, entity) / "**" / "[!.]*.parquet")

    def ensure_dataset(self, namespace: str, entity: Entity) -> None:
        """Write the zero-row schema file so readers can query a dataset with no loads yet."""
        path = self.dataset_dir(namespace, entity.name) / EMPTY_FILE
        if path.exists():
            existing = pq.read_schema(path)
            if existing.equals(entity.schema, check_metadata=False):
                return
        write_parquet_atomic(entity.schema.empty_table(), path)

    def replace_snapshot(self, namespace: str, entity: str, table: pa.Table, name: str = "policy.parquet") -> Path:
        """A dataset that is one file, replaced as a whole (the compiled policy)."""
        return write_parquet_atomic(table, self.dataset_dir(namespace, entity) / name)

    def writer(self, namespace: str, entity: Entity, load_id: str, **kwargs) -> DatasetWriter:
        return DatasetWriter(self, namespace, entity, load_id, **kwargs)

    def cleanup_temp_files(self) -> int:
        """Remove `.tmp-` files left by a crashed writer (never visible to readers); a file a live
        writer still holds (another run writing at this moment) is left alone."""
        removed = 0
        if self.root.exists():
            for tmp in self.root.rglob(f"{TMP_PREFIX}*"):
                if tmp.is_file() and not _held_by_a_live_writer(tmp):
                    tmp.unlink(missing_ok=True)
                    removed += 1
        return removed


@dataclass
class WriteStats:
    rows: int = 0
    files: list[str] = field(default_factory=list)
    partitions: set[str] = field(default_factory=set)


class DatasetWriter:
    """Buffers Arrow tables for one dataset and one load; flushes whole files atomically.

    Memory stays bounded by `max_rows_per_file` per open partition. Thread-safe.
    """

    def __init__(
        self, lake: Lake, namespace: str, entity: Entity, load_id: str,
        *, max_rows_per_file: int = DEFAULT_MAX_ROWS_PER_FILE, max_open_partitions: int = 4,
    ) -> None:
        self.lake = lake
        self.namespace = namespace
        self.entity = entity
        self.load_id = load_id
        self.max_rows_per_file = max_rows_per_file
        self.max_open_partitions = max_open_partitions
        self.stats = WriteStats()
        self._buffers: dict[str, list[pa.Table]] = defaultdict(list)
        self._buffered_rows: dict[str, int] = defaultdict(int)
        self._sequence = 0
        self._lock = threading.Lock()
        lake.ensure_dataset(namespace, entity)

    def write(self, table: pa.Table) -> None:
        """Buffer rows; callers that write partition by partition get one file per partition."""
        if table.num_rows == 0:
            return
        table = table.select(self.entity.schema.names).cast(self.entity.schema)
        for partition, part in self._split(table):
            with self._lock:
                self._buffers[partition].append(part)
                self._buffered_rows[partition] += part.num_rows
                if self._buffered_rows[partition] >= self.max_rows_per_file:
                    self._flush(partition)
                # Memory stays bounded whatever the history length: the partition written to
                # least recently is flushed when too many are open (dicts keep insertion order).
                while len(self._buffers) > self.max_open_partitions:
                    self._flush(next(iter(self._buffers)))

    def write_rows(self, rows: Iterable[dict]) -> None:
        rows = list(rows)
        if rows:
            self.write(pa.Table.from_pylist(rows, schema=self.entity.schema))

    def close(self) -> WriteStats:
        with self._lock:
            for partition in list(self._buffers):
                self._flush(partition)
        return self.stats

    def __enter__(self) -> DatasetWriter:
        return self

    def __exit__(self, exc_type, *exc: object) -> None:
        # On error, what was buffered is still written: every buffered row is complete and
        # valid, and append-only + staging dedupe make a re-run safe.
        self.close()

    def _split(self, table: pa.Table) -> Iterable[tuple[str, pa.Table]]:
        """(partition, rows) pairs. Only the first and last month of a batch are formatted as text
        when it lies in one month (every batch of an interval sync does: requests are cut at month
        boundaries); otherwise the column is floored to months and only the distinct months are
        formatted. Partitions come in order of first appearance, as rows do within each."""
        column = self.entity.partition_by_month_of
        if column is None:
            yield "", table
            return
        values = table[column]
        if values.null_count == 0:
            bounds = pc.min_max(values)
            first, last = pc.strftime(pa.array([bounds["min"], bounds["max"]], values.type), format="%Y-%m").to_pylist()
            if first == last:
                yield f"month={first}", table
                return
        months = pc.floor_temporal(values, unit="month")
        distinct = pc.unique(months)
        for month, label in zip(distinct, pc.strftime(distinct, format="%Y-%m").to_pylist()):
            yield f"month={label}", table.filter(pc.equal(months, month))

    def _flush(self, partition: str) -> None:
        parts = self._buffers.pop(partition, [])
        self._buffered_rows.pop(partition, None)
        if not parts:
            return
        # Chunks are not combined: Parquet writes row groups from a chunked table as it is, and a
        # combined copy would double the partition's memory while it is written.
        table = pa.concat_tables(parts)
        self._sequence += 1
        directory = self.lake.dataset_dir(self.namespace, self.entity.name)
        if partition:
            directory = directory / partition
            self.stats.partitions.add(partition)
        path = write_parquet_atomic(table, directory / f"{self.load_id}-{self._sequence:04d}.parquet")
        self.stats.rows += table.num_rows
        self.stats.files.append(str(path.relative_to(self.lake.root)))


def read_latest(lake: Lake, namespace: str, entity: Entity, *, columns: list[str] | None = None) -> pa.Table:
    """The latest version of every record of a dataset (by `_extracted_at`, then `_load_id`)."""
    import duckdb

    if not entity.key:
        raise ValueError(f"{namespace}.{entity.name} has no key to dedupe on")
    if not lake.dataset_dir(namespace, entity.name).exists():
        return entity.schema.empty_table()
    select = ", ".join(f'"{c}"' for c in (columns or entity.schema.names))
    key = ", ".join(f'"{c}"' for c in entity.key)
    query = f"""
        select {select} from (
            select *, row_number() over (partition by {key} order by _extracted_at desc, _load_id desc) as _rank
            from read_parquet(?, hive_partitioning = false, union_by_name = true)
        ) where _rank = 1
    """
    with duckdb.connect() as con:
        return con.execute(query, [lake.glob(namespace, entity.name)]).fetch_arrow_table()


def query_dataset(lake: Lake, namespace: str, entity: str, sql: str, params: list | None = None) -> pa.Table:
    """Run `sql` over one dataset, exposed as the view `dataset` (DuckDB, in memory)."""
    import duckdb

    if not lake.dataset_dir(namespace, entity).exists():
        raise FileNotFoundError(f"{namespace}/{entity} has no data in the lake yet")
    with duckdb.connect() as con:
        con.execute(
            f"create view dataset as select * from read_parquet('{lake.glob(namespace, entity)}', "
            "hive_partitioning = false, union_by_name = true)"
        )
        return con.execute(sql, params or []).fetch_arrow_table()


def changed_rows(new: pa.Table, latest: pa.Table, key: tuple[str, ...]) -> pa.Table:
    """Rows of `new` whose content differs from the latest landed version (or that are new).

    Keeps the lake from growing by a full copy on every sync of slowly changing entities.
    """
    import hashlib

    import orjson

    data_columns = [c for c in new.schema.names if not c.startswith("_")]

    def digests(table: pa.Table) -> dict[tuple, str]:
        out = {}
        for row in table.select(data_columns).to_pylist():
            blob = orjson.dumps(row, default=str, option=orjson.OPT_SORT_KEYS)
            out[tuple(row[k] for k in key)] = hashlib.sha256(blob).hexdigest()
        return out

    if latest.num_rows == 0 or new.num_rows == 0:
        return new
    before = digests(latest.select(data_columns))
    after = digests(new)
    keep = [before.get(k) != digest for k, digest in after.items()]
    if len(keep) != new.num_rows:  # duplicate keys inside one batch: keep everything
        return new
    return new.filter(pa.array(keep))

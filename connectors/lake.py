"""The Parquet lake: append-only, atomic, Hive-partitioned where it pays.

Layout and schemas are documented in docs/lake.md. Writers never modify a visible file, so
readers (dbt, DuckDB, Spark) see whole files or nothing. In a local folder each file is written
under a `.tmp-` name in its final directory and renamed into place; on object storage
(`UTILITY_LAKE_URI=s3://bucket/prefix`, connectors/objectstore.py) a rename is a copy, so each
file is uploaded straight to its final key in one PUT, which S3 makes visible whole or not at all.
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
from typing import Union
from urllib.parse import unquote, urlsplit

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from .objectstore import ObjectPath, fsspec_filesystem, is_object_store_uri, older_than, register_aws_secrets

LakePath = Union[Path, ObjectPath]  # a local path, or an object (key) on S3

EMPTY_FILE = "_empty.parquet"
SCHEMA_SUMMARY_FILE = "_common_metadata"
TMP_PREFIX = ".tmp-"
META_COLUMNS = [("_load_id", pa.string()), ("_extracted_at", pa.timestamp("us", tz="UTC"))]
DEFAULT_MAX_ROWS_PER_FILE = 1_000_000
# On object storage no writer holds a lock a cleaner could probe: a `.tmp-` object (only
# connectors that stage a file and rename it make one there) is a leftover once this old.
STALE_OBJECT_TMP_AFTER_S = 3600


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


def write_parquet_atomic(table: pa.Table, path: LakePath, *, schema_only: bool = False) -> LakePath:
    """Write `table` as one Parquet file at `path`, all or nothing. `schema_only`: a Parquet
    summary file (footer only, no row group), as `_common_metadata` is."""
    def write(where) -> None:
        if schema_only:
            pq.write_metadata(table.schema, where)
        else:
            pq.write_table(table, where, compression="zstd")

    if isinstance(path, ObjectPath):
        return _put_parquet(write, path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.parent / f"{TMP_PREFIX}{uuid.uuid4().hex}-{path.name}"
    # The writer holds an exclusive flock on its temp file until the rename, so that
    # cleanup_temp_files (run by another process) removes only the files of dead writers: the
    # kernel releases the lock when the process dies, however it dies.
    with open(tmp, "wb") as held:
        fcntl.flock(held.fileno(), fcntl.LOCK_EX)
        try:
            write(tmp)
            os.fsync(held.fileno())
            os.replace(tmp, path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
    return path


def _put_parquet(write, path: ObjectPath) -> ObjectPath:
    """Object storage: the file is serialized in memory, then uploaded to its final key in one
    request. S3 publishes an object only once its upload completes (PUT, or the completion of a
    multipart upload), so a failed or killed writer leaves nothing visible; no temporary object,
    no rename (a rename on S3 is a copy and a delete, not atomic)."""
    sink = pa.BufferOutputStream()
    write(sink)
    path.write_bytes(sink.getvalue().to_pybytes())
    return path


def read_schema(path: LakePath) -> pa.Schema:
    if isinstance(path, ObjectPath):
        return pq.read_schema(path.path, filesystem=path.fs)
    return pq.read_schema(path)


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
    """The lake under `root`: a local folder (a path, or a `file://` URI) or `s3://bucket/prefix`.

    `root` (and `dataset_dir`) is a `pathlib.Path` for a local lake and an `ObjectPath` (the same
    small pathlib API over pyarrow's S3FileSystem) on S3, so connectors need not know which.
    """

    def __init__(self, root: str | Path | ObjectPath) -> None:
        self.root: LakePath
        if isinstance(root, ObjectPath):
            self.root = root
        elif is_object_store_uri(root):
            self.root = ObjectPath.from_uri(str(root))
        else:
            if isinstance(root, str) and root.startswith("file://"):
                root = unquote(urlsplit(root).path)
            self.root = Path(root).resolve()
        if not self.is_local:
            register_aws_secrets()

    @property
    def is_local(self) -> bool:
        return isinstance(self.root, Path)

    @property
    def uri(self) -> str:
        """The root as dbt's sources and UTILITY_LAKE_URI spell it (no trailing slash)."""
        return str(self.root)

    def __repr__(self) -> str:
        return f"Lake({self.uri!r})"

    def dataset_dir(self, namespace: str, entity: str) -> LakePath:
        return self.root / namespace / entity

    def duckdb(self):
        """An in-memory DuckDB connection that can read this lake (s3:// through s3fs)."""
        import duckdb

        con = duckdb.connect()
        if not self.is_local:
            con.register_filesystem(fsspec_filesystem())
        return con

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
        """Write the schema files so readers can query a dataset with no loads yet."""
        self.ensure_schema_files(namespace, entity.name, entity.schema)

    def ensure_schema_files(self, namespace: str, name: str, schema: pa.Schema) -> None:
        """The dataset's schema, twice, each file (re)written when missing or different:
        `_empty.parquet`, a zero-row file DuckDB's glob reads (typed, empty tables for a dataset
        never synced), and `_common_metadata`, the Parquet summary file Spark and Hive infer a
        table's schema from (they skip every other file whose name starts with `_`)."""
        directory = self.dataset_dir(namespace, name)
        for file_name, schema_only in ((EMPTY_FILE, False), (SCHEMA_SUMMARY_FILE, True)):
            path = directory / file_name
            if path.exists() and read_schema(path).equals(schema, check_metadata=False):
                continue
            write_parquet_atomic(schema.empty_table(), path, schema_only=schema_only)

    def replace_snapshot(self, namespace: str, entity: str, table: pa.Table, name: str = "policy.parquet") -> LakePath:
        """A dataset that is one file, replaced as a whole (the compiled policy)."""
        return write_parquet_atomic(table, self.dataset_dir(namespace, entity) / name)

    def writer(self, namespace: str, entity: Entity, load_id: str, **kwargs) -> DatasetWriter:
        return DatasetWriter(self, namespace, entity, load_id, **kwargs)

    def cleanup_temp_files(self) -> int:
        """Remove `.tmp-` files left by a crashed writer (never visible to readers); a file a live
        writer still holds (another run writing at this moment) is left alone. On object storage
        the lake itself writes no temporary objects; a `.tmp-` object another writer staged is
        removed once it is STALE_OBJECT_TMP_AFTER_S old."""
        removed = 0
        if isinstance(self.root, ObjectPath):
            for tmp, info in self.root.files(recursive=True):
                if tmp.name.startswith(TMP_PREFIX) and older_than(info, STALE_OBJECT_TMP_AFTER_S):
                    tmp.unlink(missing_ok=True)
                    removed += 1
            return removed
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
    with lake.duckdb() as con:
        return con.execute(query, [lake.glob(namespace, entity.name)]).fetch_arrow_table()


def query_dataset(lake: Lake, namespace: str, entity: str, sql: str, params: list | None = None) -> pa.Table:
    """Run `sql` over one dataset, exposed as the view `dataset` (DuckDB, in memory)."""
    if not lake.dataset_dir(namespace, entity).exists():
        raise FileNotFoundError(f"{namespace}/{entity} has no data in the lake yet")
    with lake.duckdb() as con:
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

"""Landing helpers every vendor's sync uses: write an entity, write quarantine, previews."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pyarrow as pa

from ..lake import Entity, changed_rows, read_latest
from .quarantine import QUARANTINE, Quarantine
from .vendor import EntityResult, SyncContext, SyncResult

PREVIEW_ROWS = 5


def now_utc() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def preview(table: pa.Table, columns: list[str]) -> list[dict[str, Any]]:
    """A few rows as plain JSON values (Dagster metadata is JSON)."""

    def plain(value: Any) -> Any:
        if isinstance(value, Decimal):
            return str(value)
        return value.isoformat() if hasattr(value, "isoformat") else value

    return [{k: plain(v) for k, v in row.items()} for row in table.select(columns).slice(0, PREVIEW_ROWS).to_pylist()]


def drop_duplicate_keys(table: pa.Table, key: tuple[str, ...]) -> tuple[pa.Table, int]:
    """(`table` with one row per key, how many rows were dropped). The last row of a key wins:
    lists are read in order, so a record met again later (repeated on the next page, or
    updated while we paged) is the newer copy. Without a key, nothing is dropped."""
    if not key or table.num_rows < 2:
        return table, 0
    columns = [table.column(name).to_pylist() for name in key]
    seen: set[tuple] = set()
    keep = [False] * table.num_rows
    for index in range(table.num_rows - 1, -1, -1):
        row_key = tuple(column[index] for column in columns)
        if row_key not in seen:
            seen.add(row_key)
            keep[index] = True
    dropped = table.num_rows - len(seen)
    return (table.filter(pa.array(keep)) if dropped else table), dropped


def land(ctx: SyncContext, entity: Entity, table: pa.Table, *, only_changed: bool = True) -> EntityResult:
    """Append `table` to the entity's dataset, one row per key (duplicates counted and
    dropped); by default only records that changed."""
    table, duplicates = drop_duplicate_keys(table, entity.key)
    if duplicates:
        ctx.log.info("%s %s: dropped %d duplicate record(s) met twice in this sync", ctx.vendor, entity.name,
                     duplicates)
    if only_changed:
        table = changed_rows(table, read_latest(ctx.lake, ctx.vendor, entity), entity.key)
    with ctx.lake.writer(ctx.vendor, entity, ctx.load_id) as writer:
        writer.write(table)
    columns = list(entity.preview_columns) or [c for c in table.schema.names if not c.startswith("_")][:6]
    return EntityResult(rows=writer.stats.rows, files=len(writer.stats.files), preview=preview(table, columns),
                        duplicates_dropped=duplicates)


def land_quarantine(ctx: SyncContext, quarantine: Quarantine, result: SyncResult) -> None:
    if len(quarantine):
        with ctx.lake.writer(ctx.vendor, QUARANTINE, ctx.load_id) as writer:
            writer.write(quarantine.to_table())
        ctx.log.warning("%s: quarantined %d malformed record(s): %s", ctx.vendor, len(quarantine),
                        dict(quarantine.reasons))
    else:
        ctx.lake.ensure_dataset(ctx.vendor, QUARANTINE)
    result.quarantined += len(quarantine)
    for reason, count in quarantine.reasons.items():
        result.quarantine_reasons[reason] = result.quarantine_reasons.get(reason, 0) + count
    count_duplicates(result)


def count_duplicates(result: SyncResult) -> None:
    """The duplicates `land` dropped, as the sync's counter `duplicates_dropped` (absent when
    none). Every sync calls `land_quarantine` after landing its entities, which calls this."""
    dropped = sum(entity.duplicates_dropped for entity in result.entities.values())
    if dropped:
        result.counters["duplicates_dropped"] = dropped

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


def land(ctx: SyncContext, entity: Entity, table: pa.Table, *, only_changed: bool = True) -> EntityResult:
    """Append `table` to the entity's dataset; by default only records that changed."""
    if only_changed:
        table = changed_rows(table, read_latest(ctx.lake, ctx.vendor, entity), entity.key)
    with ctx.lake.writer(ctx.vendor, entity, ctx.load_id) as writer:
        writer.write(table)
    columns = list(entity.preview_columns) or [c for c in table.schema.names if not c.startswith("_")][:6]
    return EntityResult(rows=writer.stats.rows, files=len(writer.stats.files), preview=preview(table, columns))


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

"""What each interval request covered, so that a re-fetched range replaces the readings it held.

The lake is append-only and readings are deduplicated on (meter, interval_start), latest
extraction first. That alone never removes a reading the vendor no longer sends for a range
(a revised month with a reading withdrawn). So every successful interval request also lands one
`interval_loads` row: the customer (and meter, when the request was for one meter), the
[covers_start, covers_end) range it covered and its load id. The warehouse drops a reading when a
later load covered its time without re-sending it (dbt `int_intervals__policy_applied`): re-running
a month gives exactly the vendor's current answer for that month, no duplicates and no stale rows.

Partitioned runs pass a month window (`SyncContext.window`): syncs then fetch every meter's whole
window again, whatever their incremental cursors say (a backfill or a trailing-months re-sync).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import pyarrow as pa

from ..lake import Entity

TS = pa.timestamp("us", tz="UTC")

INTERVAL_LOADS = Entity.with_meta(
    "interval_loads",
    [("customer_id", pa.string()), ("meter_id", pa.string()), ("covers_start", TS), ("covers_end", TS),
     ("readings", pa.int64())],
    key=("_load_id", "customer_id", "meter_id", "covers_start"),
    description="One row per successful interval request: the customer (and meter, NULL = all the customer's "
                "meters) and the [covers_start, covers_end) range it covered. A later load covering a reading's "
                "time without re-sending it withdraws that reading in the warehouse.",
    preview_columns=("customer_id", "meter_id", "covers_start", "covers_end", "readings"),
)


@dataclass
class IntervalLoads:
    """Collects the ranges a sync's interval requests covered; `table()` lands them."""

    load_id: str
    rows: list[dict] = field(default_factory=list)

    def add(self, customer_id: str, meter_id: str | None, start: datetime, end: datetime, readings: int,
            extracted_at: datetime) -> None:
        self.rows.append({"customer_id": customer_id, "meter_id": meter_id, "covers_start": start,
                          "covers_end": end, "readings": readings, "_load_id": self.load_id,
                          "_extracted_at": extracted_at})

    def table(self) -> pa.Table:
        return pa.Table.from_pylist(self.rows, schema=INTERVAL_LOADS.schema)


"""Bayou interval payloads to Arrow, with the policy applied before anything is written.

Volume lives here (35,040 readings per meter-year), so the per-reading Python work is one
tuple of dict lookups; timestamps and numbers are converted by Arrow in bulk, and the slow,
careful path only runs for payloads that contain something odd.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

import orjson
import pyarrow as pa
import pyarrow.compute as pc

from ..core.quarantine import Quarantine
from ..core.records import to_float, to_text, to_timestamp
from ..policy import Window, midnight_utc
from .entities import INTERVALS, TS

# (Bayou field, lake column)
VALUE_FIELDS = (
    ("electricity_consumption", "electricity_consumption_wh"),
    ("net_electricity_consumption", "net_electricity_consumption_wh"),
    ("generated_electricity", "generated_electricity_wh"),
    ("electricity_demand", "electricity_demand_w"),
    ("gas_consumption", "gas_consumption_therms"),
)


@dataclass
class IntervalBatch:
    table: pa.Table
    received: int = 0
    outside_policy: int = 0
    conflicts: int = 0
    quarantined: int = 0
    meters: set[str] = field(default_factory=set)


def resolve_conflict(value):
    """Bayou turns a field into an array when two conflicting readings exist for one period.

    Rule (docs/assumptions.md): the last element is the most recently reported reading and wins.
    """
    non_null = [v for v in value if v is not None]
    return non_null[-1] if non_null else None


def parse_interval_payload(
    body: object,
    *,
    customer_id: str,
    windows: Sequence[Window],
    load_id: str,
    extracted_at: datetime,
    quarantine: Quarantine,
) -> IntervalBatch:
    if not isinstance(body, dict) or not isinstance(body.get("meters", []), list):
        raise ValueError("interval response is not an object with a 'meters' array")
    columns: dict[str, list] = {name: [] for name in INTERVALS.schema.names if not name.startswith("_")}
    batch = IntervalBatch(table=INTERVALS.schema.empty_table())
    for meter in body.get("meters") or []:
        meter_id = to_text(meter.get("id")) if isinstance(meter, dict) else None
        readings = meter.get("intervals") if isinstance(meter, dict) else None
        if not meter_id or not isinstance(readings, list):
            quarantine.add("intervals", meter, "interval meter without id or intervals array", extracted_at)
            continue
        batch.meters.add(meter_id)
        for reading in readings:
            batch.received += 1
            row = _reading_row(reading, meter_id, quarantine, extracted_at)
            if row is None:
                continue
            for name, value in row.items():
                columns[name].append(value)
    if not columns["meter_id"]:
        return batch
    columns["customer_id"] = [customer_id] * len(columns["meter_id"])
    try:
        arrays = {name: _to_arrow(values, INTERVALS.schema.field(name).type) for name, values in columns.items()}
    except (ValueError, pa.ArrowInvalid, pa.ArrowTypeError):
        columns = _drop_unreadable_rows(columns, quarantine, extracted_at)
        batch.quarantined = len(quarantine)
        arrays = {name: _to_arrow(values, INTERVALS.schema.field(name).type) for name, values in columns.items()}
    n = len(columns["meter_id"])
    table = pa.table(arrays)
    table = table.append_column("_load_id", pa.array([load_id] * n, pa.string()))
    table = table.append_column("_extracted_at", pa.array([extracted_at] * n, TS))
    table = table.select(INTERVALS.schema.names)
    keep = in_windows(table["interval_start"], windows)
    batch.outside_policy = n - (pc.sum(keep.cast(pa.int64())).as_py() or 0)
    batch.table = table.filter(keep)
    batch.conflicts = batch.table.num_rows - batch.table["conflicting_fields"].null_count
    return batch


def _drop_unreadable_rows(columns: dict[str, list], quarantine: Quarantine, extracted_at: datetime) -> dict[str, list]:
    """Slow path: convert row by row, quarantining readings whose values cannot be read."""
    names = list(columns)
    kept: dict[str, list] = {name: [] for name in names}
    for i in range(len(columns["meter_id"])):
        row = {name: columns[name][i] for name in names}
        try:
            converted = {
                name: (to_timestamp(v) if INTERVALS.schema.field(name).type == TS
                       else to_float(v) if pa.types.is_floating(INTERVALS.schema.field(name).type) else v)
                for name, v in row.items()
            }
            if converted["interval_end"] <= converted["interval_start"]:
                raise ValueError(f"interval end {row['interval_end']} is not after start {row['interval_start']}")
        except (ValueError, TypeError) as exc:
            quarantine.add("intervals", row, f"unreadable reading: {exc}", extracted_at, record_id=row["meter_id"])
            continue
        for name in names:
            kept[name].append(converted[name])
    return kept


def in_windows(starts: pa.ChunkedArray | pa.Array, windows: Sequence[Window]) -> pa.Array:
    """Boolean mask: which start times fall in any policy window (start incl., end excl.)."""
    keep = pa.array([False] * len(starts))
    for window in windows:
        mask = pa.array([True] * len(starts))
        if window.starts_on is not None:
            mask = pc.and_(mask, pc.greater_equal(starts, pa.scalar(midnight_utc(window.starts_on), TS)))
        if window.ends_on is not None:
            mask = pc.and_(mask, pc.less(starts, pa.scalar(midnight_utc(window.ends_on), TS)))
        keep = pc.or_(keep, mask)
    return keep


def _reading_row(reading, meter_id: str, quarantine: Quarantine, extracted_at: datetime) -> dict | None:
    if not isinstance(reading, dict):
        quarantine.add("intervals", reading, "interval reading is not a JSON object", extracted_at, record_id=meter_id)
        return None
    start, end = reading.get("start"), reading.get("end")
    if not isinstance(start, str) or not isinstance(end, str):
        quarantine.add("intervals", reading, "interval reading without start/end", extracted_at, record_id=meter_id)
        return None
    row = {"meter_id": meter_id, "interval_start": start, "interval_end": end,
           "created_at": reading.get("created_at"), "updated_at": reading.get("updated_at"),
           "conflicting_fields": None, "conflict_values_json": None}
    conflicts = None
    for source, column in VALUE_FIELDS:
        value = reading.get(source)
        if isinstance(value, list):
            conflicts = conflicts or {}
            conflicts[source] = value
            value = resolve_conflict(value)
        row[column] = value
    if conflicts:
        row["conflicting_fields"] = ",".join(sorted(conflicts))
        row["conflict_values_json"] = orjson.dumps(conflicts, option=orjson.OPT_SORT_KEYS).decode()
    return row


def _to_arrow(values: list, target: pa.DataType) -> pa.Array:
    """Bulk conversion; falls back to per-value parsing for odd spellings ("50.000", offsets)."""
    if target == TS and values and not isinstance(values[0], datetime):
        try:
            return pa.array(values, pa.string()).cast(TS)
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            return pa.array([to_timestamp(v) for v in values], TS)
    if pa.types.is_floating(target):
        try:
            return pa.array(values, target)
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            return pa.array([to_float(v) for v in values], target)
    return pa.array(values, target)

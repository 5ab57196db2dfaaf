"""WattzOn monthly interval files to Arrow readings in UTC.

Two readers: the normalized JSON file (UTC unix timestamps; preferred) and the utility's own
`source` CSV, which older agents are limited to ("Normalized data not available"). The source
file has local wall-clock times without offsets, so it is read in the meter's time zone (learned
from a normalized month of the same meter), and the repeated hour of a fall-back day is resolved
by order: its first occurrence is daylight time, the second standard time.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import orjson
import pyarrow as pa
import pyarrow.compute as pc

from .entities import INTERVALS, TS

INTERVAL = timedelta(minutes=15)


def _table(profile_id, meter_id, month_id, starts_us: pa.Array, ends_us: pa.Array, values: list, timezone,
           extraction_time, load_id, extracted_at) -> pa.Table:
    n = len(values)
    return pa.table({
        "profile_id": pa.array([profile_id] * n, pa.string()),
        "meter_id": pa.array([meter_id] * n, pa.string()),
        "month_id": pa.array([month_id] * n, pa.string()),
        "interval_start": starts_us,
        "interval_end": ends_us,
        "usage_kwh": pa.array(values, pa.float64()),
        "timezone": pa.array([timezone] * n, pa.string()),
        "extraction_time": pa.array([extraction_time] * n, TS),
        "_load_id": pa.array([load_id] * n, pa.string()),
        "_extracted_at": pa.array([extracted_at] * n, TS),
    }).select(INTERVALS.schema.names)


def _unix_to_ts(seconds: list) -> pa.Array:
    return pc.multiply(pa.array(seconds, pa.int64()), 1_000_000).cast(pa.timestamp("us")).cast(TS)


def parse_month_json(content: bytes, *, profile_id: str, meter_id: str, month_id: str, extraction_time,
                     load_id: str, extracted_at: datetime) -> tuple[pa.Table, str | None]:
    """`{"timezone", "readings": [{"start": unix, "end": unix, "value": kWh}, ...]}`."""
    try:
        body = orjson.loads(content)
    except orjson.JSONDecodeError as exc:
        raise ValueError(f"interval file {meter_id} {month_id} is not valid JSON: {exc}") from None
    if not isinstance(body, dict) or not isinstance(body.get("readings"), list):
        raise ValueError(f"interval file {meter_id} {month_id} has no 'readings' array")
    readings = body["readings"]
    if not all(isinstance(r, dict) for r in readings):
        raise ValueError(f"interval file {meter_id} {month_id}: a reading is not an object")
    table = _table(profile_id, meter_id, month_id, _unix_to_ts([r.get("start") for r in readings]),
                   _unix_to_ts([r.get("end") for r in readings]), [r.get("value") for r in readings],
                   body.get("timezone"), extraction_time, load_id, extracted_at)
    if table["interval_start"].null_count or table["interval_end"].null_count:
        raise ValueError(f"interval file {meter_id} {month_id}: readings without start or end")
    return table, body.get("timezone")


def parse_month_source(content: bytes, *, timezone: str, profile_id: str, meter_id: str, month_id: str,
                       extraction_time, load_id: str, extracted_at: datetime) -> pa.Table:
    """The utility's CSV export: `TYPE,DATE,START TIME,END TIME,USAGE,UNITS,NOTES` in local time."""
    zone = ZoneInfo(timezone)
    text = content.decode("utf-8-sig", "replace")
    lines = text.splitlines()
    try:
        header_at = next(i for i, line in enumerate(lines) if line.upper().startswith("TYPE,DATE,START TIME"))
    except StopIteration:
        raise ValueError(f"interval source file {meter_id} {month_id} has no TYPE,DATE,START TIME header") from None
    seen: set[tuple[str, str]] = set()
    starts, values = [], []
    for row in csv.DictReader(io.StringIO("\n".join(lines[header_at:]))):
        day, clock = row.get("DATE"), row.get("START TIME")
        if not day or not clock:
            continue
        unit = (row.get("UNITS") or "kWh").strip().lower()
        if unit not in ("kwh", ""):
            raise ValueError(f"interval source file {meter_id} {month_id}: unexpected unit {row.get('UNITS')!r}")
        local = datetime.combine(date.fromisoformat(day), time.fromisoformat(clock))
        fold = 1 if (day, clock) in seen else 0  # the second occurrence of a fall-back wall time
        seen.add((day, clock))
        starts.append(local.replace(tzinfo=zone, fold=fold).astimezone(UTC))
        values.append(float(row["USAGE"]) if row.get("USAGE") not in (None, "") else None)
    start_array = pa.array(starts, TS)
    end_array = pa.array([s + INTERVAL for s in starts], TS)
    return _table(profile_id, meter_id, month_id, start_array, end_array, values, timezone,
                  extraction_time, load_id, extracted_at)

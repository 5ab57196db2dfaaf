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

from ..core.records import MAX_READING_KWH, MIN_YEAR
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


# A reading's plausible range (docs: Bad input): Unix seconds from 1900 to 2100, an end after its
# start, a kWh value that is neither negative (the files carry consumption delivered from the grid;
# export is `exported_energy` on the bills) nor beyond one GWh.
EARLIEST_UNIX = int(datetime(MIN_YEAR, 1, 1, tzinfo=UTC).timestamp())
LATEST_UNIX = int(datetime(2100, 1, 1, tzinfo=UTC).timestamp())
MAX_VALUE_KWH = float(MAX_READING_KWH)


def reading_problem(reading: object) -> str | None:
    """Why one reading of a normalized month file cannot land (naming the field), or None."""
    if not isinstance(reading, dict):
        return f"reading is not a JSON object (got {type(reading).__name__})"
    start, end, value = reading.get("start"), reading.get("end"), reading.get("value")
    for name, moment in (("start", start), ("end", end)):
        if isinstance(moment, bool) or not isinstance(moment, int):
            return f"{name}: expected Unix seconds (an integer), got {moment!r}"
        if not EARLIEST_UNIX <= moment < LATEST_UNIX:
            return f"{name}: implausible Unix time {moment!r} (outside {MIN_YEAR} to 2100)"
    if end <= start:
        return f"end: {end} is not after start {start}"
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return f"value: expected a number of kWh, got {value!r}"
    if value != value or value in (float("inf"), float("-inf")):
        return f"value: not a finite number ({value!r})"
    if value < 0:
        return f"value: negative usage {value!r} kWh (the files carry consumption; export is not in them)"
    if value > MAX_VALUE_KWH:
        return f"value: implausible usage {value!r} kWh in one reading (limit {MAX_VALUE_KWH:,.0f})"
    return None


def parse_month_json(content: bytes, *, profile_id: str, meter_id: str, month_id: str, extraction_time,
                     load_id: str, extracted_at: datetime) -> tuple[pa.Table, str | None, list[tuple[object, str]]]:
    """`{"timezone", "readings": [{"start": unix, "end": unix, "value": kWh}, ...]}`.

    Returns (table, timezone, rejected readings as (raw, reason)). A file that is not JSON or has
    no readings array raises ValueError: the whole answer is unreadable. A reading with the start
    of an earlier one is a duplicate: the first lands, a different later one is rejected."""
    try:
        body = orjson.loads(content)
    except orjson.JSONDecodeError as exc:
        snippet = content[:60].decode("utf-8", "replace")
        raise ValueError(f"interval file {meter_id} {month_id} is not valid JSON ({exc}); "
                         f"starts with {snippet!r}") from None
    if not isinstance(body, dict) or not isinstance(body.get("readings"), list):
        raise ValueError(f"interval file {meter_id} {month_id} has no 'readings' array")
    timezone = body.get("timezone") if isinstance(body.get("timezone"), str) else None
    starts, ends, values, rejected = [], [], [], []
    first_at: dict[int, object] = {}
    for reading in body["readings"]:
        problem = reading_problem(reading)
        if problem is None and reading["start"] in first_at:
            if reading == first_at[reading["start"]]:
                continue  # an exact repeat lands once
            problem = f"start: duplicate reading at {reading['start']} with a different value (the first one is kept)"
        if problem is not None:
            rejected.append((reading, problem))
            continue
        first_at[reading["start"]] = reading
        starts.append(reading["start"])
        ends.append(reading["end"])
        value = reading.get("value")
        values.append(None if value is None else float(value))
    table = _table(profile_id, meter_id, month_id, _unix_to_ts(starts), _unix_to_ts(ends), values,
                   timezone, extraction_time, load_id, extracted_at)
    return table, timezone, rejected


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

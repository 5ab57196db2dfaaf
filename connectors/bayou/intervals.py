"""Bayou interval payloads to Arrow, with the policy applied before anything is written.

Volume lives here (35,040 readings per meter-year). Two paths produce the same table:

* the native path (`parse_interval_body`): the raw response bytes go to Arrow's JSON reader
  with an explicit schema, readings are flattened with Arrow compute and timestamps are cast in
  bulk, so no Python object is created per reading and the GIL is released while parsing. The
  rare conflicting readings (a field sent as an `[older, newer]` array) are found in the bytes
  beforehand and resolved in Python, a few per body;
* the Python path (`parse_interval_payload` on a parsed body): one tuple of dict lookups per
  reading, with the slow, careful conversion for payloads that contain something odd.

Whatever the native path cannot reproduce exactly (a malformed reading to quarantine, a value
that is not a number, a timestamp Arrow cannot cast, JSON that only Arrow would accept...) makes
it hand the whole body to the Python path, which is the reference; `IntervalBatch.parser` and
`fallback_reason` say which path produced a batch.
"""

from __future__ import annotations

import functools
import io
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pa_json

from ..core.quarantine import Quarantine
from ..core.records import MAX_DEMAND_KW, MAX_READING_KWH, MAX_READING_THERMS, MIN_YEAR, to_float, to_text, to_timestamp
from ..policy import Window, midnight_utc
from .client import _iso
from .entities import INTERVALS, TS

log = logging.getLogger(__name__)

# (Bayou field, lake column)
VALUE_FIELDS = (
    ("electricity_consumption", "electricity_consumption_wh"),
    ("net_electricity_consumption", "net_electricity_consumption_wh"),
    ("generated_electricity", "generated_electricity_wh"),
    ("electricity_demand", "electricity_demand_w"),
    ("gas_consumption", "gas_consumption_therms"),
)
TIMESTAMP_FIELDS = (("start", "interval_start"), ("end", "interval_end"),
                    ("created_at", "created_at"), ("updated_at", "updated_at"))

# What a landed reading may hold (docs: Bad input). Only the net value may be negative (export
# above use on a net-metered meter); every value has a ceiling far above any real meter.
READING_LIMITS = {
    "electricity_consumption_wh": float(MAX_READING_KWH * 1000),
    "net_electricity_consumption_wh": float(MAX_READING_KWH * 1000),
    "generated_electricity_wh": float(MAX_READING_KWH * 1000),
    "electricity_demand_w": float(MAX_DEMAND_KW * 1000),
    "gas_consumption_therms": float(MAX_READING_THERMS),
}
MAY_BE_NEGATIVE = frozenset({"net_electricity_consumption_wh"})
EARLIEST_START = datetime(MIN_YEAR, 1, 1, tzinfo=UTC)
_SOURCE_OF = {column: source for source, column in VALUE_FIELDS + TIMESTAMP_FIELDS}


@dataclass
class IntervalBatch:
    table: pa.Table
    received: int = 0
    outside_policy: int = 0
    conflicts: int = 0
    quarantined: int = 0
    meters: set[str] = field(default_factory=set)
    parser: str = "python"  # "arrow": the native path; "python": the reference path
    fallback_reason: str | None = None  # why a body handed to the native path was parsed in Python

    @property
    def python_fallback(self) -> int:
        """1 when a raw body had to be parsed by the Python path (for counters)."""
        return int(self.fallback_reason is not None)


def resolve_conflict(value):
    """Bayou turns a field into an array when two conflicting readings exist for one period.

    Rule (docs/assumptions.md): the last element is the most recently reported reading and wins.
    """
    non_null = [v for v in value if v is not None]
    return non_null[-1] if non_null else None


def get_interval_body(client, customer_id: str, *, start: datetime | date | None = None,
                      end: datetime | date | None = None, meter_id: str | None = None) -> bytes:
    """`GET /customers/{id}/intervals` as raw bytes (what `BayouClient.get_intervals_raw` returns
    parsed), for `parse_interval_payload`'s native path."""
    params = {"start": _iso(start), "end": _iso(end), "meter_id": meter_id}
    return client.http.get_bytes(f"/customers/{customer_id}/intervals", params=params)


def parse_interval_payload(
    body: object,
    *,
    customer_id: str,
    windows: Sequence[Window],
    load_id: str,
    extracted_at: datetime,
    quarantine: Quarantine,
) -> IntervalBatch:
    """One interval response (raw bytes, or already parsed) as an IntervalBatch.

    Bytes go to the native path, and to the Python path only when the native one cannot
    reproduce its result exactly. Raises ValueError when the body is not JSON or not an
    object with a `meters` array.
    """
    kwargs = dict(customer_id=customer_id, windows=windows, load_id=load_id, extracted_at=extracted_at,
                  quarantine=quarantine)
    if isinstance(body, (bytes, bytearray, memoryview)):
        return parse_interval_body(bytes(body), **kwargs)
    return _parse_python(body, **kwargs)


def parse_interval_body(
    body: bytes,
    *,
    customer_id: str,
    windows: Sequence[Window],
    load_id: str,
    extracted_at: datetime,
    quarantine: Quarantine,
) -> IntervalBatch:
    """The native path, falling back to the Python path for this body only."""
    try:
        table, received, meters, conflicts = _native_table(body)
    except _Fallback as exc:
        reason = str(exc)
    else:
        batch = IntervalBatch(table=INTERVALS.schema.empty_table(), received=received, meters=meters,
                              parser="arrow")
        if table is not None:
            _finish(batch, table, customer_id=customer_id, windows=windows, load_id=load_id,
                    extracted_at=extracted_at)
        return batch
    log.info("bayou intervals: a body was parsed by the Python path (%s)", reason)
    try:
        parsed = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        snippet = body[:80].decode("utf-8", "replace")
        raise ValueError(f"response is not valid JSON ({exc}); starts with {snippet!r}") from None
    batch = _parse_python(parsed, customer_id=customer_id, windows=windows, load_id=load_id,
                          extracted_at=extracted_at, quarantine=quarantine)
    batch.fallback_reason = reason
    return batch


def _parse_python(
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
            batch.quarantined += 1
            continue
        batch.meters.add(meter_id)
        first_at: dict = {}  # start -> the reading first sent for it (the first one lands)
        for reading in readings:
            batch.received += 1
            row = _reading_row(reading, meter_id, quarantine, extracted_at)
            if row is None:
                batch.quarantined += 1
                continue
            start = row["interval_start"]
            if start in first_at:
                if reading != first_at[start]:
                    quarantine.add("intervals", {"meter_id": meter_id, **reading},
                                   f"start: duplicate reading for meter {meter_id} at {start} with different values "
                                   f"(the first one in the answer is kept)", extracted_at, record_id=meter_id)
                    batch.quarantined += 1
                continue  # an exact repeat lands once
            first_at[start] = reading
            for name, value in row.items():
                columns[name].append(value)
    if not columns["meter_id"]:
        return batch
    del columns["customer_id"]  # a constant column, added below
    try:
        arrays = {name: _to_arrow(values, INTERVALS.schema.field(name).type) for name, values in columns.items()}
    except (ValueError, pa.ArrowInvalid, pa.ArrowTypeError):
        columns["customer_id"] = [customer_id] * len(columns["meter_id"])  # quarantined rows show it
        before = len(columns["meter_id"])
        columns = _drop_unreadable_rows(columns, quarantine, extracted_at)
        del columns["customer_id"]
        batch.quarantined += before - len(columns["meter_id"])
        arrays = {name: _to_arrow(values, INTERVALS.schema.field(name).type) for name, values in columns.items()}
    table = pa.table(arrays)
    bad = implausible_readings(table) if table.num_rows else pa.array([], pa.bool_())
    if pc.any(bad).as_py():
        for i in pc.indices_nonzero(bad).to_pylist():
            raw = {"customer_id": customer_id, **{name: values[i] for name, values in columns.items()}}
            quarantine.add("intervals", raw, f"unreadable reading: {reading_problem(table.slice(i, 1).to_pylist()[0])}",
                           extracted_at, record_id=raw["meter_id"])
            batch.quarantined += 1
        table = table.filter(pc.invert(bad))
    _finish(batch, table, customer_id=customer_id, windows=windows, load_id=load_id,
            extracted_at=extracted_at)
    return batch


def _finish(batch: IntervalBatch, table: pa.Table, *, customer_id: str, windows: Sequence[Window], load_id: str,
            extracted_at: datetime) -> None:
    """Constant columns, the column order, the policy mask and the counts: shared by both paths."""
    n = table.num_rows
    table = table.append_column("customer_id", pa.repeat(pa.scalar(customer_id, pa.string()), n))
    table = table.append_column("_load_id", pa.repeat(pa.scalar(load_id, pa.string()), n))
    table = table.append_column("_extracted_at", pa.repeat(pa.scalar(extracted_at, TS), n))
    table = table.select(INTERVALS.schema.names)
    keep = in_windows(table["interval_start"], windows)
    kept = pc.sum(keep).as_py() or 0  # nulls (no start time) are not kept
    batch.outside_policy = n - kept
    batch.table = table if kept == n else table.filter(keep)
    batch.conflicts = batch.table.num_rows - batch.table["conflicting_fields"].null_count


# -- the native path -------------------------------------------------------------------------


class _Fallback(Exception):
    """The native path cannot reproduce the Python path's result for this body (the reason)."""


# A conflicting reading's array, e.g. `"electricity_consumption":[1234,1187]`, is rewritten in the
# bytes to `"~conflict~0":"electricity_consumption:[1234,1187]"` (`~conflict~1` for a second field
# of the same reading): the numeric field is then absent (null), and the field name and the
# array's JSON text arrive in a string column, to be resolved in Python. Two slots, not one per
# field: every field of the schema costs the reader time on every reading.
CONFLICT_PREFIX = "~conflict~"
CONFLICT_SLOTS = 2
_READING = pa.struct(
    [("start", pa.string()), ("end", pa.string())]
    + [(source, pa.float64()) for source, _ in VALUE_FIELDS]
    + [("created_at", pa.string()), ("updated_at", pa.string())]
    + [(f"{CONFLICT_PREFIX}{slot}", pa.string()) for slot in range(CONFLICT_SLOTS)]
)
_BODY_SCHEMA = pa.schema([("meters", pa.list_(pa.struct([("id", pa.string()), ("intervals", pa.list_(_READING))])))])
_PARSE = pa_json.ParseOptions(explicit_schema=_BODY_SCHEMA, unexpected_field_behavior="ignore")
_PARSE_MULTILINE = pa_json.ParseOptions(explicit_schema=_BODY_SCHEMA, unexpected_field_behavior="ignore",
                                        newlines_in_values=True)
_BOM = b"\xef\xbb\xbf"
_WHITESPACE = b" \t\r\n"
_KEY_BEFORE = b"{,\t\r\n "  # what may precede a key's opening quote in valid JSON
_CONFLICT_KEYS = tuple((b'"' + source.encode() + b'"', source) for source, _ in VALUE_FIELDS)
_ARRAY_REJECT = re.compile(rb'["\[{\x00-\x08\x0b\x0c\x0e-\x1f]')  # strings, nesting, control chars


def _native_table(body: bytes) -> tuple[pa.Table | None, int, set[str], int]:
    """(readings table without the constant columns, readings received, meter ids, conflicts).

    Raises _Fallback wherever the Python path could decide differently: it is the reference.
    """
    # JSON Arrow's reader accepts but orjson (hence the Python path) rejects.
    if body.startswith(_BOM):
        raise _Fallback("body starts with a byte order mark")
    # (A one-byte search is a memchr, ten times faster than a three-byte one; these bytes are rare.)
    if (b"N" in body and b"NaN" in body) or (b"I" in body and b"Inf" in body):
        raise _Fallback("NaN or Infinity in the body")
    if not body.isascii():
        try:
            body.decode("utf-8")
        except UnicodeDecodeError:
            raise _Fallback("body is not valid UTF-8") from None
    if b"~" in body and CONFLICT_PREFIX.encode() in body:
        raise _Fallback(f"body contains {CONFLICT_PREFIX!r}")
    body = _rewrite_conflict_arrays(body)
    multiline = b"\n" in body or b"\r" in body
    try:
        parsed = pa_json.read_json(
            io.BytesIO(body),
            read_options=pa_json.ReadOptions(use_threads=False, block_size=len(body) + 1024),
            parse_options=_PARSE_MULTILINE if multiline else _PARSE,
        )
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError) as exc:
        raise _Fallback(_short(exc)) from None
    if parsed.num_rows != 1:
        raise _Fallback(f"{parsed.num_rows} JSON values in the body")
    meters_list = parsed["meters"].combine_chunks()
    if meters_list.null_count:
        if b'"meters"' not in body:
            return None, 0, set(), 0  # no key at all: nothing to read (null is an error: Python path)
        raise _Fallback("'meters' is null")
    meters = meters_list.flatten()
    if meters.null_count:
        raise _Fallback("a meter is not an object")
    ids = meters.field("id").to_pylist()
    for meter_id in ids:
        if meter_id is None or to_text(meter_id) != meter_id:
            raise _Fallback("a meter id is missing, blank or padded")
    intervals = meters.field("intervals")
    if intervals.null_count:
        raise _Fallback("a meter has no intervals array")
    readings = intervals.flatten()
    received = len(readings)
    if received == 0:
        return None, 0, set(ids), 0
    if readings.null_count:
        raise _Fallback("a reading is not an object")
    parents = pc.list_parent_indices(intervals)
    columns: dict[str, pa.Array] = {"meter_id": pa.array(ids, pa.string()).take(parents)}
    for source, column in TIMESTAMP_FIELDS:
        values = readings.field(source)
        if source in ("start", "end") and values.null_count:
            raise _Fallback("a reading has no start/end")
        try:
            columns[column] = values.cast(TS)
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError) as exc:
            raise _Fallback(f"{source}: {_short(exc)}") from None
    for source, column in VALUE_FIELDS:
        values = readings.field(source)
        if values.null_count < len(values):
            as_numpy = values.to_numpy(zero_copy_only=False)
            if np.any(np.signbit(as_numpy) & (as_numpy == 0)):
                raise _Fallback(f"{source}: a negative zero (-0 and -0.0 differ in the Python path)")
        columns[column] = values
    conflicting_fields = pa.nulls(received, pa.string())
    conflict_values_json = pa.nulls(received, pa.string())
    slots = [readings.field(f"{CONFLICT_PREFIX}{slot}") for slot in range(CONFLICT_SLOTS)]
    conflicts = 0
    if any(slot.null_count < received for slot in slots):
        columns, conflicting_fields, conflict_values_json, conflicts = _resolve_conflicts(columns, slots)
    columns["conflicting_fields"] = conflicting_fields
    columns["conflict_values_json"] = conflict_values_json
    table = pa.table(columns)
    # Impossible readings and repeated start times are rare: the Python path quarantines them.
    if pc.any(implausible_readings(table)).as_py():
        raise _Fallback("an implausible reading (end not after start, a placeholder date, a negative or absurd value)")
    if _repeats_a_start(table["interval_start"], parents):
        raise _Fallback("a meter's readings are not in strictly increasing start order")
    return table, received, set(ids), conflicts


def implausible_readings(table: pa.Table) -> pa.Array:
    """Boolean mask (no nulls) of readings the lake must not hold, with Arrow compute only: the
    end not after the start, a start before MIN_YEAR, a negative value where only the net value
    may be negative, or a value beyond READING_LIMITS. A missing start or end counts as bad."""
    start, end = table["interval_start"], table["interval_end"]
    bad = pc.or_(pc.less_equal(end, start), pc.less(start, pa.scalar(EARLIEST_START, TS)))
    for column, limit in READING_LIMITS.items():
        values = table[column]
        if values.null_count == len(values):
            continue
        out_of_range = pc.or_(pc.greater(pc.abs(values), limit), pc.is_nan(values))
        if column not in MAY_BE_NEGATIVE:
            out_of_range = pc.or_(out_of_range, pc.less(values, 0))
        bad = pc.or_(bad, pc.fill_null(out_of_range, False))
    return pc.fill_null(bad, True)


def _repeats_a_start(starts, parents: pa.Array) -> bool:
    """True when a meter's start times do not strictly increase (a repeated or unsorted reading)."""
    if len(starts) < 2:
        return False
    starts = starts.combine_chunks() if isinstance(starts, pa.ChunkedArray) else starts
    same_meter = pc.equal(parents.slice(1), parents.slice(0, len(parents) - 1))
    not_later = pc.less_equal(starts.slice(1), starts.slice(0, len(starts) - 1))
    return bool(pc.any(pc.and_(same_meter, not_later)).as_py())


def reading_problem(row: dict) -> str:
    """Why `implausible_readings` flagged this (converted) reading, naming the field."""
    start, end = row.get("interval_start"), row.get("interval_end")
    if start is None or end is None:
        return "start/end: missing"
    if start < EARLIEST_START:
        return f"start: implausible timestamp {start.isoformat()} (before {MIN_YEAR})"
    if end <= start:
        return f"end: interval end {end.isoformat()} is not after start {start.isoformat()}"
    for column, limit in READING_LIMITS.items():
        value = row.get(column)
        if value is None:
            continue
        if value != value:
            return f"{_SOURCE_OF[column]}: not a number (NaN)"
        if value < 0 and column not in MAY_BE_NEGATIVE:
            return f"{_SOURCE_OF[column]}: negative usage {value!r} (only net_electricity_consumption may be negative)"
        if abs(value) > limit:
            return f"{_SOURCE_OF[column]}: implausible value {value!r} (limit {limit:,.0f})"
    return "implausible reading"


def _rewrite_conflict_arrays(body: bytes) -> bytes:
    """Rewrite `"<value field>": [ ... ]` to `"~conflict~<slot>":"<value field>:[ ... ]"` (CONFLICT_PREFIX).

    Only `[` can open an array, and outside a conflict an interval body has a handful of them
    (`meters`, `intervals`, `granularities`), so this looks at each `[` rather than at each reading.
    A slot is wrongly numbered only if a reading holds nested objects, and then the JSON reader
    sees the same key twice and the body goes to the Python path: never a wrong result.
    """
    pieces: list[bytes] = []
    done = 0
    reading, slot = -1, 0
    at = body.find(b"[")
    while at != -1:
        head = body[max(0, at - 64) : at].rstrip(_WHITESPACE)
        if head.endswith(b":"):
            key_end = head[:-1].rstrip(_WHITESPACE)
            for quoted, source in _CONFLICT_KEYS:
                if not key_end.endswith(quoted):
                    continue
                key_start = max(0, at - 64) + len(key_end) - len(quoted)
                if key_start == 0 or body[key_start - 1] not in _KEY_BEFORE:
                    break  # inside a string or another key: leave it to the JSON reader
                close = body.find(b"]", at)
                if close == -1:
                    raise _Fallback("an unterminated array")
                array = body[at : close + 1]
                if _ARRAY_REJECT.search(array, 1):
                    raise _Fallback(f"{source}: an array that is not flat numbers")
                try:
                    orjson.loads(array)
                except orjson.JSONDecodeError:
                    raise _Fallback(f"{source}: an invalid array") from None
                # Valid, and only numbers, literals and commas: whitespace separates no tokens
                # (and a raw newline or tab cannot go into the JSON string it becomes).
                array = array.translate(None, _WHITESPACE)
                opening = max(0, body.rfind(b"{", 0, key_start))
                closing = body.find(b"}", close)
                # The same key twice in one reading (orjson keeps the last one): leave it to Python.
                if body.count(quoted, opening, len(body) if closing == -1 else closing) != 1:
                    raise _Fallback(f"{source}: sent twice in one reading")
                reading, slot = opening, (slot + 1 if opening == reading else 0)
                if slot >= CONFLICT_SLOTS:
                    raise _Fallback(f"more than {CONFLICT_SLOTS} conflicting fields in one reading")
                pieces += [body[done:key_start], b'"%s%d":"%s:' % (CONFLICT_PREFIX.encode(), slot, source.encode()),
                           array, b'"']
                done = close + 1
                at = close
                break
        at = body.find(b"[", at + 1)
    if not pieces:
        return body
    pieces.append(body[done:])
    return b"".join(pieces)


def _resolve_conflicts(columns: dict[str, pa.Array], slots: list[pa.Array]):
    """The few readings with conflict arrays, resolved as `_reading_row` does (same objects: orjson)."""
    received = len(columns["meter_id"])
    mask = functools.reduce(pc.or_, [slot.is_valid() for slot in slots])
    rows = pc.indices_nonzero(mask)
    texts = list(zip(*(slot.take(rows).to_pylist() for slot in slots)))
    fields_text, values_json = [], []
    resolved: dict[str, tuple[list[int], list[float | None]]] = {}
    for row, row_texts in zip(rows.to_pylist(), texts):
        found: dict[str, list] = {}
        for text in row_texts:
            if text is None:
                continue
            source, _, array = text.partition(":")
            if source in found:
                raise _Fallback(f"{source}: sent twice in one reading")
            found[source] = orjson.loads(array)
            winner = resolve_conflict(found[source])
            if winner is not None and (isinstance(winner, bool) or not isinstance(winner, (int, float))):
                raise _Fallback(f"{source}: a conflict resolves to a value that is not a number")
            where, values = resolved.setdefault(source, ([], []))
            where.append(row)
            values.append(None if winner is None else float(winner))
        fields_text.append(",".join(sorted(found)))
        values_json.append(orjson.dumps(found, option=orjson.OPT_SORT_KEYS).decode())
    for source, column in VALUE_FIELDS:
        if source not in resolved:
            continue
        where, values = resolved[source]
        if columns[column].take(pa.array(where, pa.int64())).null_count != len(where):
            raise _Fallback(f"{source}: sent twice in one reading")
        selected = np.zeros(received, dtype=bool)
        selected[where] = True
        columns[column] = pc.replace_with_mask(columns[column], pa.array(selected), pa.array(values, pa.float64()))
    none = pa.nulls(received, pa.string())
    conflicting_fields = pc.replace_with_mask(none, mask, pa.array(fields_text, pa.string()))
    conflict_values_json = pc.replace_with_mask(none, mask, pa.array(values_json, pa.string()))
    return columns, conflicting_fields, conflict_values_json, len(fields_text)


def _short(exc: Exception) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return re.sub(r" in row \d+$", "", text)[:200]


# -- the Python path -------------------------------------------------------------------------


def _drop_unreadable_rows(columns: dict[str, list], quarantine: Quarantine, extracted_at: datetime) -> dict[str, list]:
    """Slow path: convert row by row, quarantining readings whose values cannot be read."""
    names = list(columns)
    kept: dict[str, list] = {name: [] for name in names}
    for i in range(len(columns["meter_id"])):
        row = {name: columns[name][i] for name in names}
        converted, field_name = {}, "end"
        try:
            for name, v in row.items():
                field_name = _SOURCE_OF.get(name, name)
                kind = INTERVALS.schema.field(name).type
                converted[name] = (to_timestamp(v) if kind == TS else to_float(v) if pa.types.is_floating(kind)
                                   else v)
            field_name = "end"
            if converted["interval_end"] <= converted["interval_start"]:
                raise ValueError(f"interval end {row['interval_end']} is not after start {row['interval_start']}")
        except (ValueError, TypeError) as exc:
            # The reason names the Bayou field last, so it reads "unreadable reading: <problem> (<field>)".
            quarantine.add("intervals", row, f"unreadable reading: {exc} ({field_name})", extracted_at,
                           record_id=row["meter_id"])
            continue
        for name in names:
            kept[name].append(converted[name])
    return kept


def in_windows(starts: pa.ChunkedArray | pa.Array, windows: Sequence[Window]) -> pa.Array | pa.ChunkedArray:
    """Boolean mask: which start times fall in any policy window (start incl., end excl.).

    A null start is null in the mask (dropped by `filter`); a window without bounds keeps all.
    """
    keep = None
    for window in windows:
        mask = None
        if window.starts_on is not None:
            mask = pc.greater_equal(starts, pa.scalar(midnight_utc(window.starts_on), TS))
        if window.ends_on is not None:
            below = pc.less(starts, pa.scalar(midnight_utc(window.ends_on), TS))
            mask = below if mask is None else pc.and_(mask, below)
        if mask is None:
            mask = pa.repeat(pa.scalar(True), len(starts))
        keep = mask if keep is None else pc.or_(keep, mask)
    return pa.repeat(pa.scalar(False), len(starts)) if keep is None else keep


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

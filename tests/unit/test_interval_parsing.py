"""Bayou interval bodies: the native (Arrow) path gives exactly what the Python path gives.

The Python path (`_parse_python` on `orjson.loads(body)`) is the reference. Every body handed to
`parse_interval_payload` as bytes must produce the same table (schema, values, row order, the
sign of zeros), the same counters and the same quarantine rows, or raise the same error; where
the native path cannot, it must hand the body to the Python path and say so.
"""

from __future__ import annotations

import json
import random
from datetime import UTC, date, datetime, timedelta

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from connectors.bayou.entities import INTERVALS, TS
from connectors.bayou.intervals import _parse_python, in_windows, parse_interval_payload
from connectors.bayou.sandbox.generator import generate_dataset
from connectors.core.quarantine import Quarantine
from connectors.lake import Lake
from connectors.policy import Window, midnight_utc

EXTRACTED_AT = datetime(2026, 11, 23, 12, 0, 1, tzinfo=UTC)
ALL = (Window("ongoing", None, None),)


def both(body: bytes, windows=ALL):
    """(native outcome, Python outcome): each a (batch, quarantine rows) pair or the exception type."""
    outcomes = []
    for parse in (lambda q: parse_interval_payload(body, customer_id="c1", windows=windows, load_id="L",
                                                   extracted_at=EXTRACTED_AT, quarantine=q),
                  lambda q: _parse_python(orjson.loads(body), customer_id="c1", windows=windows, load_id="L",
                                          extracted_at=EXTRACTED_AT, quarantine=q)):
        quarantine = Quarantine("bayou", "L")
        try:
            outcomes.append((parse(quarantine), quarantine.rows))
        except ValueError:  # orjson's JSONDecodeError is one
            outcomes.append("ValueError")
    return outcomes


def assert_same_table(a: pa.Table, b: pa.Table) -> None:
    assert a.schema.equals(b.schema, check_metadata=True)
    assert a.num_rows == b.num_rows
    assert a.equals(b)
    for name in a.schema.names:
        if pa.types.is_floating(a.schema.field(name).type):  # equals() does not see -0.0 vs 0.0
            left = a[name].to_numpy(zero_copy_only=False)
            right = b[name].to_numpy(zero_copy_only=False)
            assert np.array_equal(np.signbit(left), np.signbit(right)), name


def assert_same(body: bytes, windows=ALL, *, native: bool | None = None):
    got, expected = both(body, windows)
    if not isinstance(expected, tuple):
        assert got == expected, f"native path: {got!r}, Python path raised"
        return None
    assert isinstance(got, tuple), f"native path raised, Python path did not: {got!r}"
    (batch, quarantined), (reference, reference_quarantined) = got, expected
    assert_same_table(batch.table, reference.table)
    for counter in ("received", "outside_policy", "conflicts", "quarantined", "meters"):
        assert getattr(batch, counter) == getattr(reference, counter), counter
    assert quarantined == reference_quarantined
    if native is not None:
        assert (batch.parser == "arrow") is native, batch.fallback_reason
        assert batch.python_fallback == (0 if native else 1)
    return batch


# -- sandbox bodies ---------------------------------------------------------------------------


def sandbox_bodies(seed: int, customers: int, months: int):
    dataset = generate_dataset(seed=seed, customers=customers, months=months, as_of=date(2026, 11, 23))
    rng = random.Random(seed)
    for customer in dataset.customers:
        if not customer.interval_meters:
            continue
        start = min(m.intervals_from for m in customer.interval_meters)
        while start < dataset.interval_end:
            # month chunks as the sync requests them, and odd ranges (partial days)
            end = (start.replace(day=1) + timedelta(days=32)).replace(day=1)
            if rng.random() < 0.3:
                end = start + timedelta(days=rng.randint(1, 40), minutes=15 * rng.randint(0, 95))
            yield customer, dataset.intervals(customer, start, end).to_bytes()
            start = end


@pytest.mark.parametrize("seed", [7, 11])
def test_sandbox_bodies_parse_natively_to_the_python_paths_table(seed):
    rng = random.Random(seed)
    bodies = conflicts = 0
    for customer, body in sandbox_bodies(seed, customers=8, months=4):
        windows = ALL
        if rng.random() < 0.5:  # a policy window that cuts the body
            first = date(2026, rng.randint(6, 11), rng.randint(1, 28))
            windows = (Window("history", first, first + timedelta(days=rng.randint(1, 20))),
                       Window("ongoing", date(2026, 11, 20), None))
        batch = assert_same(body, windows, native=True)
        bodies += 1
        conflicts += batch.conflicts
    assert bodies > 20
    assert conflicts > 0, "the sandbox should have sent conflicting readings"


def test_native_path_resolves_conflicts_like_the_python_path():
    dataset = generate_dataset(seed=7, customers=8, months=3, as_of=date(2026, 11, 23))
    customer = next(c for c in dataset.customers if c.interval_meters)
    body = dataset.intervals(customer, datetime(2026, 8, 1, tzinfo=UTC), datetime(2026, 11, 1, tzinfo=UTC)).to_bytes()
    batch = assert_same(body, native=True)
    rows = [r for r in batch.table.to_pylist() if r["conflicting_fields"]]
    assert rows and len(rows) == batch.conflicts
    for row in rows:
        arrays = json.loads(row["conflict_values_json"])
        assert sorted(arrays) == row["conflicting_fields"].split(",")


# -- hand-made bodies -------------------------------------------------------------------------


def reading(start="2026-03-01T00:00:00Z", end="2026-03-01T00:15:00Z", **fields) -> dict:
    row = {"start": start, "end": end, "electricity_consumption": 120, "net_electricity_consumption": 100,
           "generated_electricity": 20, "electricity_demand": 480, "gas_consumption": None,
           "created_at": "2026-03-01T01:05:35Z", "updated_at": "2026-03-01T01:05:35Z"}
    row.update(fields)
    return {k: v for k, v in row.items() if v is not ...}


def body_of(*readings_, meter_id="m1", extra_meters=()) -> bytes:
    meters = [{"id": meter_id, "granularities": [15], "intervals": list(readings_)}, *extra_meters]
    return json.dumps({"first_interval_discovered": "2025-01-01T00:00:00Z", "granularities": [15],
                       "meters": meters}, separators=(",", ":"), ensure_ascii=False).encode()


def raw_body(readings_text: str, meter: str = '"id":"m1"') -> bytes:
    return ('{"granularities":[15],"meters":[{' + meter + ',"granularities":[15],"intervals":['
            + readings_text + "]}]}").encode()


def later(i: int) -> dict:
    start = datetime(2026, 3, 1, tzinfo=UTC) + timedelta(minutes=15 * i)
    return {"start": start.isoformat().replace("+00:00", "Z"),
            "end": (start + timedelta(minutes=15)).isoformat().replace("+00:00", "Z")}


NATIVE = {
    "plain": body_of(reading(), reading(**later(1))),
    "conflict": body_of(reading(electricity_consumption=[130, 120]), reading(**later(1))),
    "conflict, newer null": body_of(reading(electricity_consumption=[130, None])),
    "conflict, all null": body_of(reading(electricity_consumption=[None, None])),
    "conflict, empty array": body_of(reading(electricity_consumption=[])),
    "conflict, floats": body_of(reading(gas_consumption=[0.125, 0.1], electricity_consumption=None)),
    "two conflicts in a reading": body_of(reading(electricity_consumption=[130, 120], electricity_demand=[520, 480])),
    "conflicts in consecutive readings": body_of(reading(electricity_demand=[1, 2]),
                                                 reading(**later(1), electricity_demand=[3, 4])),
    "conflict with spaces": raw_body('{"start":"2026-03-01T00:00:00Z","end":"2026-03-01T00:15:00Z",'
                                     '"electricity_consumption" : [ 130 , 120 ] }'),
    "nulls and missing fields": body_of(reading(electricity_consumption=None, created_at=...,
                                                updated_at=None, gas_consumption=...)),
    "unknown fields, arrays and objects": raw_body(
        '{"start":"2026-03-01T00:00:00Z","end":"2026-03-01T00:15:00Z","tags":["a",[1]],'
        '"extra":{"gas_consumption":[1,2]},"note":"\\"gas_consumption\\":[1,2] [x]","carbon_intensity":412}'),
    "no meters key": b'{"granularities":[15]}',
    "empty meters": b'{"meters":[]}',
    "a meter without readings": body_of(),
    "two meters, same id": body_of(reading(), extra_meters=[{"id": "m1", "intervals": [reading(**later(1))]}]),
    "pretty-printed (newlines), a conflict too": json.dumps(
        json.loads(body_of(reading(electricity_consumption=[1, 2]), reading(**later(1)))), indent=2).encode(),
    "unicode meter id": body_of(reading(), meter_id="compteur-é"),
    "offsets and fractions": body_of(reading(start="2026-03-01T01:00:00.5+01:00", end="2026-03-01T00:15:00Z")),
}

FALLBACK = {
    # Implausible readings (absurd values, placeholder dates) are quarantined by the Python path.
    "conflict, huge ints": body_of(reading(electricity_consumption=[2**60 + 1, 2**53 + 1])),
    "ints beyond 2**53": body_of(reading(electricity_consumption=2**53 + 1, electricity_demand=2**64 + 3)),
    "year 0001": body_of(reading(start="0001-01-01T00:00:00Z")),
    "three conflicts in a reading": body_of(reading(electricity_consumption=[1, 2], electricity_demand=[3, 4],
                                                    generated_electricity=[5, 6])),
    "conflict with a string": body_of(reading(electricity_consumption=[130, "120"])),
    "conflict resolving to a boolean": body_of(reading(electricity_consumption=[130, True])),
    "nested conflict": body_of(reading(electricity_consumption=[[1], 2])),
    "field sent twice, array last": raw_body('{"start":"2026-03-01T00:00:00Z","end":"2026-03-01T00:15:00Z",'
                                             '"electricity_consumption":5,"electricity_consumption":[1,2]}'),
    "field sent twice, array first": raw_body('{"start":"2026-03-01T00:00:00Z","end":"2026-03-01T00:15:00Z",'
                                              '"electricity_consumption":[1,2],"electricity_consumption":null}'),
    "value as a decimal string": body_of(reading(electricity_consumption="50.000")),
    "value as a boolean": body_of(reading(electricity_consumption=True)),
    "negative zero": raw_body('{"start":"2026-03-01T00:00:00Z","end":"2026-03-01T00:15:00Z",'
                              '"net_electricity_consumption":-0}'),
    "negative zero float": raw_body('{"start":"2026-03-01T00:00:00Z","end":"2026-03-01T00:15:00Z",'
                                    '"net_electricity_consumption":-0.0}'),
    "reading without start": body_of(reading(start=None), reading(**later(1))),
    "reading with a numeric start": body_of(reading(start=20260301), reading(**later(1))),
    "reading that is null": body_of(None, reading()),
    "reading that is a number": body_of(5, reading()),
    "bad timestamp": body_of(reading(start="yesterday"), reading(**later(1))),
    "timestamp without zone": body_of(reading(start="2026-03-01T00:00:00"), reading(**later(1))),
    "empty timestamp": body_of(reading(created_at=""), reading(**later(1))),
    "end before start, with a bad timestamp": body_of(reading(end="2026-02-01T00:00:00Z"),
                                                      reading(**later(1), updated_at="soon")),
    "meter without id": body_of(reading(), meter_id=None),
    "blank meter id": body_of(reading(), meter_id="  "),
    "padded meter id": body_of(reading(), meter_id=" m1 "),
    "numeric meter id": body_of(reading(), meter_id=570624941088),
    "meter without intervals": b'{"meters":[{"id":"m1"},{"id":"m2","intervals":[]}]}',
    "meter that is null": b'{"meters":[null]}',
    "the conflict marker in the body": body_of(reading(note="~conflict~0")),
}

RAISES = {
    "not JSON": b"<html>maintenance</html>",
    "truncated": body_of(reading())[:-20],
    "meters null": b'{"meters":null}',
    "meters an object": b'{"meters":{}}',
    "a list": b"[]",
    "two documents": b'{"meters":[]} {"meters":[]}',
    "NaN in an unknown field": raw_body('{"start":"2026-03-01T00:00:00Z","end":"2026-03-01T00:15:00Z","x":NaN}'),
    "Infinity as a value": raw_body('{"start":"2026-03-01T00:00:00Z","end":"2026-03-01T00:15:00Z",'
                                    '"electricity_consumption":Infinity}'),
    "byte order mark": b"\xef\xbb\xbf" + body_of(reading()),
    "invalid UTF-8 in an unknown field": raw_body('{"start":"2026-03-01T00:00:00Z","end":"2026-03-01T00:15:00Z",'
                                                  '"x":"@"}').replace(b"@", b"\xff"),
    "newline inside a string": raw_body('{"start":"2026-03-01T00:00:00Z\n","end":"2026-03-01T00:15:00Z"}'),
    "invalid conflict array": raw_body('{"start":"2026-03-01T00:00:00Z","end":"2026-03-01T00:15:00Z",'
                                       '"electricity_consumption":[1 2]}'),
    "numeric id that is not whole": body_of(reading(), meter_id=1.5),
}


@pytest.mark.parametrize("name", sorted(NATIVE))
def test_edge_cases_the_native_path_handles(name):
    assert_same(NATIVE[name], native=True)


@pytest.mark.parametrize("name", sorted(FALLBACK))
def test_edge_cases_handed_to_the_python_path(name):
    assert_same(FALLBACK[name], native=False)


@pytest.mark.parametrize("name", sorted(RAISES))
def test_bodies_both_paths_reject(name):
    with pytest.raises(ValueError):
        orjson_loads_then_python(RAISES[name])
    with pytest.raises(ValueError):
        parse_interval_payload(RAISES[name], customer_id="c1", windows=ALL, load_id="L", extracted_at=EXTRACTED_AT,
                               quarantine=Quarantine("bayou", "L"))


def orjson_loads_then_python(body: bytes):
    return _parse_python(orjson.loads(body), customer_id="c1", windows=ALL, load_id="L", extracted_at=EXTRACTED_AT,
                         quarantine=Quarantine("bayou", "L"))


def test_quarantine_rows_are_the_python_paths():
    body = FALLBACK["bad timestamp"]
    quarantine = Quarantine("bayou", "L")
    batch = parse_interval_payload(body, customer_id="c1", windows=ALL, load_id="L", extracted_at=EXTRACTED_AT,
                                   quarantine=quarantine)
    assert batch.parser == "python" and batch.fallback_reason.startswith("start:")
    assert batch.table.num_rows == 1 and batch.received == 2
    (row,) = quarantine.rows
    assert row["reason"].startswith("unreadable reading: expected an ISO 8601 timestamp")
    assert json.loads(row["raw_record"])["customer_id"] == "c1"


def test_policy_mask_is_applied_before_anything_is_returned():
    readings = [reading(**later(i)) for i in range(96 * 3)]  # 2026-03-01 .. 03-03
    windows = (Window("history", date(2026, 3, 2), date(2026, 3, 3)),)
    batch = assert_same(body_of(*readings), windows, native=True)
    starts = batch.table["interval_start"]
    assert batch.table.num_rows == 96 and batch.outside_policy == 192
    assert pc.min(starts).as_py() == datetime(2026, 3, 2, tzinfo=UTC)
    assert pc.max(starts).as_py() == datetime(2026, 3, 2, 23, 45, tzinfo=UTC)
    nothing = assert_same(body_of(*readings), (), native=True)
    assert nothing.table.num_rows == 0 and nothing.outside_policy == 288


def test_output_schema_and_constant_columns():
    batch = parse_interval_payload(NATIVE["conflict"], customer_id="c1", windows=ALL, load_id="L",
                                   extracted_at=EXTRACTED_AT, quarantine=Quarantine("bayou", "L"))
    assert batch.table.schema.equals(INTERVALS.schema)
    assert batch.table["customer_id"].to_pylist() == ["c1", "c1"]
    assert batch.table["_load_id"].to_pylist() == ["L", "L"]
    assert batch.table["_extracted_at"].to_pylist() == [EXTRACTED_AT, EXTRACTED_AT]
    assert batch.table["electricity_consumption_wh"].to_pylist() == [120.0, 120.0]
    assert batch.table["conflict_values_json"].to_pylist() == ['{"electricity_consumption":[130,120]}', None]


def old_in_windows(starts, windows):
    """`in_windows` before it stopped building Python lists (the reference)."""
    keep = pa.array([False] * len(starts))
    for window in windows:
        mask = pa.array([True] * len(starts))
        if window.starts_on is not None:
            mask = pc.and_(mask, pc.greater_equal(starts, pa.scalar(midnight_utc(window.starts_on), TS)))
        if window.ends_on is not None:
            mask = pc.and_(mask, pc.less(starts, pa.scalar(midnight_utc(window.ends_on), TS)))
        keep = pc.or_(keep, mask)
    return keep


@pytest.mark.parametrize("windows", [
    (), ALL,
    (Window("history", date(2026, 3, 2), None),),
    (Window("history", None, date(2026, 3, 2)),),
    (Window("a", date(2026, 3, 1), date(2026, 3, 2)), Window("b", date(2026, 3, 3), None)),
    (Window("a", date(2026, 3, 2), date(2026, 3, 3)), ALL[0]),
])
def test_in_windows_matches_the_list_based_mask(windows):
    values = [datetime(2026, 3, 1, tzinfo=UTC) + timedelta(hours=7 * i) for i in range(20)]
    values[5] = None
    for starts in (pa.array(values, TS), pa.chunked_array([values[:8], values[8:]], TS)):
        assert in_windows(starts, windows).to_pylist() == old_in_windows(starts, windows).to_pylist()


# -- the month split (DatasetWriter._split) ----------------------------------------------------


def interval_table(starts: list[datetime]) -> pa.Table:
    n = len(starts)
    columns = {name: pa.nulls(n, field.type) for name, field in zip(INTERVALS.schema.names, INTERVALS.schema)}
    columns["meter_id"] = pa.array([f"m{i}" for i in range(n)])
    columns["interval_start"] = pa.array(starts, TS)
    return pa.table(columns, schema=INTERVALS.schema)


def test_a_batch_spanning_two_months_is_split_by_month(tmp_path):
    starts = [datetime(2026, 1, 31, 23, 30, tzinfo=UTC), datetime(2026, 2, 1, tzinfo=UTC),
              datetime(2026, 1, 31, 23, 45, tzinfo=UTC), datetime(2026, 2, 28, 23, 45, tzinfo=UTC)]
    writer = Lake(tmp_path).writer("bayou", INTERVALS, "L")
    parts = list(writer._split(interval_table(starts)))
    assert [p for p, _ in parts] == ["month=2026-01", "month=2026-02"]
    assert [t["meter_id"].to_pylist() for _, t in parts] == [["m0", "m2"], ["m1", "m3"]]
    writer.write(interval_table(starts))
    stats = writer.close()
    assert stats.rows == 4 and stats.partitions == {"month=2026-01", "month=2026-02"}


def test_a_single_month_batch_is_not_formatted_row_by_row(tmp_path, monkeypatch):
    formatted = []
    strftime = pc.strftime

    def spy(values, *args, **kwargs):
        formatted.append(len(values))
        return strftime(values, *args, **kwargs)

    monkeypatch.setattr(pc, "strftime", spy)
    starts = [datetime(2026, 3, 1, tzinfo=UTC) + timedelta(minutes=15 * i) for i in range(96 * 31)]
    table = interval_table(starts)
    writer = Lake(tmp_path).writer("bayou", INTERVALS, "L")
    ((partition, part),) = list(writer._split(table))
    assert partition == "month=2026-03" and part is table  # the whole batch, not a filtered copy
    assert formatted and max(formatted) <= 2  # only its first and last month were formatted

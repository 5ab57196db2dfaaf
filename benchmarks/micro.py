"""Micro-measurements, in the parent process (no RSS figures), single-threaded.

* body parse (connectors/bayou/intervals.py): one month of one customer's readings, the body
  rendered in-process by the Bayou sandbox's generator (no HTTP), to the Arrow table the sync
  writes (policy mask applied, all in policy): `orjson.loads` + the Python path (one row per
  reading, the reference), against the native path (the raw bytes to Arrow's JSON reader). CPU
  time (`time.process_time`), so other processes of the machine disturb it less than wall time.
* `_extracted_at` column: `pa.array([extracted_at] * n, TS)` (before) converted n tz-aware
  datetime objects one by one; `pa.repeat(pa.scalar(extracted_at, TS), n)` (now).
* month split (connectors/lake.py, DatasetWriter._split): `pc.strftime` formatted every timestamp
  as text (before); now a min/max check skips the split when the batch lies in one month (every
  batch of the intervals sync does: requests are cut at month boundaries), and a batch that does
  span months is split on `pc.floor_temporal(..., unit="month")`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, date, datetime

import pyarrow as pa
import pyarrow.compute as pc

TS = pa.timestamp("us", tz="UTC")
BATCH = 2_880
SLOT_US = 15 * 60 * 1_000_000


def _batch(month_start: datetime) -> pa.Array:
    first = int(month_start.timestamp() * 1_000_000)
    return pa.array(range(first, first + BATCH * SLOT_US, SLOT_US), pa.int64()).cast(TS)


def _time(fn: Callable[[], object], batches: int, rounds: int = 5, per: int = BATCH) -> float:
    """ns per reading, the best of `rounds` rounds (the least disturbed by anything else running)."""
    fn()  # warm-up: the first tz-aware conversion loads the time zone database
    best = float("inf")
    for _ in range(rounds):
        started = time.process_time()
        for _ in range(batches):
            fn()
        best = min(best, time.process_time() - started)
    return best / (batches * per) * 1e9


def split_strftime(starts: pa.Array) -> list:
    months = pc.strftime(starts, format="%Y-%m")
    return [pc.equal(months, m) for m in pc.unique(months).to_pylist()]


def split_floor(starts: pa.Array) -> list:
    months = pc.floor_temporal(starts, unit="month")
    return [pc.equal(months, m) for m in pc.unique(months)]


def split_minmax(starts: pa.Array) -> list:
    bounds = pc.min_max(starts)
    lo, hi = pc.strftime(pa.array([bounds["min"], bounds["max"]], starts.type), format="%Y-%m").to_pylist()
    if lo == hi:
        return [None]  # the whole batch is one partition: no per-row work
    return split_floor(starts)


def _bodies(count: int = 6) -> list[tuple[str, bytes]]:
    from connectors.bayou.sandbox.generator import generate_dataset

    dataset = generate_dataset(seed=7, customers=12, months=4, as_of=date(2026, 11, 23))
    customers = [c for c in dataset.customers if c.interval_meters][:count]
    start, end = datetime(2026, 9, 1, tzinfo=UTC), datetime(2026, 10, 1, tzinfo=UTC)
    return [(str(c.id), dataset.intervals(c, start, end).to_bytes()) for c in customers]


def parse_cases() -> list[tuple[str, str, Callable[[], object], int]]:
    import orjson

    from connectors.bayou.intervals import _parse_python, parse_interval_payload
    from connectors.core.quarantine import Quarantine
    from connectors.policy import Window

    bodies = _bodies()
    windows = (Window("ongoing", None, None),)
    now = datetime.now(UTC)
    readings = sum(parse_interval_payload(body, customer_id=c, windows=windows, load_id="L", extracted_at=now,
                                          quarantine=Quarantine("bayou", "L")).received for c, body in bodies)

    def python_path():
        for customer_id, body in bodies:
            _parse_python(orjson.loads(body), customer_id=customer_id, windows=windows, load_id="L",
                          extracted_at=now, quarantine=Quarantine("bayou", "L"))

    def native_path():
        for customer_id, body in bodies:
            parse_interval_payload(body, customer_id=customer_id, windows=windows, load_id="L", extracted_at=now,
                                   quarantine=Quarantine("bayou", "L"))

    def orjson_only():
        for _, body in bodies:
            orjson.loads(body)

    what = "interval body → Arrow table"
    return [(what, "orjson.loads only (no table: for scale)", orjson_only, readings),
            (what, "orjson.loads + Python path (one row per reading: the reference, and the fallback)", python_path, readings),
            (what, "native path: bytes → pyarrow.json.read_json → Arrow compute (now)", native_path, readings)]


def run(batches: int = 100) -> list[dict]:
    now = datetime.now(UTC).replace(microsecond=0)
    starts = _batch(datetime(2026, 3, 1, tzinfo=UTC))
    results = [{"what": what, "how": how, "ns_per_reading": _time(fn, 3, per=n)}
               for what, how, fn, n in parse_cases()]
    cases = [
        ("`_extracted_at` column", "pa.array([extracted_at] * n, TS) (before)",
         lambda: pa.array([now] * BATCH, TS)),
        ("`_extracted_at` column", "pa.repeat(pa.scalar(extracted_at, TS), n) (now)",
         lambda: pa.repeat(pa.scalar(now, TS), BATCH)),
        ("month split", "pc.strftime + unique + equal (before)", lambda: split_strftime(starts)),
        ("month split", "pc.floor_temporal(unit='month') + unique + equal (now, batch spanning months)",
         lambda: split_floor(starts)),
        ("month split", "min/max check, split only if the batch spans months (now)", lambda: split_minmax(starts)),
    ]
    results += [{"what": what, "how": how, "ns_per_reading": _time(fn, batches)} for what, how, fn in cases]
    return results


if __name__ == "__main__":
    for row in run():
        print(f"{row['what']:<28} {row['ns_per_reading']:>9.1f} ns/reading  {row['how']}")

"""Micro-measurements of two per-reading costs found in the profile, with their cheap alternatives.

Run in the parent process (no RSS figures), on batches shaped like the pipeline's: one batch per
customer-month (2,880 readings = 30 days x 96), timestamps tz-aware UTC.

* `_extracted_at` column (connectors/bayou/intervals.py): `pa.array([extracted_at] * n, TS)`
  converts n tz-aware datetime objects one by one; `pa.repeat(pa.scalar(extracted_at, TS), n)`
  builds the same column without Python objects.
* month split (connectors/lake.py, DatasetWriter._split): `pc.strftime` formats every timestamp
  as text to find the months; `pc.floor_temporal(..., unit="month")` stays numeric, and a
  min/max check skips the split when the batch lies in one month (every batch of the intervals
  sync does: requests are cut at month boundaries).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime

import pyarrow as pa
import pyarrow.compute as pc

TS = pa.timestamp("us", tz="UTC")
BATCH = 2_880
SLOT_US = 15 * 60 * 1_000_000


def _batch(month_start: datetime) -> pa.Array:
    first = int(month_start.timestamp() * 1_000_000)
    return pa.array(range(first, first + BATCH * SLOT_US, SLOT_US), pa.int64()).cast(TS)


def _time(fn: Callable[[], object], batches: int, rounds: int = 5) -> float:
    """ns per reading, the best of `rounds` rounds (the least disturbed by anything else running)."""
    fn()  # warm-up: the first tz-aware conversion loads the time zone database
    best = float("inf")
    for _ in range(rounds):
        started = time.perf_counter()
        for _ in range(batches):
            fn()
        best = min(best, time.perf_counter() - started)
    return best / (batches * BATCH) * 1e9


def split_strftime(starts: pa.Array) -> list:
    months = pc.strftime(starts, format="%Y-%m")
    return [pc.equal(months, m) for m in pc.unique(months).to_pylist()]


def split_floor(starts: pa.Array) -> list:
    months = pc.floor_temporal(starts, unit="month")
    return [pc.equal(months, m) for m in pc.unique(months)]


def split_minmax(starts: pa.Array) -> list:
    bounds = pc.min_max(starts)
    lo, hi = bounds["min"].as_py(), bounds["max"].as_py()
    if (lo.year, lo.month) == (hi.year, hi.month):
        return [None]  # the whole batch is one partition: no per-row work
    return split_floor(starts)


def run(batches: int = 100) -> list[dict]:
    now = datetime.now(UTC).replace(microsecond=0)
    starts = _batch(datetime(2026, 3, 1, tzinfo=UTC))
    cases = [
        ("`_extracted_at` column", "pa.array([extracted_at] * n, TS) (current)",
         lambda: pa.array([now] * BATCH, TS)),
        ("`_extracted_at` column", "pa.repeat(pa.scalar(extracted_at, TS), n)",
         lambda: pa.repeat(pa.scalar(now, TS), BATCH)),
        ("month split", "pc.strftime + unique + equal (current)", lambda: split_strftime(starts)),
        ("month split", "pc.floor_temporal(unit='month') + unique + equal", lambda: split_floor(starts)),
        ("month split", "min/max check, split only if the batch spans months", lambda: split_minmax(starts)),
    ]
    return [{"what": what, "how": how, "ns_per_reading": _time(fn, batches)} for what, how, fn in cases]


if __name__ == "__main__":
    for row in run():
        print(f"{row['what']:<24} {row['ns_per_reading']:>9.1f} ns/reading  {row['how']}")

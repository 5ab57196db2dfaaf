"""Month partitions of the interval assets (ingestion and the interval marts), and the windows
that scheduled re-syncs and backfills run for.

A backfill over any range of months runs as one run (single-run backfill policy): one request
plan per vendor and one dbt process, whose window is the whole range.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from dagster import BackfillPolicy, MonthlyPartitionsDefinition

from connectors.settings import load_settings

SETTINGS = load_settings()
# end_offset=1: the current month is a partition too (its readings keep arriving).
MONTHS = MonthlyPartitionsDefinition(start_date=SETTINGS.interval_start.isoformat(), end_offset=1,
                                     timezone="UTC")
SINGLE_RUN = BackfillPolicy.single_run()
# Dagster's run tags for a run over a range of partitions (what a single-run backfill sets).
RANGE_START_TAG, RANGE_END_TAG = "dagster/asset_partition_range_start", "dagster/asset_partition_range_end"


def month_key(day: date) -> str:
    return day.replace(day=1).isoformat()


def range_tags(first: str, last: str) -> dict[str, str]:
    """Run tags that make one run cover the partitions first..last (keys like 2026-01-01)."""
    return {RANGE_START_TAG: first, RANGE_END_TAG: last}


def trailing_range(months: int, now: datetime | None = None) -> tuple[str, str]:
    """The last `months` partitions up to the current month (never before the first partition)."""
    keys = MONTHS.get_partition_keys(current_time=now or datetime.now(UTC))
    chosen = keys[-months:]
    return chosen[0], chosen[-1]


def full_range(now: datetime | None = None) -> tuple[str, str]:
    keys = MONTHS.get_partition_keys(current_time=now or datetime.now(UTC))
    return keys[0], keys[-1]

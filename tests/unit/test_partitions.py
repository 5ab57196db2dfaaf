"""Month partitions: settings, windows, and how syncs and Dagster assets use them."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from connectors.bayou.sync import interval_requests
from connectors.core.errors import ConfigurationError
from connectors.policy import Window
from connectors.settings import load_settings


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_settings_read_the_partition_start_and_resync_months():
    settings = load_settings({"UTILITY_INTERVAL_START": "2023-05", "UTILITY_RESYNC_MONTHS": "6"})
    assert settings.interval_start == date(2023, 5, 1) and settings.resync_months == 6
    assert load_settings({"UTILITY_INTERVAL_START": "2023-05-17"}).interval_start == date(2023, 5, 1)
    assert load_settings({}).interval_start == date(2020, 1, 1) and load_settings({}).resync_months == 3
    with pytest.raises(ConfigurationError, match="UTILITY_INTERVAL_START"):
        load_settings({"UTILITY_INTERVAL_START": "May 2023"})
    with pytest.raises(ConfigurationError, match="UTILITY_RESYNC_MONTHS"):
        load_settings({"UTILITY_RESYNC_MONTHS": "0"})


def test_a_partition_window_replaces_the_cursor_and_bounds_the_requests():
    windows = (Window("history", None, None),)
    now = utc(2026, 11, 20)
    resumed = interval_requests(windows, first_available=utc(2024, 1, 1), resume_from=utc(2026, 11, 1), now=now)
    assert resumed[0][0] == utc(2026, 11, 1)
    partition = (utc(2025, 2, 1), utc(2025, 4, 1))
    ranges = interval_requests(windows, first_available=utc(2024, 1, 1), resume_from=utc(2026, 11, 1), now=now,
                               partition=partition)
    assert ranges == [(utc(2025, 2, 1), utc(2025, 3, 1)), (utc(2025, 3, 1), utc(2025, 4, 1))]
    # a window before what the vendor has, or outside the policy: nothing to request
    assert interval_requests(windows, first_available=utc(2025, 6, 1), resume_from=None, now=now,
                             partition=partition) == []
    narrow = (Window("ongoing", date(2025, 3, 15), None),)
    assert interval_requests(narrow, first_available=None, resume_from=None, now=now,
                             partition=partition) == [(utc(2025, 3, 15), utc(2025, 4, 1))]


def test_interval_syncs_and_marts_are_month_partitioned_with_single_run_backfills():
    from dagster import AssetKey

    from orchestration.definitions import defs
    from orchestration.partitions import MONTHS, range_tags, trailing_range

    graph = defs.resolve_asset_graph()
    for key in (["bayou", "intervals"], ["bayou", "interval_loads"], ["wattzon", "intervals"],
                ["arcadia", "intervals"], ["marts", "fct_intervals"]):
        node = graph.get(AssetKey(key))
        assert node.partitions_def == MONTHS, key
        assert node.backfill_policy.max_partitions_per_run is None, key  # single run
    for key in (["bayou", "bills"], ["marts", "fct_bills"], ["marts", "dim_meters"], ["urjanet", "statements"]):
        assert graph.get(AssetKey(key)).partitions_def is None, key
    assert trailing_range(3, utc(2026, 11, 23)) == ("2026-09-01", "2026-11-01")
    assert range_tags("2026-09-01", "2026-11-01") == {"dagster/asset_partition_range_start": "2026-09-01",
                                                     "dagster/asset_partition_range_end": "2026-11-01"}


def test_the_daily_schedule_resyncs_the_trailing_months():
    from dagster import build_schedule_context

    from orchestration.definitions import defs

    schedule = defs.resolve_schedule_def("daily_sync")
    request = schedule.evaluate_tick(build_schedule_context(scheduled_execution_time=utc(2026, 11, 23, 6))).run_requests[0]
    assert request.tags["dagster/asset_partition_range_start"] == "2026-09-01"
    assert request.tags["dagster/asset_partition_range_end"] == "2026-11-01"

"""Malformed WattzOn payloads: bill records (`GET /data/bills/{profile_id}/`) and the readings of a
normalized monthly interval file (`GET /data/intervals/{profile_id}/{meter_id}/monthly/{ym}/`).

Reasons of rejected bill records name the field only ("usage: invalid value"): a record that
cannot be read is not known to be in policy, so its values are not repeated."""

from __future__ import annotations

from . import HTML_PAGE, NON_UTF8_MARKER, Case

BILLS = [
    Case("bills", "missing_field", "no bill_id", "quarantined", "bill_id", drop=("bill_id",)),
    Case("bills", "missing_field", "no type", "quarantined", "type", drop=("type",)),
    Case("bills", "wrong_type", "cost as words", "quarantined", "cost", set={"cost": "a lot"}),
    Case("bills", "wrong_type", "usage as a list", "quarantined", "usage", set={"usage": [1, 2]}),
    Case("bills", "bad_date", "day first", "quarantined", "bill_date", set={"bill_date": "31/12/2025"}),
    Case("bills", "impossible_date", "year 0001", "quarantined", "start_date",
         set={"start_date": "0001-01-01T00:00:00"}),
    Case("bills", "impossible_date", "end before start", "quarantined", "end_date",
         set={"start_date": "2025-05-01T00:00:00", "end_date": "2025-04-01T23:59:59"}),
    Case("bills", "negative_usage", "usage", "quarantined", "usage", set={"usage": -120.5}),
    Case("bills", "negative_usage", "exported energy", "quarantined", "exported_energy",
         set={"exported_energy": -3}),
    Case("bills", "absurd_usage", "5e9 kWh", "quarantined", "usage", set={"usage": 5e9}),
    Case("bills", "unknown_enum", "record type", "landed", set={"type": "steam"}),
    Case("bills", "unknown_enum", "units", "landed", set={"units": "furlongs"}),
    Case("bills", "duplicate_id", "same bill_id and type, other cost", "quarantined", "duplicate", duplicate=True,
         set={"cost": "123456.78"}),
    Case("bills", "non_utf8", "name", "fails", "not valid JSON", set={"name": NON_UTF8_MARKER}),
    Case("bills", "html_200", "maintenance page", "fails", "not valid JSON", raw=HTML_PAGE),
]

READINGS = [
    Case("intervals", "missing_field", "no start", "quarantined", "start", drop=("start",)),
    Case("intervals", "missing_field", "no end", "quarantined", "end", drop=("end",)),
    Case("intervals", "wrong_type", "value as words", "quarantined", "value", set={"value": "lots"}),
    Case("intervals", "wrong_type", "start as ISO text", "quarantined", "start",
         set={"start": "2025-03-01T00:00:00Z"}),
    Case("intervals", "bad_date", "start as words", "quarantined", "start", set={"start": "yesterday"}),
    Case("intervals", "impossible_date", "year 0001", "quarantined", "start: implausible",
         set={"start": -62135596800, "end": -62135595900}),
    Case("intervals", "impossible_date", "end before start", "quarantined", "not after start",
         set={"end": 0}),  # the end is rewritten below the start by the test
    Case("intervals", "negative_usage", "value", "quarantined", "value: negative", set={"value": -0.5}),
    Case("intervals", "absurd_usage", "1e7 kWh", "quarantined", "value: implausible", set={"value": 1e7}),
    Case("intervals", "duplicate_id", "same start, other value", "quarantined", "duplicate", duplicate=True,
         set={"value": 9.99}),
    Case("intervals", "non_utf8", "timezone", "fails", "not valid JSON", set={"note": NON_UTF8_MARKER}),
    Case("intervals", "html_200", "maintenance page", "fails", "not valid JSON", raw=HTML_PAGE),
]

CASES = BILLS + READINGS

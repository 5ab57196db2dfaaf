"""Malformed Arcadia Arc payloads: statements (`GET /plug/utility_statements`, paged by `updated_at`)
and interval items (`GET /plug/utility_intervals`)."""

from __future__ import annotations

from . import HTML_PAGE, NON_UTF8_MARKER, Case

STATEMENTS = [
    Case("statements", "missing_field", "no id", "quarantined", "id", drop=("id",)),
    Case("statements", "wrong_type", "kwh as words", "quarantined", "kwh", set={"kwh": "lots"}),
    Case("statements", "wrong_type", "id as text", "quarantined", "id", set={"id": "stmt-abc"}),
    Case("statements", "bad_date", "February 30", "quarantined", "statement_date",
         set={"statement_date": "2025-02-30"}),
    Case("statements", "impossible_date", "year 0001", "quarantined", "statement_date",
         set={"statement_date": "0001-01-01"}),
    Case("statements", "impossible_date", "service end before start", "quarantined", "service_end_date",
         set={"service_start_date": "2025-05-01", "service_end_date": "2025-04-01"}),
    Case("statements", "negative_usage", "net-metered kwh", "landed", set={"kwh": -310.5}),
    Case("statements", "absurd_usage", "5e12 kWh", "quarantined", "kwh: implausible", set={"kwh": 5e12}),
    Case("statements", "unknown_enum", "billing flag", "landed", set={"billing_flags": ["mystery_flag"]}),
    # Paged in updated_at order: a later, newer version of a record supersedes it (not quarantined).
    Case("statements", "duplicate_id", "same id, newer, other kwh", "landed", duplicate=True,
         set={"kwh": 777.0, "updated_at": "2099-01-01T00:00:00Z"}),
    Case("statements", "non_utf8", "utility name", "fails", "not valid JSON", set={"utility_name": NON_UTF8_MARKER}),
    Case("statements", "html_200", "maintenance page", "fails", "not valid JSON", raw=HTML_PAGE),
]

INTERVALS = [
    Case("intervals", "missing_field", "no start_time", "quarantined", "start_time", drop=("start_time",)),
    Case("intervals", "wrong_type", "consumption as words", "quarantined", "consumption_kwh",
         set={"consumption_kwh": "lots"}),
    Case("intervals", "bad_date", "start as words", "quarantined", "start_time", set={"start_time": "yesterday"}),
    Case("intervals", "impossible_date", "year 0001", "quarantined", "start_time: implausible",
         set={"start_time": "0001-01-01T00:00:00Z", "end_time": "0001-01-01T00:15:00Z"}),
    Case("intervals", "impossible_date", "end before start", "quarantined", "end_time",
         set={"end_time": "2000-01-01T00:00:00Z"}),
    Case("intervals", "negative_usage", "consumption", "quarantined", "consumption_kwh: negative",
         set={"consumption_kwh": -1.5}),
    Case("intervals", "negative_usage", "net (export)", "landed", set={"net_kwh": -1.5}),
    Case("intervals", "absurd_usage", "5e9 kWh", "quarantined", "implausible", set={"consumption_kwh": 5e9}),
    Case("intervals", "duplicate_id", "same start, other value", "quarantined", "duplicate", duplicate=True,
         set={"net_kwh": 42.0}),
    Case("intervals", "non_utf8", "a stray field", "fails", "not valid JSON", set={"note": NON_UTF8_MARKER}),
    Case("intervals", "html_200", "maintenance page", "fails", "not valid JSON", raw=HTML_PAGE),
]

CASES = STATEMENTS + INTERVALS

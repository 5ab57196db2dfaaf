"""Malformed Bayou payloads: bills (`GET /customers/{id}/bills`) and interval readings
(`GET /customers/{id}/intervals`). See tests/corpus/__init__.py for the outcomes."""

from __future__ import annotations

from . import HTML_PAGE, NON_UTF8_MARKER, Case

BILLS = [
    Case("bills", "missing_field", "no id", "quarantined", "id: Field required", drop=("id",)),
    Case("bills", "missing_field", "no customer_id", "quarantined", "customer_id", drop=("customer_id",)),
    Case("bills", "missing_field", "no billed_on", "quarantined", "billed_on", drop=("billed_on",)),
    Case("bills", "wrong_type", "amount as words", "quarantined", "total_amount",
         set={"total_amount": "twelve dollars"}),
    Case("bills", "wrong_type", "consumption as an object", "quarantined", "electricity_consumption",
         set={"electricity_consumption": {"value": 5}}),
    Case("bills", "wrong_type", "id as a boolean", "quarantined", "id", set={"id": True}),
    Case("bills", "bad_date", "month 13", "quarantined", "billed_on", set={"billed_on": "2025-13-45"}),
    Case("bills", "bad_date", "words", "quarantined", "billing_period_from", set={"billing_period_from": "soon"}),
    Case("bills", "impossible_date", "year 0001", "quarantined", "billed_on", set={"billed_on": "0001-01-01"}),
    Case("bills", "impossible_date", "period end before start", "quarantined", "billing_period_to",
         set={"billing_period_from": "2025-05-01", "billing_period_to": "2025-04-01"}),
    Case("bills", "impossible_date", "meter period end before start", "quarantined", "meters.0: billing_period_to",
         set={"meters": [{"id": "m-bad", "type": "electric", "billing_period_from": "2025-05-01",
                          "billing_period_to": "2025-04-01"}]}),
    Case("bills", "negative_usage", "net-metered electricity", "landed",
         set={"status": "unlocked", "electricity_consumption": -125000, "total_amount": -1250}),
    Case("bills", "negative_usage", "gas", "quarantined", "gas_consumption: negative usage",
         set={"status": "unlocked", "gas_consumption": -12.5, "gas_consumption_unit": "therms"}),
    Case("bills", "absurd_usage", "electricity 1e16 Wh", "quarantined", "electricity_consumption: implausible",
         set={"status": "unlocked", "electricity_consumption": 10**16}),
    Case("bills", "absurd_usage", "gas 5e9 therms", "quarantined", "gas_consumption: implausible",
         set={"status": "unlocked", "gas_consumption": 5e9, "gas_consumption_unit": "therms"}),
    Case("bills", "unknown_enum", "status", "landed", set={"status": "archived"}),
    Case("bills", "unknown_enum", "gas unit", "quarantined", "gas_consumption_unit",
         set={"status": "unlocked", "gas_consumption": 12.5, "gas_consumption_unit": "gallons"}),
    Case("bills", "duplicate_id", "same id, other amount", "quarantined", "duplicate", duplicate=True,
         set={"status": "unlocked", "total_amount": 99999}),
    Case("bills", "non_utf8", "utility name", "fails", "not valid JSON", set={"utility": NON_UTF8_MARKER}),
    Case("bills", "html_200", "maintenance page", "fails", "not valid JSON", raw=HTML_PAGE),
]

# Interval readings: `set`/`drop` spoil one reading of the first meter of a real answer.
INTERVALS = [
    Case("intervals", "missing_field", "no start", "quarantined", "start/end", drop=("start",)),
    Case("intervals", "missing_field", "no end", "quarantined", "start/end", drop=("end",)),
    Case("intervals", "wrong_type", "consumption as words", "quarantined", "electricity_consumption",
         set={"electricity_consumption": "lots"}),
    Case("intervals", "wrong_type", "start as a number", "quarantined", "start/end", set={"start": 20250301}),
    Case("intervals", "bad_date", "start as words", "quarantined", "start", set={"start": "yesterday"}),
    Case("intervals", "impossible_date", "year 0001", "quarantined", "start: implausible",
         set={"start": "0001-01-01T00:00:00Z", "end": "0001-01-01T00:15:00Z"}),
    Case("intervals", "impossible_date", "end before start", "quarantined", "not after start",
         set={"start": "2025-03-01T00:15:00Z", "end": "2025-03-01T00:00:00Z"}),
    Case("intervals", "negative_usage", "consumption", "quarantined", "electricity_consumption: negative",
         set={"electricity_consumption": -250}),
    Case("intervals", "negative_usage", "net consumption (export)", "landed",
         set={"net_electricity_consumption": -250}),
    Case("intervals", "absurd_usage", "1e15 Wh in 15 minutes", "quarantined", "electricity_consumption: implausible",
         set={"electricity_consumption": 10**15}),
    Case("intervals", "absurd_usage", "demand 5e12 W", "quarantined", "electricity_demand: implausible",
         set={"electricity_demand": 5 * 10**12}),
    Case("intervals", "duplicate_id", "same start, other value", "quarantined", "duplicate", duplicate=True,
         set={"electricity_consumption": 4321}),
    Case("intervals", "non_utf8", "in a meter field", "fails", "not valid JSON",
         set={"note": NON_UTF8_MARKER}),
    Case("intervals", "html_200", "maintenance page", "fails", "not valid JSON", raw=HTML_PAGE),
]

CASES = BILLS + INTERVALS

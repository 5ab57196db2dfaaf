"""Malformed Urjanet input: accounts from the status API (`POST /api/v1/account/search`, served by the
sandbox from its records) and statements in delivery files (deliveries.py's format).

A delivery file is not an API answer: a file that cannot be read at all is quarantined as a whole
(entity `delivery_files`, reason naming the file) and the other files are read: files are
independent deliveries, so one bad file must not hold back the rest (docs: Bad input)."""

from __future__ import annotations

from . import HTML_PAGE, NON_UTF8_MARKER, Case

ACCOUNTS = [
    Case("accounts", "missing_field", "no id", "quarantined", "id", drop=("id",)),
    Case("accounts", "wrong_type", "created as words", "quarantined", "created",
         set={"created": "the day before yesterday"}),
    Case("accounts", "wrong_type", "isSummaryAccount as maybe", "quarantined", "isSummaryAccount",
         set={"isSummaryAccount": "maybe"}),
    Case("accounts", "bad_date", "month 13", "quarantined", "lastExtracted", set={"lastExtracted": "2025-13-01"}),
    Case("accounts", "impossible_date", "year 0001 in ms", "quarantined", "created",
         set={"created": -62135596800000}),
    Case("accounts", "unknown_enum", "enrollment status", "landed", set={"enrollmentStatus": "QUANTUM_PENDING"}),
    # The search pages records; one met twice keeps its latest `modified` (not quarantined).
    Case("accounts", "duplicate_id", "same id, newer, other status", "landed", duplicate=True,
         set={"monitoringStatus": "DUPLICATE_NEWER", "modified": 4102444799000}),
    Case("accounts", "html_200", "maintenance page", "fails", "not valid JSON", raw=HTML_PAGE),
]

STATEMENTS = [
    Case("statements", "missing_field", "no StatementId", "quarantined", "StatementId: missing",
         drop=("StatementId",)),
    Case("statements", "missing_field", "no StatementDate", "quarantined", "Account.StatementDate: missing",
         drop=("Account.StatementDate",)),
    Case("statements", "wrong_type", "amount as words", "quarantined", "TotalBillAmount",
         set={"Account.TotalBillAmount": "a lot"}),
    Case("statements", "wrong_type", "Meters as text", "quarantined", "Meters", set={"Meters": "m-001"}),
    Case("statements", "bad_date", "month 13", "quarantined", "StatementDate",
         set={"Account.StatementDate": "2024-13-45"}),
    Case("statements", "impossible_date", "year 0001", "quarantined", "DueDate", set={"Account.DueDate": "0001-01-01"}),
    Case("statements", "impossible_date", "period end before start", "quarantined", "Account.IntervalEnd",
         set={"Account.IntervalStart": "2024-03-01", "Account.IntervalEnd": "2024-02-01"}),
    Case("statements", "impossible_date", "usage period end before start", "quarantined",
         "Meters.0.Usages.0.IntervalEnd",
         set={"Meters.0.Usages.0.IntervalStart": "2024-03-01", "Meters.0.Usages.0.IntervalEnd": "2024-02-01"}),
    Case("statements", "negative_usage", "net-metered consumption", "landed",
         set={"Meters.0.Usages.0.UsageAmount": "-812.5"}),
    Case("statements", "absurd_usage", "5e10 kWh", "quarantined", "UsageAmount: implausible",
         set={"Meters.0.Usages.0.UsageAmount": 5e10}),
    Case("statements", "unknown_enum", "StatementType", "quarantined", "StatementType",
         set={"Account.StatementType": "refund"}),
    Case("statements", "unknown_enum", "MeasurementType", "landed",
         set={"Meters.0.Usages.0.MeasurementType": "mystery_consumption"}),
    Case("statements", "duplicate_id", "same StatementId, other amount", "quarantined", "more than once",
         duplicate=True, set={"Account.TotalBillAmount": "999.99"}),
    Case("delivery_files", "non_utf8", "provider name", "quarantined", "not JSON",
         set={"Account.ProviderName": NON_UTF8_MARKER}),
    Case("delivery_files", "html_200", "an HTML page as a file", "quarantined", "not JSON", raw=HTML_PAGE),
]

CASES = ACCOUNTS + STATEMENTS

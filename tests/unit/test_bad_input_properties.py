"""Property: whatever a vendor sends, every record either parses into a valid row or is rejected
(quarantined) with a non-empty reason; never an unhandled exception; never a row with impossible
values (a period ending before it starts, a placeholder year, negative or absurd usage where the
contract forbids it). Records are valid sandbox-like templates with fields replaced by arbitrary
JSON values or removed."""

from __future__ import annotations

from datetime import UTC, date, datetime

import orjson
import pyarrow.compute as pc
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors.arcadia.records import UtilityStatement
from connectors.arcadia.sync import _implausible, intervals_table
from connectors.bayou.intervals import implausible_readings, parse_interval_payload
from connectors.bayou.records import Bill, Customer
from connectors.core.quarantine import Quarantine
from connectors.core.records import MAX_BILL_QUANTITY, MIN_YEAR, parse_records
from connectors.policy import Window
from connectors.urjanet.deliveries import DeliveryFormatError, parse_delivery
from connectors.urjanet.records import Account
from connectors.wattzon.intervals import parse_month_json
from connectors.wattzon.records import BillRecord

EXAMPLES = 150
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
AT = datetime(2026, 1, 1, tzinfo=UTC)
ALL = (Window("ongoing", None, None),)

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**63), max_value=2**63 - 1),  # what orjson writes
    st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=12),
    st.sampled_from(["0001-01-01", "2025-13-45", "2025-02-30", "", " ", "-5", "1e400", "NaN", "12.5",
                     "2025-03-01T00:00:00Z", "0001-01-01T00:00:00+05:00", "9999-12-31", "soon"]),
)
json_values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                             st.dictionaries(st.text(max_size=5), inner, max_size=3)),
                           max_leaves=6)


def mutated(template: dict):
    """The template with some fields replaced by arbitrary JSON values and some removed."""
    keys = sorted(template)
    return st.tuples(st.dictionaries(st.sampled_from(keys), json_values, max_size=4),
                     st.sets(st.sampled_from(keys), max_size=2)).map(
        lambda change: {**{k: v for k, v in template.items() if k not in change[1]}, **change[0]})


def assert_parsed_or_rejected(raws: list, model, check_record) -> None:
    parsed = parse_records(raws, model, "records")
    assert len(parsed.records) + len(parsed.rejected) == len(raws)
    assert all(r.reason.strip() for r in parsed.rejected)
    for record in parsed.records:
        check_record(record)


def plausible_day(value) -> bool:
    return value is None or value.year >= MIN_YEAR


def within(value, may_be_negative: bool, limit=MAX_BILL_QUANTITY) -> bool:
    return value is None or ((may_be_negative or value >= 0) and abs(value) <= limit)


# -- bill-like records ---------------------------------------------------------------------------

BAYOU_BILL = {"id": "b1", "customer_id": "c1", "status": "unlocked", "billed_on": "2025-03-05",
              "billing_period_from": "2025-02-01", "billing_period_to": "2025-02-28", "total_amount": 12345,
              "electricity_consumption": "50000.000", "gas_consumption": 12.5, "gas_consumption_unit": "therms",
              "account_number": 123, "meters": [{"id": "m1", "type": "electric", "consumption": 50000}]}


def check_bayou_bill(bill: Bill) -> None:
    assert bill.id and bill.customer_id and bill.billed_on and plausible_day(bill.billed_on)
    if bill.billing_period_from and bill.billing_period_to:
        assert bill.billing_period_to >= bill.billing_period_from
    assert within(bill.gas_consumption, False) and within(bill.electricity_consumption, True, MAX_BILL_QUANTITY * 1000)
    for meter in bill.meters:
        if meter.billing_period_from and meter.billing_period_to:
            assert meter.billing_period_to >= meter.billing_period_from


@SETTINGS
@given(st.lists(mutated(BAYOU_BILL), min_size=1, max_size=3))
def test_bayou_bills_parse_or_are_rejected(raws):
    assert_parsed_or_rejected(raws, Bill, check_bayou_bill)


BAYOU_CUSTOMER = {"id": 1001, "email": "a@example.com", "has_filled_credentials": True,
                  "has_filled_credentials_on": "2025-01-01T00:00:00Z",
                  "account_numbers": [{"id": "A1", "meters": [{"id": "m1", "type": "electric"}]}]}


@SETTINGS
@given(st.lists(mutated(BAYOU_CUSTOMER), min_size=1, max_size=3))
def test_bayou_customers_parse_or_are_rejected(raws):
    assert_parsed_or_rejected(raws, Customer, lambda c: c.id and plausible_day(c.has_filled_credentials_on))


WATTZON_BILL = {"bill_id": "5f0c", "type": "electricity", "account_number": "A1", "bill_date": "2025-03-05T00:00:00",
                "start_date": "2025-02-01T00:00:00", "end_date": "2025-02-28T23:59:59", "cost": "21.25",
                "usage": 13.72, "units": "KWh", "exported_energy": 1.5, "cached": "false"}


def check_wattzon_bill(record: BillRecord) -> None:
    assert record.bill_id and record.type
    if record.start_date and record.end_date:
        assert record.end_date >= record.start_date
    assert plausible_day(record.bill_date) and plausible_day(record.start_date)
    assert within(record.usage, False) and within(record.exported_energy, False)


@SETTINGS
@given(st.lists(mutated(WATTZON_BILL), min_size=1, max_size=3))
def test_wattzon_bill_records_parse_or_are_rejected(raws):
    assert_parsed_or_rejected(raws, BillRecord, check_wattzon_bill)


ARCADIA_STATEMENT = {"id": 9001, "utility_account_id": 301, "statement_date": "2025-03-05",
                     "service_start_date": "2025-02-01", "service_end_date": "2025-02-28", "kwh": "512.5",
                     "utility_charge": 80.1, "updated_at": "2025-03-06T00:00:00Z", "billing_flags": []}


def check_arcadia_statement(s: UtilityStatement) -> None:
    assert s.id is not None and plausible_day(s.statement_date)
    if s.service_start_date and s.service_end_date:
        assert s.service_end_date >= s.service_start_date
    assert within(s.kwh, True)


@SETTINGS
@given(st.lists(mutated(ARCADIA_STATEMENT), min_size=1, max_size=3))
def test_arcadia_statements_parse_or_are_rejected(raws):
    assert_parsed_or_rejected(raws, UtilityStatement, check_arcadia_statement)


URJANET_ACCOUNT = {"id": "acc-1", "accountNumber": "123-45", "enrollmentStatus": "SUCCESSFUL_DELIVERED",
                   "created": 1735689600000, "modified": "1735689600000", "isSummaryAccount": False,
                   "utilityProvider": {"id": "p1", "naturalKey": "GeorgiaPower"}, "customAttributes": {"a": 1}}


@SETTINGS
@given(st.lists(mutated(URJANET_ACCOUNT), min_size=1, max_size=3))
def test_urjanet_accounts_parse_or_are_rejected(raws):
    assert_parsed_or_rejected(raws, Account, lambda a: plausible_day(a.created) and plausible_day(a.modified))


URJANET_ACCOUNT_PART = {"AccountNumber": "123-45", "ProviderAlias": "GeorgiaPower", "StatementDate": "2024-03-05",
                        "IntervalStart": "2024-02-01", "IntervalEnd": "2024-02-29", "TotalBillAmount": "150.25",
                        "StatementType": "bill", "DueDate": "2024-03-26"}
URJANET_USAGE = {"MeasurementType": "general_consumption", "EnergyUnit": "kWh", "UsageAmount": "812.5",
                 "IntervalStart": "2024-02-01", "IntervalEnd": "2024-02-29"}


@SETTINGS
@given(st.lists(st.tuples(mutated(URJANET_ACCOUNT_PART), mutated(URJANET_USAGE), json_values), min_size=1,
                max_size=3))
def test_urjanet_delivery_statements_parse_or_are_rejected(parts):
    statements = [{"StatementId": f"S-{i}" if not isinstance(extra, str) else extra, "Account": account,
                   "Meters": [{"MeterNumber": "m-1", "Usages": [usage]}]}
                  for i, (account, usage, extra) in enumerate(parts)]
    try:
        parsed = parse_delivery("d.json", orjson.dumps({"statements": statements}))
    except DeliveryFormatError:
        raise AssertionError("a list of statements is always a readable delivery") from None
    assert len(parsed.statements) + len(parsed.rejected) == len(statements)
    assert all(r.reason.strip() for r in parsed.rejected)
    for row in parsed.statements:
        assert row["statement_date"].year >= MIN_YEAR
        if row["interval_start"] and row["interval_end"]:
            assert row["interval_end"] >= row["interval_start"]
    for usage in parsed.usages:
        assert usage["usage_amount"] is None or abs(usage["usage_amount"]) <= MAX_BILL_QUANTITY
        if usage["interval_start"] and usage["interval_end"]:
            assert usage["interval_end"] >= usage["interval_start"]


# -- interval readings ---------------------------------------------------------------------------

BAYOU_READING = {"start": "2025-03-01T00:00:00Z", "end": "2025-03-01T00:15:00Z", "electricity_consumption": 120,
                 "net_electricity_consumption": -30, "generated_electricity": 150, "electricity_demand": 480,
                 "gas_consumption": None, "created_at": "2025-03-01T01:00:00Z"}


def bayou_readings():
    def at(i, reading):
        start = datetime(2025, 3, 1, tzinfo=UTC).timestamp() + 900 * i
        fix = {"start": datetime.fromtimestamp(start, UTC).isoformat().replace("+00:00", "Z"),
               "end": datetime.fromtimestamp(start + 900, UTC).isoformat().replace("+00:00", "Z")}
        return {**fix, **{k: v for k, v in reading.items() if k not in ("start", "end") or reading[k] != BAYOU_READING[k]}}
    return st.lists(st.one_of(mutated(BAYOU_READING), json_values), min_size=1, max_size=6).map(
        lambda readings: [at(i, r) if isinstance(r, dict) else r for i, r in enumerate(readings)])


@SETTINGS
@given(bayou_readings())
def test_bayou_interval_readings_land_plausible_or_are_quarantined(readings):
    body = orjson.dumps({"meters": [{"id": "m1", "intervals": readings}]})
    for payload in (body, orjson.loads(body)):  # the native path (bytes) and the Python path
        quarantine = Quarantine("bayou", "L")
        batch = parse_interval_payload(payload, customer_id="c1", windows=ALL, load_id="L", extracted_at=AT,
                                       quarantine=quarantine)
        assert batch.received == len(readings)
        assert batch.table.num_rows + len(quarantine) <= len(readings)
        assert all(row["reason"].strip() for row in quarantine.rows)
        if batch.table.num_rows:
            assert not pc.any(implausible_readings(batch.table)).as_py()
        kept_or_rejected = batch.table.num_rows + len(quarantine)
        exact_repeats = len(readings) - kept_or_rejected
        assert exact_repeats >= 0


WATTZON_READING = {"start": 1740787200, "end": 1740788100, "value": 0.42}


@SETTINGS
@given(st.lists(st.one_of(mutated(WATTZON_READING), json_values), min_size=1, max_size=6))
def test_wattzon_month_readings_land_plausible_or_are_rejected(readings):
    table, _, rejected = parse_month_json(orjson.dumps({"timezone": "UTC", "readings": readings}),
                                          profile_id="1", meter_id="m", month_id="2025-03", extraction_time=AT,
                                          load_id="L", extracted_at=AT)
    assert table.num_rows + len(rejected) <= len(readings)
    assert all(reason.strip() for _, reason in rejected)
    for row in table.to_pylist():
        assert row["interval_end"] > row["interval_start"] and row["interval_start"].year >= MIN_YEAR
        assert row["usage_kwh"] is None or 0 <= row["usage_kwh"] <= 1_000_000


ARCADIA_ITEM = {"start_time": "2025-03-01T00:00:00Z", "end_time": "2025-03-01T00:15:00Z", "net_kwh": -0.3,
                "consumption_kwh": 0.2, "generation_kwh": 0.5, "is_null_kwh": False}


@SETTINGS
@given(st.lists(st.one_of(mutated(ARCADIA_ITEM), json_values), min_size=1, max_size=6))
def test_arcadia_interval_items_land_plausible_or_are_rejected(items):
    table, rejected = intervals_table(items, meter_id="m", account_id="a", credential_id="c", load_id="L",
                                      extracted_at=AT)
    assert table.num_rows + len(rejected) <= len(items)
    assert all(reason.strip() for _, reason in rejected)
    if table.num_rows:
        columns = {name: table[name].combine_chunks() for name in
                   ("interval_start", "interval_end", "consumption_kwh", "generation_kwh", "net_kwh")}
        assert not pc.any(_implausible(columns)).as_py()


def test_examples_per_property_are_bounded():
    assert SETTINGS.max_examples == EXAMPLES and date.today().year >= 2025

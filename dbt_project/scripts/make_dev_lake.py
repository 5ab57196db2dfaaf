"""Write a small fake lake matching docs/lake.md, for developing and testing the dbt project.

Usage:
    python dbt_project/scripts/make_dev_lake.py /tmp/dbtdev      # writes /tmp/dbtdev/lake/...
    python dbt_project/scripts/make_dev_lake.py /tmp/dbtdev --empty
        # only the `_empty.parquet` schema files and an empty compiled policy (a lake that
        # was never synced)
    UTILITY_DATA_DIR=/tmp/dbtdev dbt build --project-dir dbt_project --profiles-dir dbt_project

The data exercises: several versions of one record (dedupe), `_empty.parquet` schema files,
the intervals `month=YYYY-MM/` partitions, a half-written `.tmp-*` file that readers must
ignore, unlocked / vendor-locked / masked-at-ingestion bills, a bill unlocked one by one,
policy windows with NULL (unbounded) bounds, conflicting interval readings, a meter only known
from intervals, an account only known from bills and a quarantined record.

WattzOn (`lake/wattzon/...`): profiles with and without jobs (success, credential_error),
statements with electricity + gas + billing records, without a billing record (total = sum of
costs, water in gallons), masked outside the policy, an older agent's record with only `date`
and no meter number, a re-extracted interval reading (the latest extraction wins) and a mock
interval meter that differs from the bills' meter number.

Arcadia (`lake/arcadia/...`): a verified and a pending credential, an account with one electric
and one gas meter and one with two electric meters, statements with a supplier charge, with no
charge at all, masked outside the policy, re-extracted (latest wins) and flagged past due /
possible rebill / final bill, and interval readings with consumption, net only, `is_null_kwh`
and a re-landed reading.

Urjanet (`lake/urjanet/...`): an account whose id changed (A-OLD -> A-NEW, same account_key; the
policy knows the current id only), a statement landed under the old id and one unmatched at
ingestion (account_id NULL, resolved by account_key), a re-published statement (new id, later
delivery), an adjustment, a statement masked outside the policy, meter and account-level
charges, a meter only seen on statements, a SEWER meter, the change log and two credentials.

The script replaces `<dir>/lake` entirely; it touches nothing else.
"""

from __future__ import annotations

import shutil
import sys
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

UTC = timezone.utc
TS = pa.timestamp("us", tz="UTC")
STR = pa.string()
BOOL = pa.bool_()
I64 = pa.int64()
F64 = pa.float64()
DATE = pa.date32()

META = [("_load_id", STR), ("_extracted_at", TS)]

SCHEMAS: dict[str, list[tuple[str, pa.DataType]]] = {
    "customers": [
        ("customer_id", STR), ("external_id", STR), ("utility", STR), ("email", STR),
        ("first_name", STR), ("last_name", STR), ("address_line_1", STR), ("address_line_2", STR),
        ("city", STR), ("state", STR), ("zipcode", STR), ("has_accepted_terms_on", TS),
        ("has_filled_credentials", BOOL), ("has_filled_credentials_on", TS),
        ("bills_are_ready", BOOL), ("utility_has_intervals", BOOL),
        ("account_has_intervals", BOOL), ("intervals_are_ready", BOOL),
        ("first_interval_discovered", TS), ("last_interval_discovered", TS), ("tags", STR),
    ] + META,
    "customer_meters": [
        ("customer_id", STR), ("account_number", STR), ("meter_id", STR), ("meter_type", STR),
        ("tariff", STR), ("tariffs_json", STR), ("address", STR),
    ] + META,
    "bills": [
        ("bill_id", STR), ("external_id", STR), ("status", STR), ("customer_id", STR),
        ("customer_external_id", STR), ("billed_on", DATE), ("utility", STR),
        ("account_number", STR), ("billing_period_from", DATE), ("billing_period_to", DATE),
        ("outstanding_balance_cents", I64), ("electricity_consumption_wh", pa.decimal128(20, 3)),
        ("electricity_amount_cents", I64), ("delivery_charge_cents", I64),
        ("supply_charge_cents", I64), ("community_solar_bill_credit_cents", I64),
        ("gas_amount_cents", I64), ("total_amount_cents", I64),
        ("gas_consumption", pa.decimal128(20, 4)), ("gas_consumption_unit", STR),
        ("file_url", STR), ("is_masked", BOOL),
    ] + META,
    "bill_meters": [
        ("bill_id", STR), ("meter_id", STR), ("meter_type", STR), ("status", STR),
        ("billing_period_from", DATE), ("billing_period_to", DATE),
        ("consumption", pa.decimal128(20, 4)), ("tariff", STR), ("address", STR),
        ("is_masked", BOOL),
    ] + META,
    "intervals": [
        ("customer_id", STR), ("meter_id", STR), ("interval_start", TS), ("interval_end", TS),
        ("electricity_consumption_wh", F64), ("net_electricity_consumption_wh", F64),
        ("generated_electricity_wh", F64), ("electricity_demand_w", F64),
        ("gas_consumption_therms", F64), ("conflicting_fields", STR),
        ("conflict_values_json", STR), ("created_at", TS), ("updated_at", TS),
    ] + META,
    "utilities": [("utility_id", STR), ("name", STR), ("supports_intervals", BOOL)] + META,
    "quarantine": [
        ("vendor", STR), ("entity", STR), ("record_id", STR), ("raw_record", STR),
        ("reason", STR),
    ] + META,
}

MONEY = pa.decimal128(18, 4)
USAGE = pa.decimal128(20, 4)

WATTZON_SCHEMAS: dict[str, list[tuple[str, pa.DataType]]] = {
    "profiles": [
        ("profile_id", STR), ("utility_provider", STR), ("utility_provider_id", STR), ("label", STR),
        ("tags", STR), ("zipcode", STR), ("created", TS), ("modified", TS),
    ] + META,
    "jobs": [
        ("job_id", STR), ("profile_id", STR), ("mode", STR), ("job_status", STR), ("status", STR),
        ("finished", BOOL), ("detail", STR), ("source", STR), ("new_records", I64),
        ("existing_records", I64),
    ] + META,
    "bills": [
        ("profile_id", STR), ("bill_id", STR), ("record_type", STR), ("statement_id", STR),
        ("statement_date", DATE), ("account_number", STR), ("service_id", STR), ("meter_number", STR),
        ("name", STR), ("service_address", STR), ("bill_date", DATE), ("start_date", TS),
        ("end_date", TS), ("date", TS), ("cost", MONEY), ("usage", USAGE), ("units", STR),
        ("currency", STR), ("retail_energy_provider", STR), ("rate_plan", STR),
        ("exported_energy", USAGE), ("previous_balance", MONEY), ("payment_received", MONEY),
        ("past_due_balance", MONEY), ("current_charges", MONEY), ("total_amount_due", MONEY),
        ("due_date", DATE), ("payment_date", DATE), ("pdf", STR), ("pdf_sha256", STR),
        ("cached", BOOL), ("cached_job_id", STR), ("is_masked", BOOL),
    ] + META,
    "bill_pdfs": [
        ("profile_id", STR), ("bill_id", STR), ("statement_id", STR), ("sha256", STR),
        ("size_bytes", I64), ("path", STR),
    ] + META,
    "interval_periods": [
        ("profile_id", STR), ("meter_id", STR), ("month_id", STR), ("first_interval", TS),
        ("last_interval", TS), ("complete", BOOL), ("extraction_time", TS),
        ("source_file_size", I64), ("job_id_extracted", STR), ("readings_landed", I64),
    ] + META,
    "intervals": [
        ("profile_id", STR), ("meter_id", STR), ("month_id", STR), ("interval_start", TS),
        ("interval_end", TS), ("usage_kwh", F64), ("timezone", STR), ("extraction_time", TS),
    ] + META,
    "quarantine": SCHEMAS["quarantine"],
}

ARCADIA_SCHEMAS: dict[str, list[tuple[str, pa.DataType]]] = {
    "users": [("client_user_id", STR), ("created_at", TS), ("updated_at", TS), ("sandboxed", BOOL)] + META,
    "credentials": [
        ("credential_id", STR), ("client_user_id", STR), ("utility_name", STR), ("utility_long_name", STR),
        ("verification_status", STR), ("accounts_load_in_progress", BOOL), ("verification_updated_at", TS),
        ("created_at", TS), ("updated_at", TS), ("sandboxed", BOOL),
    ] + META,
    "accounts": [
        ("account_id", STR), ("client_user_id", STR), ("credential_id", STR), ("utility_name", STR),
        ("utility_long_name", STR), ("account_number", STR), ("service_address_street_one", STR),
        ("service_address_street_two", STR), ("service_address_city", STR), ("service_address_state", STR),
        ("service_address_zip", STR), ("service_customer_name", STR), ("supplier_account_id", STR),
        ("status", STR), ("tariff_main_id", STR), ("tariff_supplier_name", STR), ("tariff_code", STR),
        ("tariff_name", STR), ("tariff_utility_name", STR), ("tariff_as_of_date", DATE), ("flags", STR),
        ("services", STR), ("charge_cost", STR), ("smart_charge", STR), ("utility_intervals", STR),
        ("utility_statements", STR), ("hosted_payments", STR), ("utility_remittance", STR),
        ("created_at", TS), ("updated_at", TS), ("sandboxed", BOOL), ("source", STR),
    ] + META,
    "meters": [
        ("meter_id", STR), ("client_user_id", STR), ("credential_id", STR), ("account_id", STR),
        ("meter_number", STR), ("service_type", STR), ("created_at", TS), ("updated_at", TS),
        ("sandboxed", BOOL), ("source", STR),
    ] + META,
    "statements": [
        ("statement_id", STR), ("client_user_id", STR), ("account_id", STR), ("credential_id", STR),
        ("utility_name", STR), ("tariff", STR), ("statement_date", DATE), ("due_date", DATE),
        ("service_start_date", DATE), ("service_end_date", DATE), ("service_window_inclusive_of_end_date", BOOL),
        ("kwh", MONEY), ("utility_charge", MONEY), ("supplier_charge", MONEY), ("gas_charge", MONEY),
        ("past_due", BOOL), ("final_bill", BOOL), ("has_pdf", BOOL), ("billing_flags", STR),
        ("created_at", TS), ("updated_at", TS), ("sandboxed", BOOL), ("is_masked", BOOL),
    ] + META,
    "intervals": [
        ("meter_id", STR), ("account_id", STR), ("credential_id", STR), ("interval_start", TS),
        ("interval_end", TS), ("consumption_kwh", F64), ("generation_kwh", F64), ("net_kwh", F64),
        ("is_null_kwh", BOOL),
    ] + META,
    "quarantine": SCHEMAS["quarantine"],
}

QUANTITY = pa.decimal128(20, 6)

URJANET_SCHEMAS: dict[str, list[tuple[str, pa.DataType]]] = {
    "providers": [
        ("provider_id", STR), ("provider_alias", STR), ("provider_name", STR), ("classification", STR),
        ("service_types", STR), ("parent_provider_alias", STR), ("created", TS), ("modified", TS),
    ] + META,
    "accounts": [
        ("account_id", STR), ("account_key", STR), ("customer_id", STR), ("account_number", STR),
        ("normalized_account_number", STR), ("summary_account_number", STR), ("is_summary_account", BOOL),
        ("provider_id", STR), ("provider_alias", STR), ("enrollment_status", STR), ("extraction_status", STR),
        ("monitoring_status", STR), ("provider_classification", STR), ("message", STR), ("subscribed", BOOL),
        ("pull_history", BOOL), ("to_be_delivered", BOOL), ("first_extract_date", TS), ("last_extracted", TS),
        ("last_successful_extraction", TS), ("last_delivered", TS), ("next_expected_post_date", TS),
        ("next_expected_confidence", STR), ("latest_interval_end", TS), ("latest_total_bill_amount", MONEY),
        ("latest_statement_create", TS), ("last_successful_credential_id", STR), ("credential_ids", STR),
        ("custom_attributes", STR), ("created", TS), ("modified", TS), ("created_by_username", STR),
        ("last_modified_by_username", STR),
    ] + META,
    "account_id_changes": [
        ("old_account_id", STR), ("new_account_id", STR), ("account_key", STR), ("changed_at", TS),
        ("detected_by", STR),
    ] + META,
    "meters": [
        ("meter_id", STR), ("account_id", STR), ("meter_number", STR), ("normalized_meter_number", STR),
        ("service_type", STR), ("tariff", STR), ("service_address", STR), ("pod_number", STR),
        ("previous_meter_number", STR), ("deactivated", BOOL), ("custom_attributes", STR), ("created", TS),
        ("modified", TS),
    ] + META,
    "credentials": [
        ("credential_id", STR), ("extraction_channel_id", STR), ("provider_id", STR), ("provider_alias", STR),
        ("template_id", STR), ("template_name", STR), ("acquisition_type", STR), ("url", STR), ("enabled", BOOL),
        ("interval_data_enabled", BOOL), ("message", STR), ("last_attempted", TS), ("last_success", TS),
        ("s3_bucket_name", STR), ("s3_file_prefix", STR), ("created", TS), ("modified", TS),
    ] + META,
    "change_events": [
        ("event_key", STR), ("event_time", TS), ("event_name", STR), ("username", STR), ("customer_id", STR),
        ("account_number", STR), ("provider_alias", STR), ("old_status", STR), ("new_status", STR),
        ("old_account_id", STR), ("new_account_id", STR), ("event_fields", STR),
    ] + META,
    "status_refreshes": [
        ("refreshed_at", TS), ("mode", STR), ("reason", STR), ("accounts", I64), ("meters", I64),
        ("credentials", I64), ("events", I64),
    ] + META,
    "delivery_files": [
        ("file_name", STR), ("location", STR), ("fingerprint", STR), ("size_bytes", I64), ("delivery_id", STR),
        ("delivered_at", TS), ("statements", I64), ("rejected", I64), ("unmatched", I64), ("policy_sha256", STR),
        ("error", STR),
    ] + META,
    "statements": [
        ("statement_id", STR), ("delivery_file", STR), ("delivered_at", TS), ("provider_alias", STR),
        ("account_number", STR), ("normalized_account_number", STR), ("account_key", STR), ("account_id", STR),
        ("statement_type", STR), ("statement_date", DATE), ("interval_start", DATE), ("interval_end", DATE),
        ("due_date", DATE), ("currency", STR), ("total_bill_amount", MONEY), ("amount_due", MONEY),
        ("new_charges", MONEY), ("outstanding_balance", MONEY), ("previous_balance", MONEY), ("is_masked", BOOL),
    ] + META,
    "statement_meters": [
        ("statement_id", STR), ("meter_number", STR), ("normalized_meter_number", STR), ("service_type", STR),
        ("tariff", STR), ("pod_id", STR), ("interval_start", DATE), ("interval_end", DATE),
    ] + META,
    "usages": [
        ("statement_id", STR), ("line_number", pa.int32()), ("meter_number", STR), ("normalized_meter_number", STR),
        ("measurement_type", STR), ("energy_unit", STR), ("usage_amount", QUANTITY), ("rate_component", STR),
        ("interval_start", DATE), ("interval_end", DATE),
    ] + META,
    "charges": [
        ("statement_id", STR), ("line_number", pa.int32()), ("meter_number", STR), ("normalized_meter_number", STR),
        ("charge_actual_name", STR), ("charge_amount", MONEY), ("charge_units_used", QUANTITY),
        ("charge_rate_per_unit", QUANTITY), ("usage_unit", STR), ("interval_start", DATE), ("interval_end", DATE),
    ] + META,
    "quarantine": SCHEMAS["quarantine"],
}

VENDOR_SCHEMAS = {"bayou": SCHEMAS, "wattzon": WATTZON_SCHEMAS, "arcadia": ARCADIA_SCHEMAS,
                  "urjanet": URJANET_SCHEMAS}

POLICY_SCHEMAS: dict[str, list[tuple[str, pa.DataType]]] = {
    "customer_policies": [
        ("vendor", STR), ("vendor_customer_id", STR), ("linked_at", TS), ("link_source", STR),
        ("history", STR), ("continuous", BOOL), ("policy_sha256", STR),
    ],
    "policy_windows": [
        ("vendor", STR), ("vendor_customer_id", STR), ("window_kind", STR),
        ("starts_on", DATE), ("ends_on", DATE), ("starts_at", TS), ("ends_at", TS),
    ],
    "unlocked_bills": [("vendor", STR), ("vendor_bill_id", STR)],
}


def ts(s: str | None) -> datetime | None:
    if s is None:
        return None
    return datetime.fromisoformat(s).replace(tzinfo=UTC)


def d(s: str | None) -> date | None:
    return None if s is None else date.fromisoformat(s)


def table(schema: list[tuple[str, pa.DataType]], rows: list[dict]) -> pa.Table:
    sch = pa.schema(schema)
    cols = {name: [r.get(name) for r in rows] for name, _ in schema}
    return pa.Table.from_pydict(cols, schema=sch)


class Lake:
    def __init__(self, root: Path):
        self.root = root
        self.counters: dict[tuple[str, str], int] = {}

    def empty(self, vendor: str, entity: str) -> None:
        path = self.root / vendor / entity / "_empty.parquet"
        path.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(table(VENDOR_SCHEMAS[vendor][entity], []), path)

    def write(self, vendor: str, entity: str, load: tuple[str, str], rows: list[dict],
              subdir: str | None = None) -> None:
        load_id, extracted = load
        for r in rows:
            r.setdefault("_load_id", load_id)
            r.setdefault("_extracted_at", ts(extracted))
        key = (entity, load_id)
        self.counters[key] = self.counters.get(key, 0) + 1
        folder = self.root / vendor / entity
        if subdir:
            folder = folder / subdir
        folder.mkdir(parents=True, exist_ok=True)
        pq.write_table(table(VENDOR_SCHEMAS[vendor][entity], rows),
                       folder / f"{load_id}-{self.counters[key]:04d}.parquet")

    def policy(self, name: str, rows: list[dict]) -> None:
        path = self.root / "policy" / name / "policy.parquet"
        path.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(table(POLICY_SCHEMAS[name], rows), path)


L1 = ("20240301T000000Z-aaaa1111", "2024-03-01T00:00:00")
L2 = ("20240601T000000Z-bbbb2222", "2024-06-01T00:00:00")
L3 = ("20240601T000000Z-cccc3333", "2024-06-01T00:00:00")  # same extraction time as L2, later load id


def customer(cid: str, **kw) -> dict:
    base = dict(customer_id=cid, external_id=f"ext-{cid}", utility="speculoos_power",
                email=f"c{cid}@example.com", first_name="Ada", last_name=f"C{cid}",
                address_line_1="1 Main St", address_line_2=None, city="Springfield",
                state="IL", zipcode="62701", has_accepted_terms_on=ts("2023-01-01T10:00:00"),
                has_filled_credentials=True, has_filled_credentials_on=ts("2024-03-15T12:00:00"),
                bills_are_ready=True, utility_has_intervals=True, account_has_intervals=True,
                intervals_are_ready=True, first_interval_discovered=ts("2023-03-01T00:00:00"),
                last_interval_discovered=ts("2024-05-31T23:45:00"), tags='["dev"]')
    base.update(kw)
    return base


def bill(bid: str, cid: str, billed_on: str, status: str = "unlocked", masked: bool = False,
         account: str | None = None, **kw) -> dict:
    bo = d(billed_on)
    base = dict(bill_id=bid, external_id=None, status=status, customer_id=cid,
                customer_external_id=f"ext-{cid}", billed_on=bo, utility="speculoos_power",
                account_number=account or f"ACC-{cid}", billing_period_from=bo - timedelta(days=30),
                billing_period_to=bo, gas_consumption_unit=None, file_url=None, is_masked=masked)
    if not masked and status == "unlocked":
        base.update(outstanding_balance_cents=0, electricity_consumption_wh=Decimal("350123.500"),
                    electricity_amount_cents=5099, delivery_charge_cents=2000,
                    supply_charge_cents=3099, community_solar_bill_credit_cents=-500,
                    gas_amount_cents=None, total_amount_cents=4599,
                    file_url=f"https://bayou.example/bills/{bid}.pdf?sig=x")
    base.update(kw)
    return base


def bill_meter(bid: str, mid: str, mtype: str, consumption: str | None, masked: bool = False,
               **kw) -> dict:
    base = dict(bill_id=bid, meter_id=mid, meter_type=mtype, status="unlocked",
                billing_period_from=None, billing_period_to=None,
                consumption=None if consumption is None or masked else Decimal(consumption),
                tariff="Unspecified" if masked else "E-1", address="1 Main St", is_masked=masked)
    base.update(kw)
    return base


def interval(cid: str, mid: str, start: str, minutes: int = 60, **kw) -> dict:
    s = ts(start)
    base = dict(customer_id=cid, meter_id=mid, interval_start=s,
                interval_end=s + timedelta(minutes=minutes), created_at=s, updated_at=s)
    base.update(kw)
    return base


def wz_record(pid: str, rid: str, rtype: str, account: str, bill_date: str, masked: bool = False, **kw) -> dict:
    """A WattzOn bill record; the statement is `profile:account:bill_date` like the ingestion's."""
    base = dict(profile_id=pid, bill_id=rid, record_type=rtype, statement_id=f"{pid}:{account}:{bill_date}",
                statement_date=d(bill_date), account_number=account, bill_date=d(bill_date), currency="USD",
                cached=False, cached_job_id="job-x", is_masked=masked)
    if not masked:
        base.update(name="Ada Lovelace", service_address="9 Wattzon Way")
    base.update(kw)
    if masked:  # ids and dates only, like the ingestion
        for k in ("cost", "usage", "units", "rate_plan", "current_charges", "total_amount_due", "due_date",
                  "pdf", "pdf_sha256", "name", "service_address"):
            base.pop(k, None)
    return base


def write_arcadia(lake: Lake) -> None:
    """Arcadia: credential 1001 (verified; an electric + gas account and an account with two electric
    meters), 1002 (pending, no account). Statements with a supplier, with NULL charges, masked, a
    re-extracted version, a possible rebill; intervals with consumption, net only, is_null_kwh and a
    re-landed reading."""
    v = "arcadia"
    u = "user-1"
    lake.write(v, "users", L1, [dict(client_user_id=u, created_at=ts("2024-03-01T00:00:00"),
                                     updated_at=ts("2024-03-01T00:00:00"), sandboxed=True)])
    lake.write(v, "credentials", L1, [
        dict(credential_id="1001", client_user_id=u, utility_name="ComEd", utility_long_name="Commonwealth Edison",
             verification_status="pending", accounts_load_in_progress=True, created_at=ts("2024-03-01T00:00:00"),
             updated_at=ts("2024-03-01T00:00:00"), sandboxed=True),
        dict(credential_id="1002", client_user_id=u, utility_name="PG&E", utility_long_name="Pacific Gas & Electric",
             verification_status="pending", accounts_load_in_progress=False, created_at=ts("2024-05-01T00:00:00"),
             updated_at=ts("2024-05-01T00:00:00"), sandboxed=True),
    ])
    lake.write(v, "credentials", L2, [
        dict(credential_id="1001", client_user_id=u, utility_name="ComEd", utility_long_name="Commonwealth Edison",
             verification_status="verified", accounts_load_in_progress=False,
             verification_updated_at=ts("2024-03-01T00:05:00"), created_at=ts("2024-03-01T00:00:00"),
             updated_at=ts("2024-03-01T00:05:00"), sandboxed=True),
    ])
    features = dict(charge_cost="AVAILABLE", smart_charge="AVAILABLE", utility_intervals="AVAILABLE",
                    utility_statements="AVAILABLE", hosted_payments="NOT_AVAILABLE", utility_remittance="NOT_READY")
    lake.write(v, "accounts", L1, [
        dict(account_id="12001", client_user_id=u, credential_id="1001", utility_name="ComEd",
             utility_long_name="Commonwealth Edison", account_number="7626177069",
             service_address_street_one="1060 W Addison", service_address_street_two="Apartment 1",
             service_address_city="Chicago", service_address_state="IL", service_address_zip="60613",
             service_customer_name="Joan Arc", status="active", tariff_main_id="gen_mtid_3331108",
             tariff_supplier_name="East Bay Community Energy", tariff_code="EV-2A-TOU",
             tariff_name="Residential - Time of Use", tariff_utility_name="ComEd",
             tariff_as_of_date=d("2024-05-01"), flags='["utility_statement_past_due"]', services='["electric","gas"]',
             created_at=ts("2024-03-01T00:10:00"), updated_at=ts("2024-03-01T00:10:00"), sandboxed=True,
             source="webhook", **features),
        dict(account_id="12002", client_user_id=u, credential_id="1001", utility_name="ComEd",
             utility_long_name="Commonwealth Edison", account_number="7626170000", status="closed",
             flags="[]", services='["electric"]', created_at=ts("2024-03-01T00:10:00"),
             updated_at=ts("2024-03-01T00:10:00"), sandboxed=True, source="api",
             **{**features, "utility_statements": "NOT_READY"}),
    ])
    meter = lambda mid, acc, number, kind: dict(  # noqa: E731
        meter_id=mid, client_user_id=u, credential_id="1001", account_id=acc, meter_number=number, service_type=kind,
        created_at=ts("2024-03-01T00:10:00"), updated_at=ts("2024-03-01T00:10:00"), sandboxed=True, source="api")
    lake.write(v, "meters", L1, [
        meter("50001", "12001", "E-123", "electric"), meter("50002", "12001", "G-123", "gas"),
        # two electric meters: statements of 12002 get no meter row
        meter("50003", "12002", "E-200", "electric"), meter("50004", "12002", "E-201", "electric"),
    ])

    def statement(sid: str, acc: str, on: str, masked: bool = False, **kw) -> dict:
        day = d(on)
        row = dict(statement_id=sid, client_user_id=u, account_id=acc, credential_id="1001", utility_name="ComEd",
                   statement_date=day, due_date=day + timedelta(days=21), service_start_date=day - timedelta(days=31),
                   service_end_date=day - timedelta(days=1), service_window_inclusive_of_end_date=True,
                   created_at=ts(f"{on}T08:00:00"), updated_at=ts(f"{on}T08:00:00"), sandboxed=True, is_masked=masked)
        if not masked:
            row.update(tariff='{"main_tariff_id":"gen_mtid_3331108","tariff_code":"EV-2A-TOU"}', kwh=Decimal("512.5"),
                       utility_charge=Decimal("48.1200"), supplier_charge=Decimal("20.0000"),
                       gas_charge=Decimal("31.5000"), past_due=False, final_bill=False, has_pdf=True,
                       billing_flags="[]")
        row.update(kw)
        return row

    lake.write(v, "statements", L1, [
        statement("300001", "12001", "2024-04-05", utility_charge=Decimal("1.0000")),  # replaced in L2
        statement("300002", "12001", "2023-01-05", masked=True),  # before the history window
        statement("300003", "12002", "2024-04-07", tariff="R", supplier_charge=None, gas_charge=None, past_due=True,
                  billing_flags='["possible_rebill"]'),
    ])
    lake.write(v, "statements", L2, [
        statement("300001", "12001", "2024-04-05"),
        # no charge at all: total NULL
        statement("300004", "12001", "2024-05-05", utility_charge=None, supplier_charge=None, gas_charge=None,
                  final_bill=True, has_pdf=False),
    ])

    def reading(start: str, **kw) -> dict:
        s_ = ts(start)
        row = dict(meter_id="50001", account_id="12001", credential_id="1001", interval_start=s_,
                   interval_end=s_ + timedelta(minutes=15), is_null_kwh=False)
        row.update(kw)
        return row

    lake.write(v, "intervals", L1, [
        reading("2024-04-01T00:00:00", consumption_kwh=0.5, generation_kwh=0.1, net_kwh=0.4),
        reading("2024-04-01T00:15:00", net_kwh=0.7),  # net only: usage falls back to it
        reading("2024-04-01T00:30:00", is_null_kwh=True),  # kept, usage NULL
        reading("2024-04-01T00:45:00", consumption_kwh=1.0, net_kwh=1.0),  # replaced in L2
    ], subdir="month=2024-04")
    lake.write(v, "intervals", L2, [
        reading("2024-04-01T00:45:00", consumption_kwh=1.25, net_kwh=1.25),
    ], subdir="month=2024-04")


def write_urjanet(lake: Lake) -> None:
    """Urjanet: account A-OLD changed its id to A-NEW (same account_key, GeorgiaPower 111-222);
    B-1 (DukeEnergy) has an electric and a sewer meter. Statements: S-1 landed under the old id,
    re-published as S-1R (later delivery, wins); S-2 unmatched at ingestion (account_id NULL);
    S-3 masked outside the policy; ADJ-1 an adjustment of S-2's period; S-4 of B-1 with a meter
    the API does not list (M-X)."""
    v = "urjanet"
    lake.write(v, "providers", L1, [
        dict(provider_id="p-gp", provider_alias="GeorgiaPower", provider_name="Georgia Power", classification="PRIMARY",
             service_types='["Electric"]', created=ts("2023-01-01T00:00:00"), modified=ts("2023-01-01T00:00:00")),
        dict(provider_id="p-de", provider_alias="DukeEnergy", provider_name="Duke Energy", classification="BOTH",
             service_types='["Electric","Sewer"]', created=ts("2023-01-01T00:00:00"),
             modified=ts("2023-01-01T00:00:00")),
    ])
    lake.write(v, "credentials", L1, [
        dict(credential_id="c-1", extraction_channel_id="Cust_1-GeorgiaPower_1", provider_id="p-gp",
             provider_alias="GeorgiaPower", template_id="t-1", template_name="GeorgiaPowerTemplateProvider",
             acquisition_type="WEB", url="https://georgiapower.example.com", enabled=True, interval_data_enabled=False,
             last_attempted=ts("2024-05-30T00:00:00"), last_success=ts("2024-05-30T00:00:00"),
             created=ts("2024-01-01T00:00:00"), modified=ts("2024-01-01T00:00:00")),
        dict(credential_id="c-2", extraction_channel_id="Cust_2-DukeEnergy_1", provider_id="p-de",
             provider_alias="DukeEnergy", template_id="t-2", template_name="DukeEnergyTemplateProvider",
             acquisition_type="WEB", enabled=False, interval_data_enabled=False, message="Login failed",
             last_attempted=ts("2024-05-30T00:00:00"), created=ts("2024-01-01T00:00:00"),
             modified=ts("2024-05-30T00:00:00")),
    ])

    def account(aid: str, number: str, alias: str, pid: str, **kw) -> dict:
        normalized = "".join(c for c in number if c.isalnum()).upper()
        row = dict(account_id=aid, account_key=f"{alias.lower()}:{normalized}", customer_id="Cust",
                   account_number=number, normalized_account_number=normalized, is_summary_account=False,
                   provider_id=pid, provider_alias=alias, enrollment_status="SUCCESSFUL_DELIVERED",
                   extraction_status="SUCCESS", monitoring_status="PRODUCTION", provider_classification="PRIMARY",
                   subscribed=True, pull_history=True, to_be_delivered=True, credential_ids='["c-1"]',
                   custom_attributes="{}", created=ts("2024-01-10T00:00:00"), modified=ts("2024-01-10T00:00:00"),
                   created_by_username="dev", last_modified_by_username="dev")
        row.update(kw)
        return row

    lake.write(v, "accounts", L1, [
        account("A-OLD", "111-222", "GeorgiaPower", "p-gp"),
        account("B-1", "333-444", "DukeEnergy", "p-de", enrollment_status="FAILED_LOGIN",
                extraction_status="LOGIN_FAILURE", monitoring_status="LOGIN_FAILURE", credential_ids='["c-2"]'),
    ])
    # the id changed: the same account (account_key) under a new id
    lake.write(v, "accounts", L2, [
        account("A-NEW", "111-222", "GeorgiaPower", "p-gp", modified=ts("2024-05-01T00:00:00"),
                last_successful_extraction=ts("2024-05-30T00:00:00"), next_expected_post_date=ts("2024-06-25T00:00:00"),
                latest_total_bill_amount=Decimal("120.5000")),
    ])
    lake.write(v, "account_id_changes", L2, [
        dict(old_account_id="A-OLD", new_account_id="A-NEW", account_key="georgiapower:111222",
             changed_at=ts("2024-05-01T00:00:00"), detected_by="changelog"),
    ])
    lake.write(v, "meters", L1, [
        dict(meter_id="M-A1", account_id="A-OLD", meter_number="E-100", normalized_meter_number="E100",
             service_type="ELECTRIC", tariff="GP-R1", service_address="1 Peachtree St", deactivated=False,
             custom_attributes="{}", created=ts("2024-01-10T00:00:00"), modified=ts("2024-01-10T00:00:00")),
        dict(meter_id="M-B1", account_id="B-1", meter_number="E-300", normalized_meter_number="E300",
             service_type="ELECTRIC", tariff="DE-R", service_address="3 Main St", deactivated=False,
             custom_attributes="{}", created=ts("2024-01-10T00:00:00"), modified=ts("2024-01-10T00:00:00")),
        dict(meter_id="M-B2", account_id="B-1", meter_number="S-300", normalized_meter_number="S300",
             service_type="SEWER", tariff=None, service_address="3 Main St", deactivated=False,
             custom_attributes="{}", created=ts("2024-01-10T00:00:00"), modified=ts("2024-01-10T00:00:00")),
    ])
    # M-A1 re-read after the id change: it follows the new id
    lake.write(v, "meters", L2, [
        dict(meter_id="M-A1", account_id="A-NEW", meter_number="E-100", normalized_meter_number="E100",
             service_type="ELECTRIC", tariff="GP-R1", service_address="1 Peachtree St", deactivated=False,
             custom_attributes="{}", created=ts("2024-01-10T00:00:00"), modified=ts("2024-05-01T00:00:00")),
    ])
    lake.write(v, "change_events", L1, [
        dict(event_key="ev-1", event_time=ts("2024-01-10T00:00:00"), event_name="AccountNominatedEvent",
             username="dev", customer_id="Cust", account_number="111-222", provider_alias="GeorgiaPower",
             event_fields='{"accountNumber":"111-222","providerAlias":"GeorgiaPower"}'),
        dict(event_key="ev-2", event_time=ts("2024-01-11T00:00:00"), event_name="EnrollmentStatusChangeEvent",
             username="system", customer_id="Cust", account_number="333-444", provider_alias="DukeEnergy",
             old_status="NOMINATED", new_status="FAILED_LOGIN",
             event_fields='{"accountNumber":"333-444","newStatus":"FAILED_LOGIN","oldStatus":"NOMINATED",'
                          '"providerAlias":"DukeEnergy"}'),
    ])
    lake.write(v, "change_events", L2, [
        dict(event_key="ev-3", event_time=ts("2024-05-01T00:00:00"), event_name="AccountLinkageEvent",
             username="system", customer_id="Cust", account_number="111-222", provider_alias="GeorgiaPower",
             old_account_id="A-OLD", new_account_id="A-NEW",
             event_fields='{"accountNumber":"111-222","newAccountId":"A-NEW","oldAccountId":"A-OLD",'
                          '"providerAlias":"GeorgiaPower"}'),
    ])
    lake.write(v, "status_refreshes", L1, [dict(refreshed_at=ts("2024-03-01T00:00:00"), mode="full",
                                                reason="first sync", accounts=2, meters=3, credentials=2, events=2)])
    lake.write(v, "status_refreshes", L2, [dict(refreshed_at=ts("2024-06-01T00:00:00"), mode="incremental",
                                                reason="last full refresh 2024-05-31", accounts=1, meters=1,
                                                credentials=0, events=1)])
    lake.write(v, "delivery_files", L1, [
        dict(file_name="2024/04/delivery-2024-04-30.json", location="/deliveries/2024/04/delivery-2024-04-30.json",
             fingerprint="100-1", size_bytes=100, delivery_id="d-1", delivered_at=ts("2024-04-30T06:00:00"),
             statements=3, rejected=0, unmatched=1, policy_sha256="0" * 64),
    ])

    def statement(sid: str, aid: str | None, number: str, alias: str, on: str, delivered: str, total: str | None,
                  kind: str = "bill", masked: bool = False, **kw) -> dict:
        day = d(on)
        normalized = "".join(c for c in number if c.isalnum()).upper()
        row = dict(statement_id=sid, delivery_file=f"delivery-{delivered[:10]}.json", delivered_at=ts(delivered),
                   provider_alias=alias, account_number=number, normalized_account_number=normalized,
                   account_key=f"{alias.lower()}:{normalized}", account_id=aid, statement_type=kind,
                   statement_date=day, interval_start=day - timedelta(days=31), interval_end=day - timedelta(days=1),
                   due_date=day + timedelta(days=21), currency="USD", is_masked=masked)
        if not masked and total is not None:
            row.update(total_bill_amount=Decimal(total), amount_due=Decimal(total), new_charges=Decimal(total),
                       outstanding_balance=Decimal("0"), previous_balance=Decimal("0"))
        row.update(kw)
        return row

    lake.write(v, "statements", L1, [
        statement("S-1", "A-OLD", "111-222", "GeorgiaPower", "2024-04-05", "2024-04-30T06:00:00", "60.00"),
        statement("S-2", None, "111 222", "GeorgiaPower", "2024-05-05", "2024-05-31T06:00:00", "70.00"),
        statement("S-3", "A-OLD", "111-222", "GeorgiaPower", "2022-01-05", "2024-04-30T06:00:00", None, masked=True),
        statement("S-4", "B-1", "333-444", "DukeEnergy", "2024-05-10", "2024-05-31T06:00:00", "45.00"),
    ])
    lake.write(v, "statements", L2, [
        # S-1 re-published with a corrected charge: the later delivery wins
        statement("S-1R", "A-OLD", "111-222", "GeorgiaPower", "2024-04-05", "2024-06-30T06:00:00", "62.00"),
        # an adjustment of S-2's period (usage correction -10 kWh)
        statement("ADJ-1", "A-NEW", "111-222", "GeorgiaPower", "2024-05-15", "2024-06-30T06:00:00", "-1.50",
                  kind="adjustment", interval_start=d("2024-04-04"), interval_end=d("2024-05-04")),
    ])

    def smeter(sid: str, number: str, kind: str, on_start: str, on_end: str, tariff: str | None = None) -> dict:
        return dict(statement_id=sid, meter_number=number, normalized_meter_number="".join(
            c for c in number if c.isalnum()).upper(), service_type=kind, tariff=tariff,
            interval_start=d(on_start), interval_end=d(on_end))

    lake.write(v, "statement_meters", L1, [
        smeter("S-1", "E-100", "ELECTRIC", "2024-03-05", "2024-04-04", "GP-R1"),
        smeter("S-2", "E-100", "ELECTRIC", "2024-04-04", "2024-05-04", "GP-R1"),
        smeter("S-3", "E-100", "ELECTRIC", "2021-12-05", "2022-01-04"),
        smeter("S-4", "E-300", "ELECTRIC", "2024-04-09", "2024-05-09", "DE-R"),
        smeter("S-4", "S-300", "SEWER", "2024-04-09", "2024-05-09"),
        smeter("S-4", "X-999", "GAS", "2024-04-09", "2024-05-09", "DE-G"),  # a meter the API does not list
    ])
    lake.write(v, "statement_meters", L2, [
        smeter("S-1R", "E-100", "ELECTRIC", "2024-03-05", "2024-04-04", "GP-R1"),
        smeter("ADJ-1", "E-100", "ELECTRIC", "2024-04-04", "2024-05-04", "GP-R1"),
    ])

    def usage(sid: str, line: int, number: str | None, kind: str, unit: str, amount: str) -> dict:
        return dict(statement_id=sid, line_number=line, meter_number=number,
                    normalized_meter_number="".join(c for c in number if c.isalnum()).upper() if number else None,
                    measurement_type=kind, energy_unit=unit, usage_amount=Decimal(amount), rate_component="[total]")

    lake.write(v, "usages", L1, [
        usage("S-1", 1, "E-100", "general_consumption", "kWh", "400"),
        usage("S-2", 1, "E-100", "general_consumption", "kWh", "450"),
        usage("S-2", 2, "E-100", "demand", "kW", "5.5"),
        usage("S-4", 1, "E-300", "general_consumption", "kWh", "300"),
        usage("S-4", 2, "S-300", "general_consumption", "gallons", "2000"),
        usage("S-4", 3, "X-999", "general_consumption", "therms", "12.5"),
    ])
    lake.write(v, "usages", L2, [
        usage("S-1R", 1, "E-100", "general_consumption", "kWh", "400"),
        usage("ADJ-1", 1, "E-100", "general_consumption", "kWh", "-10"),
    ])

    def charge(sid: str, line: int, number: str | None, name: str, amount: str) -> dict:
        return dict(statement_id=sid, line_number=line, meter_number=number,
                    normalized_meter_number="".join(c for c in number if c.isalnum()).upper() if number else None,
                    charge_actual_name=name, charge_amount=Decimal(amount))

    lake.write(v, "charges", L1, [
        charge("S-1", 1, "E-100", "Energy Charge", "50.00"), charge("S-1", 2, None, "Customer Charge", "10.00"),
        charge("S-2", 1, "E-100", "Energy Charge", "60.00"), charge("S-2", 2, None, "Customer Charge", "10.00"),
        charge("S-4", 1, "E-300", "Energy Charge", "30.00"), charge("S-4", 2, "S-300", "Sewer Usage Charge", "8.00"),
        charge("S-4", 3, "X-999", "Gas Supply Charge", "4.00"), charge("S-4", 4, None, "Late Payment Fee", "3.00"),
    ])
    lake.write(v, "charges", L2, [
        charge("S-1R", 1, "E-100", "Energy Charge", "52.00"), charge("S-1R", 2, None, "Customer Charge", "10.00"),
        charge("ADJ-1", 1, "E-100", "Billing Correction", "-1.50"),
    ])
    lake.write(v, "quarantine", L2, [
        dict(vendor="urjanet", entity="statements", record_id="S-BAD",
             raw_record='{"StatementId": "S-BAD"}', reason="Account: missing"),
    ])


def write_wattzon(lake: Lake) -> None:
    v = "wattzon"
    lake.write(v, "profiles", L1, [
        dict(profile_id="9001", utility_provider="Mock Utility Provider (electric+gas)", utility_provider_id="3149",
             label="CASE-OLD", tags='["dev"]', zipcode="00007", created=ts("2024-03-01T00:00:00"),
             modified=ts("2024-03-01T00:00:00")),
        dict(profile_id="9002", utility_provider="Seattle Public Utilities", utility_provider_id="2210",
             label="CASE-9002", tags="[]", zipcode="98101", created=ts("2024-01-01T00:00:00"),
             modified=ts("2024-01-01T00:00:00")),
        dict(profile_id="9003", utility_provider="Mock Utility (electric only)", utility_provider_id=None,
             label=None, tags="[]", zipcode=None, created=ts("2024-05-01T00:00:00"), modified=None),
    ])
    # a later version of 9001 (relabelled)
    lake.write(v, "profiles", L2, [
        dict(profile_id="9001", utility_provider="Mock Utility Provider (electric+gas)", utility_provider_id="3149",
             label="CASE-9001", tags='["dev"]', zipcode="00007", created=ts("2024-03-01T00:00:00"),
             modified=ts("2024-05-01T00:00:00")),
    ])
    lake.write(v, "jobs", L1, [
        dict(job_id="job-1", profile_id="9001", job_status="AgentState.success", status="success", finished=True,
             source="last_job"),
        dict(job_id="job-2a", profile_id="9002", job_status="AgentState.success", status="success", finished=True,
             source="last_job"),
    ])
    lake.write(v, "jobs", L2, [
        # 9002's last finished job failed on credentials: its account needs attention
        dict(job_id="job-2b", profile_id="9002", job_status="AgentState.credential_error",
             status="credential_error", finished=True, source="last_job"),
        dict(job_id="job-1i", profile_id="9001", mode="interval", job_status="AgentState.success", status="success",
             finished=True, source="notification", new_records=96, existing_records=0),
    ])

    def period(start: str, end: str) -> dict:
        return dict(start_date=ts(f"{start}T00:00:00"), end_date=ts(f"{end}T23:59:59"))

    lake.write(v, "bills", L1, [
        # in policy: electricity + gas + billing records; the billing record's charges are the total
        wz_record("9001", "r-e1", "electricity", "A-9001", "2024-05-05", service_id="SV-E", meter_number="MN-E",
                  cost=Decimal("50.1000"), usage=Decimal("300.5000"), units="KWh", rate_plan="E-1",
                  pdf="/link/4.0/data/bills/9001/r-e1/pdf", pdf_sha256="a" * 64, **period("2024-04-01", "2024-04-30")),
        wz_record("9001", "r-g1", "gas", "A-9001", "2024-05-05", service_id="SV-G", meter_number="MN-G",
                  cost=Decimal("25.4500"), usage=Decimal("12.5000"), units="therms", rate_plan="G-1",
                  pdf="/link/4.0/data/bills/9001/r-g1/pdf", pdf_sha256="a" * 64, **period("2024-04-01", "2024-04-30")),
        wz_record("9001", "r-b1", "billing", "A-9001", "2024-05-05", previous_balance=Decimal("10"),
                  payment_received=Decimal("10"), past_due_balance=Decimal("0"), current_charges=Decimal("85.5500"),
                  total_amount_due=Decimal("85.5500"), due_date=d("2024-05-25"),
                  pdf="/link/4.0/data/bills/9001/r-b1/pdf", pdf_sha256="a" * 64),
        # before 9001's history window: masked at ingestion
        wz_record("9001", "r-e0", "electricity", "A-9001", "2023-01-05", masked=True, service_id="SV-E",
                  meter_number="MN-E", **period("2022-12-01", "2022-12-31")),
        # an old version of a record of the next statement
        wz_record("9001", "r-e2", "electricity", "A-9001", "2024-06-05", service_id="SV-E", meter_number="MN-E",
                  cost=Decimal("1.0000"), usage=Decimal("1.0000"), units="KWh", rate_plan="E-OLD",
                  **period("2024-05-01", "2024-05-31")),
    ])
    lake.write(v, "bills", L2, [
        # no billing record: total = sum of the costs
        wz_record("9001", "r-e2", "electricity", "A-9001", "2024-06-05", service_id="SV-E", meter_number="MN-E",
                  cost=Decimal("30.0000"), usage=Decimal("200.0000"), units="KWh", rate_plan="E-2",
                  **period("2024-05-01", "2024-05-31")),
        # 9002: water in gallons; an older agent's record: only `date`, no meter number
        wz_record("9002", "r-w1", "water", "A-9002", "2024-02-10", service_id="SV-W",
                  cost=Decimal("12.3400"), usage=Decimal("1200.0000"), units="gallons", rate_plan="RES-WATER",
                  date=ts("2024-01-25T12:00:00")),
        wz_record("9002", "r-b2", "billing", "A-9002", "2024-02-10", current_charges=Decimal("15.0000"),
                  total_amount_due=Decimal("15.0000"), due_date=d("2024-03-01")),
    ])
    lake.write(v, "bill_pdfs", L1, [
        dict(profile_id="9001", bill_id=r, statement_id="9001:A-9001:2024-05-05", sha256="a" * 64, size_bytes=1234,
             path=f"wattzon/pdf_files/aa/{'a' * 64}.pdf") for r in ("r-e1", "r-g1", "r-b1")
    ])
    mock_meter = "__mock_meter__9001"
    lake.write(v, "interval_periods", L1, [
        dict(profile_id="9001", meter_id=mock_meter, month_id="2024-05", first_interval=ts("2024-05-01T04:00:00"),
             last_interval=ts("2024-05-01T04:30:00"), complete=False, extraction_time=ts("2024-05-02T00:00:00"),
             source_file_size=100, job_id_extracted="job-1i", readings_landed=3),
    ])
    lake.write(v, "interval_periods", L2, [
        dict(profile_id="9001", meter_id=mock_meter, month_id="2024-05", first_interval=ts("2024-05-01T04:00:00"),
             last_interval=ts("2024-05-01T04:30:00"), complete=True, extraction_time=ts("2024-06-02T00:00:00"),
             source_file_size=120, job_id_extracted="job-1i", readings_landed=1),
    ])

    def reading(start: str, kwh: float, extraction: str) -> dict:
        s = ts(start)
        return dict(profile_id="9001", meter_id=mock_meter, month_id="2024-05", interval_start=s,
                    interval_end=s + timedelta(minutes=15), usage_kwh=kwh, timezone="America/New_York",
                    extraction_time=ts(extraction))

    lake.write(v, "intervals", L1, [
        reading("2024-05-01T04:00:00", 0.25, "2024-05-02T00:00:00"),
        reading("2024-05-01T04:15:00", 0.30, "2024-05-02T00:00:00"),
        reading("2024-05-01T04:30:00", 0.35, "2024-05-02T00:00:00"),
    ], subdir="month=2024-05")
    # WattzOn re-extracted the month: the new reading wins
    lake.write(v, "intervals", L2, [reading("2024-05-01T04:15:00", 0.32, "2024-06-02T00:00:00")],
               subdir="month=2024-05")
    lake.write(v, "quarantine", L2, [
        dict(vendor="wattzon", entity="bills", record_id="r-bad", raw_record='{"bill_id": "r-bad", "type": "electricity"}',
             reason="bill record without bill_id, type or any date"),
    ])


def main(data_dir: str, empty: bool = False) -> None:
    root = Path(data_dir) / "lake"
    if root.exists():
        shutil.rmtree(root)
    lake = Lake(root)
    for vendor, schemas in VENDOR_SCHEMAS.items():
        for entity in schemas:
            lake.empty(vendor, entity)
    if empty:
        pol = Lake(root)
        for name in POLICY_SCHEMAS:
            pol.policy(name, [])
        print(f"wrote {root} (empty)")
        return
    v = "bayou"

    # --- customers -------------------------------------------------------------------
    # 101: two versions; credentials filled between L1 and L2.
    lake.write(v, "customers", L1, [
        customer("101", has_filled_credentials=False, has_filled_credentials_on=None),
        customer("102", has_filled_credentials_on=ts("2024-02-10T00:00:00")),
        customer("103", utility="seattle_city_light", has_filled_credentials_on=ts("2024-01-10T00:00:00")),
        customer("104", has_filled_credentials=False, has_filled_credentials_on=None,
                 bills_are_ready=False, intervals_are_ready=False, first_interval_discovered=None,
                 last_interval_discovered=None, tags="[]"),
        customer("105", has_filled_credentials_on=ts("2024-01-01T00:00:00")),
    ])
    lake.write(v, "customers", L2, [customer("101")])

    # --- customer meters --------------------------------------------------------------
    lake.write(v, "customer_meters", L1, [
        dict(customer_id="101", account_number="ACC-101", meter_id="M-101-E", meter_type="electric",
             tariff="E-OLD", tariffs_json='[{"tariff":"E-OLD","period_from":"2020-01-01"}]', address="1 Main St"),
        dict(customer_id="101", account_number="ACC-101", meter_id="M-101-G", meter_type="gas",
             tariff="G-1", tariffs_json='[{"tariff":"G-1","period_from":"2020-01-01"}]', address="1 Main St"),
        dict(customer_id="102", account_number="ACC-102", meter_id="M-102-E", meter_type="electric",
             tariff="E-1", tariffs_json="[]", address="2 Main St"),
        dict(customer_id="103", account_number="ACC-103", meter_id="M-103-G", meter_type="gas",
             tariff="G-2", tariffs_json="[]", address="3 Main St"),
        dict(customer_id="105", account_number="ACC-105", meter_id="M-105-E", meter_type="electric",
             tariff="E-1", tariffs_json="[]", address="5 Main St"),
        dict(customer_id="104", account_number="ACC-104", meter_id="M-104-W", meter_type="water",
             tariff=None, tariffs_json="[]", address="4 Main St"),
    ])
    lake.write(v, "customer_meters", L2, [
        dict(customer_id="101", account_number="ACC-101", meter_id="M-101-E", meter_type="electric",
             tariff="E-NEW", tariffs_json='[{"tariff":"E-OLD","period_from":"2020-01-01"},{"tariff":"E-NEW","period_from":"2024-04-01"}]',
             address="1 Main St"),
    ])

    # --- bills ------------------------------------------------------------------------
    lake.write(v, "bills", L1, [
        # 101, before its history window: locked at the vendor and masked at ingestion
        bill("B1001", "101", "2023-01-20", status="locked", masked=True),
        # 101, first version not parsed yet; a later version (L2) is unlocked
        bill("B1002", "101", "2023-06-20", status="unparsed"),
        # 102 has no windows; this bill was ingested with data (policy changed since)
        bill("B2001", "102", "2024-02-20"),
        # 102, unlocked one by one (policy/unlocked_bills)
        bill("B2002", "102", "2024-02-25"),
        # 103, history `all`: gas bill in ccf; one bill the vendor cannot parse
        bill("B3001", "103", "2022-05-01", utility="seattle_city_light",
             electricity_consumption_wh=None, electricity_amount_cents=None,
             delivery_charge_cents=None, supply_charge_cents=None,
             community_solar_bill_credit_cents=None, gas_amount_cents=12345,
             total_amount_cents=12345, gas_consumption=Decimal("41.5000"),
             gas_consumption_unit="ccf"),
        bill("B3002", "103", "2022-06-01", status="not_supported", utility="seattle_city_light"),
        # 105, window [2023-07-01, 2024-01-01): start inclusive, end exclusive
        bill("B5001", "105", "2023-07-01"),
        bill("B5002", "105", "2023-12-31"),
        bill("B5003", "105", "2024-01-01"),
    ])
    lake.write(v, "bills", L2, [
        bill("B1002", "101", "2023-06-20", total_amount_cents=1000, electricity_amount_cents=1000),
        # electric + gas meters
        bill("B1003", "101", "2024-04-20", gas_amount_cents=2500, total_amount_cents=7599,
             gas_consumption=Decimal("12.3456"), gas_consumption_unit="therms"),
        # in policy now, but masked at ingestion (stays locked until re-ingested)
        bill("B1004", "101", "2024-05-20", masked=True),
        # account only known from bills
        bill("B1005", "101", "2024-05-25", account="ACC-101-B"),
    ])
    # same extraction time as L2 but a later load id: this version wins
    lake.write(v, "bills", L3, [
        bill("B1002", "101", "2023-06-20", total_amount_cents=123456, electricity_amount_cents=123456),
    ])

    # --- bill meters ------------------------------------------------------------------
    lake.write(v, "bill_meters", L1, [
        bill_meter("B1001", "M-101-E", "electric", None, masked=True, status="locked"),
        bill_meter("B1002", "M-101-E", "electric", None, status="unparsed"),
        bill_meter("B2001", "M-102-E", "electric", "350123.5"),
        bill_meter("B2002", "M-102-E", "electric", "200000"),
        bill_meter("B3001", "M-103-G", "gas", "41.5"),
        bill_meter("B3002", "M-103-G", "gas", None, status="not_supported"),
        bill_meter("B5001", "M-105-E", "electric", "1000"),
        bill_meter("B5002", "M-105-E", "electric", "2000"),
        bill_meter("B5003", "M-105-E", "electric", "3000"),
    ])
    lake.write(v, "bill_meters", L2, [
        bill_meter("B1002", "M-101-E", "electric", "350123.5"),
        bill_meter("B1003", "M-101-E", "electric", "350123.5"),
        bill_meter("B1003", "M-101-G", "gas", "12.3456"),
        bill_meter("B1004", "M-101-E", "electric", None, masked=True),
        # two electric meters: no per-meter amount can be derived
        bill_meter("B1005", "M-101-E2", "electric", "100000"),
        bill_meter("B1005", "M-101-E3", "electric", "250123.5"),
    ])

    # --- intervals (month partitions) -------------------------------------------------
    lake.write(v, "intervals", L1, [
        # before 101's history window (starts 2023-03-15): dropped
        interval("101", "M-101-E", "2023-03-14T23:00:00", electricity_consumption_wh=500.0),
        interval("101", "M-101-E", "2023-03-15T00:00:00", electricity_consumption_wh=600.0,
                 generated_electricity_wh=100.0, net_electricity_consumption_wh=500.0,
                 electricity_demand_w=2400.0),
        interval("101", "M-101-E", "2023-03-15T01:00:00", electricity_consumption_wh=700.0),
    ], subdir="month=2023-03")
    lake.write(v, "intervals", L1, [
        interval("101", "M-101-G", "2024-02-01T00:00:00", gas_consumption_therms=0.25),
        # a meter the customer object does not list: inferred electric
        interval("101", "M-101-X", "2024-02-01T00:00:00", electricity_consumption_wh=42.0),
        # 102 has no windows: dropped
        interval("102", "M-102-E", "2024-02-01T00:00:00", electricity_consumption_wh=1.0),
        # 105 window ends 2024-01-01 (exclusive): dropped
        interval("105", "M-105-E", "2024-02-01T00:00:00", electricity_consumption_wh=1.0),
    ], subdir="month=2024-02")
    lake.write(v, "intervals", L1, [
        interval("105", "M-105-E", "2023-12-31T23:00:00", electricity_consumption_wh=9.0),
    ], subdir="month=2023-12")
    lake.write(v, "intervals", L2, [
        # new version of a reading, with a conflict recorded
        interval("101", "M-101-E", "2023-03-15T01:00:00", electricity_consumption_wh=750.0,
                 conflicting_fields="electricity_consumption",
                 conflict_values_json='{"electricity_consumption":[700,750]}'),
    ], subdir="month=2023-03")
    lake.write(v, "intervals", L2, [
        interval("101", "M-101-E", "2024-05-01T00:00:00", minutes=15, electricity_consumption_wh=250.0),
    ], subdir="month=2024-05")
    # a half-written file that every reader must ignore
    (root / "bayou" / "intervals" / "month=2024-05" / f".tmp-{L2[0]}-0002.parquet").write_bytes(b"PAR1 garbage")

    # --- utilities, quarantine --------------------------------------------------------
    lake.write(v, "utilities", L1, [
        dict(utility_id="speculoos_power", name="Speculoos Power", supports_intervals=True),
        dict(utility_id="seattle_city_light", name="Seattle City Light", supports_intervals=False),
    ])
    lake.write(v, "quarantine", L2, [
        dict(vendor="bayou", entity="bills", record_id="B9999",
             raw_record='{"id": 9999, "billed_on": "not-a-date"}', reason="billed_on: invalid date"),
    ])

    write_wattzon(lake)
    write_arcadia(lake)
    write_urjanet(lake)

    # --- compiled policy ----------------------------------------------------------------
    pol = Lake(root)
    sha = "0" * 64
    pol.policy("customer_policies", [
        dict(vendor="bayou", vendor_customer_id="101", linked_at=ts("2024-03-15T12:00:00"),
             link_source="has_filled_credentials_on", history="12", continuous=True, policy_sha256=sha),
        dict(vendor="bayou", vendor_customer_id="102", linked_at=ts("2024-02-10T00:00:00"),
             link_source="has_filled_credentials_on", history="none", continuous=False, policy_sha256=sha),
        dict(vendor="bayou", vendor_customer_id="103", linked_at=ts("2024-01-10T00:00:00"),
             link_source="has_filled_credentials_on", history="all", continuous=True, policy_sha256=sha),
        dict(vendor="bayou", vendor_customer_id="104", linked_at=ts("2023-01-01T10:00:00"),
             link_source="has_accepted_terms_on", history="12", continuous=True, policy_sha256=sha),
        dict(vendor="bayou", vendor_customer_id="105", linked_at=ts("2024-01-01T00:00:00"),
             link_source="has_filled_credentials_on", history="6", continuous=False, policy_sha256=sha),
        dict(vendor="wattzon", vendor_customer_id="9001", linked_at=ts("2024-03-01T00:00:00"),
             link_source="created", history="12", continuous=True, policy_sha256=sha),
        dict(vendor="wattzon", vendor_customer_id="9002", linked_at=ts("2024-01-01T00:00:00"),
             link_source="created", history="all", continuous=True, policy_sha256=sha),
        dict(vendor="wattzon", vendor_customer_id="9003", linked_at=ts("2024-05-01T00:00:00"),
             link_source="created", history="none", continuous=True, policy_sha256=sha),
        dict(vendor="arcadia", vendor_customer_id="1001", linked_at=ts("2024-03-01T00:00:00"),
             link_source="created_at", history="12", continuous=True, policy_sha256=sha),
        dict(vendor="arcadia", vendor_customer_id="1002", linked_at=ts("2024-05-01T00:00:00"),
             link_source="created_at", history="12", continuous=True, policy_sha256=sha),
        # Urjanet: the current account ids only (A-OLD was replaced by A-NEW)
        dict(vendor="urjanet", vendor_customer_id="A-NEW", linked_at=ts("2024-01-10T00:00:00"),
             link_source="created", history="12", continuous=True, policy_sha256=sha),
        dict(vendor="urjanet", vendor_customer_id="B-1", linked_at=ts("2024-01-10T00:00:00"),
             link_source="created", history="12", continuous=True, policy_sha256=sha),
    ])

    def window(cid: str, kind: str, s: str | None, e: str | None, vendor: str = "bayou") -> dict:
        return dict(vendor=vendor, vendor_customer_id=cid, window_kind=kind, starts_on=d(s),
                    ends_on=d(e), starts_at=ts(f"{s}T00:00:00") if s else None,
                    ends_at=ts(f"{e}T00:00:00") if e else None)

    pol.policy("policy_windows", [
        window("101", "history", "2023-03-15", "2024-03-15"),
        window("101", "ongoing", "2024-03-15", None),
        window("103", "history", None, "2024-01-10"),
        window("103", "ongoing", "2024-01-10", None),
        window("104", "history", "2022-01-01", "2023-01-01"),
        window("104", "ongoing", "2023-01-01", None),
        window("105", "history", "2023-07-01", "2024-01-01"),
        window("9001", "history", "2023-03-01", "2024-03-01", vendor="wattzon"),
        window("9001", "ongoing", "2024-03-01", None, vendor="wattzon"),
        window("9002", "history", None, "2024-01-01", vendor="wattzon"),
        window("9002", "ongoing", "2024-01-01", None, vendor="wattzon"),
        window("9003", "ongoing", "2024-05-01", None, vendor="wattzon"),
        window("1001", "history", "2023-03-01", "2024-03-01", vendor="arcadia"),
        window("1001", "ongoing", "2024-03-01", None, vendor="arcadia"),
        window("1002", "history", "2023-05-01", "2024-05-01", vendor="arcadia"),
        window("1002", "ongoing", "2024-05-01", None, vendor="arcadia"),
        window("A-NEW", "history", "2023-01-10", "2024-01-10", vendor="urjanet"),
        window("A-NEW", "ongoing", "2024-01-10", None, vendor="urjanet"),
        window("B-1", "history", "2023-01-10", "2024-01-10", vendor="urjanet"),
        window("B-1", "ongoing", "2024-01-10", None, vendor="urjanet"),
    ])
    pol.policy("unlocked_bills", [dict(vendor="bayou", vendor_bill_id="B2002")])
    print(f"wrote {root}")


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    main(args[0] if args else "/tmp/dbtdev", empty="--empty" in sys.argv[1:])

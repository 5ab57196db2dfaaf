"""The Arcadia datasets in the lake (docs/lake.md)."""

from __future__ import annotations

import pyarrow as pa

from ..core.interval_loads import INTERVAL_LOADS
from ..core.quarantine import QUARANTINE
from ..lake import Entity

TS = pa.timestamp("us", tz="UTC")
MONEY = pa.decimal128(18, 4)

USERS = Entity.with_meta(
    "users", [("client_user_id", pa.string()), ("created_at", TS), ("updated_at", TS), ("sandboxed", pa.bool_())],
    key=("client_user_id",), description="Arc users (your end customers, by your client_user_id).",
    preview_columns=("client_user_id", "created_at", "updated_at"),
)
CREDENTIALS = Entity.with_meta(
    "credentials",
    [("credential_id", pa.string()), ("client_user_id", pa.string()), ("utility_name", pa.string()),
     ("utility_long_name", pa.string()), ("verification_status", pa.string()),
     ("accounts_load_in_progress", pa.bool_()), ("verification_updated_at", TS), ("created_at", TS),
     ("updated_at", TS), ("sandboxed", pa.bool_())],
    key=("credential_id",),
    description="Utility credentials (one utility login each; the policy's customer, linked at created_at). "
                "The utility username is not landed.",
    preview_columns=("credential_id", "client_user_id", "utility_name", "verification_status", "created_at"),
)
ACCOUNTS = Entity.with_meta(
    "accounts",
    [("account_id", pa.string()), ("client_user_id", pa.string()), ("credential_id", pa.string()),
     ("utility_name", pa.string()), ("utility_long_name", pa.string()), ("account_number", pa.string()),
     ("service_address_street_one", pa.string()), ("service_address_street_two", pa.string()),
     ("service_address_city", pa.string()), ("service_address_state", pa.string()),
     ("service_address_zip", pa.string()), ("service_customer_name", pa.string()),
     ("supplier_account_id", pa.string()), ("status", pa.string()),
     ("tariff_main_id", pa.string()), ("tariff_supplier_name", pa.string()), ("tariff_code", pa.string()),
     ("tariff_name", pa.string()), ("tariff_utility_name", pa.string()), ("tariff_as_of_date", pa.date32()),
     ("flags", pa.string()), ("services", pa.string()),
     ("charge_cost", pa.string()), ("smart_charge", pa.string()), ("utility_intervals", pa.string()),
     ("utility_statements", pa.string()), ("hosted_payments", pa.string()), ("utility_remittance", pa.string()),
     ("created_at", TS), ("updated_at", TS), ("sandboxed", pa.bool_()), ("source", pa.string())],
    key=("account_id",),
    description="Utility accounts with status, services, service address, most recent tariff, flags and feature "
                "availability (from the API or carried by webhook events).",
    preview_columns=("account_id", "credential_id", "utility_name", "status", "services"),
)
METERS = Entity.with_meta(
    "meters",
    [("meter_id", pa.string()), ("client_user_id", pa.string()), ("credential_id", pa.string()),
     ("account_id", pa.string()), ("meter_number", pa.string()), ("service_type", pa.string()),
     ("created_at", TS), ("updated_at", TS), ("sandboxed", pa.bool_()), ("source", pa.string())],
    key=("meter_id",), description="Utility meters.",
    preview_columns=("meter_id", "account_id", "meter_number", "service_type"),
)
STATEMENTS = Entity.with_meta(
    "statements",
    [("statement_id", pa.string()), ("client_user_id", pa.string()), ("account_id", pa.string()),
     ("credential_id", pa.string()), ("utility_name", pa.string()), ("tariff", pa.string()),
     ("statement_date", pa.date32()), ("due_date", pa.date32()), ("service_start_date", pa.date32()),
     ("service_end_date", pa.date32()), ("service_window_inclusive_of_end_date", pa.bool_()),
     ("kwh", MONEY), ("utility_charge", MONEY), ("supplier_charge", MONEY), ("gas_charge", MONEY),
     ("past_due", pa.bool_()), ("final_bill", pa.bool_()), ("has_pdf", pa.bool_()), ("billing_flags", pa.string()),
     ("created_at", TS), ("updated_at", TS), ("sandboxed", pa.bool_()), ("is_masked", pa.bool_())],
    key=("statement_id",),
    description="Utility statements; statements outside policy keep ids and dates only. The presigned PDF "
                "link (valid 600 s) is not kept: has_pdf says whether there is one.",
    preview_columns=("statement_id", "account_id", "statement_date", "utility_charge", "is_masked"),
)
INTERVALS = Entity.with_meta(
    "intervals",
    [("meter_id", pa.string()), ("account_id", pa.string()), ("credential_id", pa.string()),
     ("interval_start", TS), ("interval_end", TS), ("consumption_kwh", pa.float64()),
     ("generation_kwh", pa.float64()), ("net_kwh", pa.float64()), ("is_null_kwh", pa.bool_())],
    partition_by_month_of="interval_start", key=("meter_id", "interval_start"),
    description="Interval readings per meter (UTC), partitioned by month.",
)

ENTITIES = {e.name: e for e in (USERS, CREDENTIALS, ACCOUNTS, METERS, STATEMENTS, INTERVALS, INTERVAL_LOADS,
                                QUARANTINE)}

"""The Bayou datasets in the lake (documented column by column in docs/lake.md)."""

from __future__ import annotations

import pyarrow as pa

from ..core.interval_loads import INTERVAL_LOADS
from ..core.quarantine import QUARANTINE
from ..lake import Entity

TS = pa.timestamp("us", tz="UTC")
CENTS = pa.int64()
USAGE = pa.decimal128(20, 4)

CUSTOMERS = Entity.with_meta(
    "customers",
    [
        ("customer_id", pa.string()), ("external_id", pa.string()), ("utility", pa.string()),
        ("email", pa.string()), ("first_name", pa.string()), ("last_name", pa.string()),
        ("address_line_1", pa.string()), ("address_line_2", pa.string()), ("city", pa.string()),
        ("state", pa.string()), ("zipcode", pa.string()),
        ("has_accepted_terms_on", TS), ("has_filled_credentials", pa.bool_()), ("has_filled_credentials_on", TS),
        ("bills_are_ready", pa.bool_()), ("utility_has_intervals", pa.bool_()),
        ("account_has_intervals", pa.bool_()), ("intervals_are_ready", pa.bool_()),
        ("first_interval_discovered", TS), ("last_interval_discovered", TS), ("tags", pa.string()),
    ],
    key=("customer_id",),
    description="Bayou customers (GET /customers). Enrollment links and tokens are never landed.",
    preview_columns=("customer_id", "utility", "has_filled_credentials", "has_filled_credentials_on",
                     "intervals_are_ready"),
)

CUSTOMER_METERS = Entity.with_meta(
    "customer_meters",
    [
        ("customer_id", pa.string()), ("account_number", pa.string()), ("meter_id", pa.string()),
        ("meter_type", pa.string()), ("tariff", pa.string()), ("tariffs_json", pa.string()), ("address", pa.string()),
    ],
    key=("customer_id", "account_number", "meter_id"),
    preview_columns=("customer_id", "account_number", "meter_id", "meter_type", "tariff"),
    description="Meters of each customer's utility accounts (customers[].account_numbers[].meters[]).",
)

BILLS = Entity.with_meta(
    "bills",
    [
        ("bill_id", pa.string()), ("external_id", pa.string()), ("status", pa.string()),
        ("customer_id", pa.string()), ("customer_external_id", pa.string()), ("billed_on", pa.date32()),
        ("utility", pa.string()), ("account_number", pa.string()),
        ("billing_period_from", pa.date32()), ("billing_period_to", pa.date32()),
        ("outstanding_balance_cents", CENTS), ("electricity_consumption_wh", USAGE),
        ("electricity_amount_cents", CENTS), ("delivery_charge_cents", CENTS), ("supply_charge_cents", CENTS),
        ("community_solar_bill_credit_cents", CENTS), ("gas_amount_cents", CENTS), ("total_amount_cents", CENTS),
        ("gas_consumption", USAGE), ("gas_consumption_unit", pa.string()), ("file_url", pa.string()),
        ("is_masked", pa.bool_()),
    ],
    key=("bill_id",),
    description="Bayou bills; bills outside policy carry only the locked fields (is_masked).",
    preview_columns=("bill_id", "customer_id", "status", "billed_on", "total_amount_cents", "is_masked"),
)

BILL_METERS = Entity.with_meta(
    "bill_meters",
    [
        ("bill_id", pa.string()), ("meter_id", pa.string()), ("meter_type", pa.string()), ("status", pa.string()),
        ("billing_period_from", pa.date32()), ("billing_period_to", pa.date32()), ("consumption", USAGE),
        ("tariff", pa.string()), ("address", pa.string()), ("is_masked", pa.bool_()),
    ],
    key=("bill_id", "meter_id"),
    preview_columns=("bill_id", "meter_id", "meter_type", "consumption", "is_masked"),
    description="Meters on each Bayou bill (bills[].meters[]).",
)

INTERVALS = Entity.with_meta(
    "intervals",
    [
        ("customer_id", pa.string()), ("meter_id", pa.string()),
        ("interval_start", TS), ("interval_end", TS),
        ("electricity_consumption_wh", pa.float64()), ("net_electricity_consumption_wh", pa.float64()),
        ("generated_electricity_wh", pa.float64()), ("electricity_demand_w", pa.float64()),
        ("gas_consumption_therms", pa.float64()),
        ("conflicting_fields", pa.string()), ("conflict_values_json", pa.string()),
        ("created_at", TS), ("updated_at", TS),
    ],
    partition_by_month_of="interval_start",
    key=("meter_id", "interval_start"),
    description="15-minute (or other granularity) readings per meter, partitioned by month (UTC).",
)

UTILITIES = Entity.with_meta(
    "utilities",
    [("utility_id", pa.string()), ("name", pa.string()), ("supports_intervals", pa.bool_())],
    key=("utility_id",),
    description="Utilities Bayou supports (GET /utilities).",
)

ENTITIES = {e.name: e for e in (CUSTOMERS, CUSTOMER_METERS, BILLS, BILL_METERS, INTERVALS, INTERVAL_LOADS, UTILITIES,
                                QUARANTINE)}

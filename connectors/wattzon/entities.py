"""The WattzOn datasets in the lake (documented column by column in docs/lake.md)."""

from __future__ import annotations

import pyarrow as pa

from ..core.interval_loads import INTERVAL_LOADS
from ..core.quarantine import QUARANTINE
from ..lake import Entity

TS = pa.timestamp("us", tz="UTC")
MONEY = pa.decimal128(18, 4)
USAGE = pa.decimal128(20, 4)

PROFILES = Entity.with_meta(
    "profiles",
    [
        ("profile_id", pa.string()), ("utility_provider", pa.string()), ("utility_provider_id", pa.string()),
        ("label", pa.string()), ("tags", pa.string()), ("zipcode", pa.string()),
        ("created", TS), ("modified", TS),
    ],
    key=("profile_id",),
    description="WattzOn profiles (one per utility login): the customers. `created` is the policy's link time.",
    preview_columns=("profile_id", "utility_provider_id", "label", "created"),
)

JOBS = Entity.with_meta(
    "jobs",
    [
        ("job_id", pa.string()), ("profile_id", pa.string()), ("mode", pa.string()),
        ("job_status", pa.string()), ("status", pa.string()), ("finished", pa.bool_()), ("detail", pa.string()),
        ("source", pa.string()), ("new_records", pa.int64()), ("existing_records", pa.int64()),
    ],
    key=("job_id",),
    description="Extraction jobs as last observed (last job per profile, notifications, refresh runs).",
    preview_columns=("job_id", "profile_id", "mode", "status", "finished"),
)

BILLS = Entity.with_meta(
    "bills",
    [
        ("profile_id", pa.string()), ("bill_id", pa.string()), ("record_type", pa.string()),
        ("statement_id", pa.string()), ("statement_date", pa.date32()),
        ("account_number", pa.string()), ("service_id", pa.string()), ("meter_number", pa.string()),
        ("name", pa.string()), ("service_address", pa.string()),
        ("bill_date", pa.date32()), ("start_date", TS), ("end_date", TS), ("date", TS),
        ("cost", MONEY), ("usage", USAGE), ("units", pa.string()), ("currency", pa.string()),
        ("retail_energy_provider", pa.string()), ("rate_plan", pa.string()), ("exported_energy", USAGE),
        ("previous_balance", MONEY), ("payment_received", MONEY), ("past_due_balance", MONEY),
        ("current_charges", MONEY), ("total_amount_due", MONEY), ("due_date", pa.date32()),
        ("payment_date", pa.date32()), ("pdf", pa.string()), ("pdf_sha256", pa.string()),
        ("cached", pa.bool_()), ("cached_job_id", pa.string()), ("is_masked", pa.bool_()),
    ],
    key=("profile_id", "bill_id", "record_type"),
    description="WattzOn bill records (electricity, gas, water, billing); records of one statement share "
                "statement_id = profile:account_number:bill_date. Out-of-policy statements keep only ids and dates.",
    preview_columns=("profile_id", "statement_id", "record_type", "statement_date", "cost", "is_masked"),
)

BILL_PDFS = Entity.with_meta(
    "bill_pdfs",
    [
        ("profile_id", pa.string()), ("bill_id", pa.string()), ("statement_id", pa.string()),
        ("sha256", pa.string()), ("size_bytes", pa.int64()), ("path", pa.string()),
    ],
    key=("profile_id", "bill_id"),
    description="Bill PDFs of in-policy statements, stored once by content (lake/wattzon/pdf_files/<sha256>.pdf).",
    preview_columns=("profile_id", "statement_id", "sha256", "size_bytes"),
)

INTERVAL_PERIODS = Entity.with_meta(
    "interval_periods",
    [
        ("profile_id", pa.string()), ("meter_id", pa.string()), ("month_id", pa.string()),
        ("first_interval", TS), ("last_interval", TS), ("complete", pa.bool_()), ("extraction_time", TS),
        ("source_file_size", pa.int64()), ("job_id_extracted", pa.string()), ("readings_landed", pa.int64()),
    ],
    key=("profile_id", "meter_id", "month_id"),
    description="Monthly interval files as fetched: a month is fetched again only while it is not complete "
                "or when WattzOn re-extracted it.",
    preview_columns=("profile_id", "meter_id", "month_id", "complete", "readings_landed"),
)

INTERVALS = Entity.with_meta(
    "intervals",
    [
        ("profile_id", pa.string()), ("meter_id", pa.string()), ("month_id", pa.string()),
        ("interval_start", TS), ("interval_end", TS), ("usage_kwh", pa.float64()),
        ("timezone", pa.string()), ("extraction_time", TS),
    ],
    partition_by_month_of="interval_start",
    key=("meter_id", "interval_start"),
    description="15-minute readings from the monthly JSON files, UTC, partitioned by month.",
)

ENTITIES = {e.name: e for e in (PROFILES, JOBS, BILLS, BILL_PDFS, INTERVAL_PERIODS, INTERVALS, INTERVAL_LOADS,
                                QUARANTINE)}

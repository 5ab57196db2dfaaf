"""The Urjanet datasets in the lake (docs/lake.md).

Two sources feed them: the enrollment and status API (accounts, meters, credentials, providers,
the change log) and the statement deliveries (delivery files, statements, statement meters,
usages, charges). Utility usernames and passwords are never landed.
"""

from __future__ import annotations

import pyarrow as pa

from ..core.quarantine import QUARANTINE
from ..lake import Entity

TS = pa.timestamp("us", tz="UTC")
MONEY = pa.decimal128(18, 4)
QUANTITY = pa.decimal128(20, 6)

PROVIDERS = Entity.with_meta(
    "providers",
    [("provider_id", pa.string()), ("provider_alias", pa.string()), ("provider_name", pa.string()),
     ("classification", pa.string()), ("service_types", pa.string()), ("parent_provider_alias", pa.string()),
     ("created", TS), ("modified", TS)],
    key=("provider_id",), description="Utility providers (the catalogue accounts and credentials point at).",
    preview_columns=("provider_id", "provider_alias", "provider_name", "classification"),
)
ACCOUNTS = Entity.with_meta(
    "accounts",
    [("account_id", pa.string()), ("account_key", pa.string()), ("customer_id", pa.string()),
     ("account_number", pa.string()), ("normalized_account_number", pa.string()),
     ("summary_account_number", pa.string()), ("is_summary_account", pa.bool_()),
     ("provider_id", pa.string()), ("provider_alias", pa.string()),
     ("enrollment_status", pa.string()), ("extraction_status", pa.string()), ("monitoring_status", pa.string()),
     ("provider_classification", pa.string()), ("message", pa.string()),
     ("subscribed", pa.bool_()), ("pull_history", pa.bool_()), ("to_be_delivered", pa.bool_()),
     ("first_extract_date", TS), ("last_extracted", TS), ("last_successful_extraction", TS),
     ("last_delivered", TS), ("next_expected_post_date", TS), ("next_expected_confidence", pa.string()),
     ("latest_interval_end", TS), ("latest_total_bill_amount", MONEY), ("latest_statement_create", TS),
     ("last_successful_credential_id", pa.string()), ("credential_ids", pa.string()),
     ("custom_attributes", pa.string()),
     ("created", TS), ("modified", TS), ("created_by_username", pa.string()),
     ("last_modified_by_username", pa.string())],
    key=("account_id",),
    description="Accounts with their enrollment, extraction and monitoring statuses. account_key "
                "(provider alias + normalized account number) survives an account id change; the "
                "policy's customer is the account, linked at its created time.",
    preview_columns=("account_id", "provider_alias", "account_number", "enrollment_status", "monitoring_status"),
)
ACCOUNT_ID_CHANGES = Entity.with_meta(
    "account_id_changes",
    [("old_account_id", pa.string()), ("new_account_id", pa.string()), ("account_key", pa.string()),
     ("changed_at", TS), ("detected_by", pa.string())],
    key=("old_account_id", "new_account_id"),
    description="Account id changes: the same provider + normalized account number met under a new id "
                "(detected_by 'match') or announced by an AccountLinkageEvent ('changelog').",
    preview_columns=("old_account_id", "new_account_id", "account_key", "detected_by"),
)
METERS = Entity.with_meta(
    "meters",
    [("meter_id", pa.string()), ("account_id", pa.string()), ("meter_number", pa.string()),
     ("normalized_meter_number", pa.string()), ("service_type", pa.string()), ("tariff", pa.string()),
     ("service_address", pa.string()), ("pod_number", pa.string()), ("previous_meter_number", pa.string()),
     ("deactivated", pa.bool_()), ("custom_attributes", pa.string()), ("created", TS), ("modified", TS)],
    key=("meter_id",), description="Meters with service type and tariff.",
    preview_columns=("meter_id", "account_id", "meter_number", "service_type", "tariff"),
)
CREDENTIALS = Entity.with_meta(
    "credentials",
    [("credential_id", pa.string()), ("extraction_channel_id", pa.string()), ("provider_id", pa.string()),
     ("provider_alias", pa.string()), ("template_id", pa.string()), ("template_name", pa.string()),
     ("acquisition_type", pa.string()), ("url", pa.string()), ("enabled", pa.bool_()),
     ("interval_data_enabled", pa.bool_()), ("message", pa.string()), ("last_attempted", TS),
     ("last_success", TS), ("s3_bucket_name", pa.string()), ("s3_file_prefix", pa.string()),
     ("created", TS), ("modified", TS)],
    key=("credential_id",),
    description="Credentials (extraction channels). Usernames, passwords and S3 key ids are not landed.",
    preview_columns=("credential_id", "extraction_channel_id", "provider_alias", "enabled", "last_success"),
)
CHANGE_EVENTS = Entity.with_meta(
    "change_events",
    [("event_key", pa.string()), ("event_time", TS), ("event_name", pa.string()), ("username", pa.string()),
     ("customer_id", pa.string()), ("account_number", pa.string()), ("provider_alias", pa.string()),
     ("old_status", pa.string()), ("new_status", pa.string()), ("old_account_id", pa.string()),
     ("new_account_id", pa.string()), ("event_fields", pa.string())],
    key=("event_key",),
    description="The change log (Appendix B events), synced incrementally; event_key is a hash of the "
                "whole event, so an event met again in the lookback is landed once.",
    preview_columns=("event_time", "event_name", "account_number", "old_status", "new_status"),
)

STATUS_REFRESHES = Entity.with_meta(
    "status_refreshes",
    [("refreshed_at", TS), ("mode", pa.string()), ("reason", pa.string()), ("accounts", pa.int64()),
     ("meters", pa.int64()), ("credentials", pa.int64()), ("events", pa.int64())],
    key=("_load_id",),
    description="One row per status sync: full (every entity searched) or incremental (change log and "
                "records modified since the last sync), and why.",
    preview_columns=("refreshed_at", "mode", "reason", "accounts", "events"),
)

# -- statement deliveries ------------------------------------------------------------------------

DELIVERY_FILES = Entity.with_meta(
    "delivery_files",
    [("file_name", pa.string()), ("location", pa.string()), ("fingerprint", pa.string()), ("size_bytes", pa.int64()),
     ("delivery_id", pa.string()), ("delivered_at", TS), ("statements", pa.int64()), ("rejected", pa.int64()),
     ("unmatched", pa.int64()), ("policy_sha256", pa.string()), ("error", pa.string())],
    key=("file_name", "fingerprint", "policy_sha256"),
    description="Every delivery file read (its fingerprint is the S3 ETag or size+mtime). A file is read "
                "again when its fingerprint or the policy changes, or while some of its statements match "
                "no known account (`unmatched`). `error` says why an unreadable file was skipped.",
    preview_columns=("file_name", "delivered_at", "statements", "rejected", "error"),
)
STATEMENTS = Entity.with_meta(
    "statements",
    [("statement_id", pa.string()), ("delivery_file", pa.string()), ("delivered_at", TS),
     ("provider_alias", pa.string()), ("account_number", pa.string()), ("normalized_account_number", pa.string()),
     ("account_key", pa.string()), ("account_id", pa.string()), ("statement_type", pa.string()),
     ("statement_date", pa.date32()), ("interval_start", pa.date32()), ("interval_end", pa.date32()),
     ("due_date", pa.date32()), ("currency", pa.string()), ("total_bill_amount", MONEY),
     ("amount_due", MONEY), ("new_charges", MONEY), ("outstanding_balance", MONEY),
     ("previous_balance", MONEY), ("is_masked", pa.bool_())],
    key=("statement_id",),
    description="Delivered statements (StatementType bill or adjustment), one row per statement id. A "
                "re-published statement has a new id: dbt keeps the latest per provider, account number "
                "and statement date. Statements outside policy keep ids and dates only (is_masked).",
    preview_columns=("statement_id", "provider_alias", "account_number", "statement_date", "statement_type",
                     "total_bill_amount"),
)
STATEMENT_METERS = Entity.with_meta(
    "statement_meters",
    [("statement_id", pa.string()), ("meter_number", pa.string()), ("normalized_meter_number", pa.string()),
     ("service_type", pa.string()), ("tariff", pa.string()), ("pod_id", pa.string()),
     ("interval_start", pa.date32()), ("interval_end", pa.date32())],
    key=("statement_id", "normalized_meter_number"),
    description="The meters of a delivered statement, with their service period.",
    preview_columns=("statement_id", "meter_number", "service_type", "tariff"),
)
USAGES = Entity.with_meta(
    "usages",
    [("statement_id", pa.string()), ("line_number", pa.int32()), ("meter_number", pa.string()),
     ("normalized_meter_number", pa.string()), ("measurement_type", pa.string()), ("energy_unit", pa.string()),
     ("usage_amount", QUANTITY), ("rate_component", pa.string()), ("interval_start", pa.date32()),
     ("interval_end", pa.date32())],
    key=("statement_id", "line_number"),
    description="Usage lines of delivered statements (general_consumption, demand, reactive_consumption).",
    preview_columns=("statement_id", "meter_number", "measurement_type", "usage_amount", "energy_unit"),
)
CHARGES = Entity.with_meta(
    "charges",
    [("statement_id", pa.string()), ("line_number", pa.int32()), ("meter_number", pa.string()),
     ("normalized_meter_number", pa.string()), ("charge_actual_name", pa.string()), ("charge_amount", MONEY),
     ("charge_units_used", QUANTITY), ("charge_rate_per_unit", QUANTITY), ("usage_unit", pa.string()),
     ("interval_start", pa.date32()), ("interval_end", pa.date32())],
    key=("statement_id", "line_number"),
    description="Charge lines of delivered statements; account-level charges have no meter_number.",
    preview_columns=("statement_id", "meter_number", "charge_actual_name", "charge_amount"),
)

ENTITIES = {e.name: e for e in (PROVIDERS, ACCOUNTS, ACCOUNT_ID_CHANGES, METERS, CREDENTIALS, CHANGE_EVENTS,
                                STATUS_REFRESHES, DELIVERY_FILES, STATEMENTS, STATEMENT_METERS, USAGES, CHARGES,
                                QUARANTINE)}

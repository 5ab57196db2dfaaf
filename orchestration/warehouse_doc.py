"""Render docs/warehouse.md from the dbt marts' yml (descriptions) and a built warehouse (types).

    uv run python -m orchestration.warehouse_doc [warehouse.duckdb]

The end-to-end tests re-render it from their warehouse and fail when the committed file is
stale, so the document cannot drift from the models.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import yaml

from connectors.settings import DBT_PROJECT_DIR, PROJECT_ROOT, load_settings

DOC_PATH = PROJECT_ROOT / "docs" / "warehouse.md"
HEADER = """# The warehouse

DuckDB file `$UTILITY_DATA_DIR/warehouse.duckdb` (DuckDB 1.x), written only by dbt. Schemas:
`staging` (views: one per lake dataset, renamed, cast, deduplicated to the latest version, units
converted), `intermediate` (views: the compiled policy applied), `marts` (tables, below).

Conventions: `vendor` is the lowercase vendor name (`bayou`, `wattzon`, `arcadia`, `urjanet`);
vendor ids are text; timestamps are UTC (`TIMESTAMP WITH TIME ZONE`); amounts are DECIMAL in
currency units; electricity in kWh, gas in the billed unit (`therm` or `ccf`). Rows of bills
outside the policy are kept as locked rows: identifiers and dates only, every amount and usage
NULL, `is_locked = true`.

Open it read-only while Dagster may be writing: `duckdb.connect(path, read_only=True)`.

## What it reads: the lake

dbt's sources are the lake (docs/lake.md): plain Parquet, Hive-partitioned by vendor, entity and
month, under the lake root (`UTILITY_LAKE_URI`: `$UTILITY_DATA_DIR/lake` by default, or
`s3://bucket/prefix`):

```
<lake root>/<vendor>/<entity>/_empty.parquet, _common_metadata    the dataset's schema (DuckDB / Spark)
<lake root>/<vendor>/<entity>/<load_id>-<nnnn>.parquet             flat entities (customers, bills, ...)
<lake root>/<vendor>/intervals/month=YYYY-MM/<load_id>-<nnnn>.parquet   readings, by UTC month of interval_start
<lake root>/policy/<dataset>/policy.parquet                         the compiled policy
```

Any engine reads it: DuckDB through `read_parquet` (each source's `external_location`), Spark
through external tables the `spark` target creates over the same folders, partitions discovered
(`dbt_project/macros/lake_sources.sql`, docs/scaling.md). On Spark, the same schemas hold the
same marts (intermediate models there are tables, not views).

## WattzOn mapping

WattzOn (`vendor = 'wattzon'`, models `dbt_project/models/staging/wattzon/`) maps to the conformed
columns as follows. WattzOn has no vendor-side lock: `is_vendor_unlocked` is always true and the
policy alone locks bills (statements outside it were masked at ingestion: `status = 'masked'`).

* **Customers** are profiles (one per utility login): `vendor_customer_id` = profile id,
  `external_id` = label, `utility` = utility_provider_id (else the provider name), `zipcode`;
  `city`, `state`, `credentials_filled_at`, `terms_accepted_at` are NULL (not exposed). From the
  profile's last finished job (the most recently observed; NULL when none was seen):
  `has_filled_credentials` is false when it ended `incomplete_parameters`, else true;
  `bills_are_ready` / `intervals_are_ready` say whether the last finished job of that mode (`bill` /
  `interval`; a job of unknown mode counts for both) ended `success` or `partial_success`. The
  policy's link time is the profile's `created` (`link_source = 'created'`).
* **Accounts**: WattzOn has no account object; an account is an `account_number` on a profile's bill
  records (`vendor_account_id` = the account number, `account_source = 'bills'`). `status` comes
  from the profile's last finished job: `success`/`partial_success` -> `active`,
  `credential_error`/`action_needed` -> `needs_attention`, any other code as WattzOn sends it
  (e.g. `site_error`), no finished job -> `pending`.
* **Meters**: from the electricity, gas and water records, `vendor_meter_id` = `meter_number`, else
  `service_id` (else the pseudo meter `<account_number>:<record_type>`); commodity
  electricity -> `electric`, gas, water; `meter_type` = the record type; `tariff` = the latest
  `rate_plan`; `meter_source = 'bills'`. Meters only seen in interval data (the interval files'
  `meter_id`) are added with commodity `electric` and `meter_source = 'intervals'`. Mock providers
  name their interval meter `__mock_meter__<profile_id>`, unlike their bills' meter numbers: both
  are kept, as two meters.
* **Bills** are statements: the records of one profile with the same account number and bill date,
  `vendor_bill_id` = `statement_id` (`<profile_id>:<account_number>:<bill date>`), `statement_date` =
  the bill date (else the period end, else the older agents' interpolated `date`), `period_start` /
  `period_end` = earliest start / latest end of the records. `total_amount` = the billing record's
  `current_charges`, or, for a statement without a billing record, the sum of the commodity costs;
  `outstanding_balance` = the billing record's `total_amount_due`; `due_date` = its `due_date`
  (Bayou gives none); `electricity_amount` / `gas_amount` = sums of the electricity / gas costs;
  `delivery_charge`, `supply_charge`, `community_solar_bill_credit` are NULL. Usage: electricity in
  kWh (`KWh` as sent; Wh converted), gas in `therm` (`therms`) or `ccf`. `has_pdf`: the lake
  stores the statement's PDF. Amounts are rounded to cents.
* **Bill meters**: one row per commodity record of a statement; `amount` = the record's `cost`
  (`amount_source = 'vendor'`), `tariff` = `rate_plan`, `usage_unit` normalized (`KWh` -> `kWh`,
  `therms` -> `therm`, water units kept, e.g. `ccf`, `gallons`).
* **Intervals**: electricity readings in kWh (`usage_kwh`), UTC; no generation, net usage, demand or
  conflicts. One reading per meter and interval start: the latest WattzOn extraction wins
  (`extraction_time`, then the ingestion's `_extracted_at` and `_load_id`).

## Arcadia mapping

Arcadia Arc (`vendor = 'arcadia'`, models `dbt_project/models/staging/arcadia/`) maps to the conformed
columns as follows. The policy's customer is the utility **credential** (one utility login, linked at
its `created_at`), so `vendor_customer_id` is the credential id everywhere (customers, accounts,
meters, bills, bill meters, intervals). Arc has no vendor-side lock: `is_vendor_unlocked` is always
true and the policy alone locks bills (statements outside it were masked at ingestion:
`status = 'masked'`).

* **Customers** are credentials: `external_id` = `client_user_id`, `utility` = `utility_name`;
  `city`, `state`, `zipcode` are NULL (the service address belongs to each account, see
  `dim_accounts`; one credential's accounts may be at several addresses); `has_filled_credentials`
  = `verification_status = 'verified'`; `credentials_filled_at` = the credential's `created_at`;
  `terms_accepted_at` is NULL. `bills_are_ready` / `intervals_are_ready` use Arc's own feature
  availability: true when one of the credential's accounts has `utility_statements` /
  `utility_intervals` = `AVAILABLE`, false when it has accounts and none has, NULL when no account is
  known yet. The policy's link time is the credential's `created_at` (`link_source = 'created_at'`).
* **Credentials** (`dim_credentials`, a conformed entity Arcadia and Urjanet provide): one row per
  credential with `client_user_id`, `utility_name`, `verification_status`
  (`pending|verified|rejected|error`), `verification_updated_at`, `accounts_load_in_progress`,
  `created_at`, `updated_at`; `vendor_credential_id` = `vendor_customer_id`. The utility username is
  never landed.
* **Accounts** are Arc utility accounts (`account_source = 'customer'`): `vendor_account_id` =
  `account_id`, `account_number`, `utility` = `utility_name`, `status` = Arc's account status
  (`active|closed|incomplete|locked|unknown`; NULL read as `unknown`). Only Arcadia fills the
  account columns `services` and `flags` (JSON arrays as text), the service address
  (`service_address_street_one/two`, `_city`, `_state`, `_zip`), the most recent tariff
  (`tariff_code`, `tariff_name`, `tariff_main_id`, `tariff_supplier_name`, `tariff_as_of_date`) and the
  six feature-availability values (`feature_charge_cost`, `feature_smart_charge`,
  `feature_utility_intervals`, `feature_utility_statements`, `feature_hosted_payments`,
  `feature_utility_remittance`: `AVAILABLE|NOT_AVAILABLE|NOT_READY`); they are NULL for the other
  vendors.
* **Meters** are Arc utility meters: `vendor_meter_id` = `meter_id`, `meter_number`, `commodity` =
  `service_type` (`electric|gas|water`), `meter_type` = `service_type` as sent, `vendor_account_id` =
  `account_id`, `meter_source = 'customer'`. Arc meters carry no tariff: electric meters get their
  account's most recent `tariff_code` (an electricity tariff), gas and water meters NULL. `address` =
  the account's service address.
* **Bills** are statements (per account): `vendor_bill_id` = `statement_id`, `statement_date`,
  `period_start` / `period_end` = `service_start_date` / `service_end_date` as sent, `due_date`,
  `currency = 'USD'`, `customer_external_id` = `client_user_id`. `total_amount` = `utility_charge` +
  `supplier_charge` + `gas_charge`, NULL-safe: the sum of the parts that are not NULL, NULL when all
  three are NULL. `electricity_amount` = `utility_charge` + `supplier_charge` (NULL-safe likewise:
  the utility's charge for the electric service plus the third-party supplier's), `gas_amount` =
  `gas_charge`; `delivery_charge` and `supply_charge` are NULL (without a supplier the utility charge
  includes the utility's own supply), `community_solar_bill_credit` NULL. `outstanding_balance` is
  NULL (Arc gives no balance). `electricity_usage_kwh` = `kwh`; no gas usage. Amounts are rounded to
  cents. Arc's statement flags are exposed through three bill columns only Arcadia fills (NULL for
  the other vendors, and when the bill is locked): `is_past_due` (`past_due`), `is_final_bill`
  (`final_bill`) and `billing_flags` (JSON array as text, e.g. `["possible_rebill"]`). `has_pdf`: Arc
  gave a PDF link (the link expires after 600 s and is not kept).
* **Bill meters**: Arc statements are per account, not per meter. A statement gets one row for its
  account's electric meter when the account has exactly one (`usage` = `kwh`, `usage_unit = 'kWh'`,
  `tariff` = the statement's tariff code; `amount` = `utility_charge` + `supplier_charge`, i.e. the
  bill's `electricity_amount`, `amount_source = 'bill_electricity_amount'`) and one row for its gas
  meter when it has exactly one (`usage` NULL; `amount` = `gas_charge`, `amount_source =
  'bill_gas_amount'`); no meter row otherwise (several meters of the commodity, water meters).
* **Intervals**: electric readings in kWh, UTC. `usage` = `consumption_kwh`; when Arc sends neither
  consumption nor generation (older payloads give only the net, or the deprecated `kwh`), `usage`
  falls back to `net_kwh`. `generation_kwh` as sent, `net_usage_kwh` = `net_kwh`; no demand, no
  conflicts. Readings Arc flags `is_null_kwh` (no value for the interval) are kept with `usage`,
  generation and net NULL, so gaps stay visible. One reading per meter and interval start: the latest
  landed (`_extracted_at`, then `_load_id`) wins.

## Urjanet mapping

Urjanet (`vendor = 'urjanet'`, models `dbt_project/models/staging/urjanet/`) maps to the conformed
columns as follows. Two sources feed it: the Utility Data API (accounts, meters, credentials,
providers, the change log) and the statement delivery files. The policy's customer is the
**account** (linked at its `created` time; after an id change, the earliest `created` of its
`account_key`), so `vendor_customer_id` = `vendor_account_id` = the account id everywhere. Urjanet
account ids can change: `account_key` (provider alias lower-cased + account number with letters
and digits only, upper-cased) identifies an account across changes, `account_id_changes` lists the
replaced ids, and the marts only ever show the **current** id (`stg_urjanet__account_ids` resolves
any id, old or current, to it; two current ids of one key, e.g. summary accounts, stay two
accounts). Urjanet has no vendor-side lock: `is_vendor_unlocked` is always true and the policy
alone locks bills (statements outside it were masked at ingestion, `status = 'masked'`, and their
usage and charge lines were not landed).

* **Customers** are the current accounts: `external_id` NULL (Urjanet's `customer_id` is the API
  tenant), `utility` = `provider_alias`; `city`, `state`, `zipcode`, `credentials_filled_at`,
  `terms_accepted_at` NULL; `has_filled_credentials` = the account has a credential;
  `bills_are_ready` = `enrollment_status` is `SUCCESSFUL_ENROLLED` or `SUCCESSFUL_DELIVERED`;
  `intervals_are_ready` NULL (no Urjanet interval data). `link_source = 'created'`.
* **Accounts** (`account_source = 'customer'`): one row per current account id (a replaced id
  never appears), `account_number` as sent, `utility` = `provider_alias`, `status` from the
  enrollment status (`SUCCESSFUL_ENROLLED|SUCCESSFUL_DELIVERED` -> `active`,
  `SUBMITTED|NOMINATED` -> `pending`, `NEEDS_CREDENTIAL|FAILED_LOGIN|ACCOUNT_MISSING|
  STATEMENT_MISSING|FAILED_TO_ACCESS` -> `needs_attention`, none -> `unknown`, others lower-cased).
  Only Urjanet fills `enrollment_status`, `extraction_status`, `monitoring_status`,
  `provider_classification` (as sent), `last_successful_extraction_at`, `next_expected_post_date`
  and `latest_total_bill_amount`; they are NULL for the other vendors.
* **Meters**: the API's meters under their account's current id, `vendor_meter_id` = `meter_id`,
  `meter_number`, `commodity` from `service_type` (`ELECTRIC` -> `electric`, `GAS` -> `gas`,
  `WATER` -> `water`, `SEWER` -> `sewer`, any other type lower-cased), `meter_type` =
  `service_type` as sent, `tariff`, `address` = `service_address`; plus meters only seen on
  statements (`meter_source = 'bills'`, `vendor_meter_id` = the normalized meter number).
* **Credentials** (`dim_credentials`): one row per credential (Urjanet extraction channel).
  A credential serves many accounts and is not the policy's customer: `vendor_customer_id` and
  `customer_key` are NULL, as are `client_user_id`, `verification_status`,
  `verification_updated_at`, `accounts_load_in_progress`; `utility_name` = the provider's name.
  Only Urjanet fills `extraction_channel_id`, `provider_alias`, `acquisition_type`, `is_enabled`,
  `message`, `last_attempted_at`, `last_success_at`. No username, password or S3 key id is landed.
* **Bills** are delivered statements of type `bill`: `vendor_bill_id` = `StatementId`. A
  re-published statement (a new id for the same provider, normalized account number and statement
  date) replaces the earlier one: the latest delivery wins (`delivered_at`, then the time it was
  read, then the highest id). A statement's account is its `account_id` resolved to the current
  id, or, when it matched no account at ingestion, its `account_key`. `statement_date`,
  `period_start` / `period_end` = the statement's interval start / end, `due_date`, `currency`
  (`USD` when missing), `status = 'delivered'`. `total_amount` = `TotalBillAmount`,
  `outstanding_balance` = `OutstandingBalance`, and the Urjanet-only `amount_due`, `new_charges`,
  `previous_balance`; `electricity_amount` / `gas_amount` = the charges of the statement's
  ELECTRIC / GAS meters; `delivery_charge`, `supply_charge`, `community_solar_bill_credit` NULL.
  `electricity_usage_kwh` = the `general_consumption` usage of the ELECTRIC meters (kWh; Wh and
  MWh converted), `gas_usage` / `gas_usage_unit` = that of the GAS meters (`therms` -> `therm`, or
  `ccf`); demand lines are not usage. `has_pdf` is false (deliveries carry no document). Amounts
  are rounded to cents.
* **Adjustments** (`StatementType: adjustment`, corrections of an earlier bill's charges and
  usage) are not bills: the policy applies to them exactly as to bills, but they are in
  `fct_bill_adjustments` only, never in `fct_bills` or `fct_bill_meters`, so usage is not counted
  twice. Their amounts (`new_charges` is the correction) and usage correction
  (`electricity_usage_kwh`, `gas_usage`) use the bill columns' rules; `adjusted_vendor_bill_id`
  is the bill of the same account with the same service period.
* **Bill meters**: one row per meter of a bill: `usage` = the meter's `general_consumption` lines
  in the conformed unit (`kWh`, `therm`, water and sewer e.g. `gallons`), `amount` = the sum of
  its charges (`amount_source = 'vendor'`), `tariff` = the statement's, `commodity` as for meters.
* **Charges** (`fct_bill_charges`, Urjanet only): every charge line of a bill or adjustment
  (`bill_type`), with its meter; **account-level charges** (e.g. a customer charge or a late fee)
  have no meter (`vendor_meter_id`, `meter_key`, `commodity` NULL): they are in the bill's
  `total_amount` and `new_charges` but in no bill meter's `amount`.
* **Account events** (`fct_account_events`, Urjanet only): the change log, one row per event
  (`vendor_event_id` = the hash the ingestion gives the event), with the event's account resolved
  to the current id (from `new_account_id`, else `old_account_id`, else provider alias + account
  number), statuses, old / new account ids and the whole `event_fields` JSON. Not bill data: no
  policy applies.
* No intervals: Urjanet interval data is not ingested.

<!-- Generated by `python -m orchestration.warehouse_doc` from dbt_project/models/marts/_marts__models.yml. -->
"""


def _doc_blocks() -> dict[str, str]:
    blocks = {}
    for path in (DBT_PROJECT_DIR / "models").rglob("*.md"):
        for name, body in re.findall(r"{%\s*docs\s+(\w+)\s*%}(.*?){%\s*enddocs\s*%}", path.read_text(), re.S):
            blocks[name] = " ".join(body.split())
    return blocks


def _render(text: str, blocks: dict[str, str]) -> str:
    text = re.sub(r'{{\s*doc\(["\'](\w+)["\']\)\s*}}', lambda m: blocks.get(m.group(1), m.group(0)), text or "")
    return " ".join(text.split()).replace("|", "\\|")


def column_types(warehouse: Path) -> dict[tuple[str, str], str]:
    import duckdb

    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute("select table_name, column_name, data_type from information_schema.columns "
                           "where table_schema = 'marts'").fetchall()
    return {(t, c): d for t, c, d in rows}


def render(warehouse: Path) -> str:
    blocks = _doc_blocks()
    types = column_types(warehouse)
    models = yaml.safe_load((DBT_PROJECT_DIR / "models" / "marts" / "_marts__models.yml").read_text())["models"]
    out = [HEADER]
    for model in models:
        name = model["name"]
        out.append(f"\n## `marts.{name}`\n\n{_render(model.get('description', ''), blocks)}\n")
        out.append("| column | type | description |\n|---|---|---|")
        for column in model.get("columns", []):
            kind = types.get((name, column["name"]), "?")
            out.append(f"| `{column['name']}` | {kind} | {_render(column.get('description', ''), blocks)} |")
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def main() -> int:
    warehouse = Path(sys.argv[1]) if len(sys.argv) > 1 else load_settings().warehouse_path
    DOC_PATH.write_text(render(warehouse))
    print(f"wrote {DOC_PATH}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

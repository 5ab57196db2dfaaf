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
        pq.write_table(table(SCHEMAS[entity], []), path)

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
        pq.write_table(table(SCHEMAS[entity], rows),
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


def main(data_dir: str, empty: bool = False) -> None:
    root = Path(data_dir) / "lake"
    if root.exists():
        shutil.rmtree(root)
    lake = Lake(root)
    for entity in SCHEMAS:
        lake.empty("bayou", entity)
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
    ])

    def window(cid: str, kind: str, s: str | None, e: str | None) -> dict:
        return dict(vendor="bayou", vendor_customer_id=cid, window_kind=kind, starts_on=d(s),
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
    ])
    pol.policy("unlocked_bills", [dict(vendor="bayou", vendor_bill_id="B2002")])
    print(f"wrote {root}")


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    main(args[0] if args else "/tmp/dbtdev", empty="--empty" in sys.argv[1:])

"""Bayou syncs: pure functions over a client, the lake and the compiled policy.

Dagster calls them through the generic asset factory (orchestration/ingestion.py); tests call
them directly. Each returns a SyncResult with row counts, quarantine counts and counters
(unlock calls, masked bills, readings outside policy, ...).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pyarrow as pa
from pydantic import ValidationError

from ..core.errors import VendorError, VendorResponseError
from ..core.interval_loads import INTERVAL_LOADS, IntervalLoads
from ..core.landing import land, land_quarantine, now_utc
from ..core.quarantine import Quarantine
from ..core.records import describe_validation_error, first_of_duplicates, to_date, to_json_text, to_text
from ..core.vendor import EntityResult, SyncContext, SyncResult, in_shard
from ..lake import DatasetWriter, query_dataset, read_latest
from ..policy import CompiledPolicy, CustomerLink, Window, midnight_utc
from .client import VENDOR, BayouClient
from .entities import BILL_METERS, BILLS, CUSTOMER_METERS, CUSTOMERS, INTERVALS, UTILITIES
from .intervals import parse_interval_payload
from .records import Bill, Customer, locked_projection

# Bayou refreshes intervals about hourly and revises recent ones: re-read this much history
# before the newest landed reading on every incremental sync.
EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)  # an unbounded request's start, in interval_loads
INTERVAL_LOOKBACK = timedelta(days=3)


def _client(ctx: SyncContext) -> BayouClient:
    return ctx.connection.client


# -- customers -------------------------------------------------------------------------------


def customer_row(customer: Customer, load_id: str, extracted_at: datetime) -> dict[str, Any]:
    row = {name: getattr(customer, name, None) for name in CUSTOMERS.schema.names if not name.startswith("_")}
    row["customer_id"] = customer.id
    row["_load_id"], row["_extracted_at"] = load_id, extracted_at
    return row


def customer_meter_rows(customer: Customer, load_id: str, extracted_at: datetime) -> list[dict[str, Any]]:
    rows = []
    for account in customer.account_numbers:
        for meter in account.meters:
            rows.append({
                "customer_id": customer.id, "account_number": account.id, "meter_id": meter.id,
                "meter_type": meter.type, "tariff": meter.current_tariff,
                "tariffs_json": to_json_text([t.model_dump(mode="json", exclude_none=True) for t in meter.tariffs]),
                "address": meter.address, "_load_id": load_id, "_extracted_at": extracted_at,
            })
    return rows


def sync_customers(ctx: SyncContext) -> SyncResult:
    client = _client(ctx)
    extracted_at = now_utc()
    # One answer naming a customer twice with different contents: the first lands (docs: Bad input).
    parsed = first_of_duplicates(client.list_customers(), lambda c: c.id, "customer", "id")
    quarantine = Quarantine(VENDOR, ctx.load_id)
    for rejected in parsed.rejected:
        quarantine.add("customers", _without_enrollment_secrets(rejected.raw), rejected.reason, extracted_at)
    unknown = Counter(name for c in parsed.records for name in c.unknown_fields)
    if unknown:
        ctx.log.info("bayou: customers carry fields this connector does not know (ignored): %s", dict(unknown))
    customers = pa.Table.from_pylist([customer_row(c, ctx.load_id, extracted_at) for c in parsed.records],
                                     schema=CUSTOMERS.schema)
    meters = pa.Table.from_pylist(
        [r for c in parsed.records for r in customer_meter_rows(c, ctx.load_id, extracted_at)],
        schema=CUSTOMER_METERS.schema,
    )
    result = SyncResult(http=client.http.stats.as_metadata())
    result.entities["customers"] = land(ctx, CUSTOMERS, customers)
    result.entities["customer_meters"] = land(ctx, CUSTOMER_METERS, meters)
    result.counters = {"customers_seen": len(parsed.records), "meters_seen": meters.num_rows}
    land_quarantine(ctx, quarantine, result)
    result.http = client.http.stats.as_metadata()
    ctx.log.info("bayou: %d customers, %d meters seen", len(parsed.records), meters.num_rows)
    return result


def _without_enrollment_secrets(raw: Any) -> Any:
    if isinstance(raw, dict):
        return {k: v for k, v in raw.items() if k not in ("onboarding_token", "onboarding_link")}
    return raw


def customer_links(lake) -> list[CustomerLink]:
    """Link time per customer: credentials filled, else terms accepted, else first seen by us."""
    if not lake.has_data(VENDOR, "customers"):
        return []
    table = query_dataset(
        lake, VENDOR, "customers",
        """
        with latest as (
            select customer_id, has_filled_credentials_on, has_accepted_terms_on,
                   row_number() over (partition by customer_id order by _extracted_at desc, _load_id desc) as rank
            from dataset
        ), first_seen as (select customer_id, min(_extracted_at) as first_seen from dataset group by customer_id)
        select l.customer_id, l.has_filled_credentials_on, l.has_accepted_terms_on, f.first_seen
        from latest l join first_seen f using (customer_id) where l.rank = 1 order by l.customer_id
        """,
    )
    links = []
    for row in table.to_pylist():
        for source in ("has_filled_credentials_on", "has_accepted_terms_on", "first_seen"):
            if row[source] is not None:
                links.append(CustomerLink(VENDOR, row["customer_id"], row[source], source))
                break
    return links


# -- utilities -------------------------------------------------------------------------------


def sync_utilities(ctx: SyncContext) -> SyncResult:
    client = _client(ctx)
    extracted_at = now_utc()
    quarantine = Quarantine(VENDOR, ctx.load_id)
    rows = []
    for raw in client.list_utilities_raw():
        utility_id = to_text(raw.get("id")) if isinstance(raw, dict) else None
        if not utility_id:
            quarantine.add("utilities", raw, "utility without id", extracted_at)
            continue
        rows.append({"utility_id": utility_id, "name": to_text(raw.get("name")),
                     "supports_intervals": raw.get("supports_intervals") if isinstance(raw.get("supports_intervals"), bool) else None,
                     "_load_id": ctx.load_id, "_extracted_at": extracted_at})
    result = SyncResult()
    result.entities["utilities"] = land(ctx, UTILITIES, pa.Table.from_pylist(rows, schema=UTILITIES.schema))
    land_quarantine(ctx, quarantine, result)
    result.http = client.http.stats.as_metadata()
    return result


# -- bills -----------------------------------------------------------------------------------


def bill_rows(bill: Bill, *, masked: bool, load_id: str, extracted_at: datetime) -> tuple[dict, list[dict]]:
    """The lake rows of one bill. A masked bill keeps only what Bayou shows for a locked bill."""
    keep = not masked
    row = {
        # Locked bill objects may omit `status`; the lake always says what the bill was.
        "bill_id": bill.id, "external_id": bill.external_id,
        "status": bill.status or ("locked" if bill.is_locked else None),
        "customer_id": bill.customer_id, "customer_external_id": bill.customer_external_id,
        "billed_on": bill.billed_on, "utility": bill.utility, "account_number": bill.account_number,
        "billing_period_from": bill.billing_period_from, "billing_period_to": bill.billing_period_to,
        "outstanding_balance_cents": bill.outstanding_balance if keep else None,
        "electricity_consumption_wh": bill.electricity_consumption if keep else None,
        "electricity_amount_cents": bill.electricity_amount if keep else None,
        "delivery_charge_cents": bill.delivery_charge if keep else None,
        "supply_charge_cents": bill.supply_charge if keep else None,
        "community_solar_bill_credit_cents": bill.community_solar_bill_credit if keep else None,
        "gas_amount_cents": bill.gas_amount if keep else None,
        "total_amount_cents": bill.total_amount if keep else None,
        "gas_consumption": bill.gas_consumption if keep else None,
        "gas_consumption_unit": bill.gas_consumption_unit if keep else None,
        "file_url": bill.file_url if keep else None,
        "is_masked": masked,
        "_load_id": load_id, "_extracted_at": extracted_at,
    }
    meters = [
        {
            "bill_id": bill.id, "meter_id": m.id, "meter_type": m.type, "status": m.status,
            "billing_period_from": m.billing_period_from, "billing_period_to": m.billing_period_to,
            "consumption": m.consumption if keep else None, "tariff": m.tariff if keep else None,
            "address": m.address if keep else None, "is_masked": masked,
            "_load_id": load_id, "_extracted_at": extracted_at,
        }
        for m in bill.meters
        if m.id
    ]
    return row, meters


@dataclass
class _CustomerBills:
    customer_id: str
    bills: list[dict]
    meters: list[dict]
    counters: Counter


def _decide_raw(policy: CompiledPolicy, customer_id: str, raw: Any) -> bool:
    """Best-effort policy decision for a record that failed validation."""
    if not isinstance(raw, dict):
        return False
    try:
        bill_id = to_text(raw.get("id")) or ""
        statement = to_date(raw.get("billed_on"))
    except ValueError:
        return False
    return policy.bill_decision(VENDOR, customer_id, bill_id, statement).in_policy


def _fields_only(reason: str) -> str:
    """A validation message without the offending values (they may be amounts of a locked bill)."""
    return "; ".join(part.split(":")[0] + ": invalid value" if ":" in part else part for part in reason.split("; "))


def _sync_customer_bills(ctx: SyncContext, customer_id: str, quarantine: Quarantine) -> _CustomerBills:
    client, policy = _client(ctx), ctx.policy
    assert policy is not None
    extracted_at = now_utc()
    counters: Counter = Counter()
    listed = client.list_bills(customer_id)
    parsed = first_of_duplicates(listed, lambda b: b.id, "bill", "id")
    for rejected in parsed.rejected[len(listed.rejected):]:  # duplicates: the reason names no value
        raw = rejected.raw if _decide_raw(policy, customer_id, rejected.raw) else locked_projection(rejected.raw)
        quarantine.add("bills", raw, rejected.reason, extracted_at)
    for rejected in listed.rejected:
        if _decide_raw(policy, customer_id, rejected.raw):
            quarantine.add("bills", rejected.raw, rejected.reason, extracted_at)
        else:
            quarantine.add("bills", locked_projection(rejected.raw), _fields_only(rejected.reason), extracted_at)
    bills, meters = [], []
    for bill in parsed.records:
        decision = policy.bill_decision(VENDOR, bill.customer_id or customer_id, bill.id, bill.billed_on)
        counters["bills_seen"] += 1
        if decision.in_policy:
            if bill.is_locked:
                client.unlock_bill(bill.id)
                counters["unlock_calls"] += 1
                raw = client.get_bill_raw(bill.id)
                try:
                    bill = Bill.model_validate(raw)
                except ValidationError as exc:
                    quarantine.add("bills", raw, describe_validation_error(exc), extracted_at)
                    continue
                if bill.is_locked:
                    counters["unlock_pending"] += 1
            counters["bills_in_policy"] += 1
            row, meter_rows = bill_rows(bill, masked=False, load_id=ctx.load_id, extracted_at=extracted_at)
        else:
            counters["bills_masked"] += 1
            if not bill.is_locked:
                counters["bills_masked_although_vendor_unlocked"] += 1
            row, meter_rows = bill_rows(bill, masked=True, load_id=ctx.load_id, extracted_at=extracted_at)
        bills.append(row)
        meters.extend(meter_rows)
    return _CustomerBills(customer_id, bills, meters, counters)


def _scoped_customer_ids(ctx: SyncContext) -> set[str] | None:
    """`scope/customer_id` (comma list), set by webhook-triggered runs; None = every customer."""
    value = ctx.scope.get("customer_id")
    ids = {c.strip() for c in value.split(",") if c.strip()} if value else set()
    return ids or None


def _known_customers(ctx: SyncContext) -> list[dict[str, Any]]:
    customers = read_latest(ctx.lake, VENDOR, CUSTOMERS).to_pylist()
    if not customers and not ctx.lake.has_data(VENDOR, "customers"):
        raise VendorResponseError(VENDOR, "GET", "/customers", None,
                                  "no customers in the lake yet: materialize bayou/customers first")
    scoped = _scoped_customer_ids(ctx)
    if scoped is not None:
        customers = [c for c in customers if c["customer_id"] in scoped]
        missing = scoped - {c["customer_id"] for c in customers}
        if missing:
            ctx.log.warning("bayou: scoped to customer(s) not in the lake yet, skipped: %s", sorted(missing))
    return in_shard(ctx.shard, customers, lambda c: c["customer_id"])


def sync_bills(ctx: SyncContext) -> SyncResult:
    client = _client(ctx)
    customers = [c for c in _known_customers(ctx) if c["has_filled_credentials"] is not False]
    quarantine = Quarantine(VENDOR, ctx.load_id)
    counters: Counter = Counter(dict.fromkeys(("bills_seen", "bills_in_policy", "bills_masked", "unlock_calls"), 0))
    all_bills, all_meters = [], []
    done = 0
    try:
        for outcome in client.http.map_concurrent(
            lambda c: _sync_customer_bills(ctx, c["customer_id"], quarantine), customers
        ):
            all_bills.extend(outcome.bills)
            all_meters.extend(outcome.meters)
            counters.update(outcome.counters)  # Counter.update adds
            done += 1
            if done % 25 == 0 or done == len(customers):
                ctx.log.info("bayou bills: %d/%d customers", done, len(customers))
    except VendorError:
        # Land what was fetched before the failure, then fail the asset with the vendor error.
        _land_bills(ctx, all_bills, all_meters, quarantine, counters)
        raise
    return _land_bills(ctx, all_bills, all_meters, quarantine, counters)


def _land_bills(ctx, bills, meters, quarantine, counters) -> SyncResult:
    result = SyncResult(counters=dict(counters))  # zeros kept: they are informative in metadata
    result.entities["bills"] = land(ctx, BILLS, pa.Table.from_pylist(bills, schema=BILLS.schema))
    result.entities["bill_meters"] = land(ctx, BILL_METERS, pa.Table.from_pylist(meters, schema=BILL_METERS.schema))
    land_quarantine(ctx, quarantine, result)
    result.http = _client(ctx).http.stats.as_metadata()
    ctx.log.info("bayou bills: %s", dict(counters))
    return result


# -- intervals -------------------------------------------------------------------------------


def month_chunks(start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    """[start, end) cut at UTC month boundaries, so each chunk lands in one lake partition."""
    chunks = []
    cursor = start
    while cursor < end:
        first = cursor.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        next_month = (first + timedelta(days=32)).replace(day=1)
        chunk_end = min(next_month, end)
        chunks.append((cursor, chunk_end))
        cursor = chunk_end
    return chunks


def interval_requests(
    windows: tuple[Window, ...], *, first_available: datetime | None, resume_from: datetime | None, now: datetime,
    partition: tuple[datetime, datetime] | None = None,
) -> list[tuple[datetime | None, datetime | None]]:
    """The (start, end) ranges to request for one customer: policy windows, clipped to what the
    vendor has, to the partition window when there is one, else resumed from the cursor."""
    if not windows:
        return []
    starts = [midnight_utc(w.starts_on) if w.starts_on else None for w in windows]
    ends = [midnight_utc(w.ends_on) if w.ends_on else None for w in windows]
    lower_candidates = [t for t in (None if None in starts else min(starts), first_available,
                                    partition[0] if partition else resume_from) if t]
    lower = max(lower_candidates) if lower_candidates else None
    upper = now if None in ends else min(max(ends), now)
    if partition:
        upper = min(upper, partition[1])
    if lower is None:
        return [(None, upper)]
    if lower >= upper:
        return []
    return month_chunks(lower, upper)


def _interval_cursors(ctx: SyncContext) -> dict[str, datetime]:
    if not ctx.lake.has_data(VENDOR, "intervals"):
        return {}
    table = query_dataset(ctx.lake, VENDOR, "intervals",
                          "select customer_id, max(interval_end) as last_end from dataset group by customer_id")
    return {row["customer_id"]: row["last_end"] for row in table.to_pylist()}


def sync_intervals(ctx: SyncContext) -> SyncResult:
    client, policy = _client(ctx), ctx.policy
    assert policy is not None
    now = now_utc()
    cursors = _interval_cursors(ctx)
    counters: Counter = Counter()
    tasks = []
    for customer in _known_customers(ctx):
        customer_id = customer["customer_id"]
        if customer["account_has_intervals"] is False or customer["utility_has_intervals"] is False:
            counters["customers_without_intervals"] += 1
            continue
        windows = policy.windows(VENDOR, customer_id)
        if not windows:
            counters["customers_without_policy_window"] += 1
            continue
        cursor = cursors.get(customer_id)
        ranges = interval_requests(
            windows, first_available=customer["first_interval_discovered"],
            resume_from=cursor - INTERVAL_LOOKBACK if cursor else None, now=now, partition=ctx.window,
        )
        tasks.extend((customer_id, windows, start, end) for start, end in ranges)
    # Month by month across customers: each lake partition is completed before the next one
    # starts, so the writer holds about one month of readings whatever the history length.
    tasks.sort(key=lambda task: (task[2] or datetime.min.replace(tzinfo=UTC), task[0]))
    ctx.log.info("bayou intervals: %d requests for %d customers", len(tasks), len({t[0] for t in tasks}))
    quarantine = Quarantine(VENDOR, ctx.load_id)

    def fetch(task):
        customer_id, windows, start, end = task
        from .intervals import get_interval_body  # raw bytes: parsed natively, no Python object per reading

        body = get_interval_body(client, customer_id, start=start, end=end)
        extracted_at = now_utc()
        try:
            return parse_interval_payload(body, customer_id=customer_id, windows=windows, load_id=ctx.load_id,
                                          extracted_at=extracted_at, quarantine=quarantine)
        except ValueError as exc:
            raise VendorResponseError(VENDOR, "GET", "/customers/{id}/intervals", 200, str(exc)) from None

    writer: DatasetWriter = ctx.lake.writer(VENDOR, INTERVALS, ctx.load_id)
    loads = IntervalLoads(ctx.load_id)
    result = SyncResult()
    try:
        for i, (task, batch) in enumerate(zip(tasks, client.http.map_concurrent(fetch, tasks)), start=1):
            writer.write(batch.table)
            loads.add(task[0], None, task[2] or EARLIEST, task[3] or now, batch.table.num_rows, now_utc())
            counters["readings_kept"] += batch.table.num_rows
            counters["readings_received"] += batch.received
            counters["readings_outside_policy"] += batch.outside_policy
            counters["readings_with_conflicts"] += batch.conflicts
            counters["interval_bodies_parsed_in_python"] += batch.python_fallback
            if i % 50 == 0 or i == len(tasks):
                ctx.log.info("bayou intervals: %d/%d requests, %d readings kept so far",
                             i, len(tasks), counters["readings_kept"])
    finally:
        stats = writer.close()
        result.entities["intervals"] = EntityResult(rows=stats.rows, files=len(stats.files))
        result.entities["interval_loads"] = land(ctx, INTERVAL_LOADS, loads.table(), only_changed=False)
        result.counters = dict(counters)
        land_quarantine(ctx, quarantine, result)
        result.http = client.http.stats.as_metadata()
    counters["readings_landed"] = stats.rows
    result.counters = dict(counters)
    ctx.log.info("bayou intervals: %s", dict(counters))
    return result

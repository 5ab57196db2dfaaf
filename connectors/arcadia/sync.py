"""Arcadia syncs: users + credentials, accounts + meters, statements, intervals.

Lists are incremental: each sync starts from the newest `updated_at` already landed minus a
lookback, pages in `updated_at` order, and keeps the latest version of a record met twice.
The policy's customer is the utility credential (linked at its `created_at`).
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.compute as pc

from ..core.errors import VendorError
from ..core.interval_loads import INTERVAL_LOADS, IntervalLoads
from ..core.landing import land, land_quarantine, now_utc
from ..core.quarantine import Quarantine
from ..core.records import MAX_READING_KWH, MIN_YEAR, Parsed, to_float, to_json_text, to_timestamp
from ..core.vendor import SyncContext, SyncResult, in_shard
from ..lake import query_dataset, read_latest
from ..policy import CustomerLink, midnight_utc
from ..bayou.intervals import in_windows
from .entities import ACCOUNTS, CREDENTIALS, INTERVALS, METERS, STATEMENTS, TS, USERS
from .records import UtilityAccount, UtilityMeter

VENDOR = "arcadia"
LOOKBACK = timedelta(minutes=10)  # a record updated while the previous sync paged is met again
INTERVAL_LOOKBACK = timedelta(days=2)  # Arc's intervals grow and get revised for a while


def _client(ctx: SyncContext):
    return ctx.connection.client


def _scope(ctx: SyncContext, key: str) -> set[str] | None:
    value = ctx.scope.get(key)
    return {v.strip() for v in value.split(",") if v.strip()} if value else None


def _cursor(ctx: SyncContext, entity: str, where: str = "true") -> datetime | None:
    if not ctx.lake.has_data(VENDOR, entity):
        return None
    row = query_dataset(ctx.lake, VENDOR, entity, f"select max(updated_at) as m from dataset where {where}").to_pylist()
    return row[0]["m"] - LOOKBACK if row and row[0]["m"] else None


def _quarantine_rejected(quarantine: Quarantine, entity: str, parsed: Parsed, extracted_at: datetime) -> None:
    for rejected in parsed.rejected:
        quarantine.add(entity, rejected.raw, rejected.reason, extracted_at)


def _latest(records: list, key: str = "id") -> list:
    """Keep the latest version of records met twice while paging (updated mid-sync): the greatest
    `updated_at`, and of equal ones the last met (lists are paged in `updated_at` order)."""
    by_id: dict[Any, Any] = {}
    for record in records:
        seen = by_id.get(getattr(record, key))
        if seen is None or seen.updated_at is None or (record.updated_at is not None
                                                       and record.updated_at >= seen.updated_at):
            by_id[getattr(record, key)] = record
    return list(by_id.values())


# -- users and credentials -----------------------------------------------------------------------


def credential_row(c, load_id: str, extracted_at: datetime) -> dict:
    return {"credential_id": str(c.id), "client_user_id": c.client_user_id, "utility_name": c.utility_name,
            "utility_long_name": c.utility_long_name, "verification_status": c.verification_status,
            "accounts_load_in_progress": c.accounts_load_in_progress,
            "verification_updated_at": c.verification_updated_at, "created_at": c.created_at,
            "updated_at": c.updated_at, "sandboxed": c.sandboxed, "_load_id": load_id, "_extracted_at": extracted_at}


def sync_users_and_credentials(ctx: SyncContext) -> SyncResult:
    client = _client(ctx)
    quarantine = Quarantine(VENDOR, ctx.load_id)
    extracted_at = now_utc()
    scoped = _scope(ctx, "credential_id")
    if scoped:
        credentials = [client.credential(i) for i in sorted(scoped)]
        users = []
    else:
        users_parsed = client.users(updated_after=_cursor(ctx, "users"))
        _quarantine_rejected(quarantine, "users", users_parsed, extracted_at)
        users = [u for u in users_parsed.records if u.client_user_id]
        parsed = client.credentials(updated_after=_cursor(ctx, "credentials"))
        _quarantine_rejected(quarantine, "credentials", parsed, extracted_at)
        credentials = _latest(parsed.records)
    user_rows = [{"client_user_id": u.client_user_id, "created_at": u.created_at, "updated_at": u.updated_at,
                  "sandboxed": u.sandboxed, "_load_id": ctx.load_id, "_extracted_at": extracted_at}
                 for u in _latest(users, "client_user_id")]
    result = SyncResult(counters={"users_seen": len(user_rows), "credentials_seen": len(credentials)})
    result.entities["users"] = land(ctx, USERS, pa.Table.from_pylist(user_rows, schema=USERS.schema))
    result.entities["credentials"] = land(ctx, CREDENTIALS, pa.Table.from_pylist(
        [credential_row(c, ctx.load_id, extracted_at) for c in credentials], schema=CREDENTIALS.schema))
    land_quarantine(ctx, quarantine, result)
    result.http = client.http.stats.as_metadata()
    return result


def customer_links(lake) -> list[CustomerLink]:
    """The policy's customer is the utility credential, linked when it was created."""
    if not lake.has_data(VENDOR, "credentials"):
        return []
    rows = read_latest(lake, VENDOR, CREDENTIALS, columns=["credential_id", "created_at", "_extracted_at"]).to_pylist()
    return [CustomerLink(VENDOR, r["credential_id"], r["created_at"] or r["_extracted_at"],
                         "created_at" if r["created_at"] else "first_seen") for r in rows]


# -- accounts and meters ---------------------------------------------------------------------------


def account_row(a: UtilityAccount, load_id: str, extracted_at: datetime, source: str) -> dict:
    tariff = a.most_recent_tariff
    features = a.feature_availability
    return {
        "account_id": str(a.id), "client_user_id": a.client_user_id,
        "credential_id": None if a.utility_credential_id is None else str(a.utility_credential_id),
        "utility_name": a.utility_name, "utility_long_name": a.utility_long_name, "account_number": a.account_number,
        "service_address_street_one": a.service_address_street_one,
        "service_address_street_two": a.service_address_street_two,
        "service_address_city": a.service_address_city,
        "service_address_state": a.service_address_state, "service_address_zip": a.service_address_zip,
        "service_customer_name": a.service_customer_name, "supplier_account_id": a.supplier_account_id,
        "status": a.status,
        "tariff_main_id": tariff.main_tariff_id if tariff else None,
        "tariff_supplier_name": tariff.supplier_name if tariff else None,
        "tariff_code": tariff.tariff_code if tariff else None, "tariff_name": tariff.tariff_name if tariff else None,
        "tariff_utility_name": tariff.utility_name if tariff else None,
        "tariff_as_of_date": tariff.tariff_as_of_date if tariff else None,
        "flags": to_json_text(sorted(a.flags)), "services": to_json_text(sorted(a.services)),
        **{name: getattr(features, name, None) if features else None
           for name in ("charge_cost", "smart_charge", "utility_intervals", "utility_statements", "hosted_payments",
                        "utility_remittance")},
        "created_at": a.created_at, "updated_at": a.updated_at, "sandboxed": a.sandboxed, "source": source,
        "_load_id": load_id, "_extracted_at": extracted_at,
    }


def meter_row(m: UtilityMeter, load_id: str, extracted_at: datetime, source: str) -> dict:
    return {"meter_id": str(m.id), "client_user_id": m.client_user_id,
            "credential_id": None if m.utility_credential_id is None else str(m.utility_credential_id),
            "account_id": None if m.utility_account_id is None else str(m.utility_account_id),
            "meter_number": m.meter_number, "service_type": m.service_type, "created_at": m.created_at,
            "updated_at": m.updated_at, "sandboxed": m.sandboxed, "source": source,
            "_load_id": load_id, "_extracted_at": extracted_at}


def _event_accounts(ctx: SyncContext, event_ids: set[str]) -> tuple[list[UtilityAccount], list[Any]]:
    """Accounts carried by webhook events (`utility_accounts_discovered`), read from the inbox."""
    accounts, bad = [], []
    inbox = ctx.lake.root / "inbox" / VENDOR
    for event_id in sorted(event_ids):
        path = next((p for p in (inbox / "pending" / f"{event_id}.json", inbox / "processed" / f"{event_id}.json")
                     if p.exists()), None)
        if path is None:
            ctx.log.warning("arcadia: event %s is not in the inbox", event_id)
            continue
        body = orjson.loads(path.read_bytes()).get("body", {})
        for raw in (body.get("data") or {}).get("utility_accounts") or []:
            try:
                accounts.append(UtilityAccount.model_validate(raw))
            except ValueError as exc:
                bad.append((raw, str(exc)))
    return accounts, bad


def sync_accounts_and_meters(ctx: SyncContext) -> SyncResult:
    client = _client(ctx)
    quarantine = Quarantine(VENDOR, ctx.load_id)
    extracted_at = now_utc()
    accounts_rows, meter_rows = [], []
    event_ids = _scope(ctx, "event_id")
    scoped_accounts = _scope(ctx, "account_id")
    if event_ids:
        accounts, bad = _event_accounts(ctx, event_ids)
        for raw, reason in bad:
            quarantine.add("accounts", raw, reason, extracted_at)
        source = "webhook"
    elif scoped_accounts:
        accounts, source = [client.account(i) for i in sorted(scoped_accounts)], "api"
    else:
        parsed = client.accounts(updated_after=_cursor(ctx, "accounts", "source = 'api'"))
        _quarantine_rejected(quarantine, "accounts", parsed, extracted_at)
        accounts, source = _latest(parsed.records), "api"
    for account in accounts:
        accounts_rows.append(account_row(account, ctx.load_id, extracted_at, source))
        meter_rows += [meter_row(m, ctx.load_id, extracted_at, source) for m in account.utility_meters]
    if not event_ids and not scoped_accounts:
        parsed_meters = client.meters(updated_after=_cursor(ctx, "meters", "source = 'api'"))
        _quarantine_rejected(quarantine, "meters", parsed_meters, extracted_at)
        meter_rows += [meter_row(m, ctx.load_id, extracted_at, "api") for m in _latest(parsed_meters.records)]
    elif scoped_accounts:
        for account_id in sorted(scoped_accounts):
            meter_rows += [meter_row(m, ctx.load_id, extracted_at, "api")
                           for m in client.meters(utility_account_id=account_id).records]
    meter_rows = list({r["meter_id"]: r for r in meter_rows}.values())
    result = SyncResult(counters={"accounts_seen": len(accounts_rows), "meters_seen": len(meter_rows)})
    result.entities["accounts"] = land(ctx, ACCOUNTS, pa.Table.from_pylist(accounts_rows, schema=ACCOUNTS.schema))
    result.entities["meters"] = land(ctx, METERS, pa.Table.from_pylist(meter_rows, schema=METERS.schema))
    land_quarantine(ctx, quarantine, result)
    result.http = client.http.stats.as_metadata()
    ctx.log.info("arcadia: %d accounts, %d meters (%s)", len(accounts_rows), len(meter_rows), source)
    return result


def _customer_of(row: dict) -> str:
    """The policy's customer (the utility credential) of an account or meter row: what the
    statements and intervals syncs shard on; a row without one by its own id."""
    return row.get("credential_id") or row.get("account_id") or row.get("meter_id") or ""


def _known(ctx: SyncContext, entity, key: str, columns: list[str]) -> list[dict]:
    if not ctx.lake.has_data(VENDOR, entity.name):
        raise VendorError(VENDOR, "GET", f"/{entity.name}", None,
                          f"no {entity.name} in the lake yet: materialize arcadia/{entity.name} first")
    return read_latest(ctx.lake, VENDOR, entity, columns=columns).to_pylist()


# -- statements ------------------------------------------------------------------------------------

LOCKED_STATEMENT_FIELDS = ("statement_id", "client_user_id", "account_id", "credential_id", "utility_name",
                           "statement_date", "due_date", "service_start_date", "service_end_date",
                           "service_window_inclusive_of_end_date", "created_at", "updated_at", "sandboxed")


def sync_statements(ctx: SyncContext) -> SyncResult:
    client, policy = _client(ctx), ctx.policy
    assert policy is not None
    accounts = _known(ctx, ACCOUNTS, "account_id", ["account_id", "credential_id"])
    scoped = _scope(ctx, "account_id")
    accounts = [a for a in accounts if scoped is None or a["account_id"] in scoped]
    accounts = in_shard(ctx.shard, accounts, _customer_of)
    cursors = {}
    if ctx.lake.has_data(VENDOR, "statements"):
        for row in query_dataset(ctx.lake, VENDOR, "statements",
                                 "select account_id, max(updated_at) as m from dataset group by 1").to_pylist():
            cursors[row["account_id"]] = row["m"] - LOOKBACK if row["m"] else None
    quarantine = Quarantine(VENDOR, ctx.load_id)
    counters: Counter = Counter(dict.fromkeys(("statements_seen", "statements_in_policy", "statements_masked"), 0))
    rows = []

    def fetch(account):
        return account, client.statements(account["account_id"], updated_after=cursors.get(account["account_id"])), now_utc()

    for account, parsed, extracted_at in client.http.map_concurrent(fetch, accounts):
        _quarantine_rejected(quarantine, "statements", parsed, extracted_at)
        for s in _latest(parsed.records):
            counters["statements_seen"] += 1
            credential_id = account["credential_id"]
            in_policy = policy.bill_decision(VENDOR, credential_id or "", str(s.id), s.statement_date).in_policy
            counters["statements_in_policy" if in_policy else "statements_masked"] += 1
            row = {
                "statement_id": str(s.id), "client_user_id": s.client_user_id, "account_id": account["account_id"],
                "credential_id": credential_id, "utility_name": s.utility_name,
                "tariff": s.tariff if isinstance(s.tariff, str) or s.tariff is None else to_json_text(s.tariff),
                "statement_date": s.statement_date, "due_date": s.due_date, "service_start_date": s.service_start_date,
                "service_end_date": s.service_end_date,
                "service_window_inclusive_of_end_date": s.service_window_inclusive_of_end_date,
                "kwh": s.kwh, "utility_charge": s.utility_charge, "supplier_charge": s.supplier_charge,
                "gas_charge": s.gas_charge, "past_due": s.past_due, "final_bill": s.final_bill,
                "has_pdf": bool(s.pdf_url), "billing_flags": to_json_text(sorted(s.billing_flags)),
                "created_at": s.created_at, "updated_at": s.updated_at, "sandboxed": s.sandboxed,
                "is_masked": not in_policy, "_load_id": ctx.load_id, "_extracted_at": extracted_at,
            }
            if not in_policy:
                row = {k: (v if k in LOCKED_STATEMENT_FIELDS or k.startswith("_") else None) for k, v in row.items()}
                row["is_masked"] = True
            rows.append(row)
    result = SyncResult(counters=dict(counters))
    result.entities["statements"] = land(ctx, STATEMENTS, pa.Table.from_pylist(rows, schema=STATEMENTS.schema))
    land_quarantine(ctx, quarantine, result)
    result.http = client.http.stats.as_metadata()
    ctx.log.info("arcadia statements: %s", dict(counters))
    return result


# -- intervals -------------------------------------------------------------------------------------


# A reading's plausible values (docs: Bad input): `net_kwh` (consumption - generation) may be negative,
# consumption and generation may not; none beyond one GWh in a reading.
MAX_READING = float(MAX_READING_KWH)
EARLIEST_START = datetime(MIN_YEAR, 1, 1, tzinfo=UTC)


def _bulk_columns(items: list[dict]) -> dict[str, pa.Array]:
    """Arrow arrays straight from the items (raises on a value Arrow cannot take as is)."""
    column = lambda name: [i.get(name) for i in items]  # noqa: E731
    return {
        "interval_start": pa.array(column("start_time"), pa.string()).cast(TS),
        "interval_end": pa.array(column("end_time"), pa.string()).cast(TS),
        "consumption_kwh": pa.array(column("consumption_kwh"), pa.float64()),
        "generation_kwh": pa.array(column("generation_kwh"), pa.float64()),
        "net_kwh": pa.array([i.get("net_kwh", i.get("kwh")) for i in items], pa.float64()),
        "is_null_kwh": pa.array([bool(i.get("is_null_kwh")) for i in items], pa.bool_()),
    }


def _item_values(item: Any) -> dict | str:
    """One item converted with the tolerant field types, or why it cannot be (naming the field)."""
    if not isinstance(item, dict):
        return f"interval item is not a JSON object (got {type(item).__name__})"
    values: dict[str, Any] = {}
    for name, column, convert in (("start_time", "interval_start", to_timestamp),
                                  ("end_time", "interval_end", to_timestamp),
                                  ("consumption_kwh", "consumption_kwh", to_float),
                                  ("generation_kwh", "generation_kwh", to_float),
                                  ("net_kwh", "net_kwh", to_float)):
        raw = item.get(name, item.get("kwh")) if name == "net_kwh" else item.get(name)
        try:
            values[column] = convert(raw)
        except ValueError as exc:
            return f"{name}: {exc}"
    values["is_null_kwh"] = bool(item.get("is_null_kwh"))
    return values


def _implausible(columns: dict[str, pa.Array]) -> pa.Array:
    """Boolean mask (no nulls): no start or end, end not after start, a start before MIN_YEAR,
    negative consumption or generation, a value that is NaN or beyond MAX_READING."""
    start, end = columns["interval_start"], columns["interval_end"]
    bad = pc.or_(pc.less_equal(end, start), pc.less(start, pa.scalar(EARLIEST_START, TS)))
    for name in ("consumption_kwh", "generation_kwh", "net_kwh"):
        values = columns[name]
        out = pc.or_(pc.greater(pc.abs(values), MAX_READING), pc.is_nan(values))
        if name != "net_kwh":
            out = pc.or_(out, pc.less(values, 0))
        bad = pc.or_(bad, pc.fill_null(out, False))
    return pc.fill_null(bad, True)


def _problem(values: dict) -> str | None:
    """What `_implausible` finds in one converted item, naming the field; None when nothing."""
    start, end = values["interval_start"], values["interval_end"]
    if start is None or end is None:
        return "start_time/end_time: missing"
    if start < EARLIEST_START:
        return f"start_time: implausible timestamp {start.isoformat()} (before {MIN_YEAR})"
    if end <= start:
        return f"end_time: {end.isoformat()} is not after start_time {start.isoformat()}"
    for name in ("consumption_kwh", "generation_kwh", "net_kwh"):
        value = values[name]
        if value is None:
            continue
        if value != value:
            return f"{name}: not a number (NaN)"
        if value < 0 and name != "net_kwh":
            return f"{name}: negative usage {value!r} kWh (only net_kwh may be negative)"
        if abs(value) > MAX_READING:
            return f"{name}: implausible usage {value!r} kWh in one reading (limit {MAX_READING:,.0f})"
    return None


def intervals_table(items: list, *, meter_id: str, account_id: str | None, credential_id: str | None,
                    load_id: str, extracted_at: datetime) -> tuple[pa.Table, list[tuple[Any, str]]]:
    """The items of one interval answer as lake rows, and the items rejected as (raw, reason).

    Arrow converts the items in bulk; only when that fails, or a check finds an implausible or
    repeated reading, is each item looked at in Python. A start time sent twice with different
    values: the first lands (docs: Bad input)."""
    columns, rejected = None, []
    if all(isinstance(i, dict) for i in items):
        try:
            columns = _bulk_columns(items)
        except (ValueError, pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
            columns = None
    if columns is not None and len(items) > 1:
        starts = columns["interval_start"]
        if pc.any(pc.less_equal(starts.slice(1), starts.slice(0, len(starts) - 1))).as_py():
            columns = None  # repeated or unsorted start times: sort them out item by item
    if columns is not None and pc.any(_implausible(columns)).as_py():
        columns = None
    if columns is None:
        kept: list[dict] = []
        first_at: dict[Any, Any] = {}
        for item in items:
            values = _item_values(item)
            if isinstance(values, str):
                rejected.append((item, values))
                continue
            problem = _problem(values)
            if problem is None and values["interval_start"] in first_at:
                if item != first_at[values["interval_start"]]:
                    rejected.append((item, f"start_time: duplicate reading at {values['interval_start'].isoformat()} "
                                           f"with different values (the first one is kept)"))
                continue
            if problem is not None:
                rejected.append((item, problem))
                continue
            first_at[values["interval_start"]] = item
            kept.append(values)
        columns = {
            name: pa.array([v[name] for v in kept], TS if name.startswith("interval_") else
                           pa.bool_() if name == "is_null_kwh" else pa.float64())
            for name in ("interval_start", "interval_end", "consumption_kwh", "generation_kwh", "net_kwh",
                         "is_null_kwh")
        }
    n = len(columns["interval_start"])
    table = pa.table({
        "meter_id": pa.array([meter_id] * n, pa.string()),
        "account_id": pa.array([account_id] * n, pa.string()),
        "credential_id": pa.array([credential_id] * n, pa.string()),
        **columns,
        "_load_id": pa.array([load_id] * n, pa.string()),
        "_extracted_at": pa.array([extracted_at] * n, TS),
    })
    return table, rejected


def sync_intervals(ctx: SyncContext) -> SyncResult:
    client, policy = _client(ctx), ctx.policy
    assert policy is not None
    meters = [m for m in _known(ctx, METERS, "meter_id", ["meter_id", "account_id", "credential_id", "service_type"])
              if m["service_type"] in (None, "electric")]
    scoped_meters, scoped_accounts = _scope(ctx, "meter_id"), _scope(ctx, "account_id")
    if scoped_meters or scoped_accounts:
        meters = [m for m in meters if (scoped_meters and m["meter_id"] in scoped_meters)
                  or (scoped_accounts and m["account_id"] in scoped_accounts)]
    meters = in_shard(ctx.shard, meters, _customer_of)
    cursors = {}
    if ctx.lake.has_data(VENDOR, "intervals"):
        for row in query_dataset(ctx.lake, VENDOR, "intervals",
                                 "select meter_id, max(interval_end) as m from dataset group by 1").to_pylist():
            cursors[row["meter_id"]] = row["m"]
    quarantine = Quarantine(VENDOR, ctx.load_id)
    counters: Counter = Counter(dict.fromkeys(("requests", "readings_landed", "readings_outside_policy",
                                               "null_readings"), 0))
    tasks = []
    now = now_utc()
    for meter in meters:
        windows = policy.windows(VENDOR, meter["credential_id"] or "")
        if not windows:
            counters["meters_without_policy_window"] += 1
            continue
        earliest, latest, _ = client.interval_metadata(utility_meter_id=meter["meter_id"])
        if earliest is None or latest is None:
            counters["meters_without_intervals"] += 1
            continue
        starts = [midnight_utc(w.starts_on) if w.starts_on else earliest for w in windows]
        ends = [midnight_utc(w.ends_on) if w.ends_on else latest for w in windows]
        start = max(earliest, min(starts))
        end = min(latest, max(ends), now)
        if ctx.window:  # a partitioned run: the whole window again
            start, end = max(start, ctx.window[0]), min(end, ctx.window[1])
        elif meter["meter_id"] in cursors:
            start = max(start, cursors[meter["meter_id"]] - INTERVAL_LOOKBACK)
        if start >= end:
            continue
        for window_start, window_end in client.interval_windows(start, end):
            tasks.append((meter, windows, window_start, window_end))

    def fetch(task):
        meter, windows, start, end = task
        items = client.intervals_raw(utility_meter_id=meter["meter_id"], start=start, end=end)
        return task, items, now_utc()

    loads = IntervalLoads(ctx.load_id)
    with ctx.lake.writer(VENDOR, INTERVALS, ctx.load_id) as writer:
        for (meter, windows, start, end), items, extracted_at in client.http.map_concurrent(fetch, tasks):
            counters["requests"] += 1
            table, rejected = intervals_table(items, meter_id=meter["meter_id"], account_id=meter["account_id"],
                                              credential_id=meter["credential_id"], load_id=ctx.load_id,
                                              extracted_at=extracted_at)
            for raw, reason in rejected:
                quarantine.add("intervals", {"meter_id": meter["meter_id"], **raw} if isinstance(raw, dict)
                               else {"meter_id": meter["meter_id"], "item": raw}, reason, extracted_at,
                               record_id=meter["meter_id"])
            keep = in_windows(table["interval_start"], windows)
            kept = table.filter(keep)
            counters["readings_outside_policy"] += table.num_rows - kept.num_rows
            counters["null_readings"] += sum(kept["is_null_kwh"].to_pylist())
            counters["readings_landed"] += kept.num_rows
            writer.write(kept)
            loads.add(meter["credential_id"] or "", meter["meter_id"], start, end, kept.num_rows, extracted_at)
    result = SyncResult(counters=dict(counters))
    result.entities["intervals"] = land(ctx, INTERVALS, INTERVALS.schema.empty_table(), only_changed=False)
    result.entities["intervals"].rows = writer.stats.rows
    result.entities["intervals"].files = len(writer.stats.files)
    result.entities["interval_loads"] = land(ctx, INTERVAL_LOADS, loads.table(), only_changed=False)
    land_quarantine(ctx, quarantine, result)
    result.http = client.http.stats.as_metadata()
    ctx.log.info("arcadia intervals: %s", dict(counters))
    return result

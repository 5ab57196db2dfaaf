"""Urjanet syncs: the status API (accounts and everything around them) and the statement deliveries.

`sync_accounts` keeps accounts, meters, credentials and providers current in two ways:

* a **full refresh** searches every entity (1000 per page, so a portfolio of 10,000 accounts is
  ten calls). It runs on the first sync, when the last full refresh is older than
  URJANET_FULL_REFRESH_HOURS (default 24), or when the run is scoped with `full=true`;
* otherwise an **incremental refresh** reads the change log since the last event seen (minus a
  lookback: events logged while the previous sync ran are met again and landed once, by
  `event_key`), re-reads the accounts and credentials those events name, and searches for
  records modified since the newest one landed (minus the same lookback).

The change log is read incrementally in both modes and landed as `change_events`.

The seed warns that an account id can change. Accounts are therefore also matched on
`account_key` (provider alias + normalized account number): an account met under a new id, or
an AccountLinkageEvent, is recorded in `account_id_changes`, and the marts follow the key.

`sync_statements` reads the statement deliveries (deliveries.py): each file once per fingerprint
and policy; statements are matched to accounts on `account_key`; statements outside the policy
(the policy's customer is the account, linked at its `created` time) keep ids and dates only and
their usage and charge lines are not landed.
"""

from __future__ import annotations

import hashlib
import os
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import orjson
import pyarrow as pa

from ..core.landing import land, land_quarantine, now_utc
from ..core.quarantine import Quarantine
from ..core.records import Parsed, to_json_text
from ..core.vendor import SyncContext, SyncResult, in_shard
from ..lake import query_dataset, read_latest
from ..policy import CustomerLink
from .entities import (
    ACCOUNT_ID_CHANGES,
    ACCOUNTS,
    CHANGE_EVENTS,
    CHARGES,
    CREDENTIALS,
    DELIVERY_FILES,
    METERS,
    PROVIDERS,
    STATEMENT_METERS,
    STATEMENTS,
    STATUS_REFRESHES,
    USAGES,
)
from .query import Query
from .records import Account, ChangeEvent, Credential, Meter, Provider, account_key, normalize_number

VENDOR = "urjanet"
LOOKBACK = timedelta(minutes=10)
FULL_REFRESH_ENV = "URJANET_FULL_REFRESH_HOURS"
DEFAULT_FULL_REFRESH_HOURS = 24.0
# Events that say an account's status or linkage changed: the incremental refresh re-reads it.
ACCOUNT_EVENTS = frozenset({
    "AccountNominatedEvent", "EnrollmentStatusChangeEvent", "ExtractionStatusChangeEvent",
    "MonitoringStatusChangeEvent", "AccountSubscribeChangeEvent", "AccountDeliveryChangeEvent",
    "AccountLinkageEvent", "MixinChangeEvent", "AccountChangeEvent",
})
CREDENTIAL_EVENTS = frozenset({"CredentialStateChangeEvent", "CredentialInputMapChangeEvent",
                               "CredentialChangeEvent"})


def _scope(ctx: SyncContext, key: str) -> set[str] | None:
    value = ctx.scope.get(key)
    return {v.strip() for v in value.split(",") if v.strip()} if value else None


def _max(ctx: SyncContext, entity: str, column: str) -> datetime | None:
    if not ctx.lake.has_data(VENDOR, entity):
        return None
    rows = query_dataset(ctx.lake, VENDOR, entity, f"select max({column}) as m from dataset").to_pylist()
    return rows[0]["m"] if rows else None


def _ref_id(ref) -> str | None:
    return ref.id if ref is not None else None


def _ref_key(ref) -> str | None:
    return ref.natural_key if ref is not None else None


def _meta(load_id: str, extracted_at: datetime) -> dict:
    return {"_load_id": load_id, "_extracted_at": extracted_at}


# -- rows -------------------------------------------------------------------------------------------


def provider_row(p: Provider, load_id: str, extracted_at: datetime) -> dict:
    return {"provider_id": p.id, "provider_alias": p.provider_alias, "provider_name": p.provider_name,
            "classification": p.classification,
            "service_types": to_json_text(sorted(filter(None, (_ref_key(s) for s in p.service_types)))),
            "parent_provider_alias": _ref_key(p.parent_provider), "created": p.created, "modified": p.modified,
            **_meta(load_id, extracted_at)}


def account_row(a: Account, load_id: str, extracted_at: datetime) -> dict:
    provider_alias = _ref_key(a.utility_provider)
    return {
        "account_id": a.id, "account_key": account_key(provider_alias, a.normalized_account_number or a.account_number),
        "customer_id": a.customer_id, "account_number": a.account_number,
        "normalized_account_number": a.normalized_account_number or normalize_number(a.account_number),
        "summary_account_number": a.summary_account_number, "is_summary_account": a.is_summary_account,
        "provider_id": _ref_id(a.utility_provider), "provider_alias": provider_alias,
        "enrollment_status": a.enrollment_status, "extraction_status": a.extraction_status,
        "monitoring_status": a.monitoring_status, "provider_classification": a.provider_classification,
        "message": a.message, "subscribed": a.subscribed, "pull_history": a.pull_history,
        "to_be_delivered": a.to_be_delivered, "first_extract_date": a.first_extract_date,
        "last_extracted": a.last_extracted, "last_successful_extraction": a.last_successful_extraction,
        "last_delivered": a.last_delivered, "next_expected_post_date": a.next_expected_post_date,
        "next_expected_confidence": a.next_expected_confidence, "latest_interval_end": a.latest_interval_end,
        "latest_total_bill_amount": a.latest_total_bill_amount, "latest_statement_create": a.latest_statement_create,
        "last_successful_credential_id": _ref_id(a.last_successful_extraction_channel),
        "credential_ids": to_json_text(sorted(filter(None, (_ref_id(c) for c in a.extraction_channels)))),
        "custom_attributes": to_json_text(dict(sorted((a.custom_attributes or {}).items()))),
        "created": a.created, "modified": a.modified, "created_by_username": a.created_by_username,
        "last_modified_by_username": a.last_modified_by_username, **_meta(load_id, extracted_at),
    }


def meter_row(m: Meter, load_id: str, extracted_at: datetime) -> dict:
    return {"meter_id": m.id, "account_id": _ref_id(m.utility_account), "meter_number": m.meter_number,
            "normalized_meter_number": m.normalized_meter_number or normalize_number(m.meter_number),
            "service_type": m.service_type, "tariff": m.tariff, "service_address": m.service_address,
            "pod_number": m.pod_number, "previous_meter_number": m.previous_meter_number,
            "deactivated": m.deactivated,
            "custom_attributes": to_json_text(dict(sorted((m.custom_attributes or {}).items()))),
            "created": m.created, "modified": m.modified, **_meta(load_id, extracted_at)}


def credential_row(c: Credential, load_id: str, extracted_at: datetime) -> dict:
    # Usernames, passwords and the S3 encryption key id are deliberately not landed.
    return {"credential_id": c.id, "extraction_channel_id": c.extraction_channel_id,
            "provider_id": _ref_id(c.utility_provider), "provider_alias": _ref_key(c.utility_provider),
            "template_id": _ref_id(c.template), "template_name": _ref_key(c.template),
            "acquisition_type": c.acquisition_type, "url": c.url, "enabled": c.enabled,
            "interval_data_enabled": c.interval_data_enabled, "message": c.message,
            "last_attempted": c.last_attempted, "last_success": c.last_success,
            "s3_bucket_name": c.s3_bucket_name, "s3_file_prefix": c.s3_file_prefix,
            "created": c.created, "modified": c.modified, **_meta(load_id, extracted_at)}


def event_key(e: ChangeEvent) -> str:
    """A stable id for an event (the API gives none): a hash of everything it says."""
    body = {"timestamp": e.timestamp.isoformat() if e.timestamp else None, "eventName": e.event_name,
            "username": e.username, "customerId": e.customer_id, "eventFields": e.event_fields}
    return hashlib.sha256(orjson.dumps(body, option=orjson.OPT_SORT_KEYS, default=str)).hexdigest()[:32]


def change_event_row(e: ChangeEvent, load_id: str, extracted_at: datetime) -> dict:
    f = e.event_fields

    def text(name: str) -> str | None:
        value = f.get(name)
        return None if value is None else str(value)

    return {"event_key": event_key(e), "event_time": e.timestamp, "event_name": e.event_name,
            "username": e.username, "customer_id": e.customer_id, "account_number": text("accountNumber"),
            "provider_alias": text("providerAlias"), "old_status": text("oldStatus"),
            "new_status": text("newStatus"), "old_account_id": text("oldAccountId"),
            "new_account_id": text("newAccountId"),
            "event_fields": to_json_text(dict(sorted(f.items()))), **_meta(load_id, extracted_at)}


# -- account id changes (pure) ----------------------------------------------------------------------


@dataclass(frozen=True)
class KnownAccount:
    account_id: str
    account_key: str | None


def detect_id_changes(known: Iterable[KnownAccount], fetched: Iterable[Mapping[str, Any]],
                      events: Iterable[Mapping[str, Any]], *, detected_at: datetime) -> list[dict]:
    """Account id changes, from the change log (AccountLinkageEvent) and from matching.

    `known` are the accounts already in the lake (their latest id per account), `fetched` the
    account rows of this sync, `events` the change-event rows of this sync. An account fetched
    under an id the lake does not know, whose account_key the lake knows under another id, changed
    its id. An event's statement of the change wins over a match for the same pair."""
    changes: dict[tuple[str, str], dict] = {}
    by_key: dict[str, set[str]] = {}
    known_ids = set()
    for account in known:
        known_ids.add(account.account_id)
        if account.account_key:
            by_key.setdefault(account.account_key, set()).add(account.account_id)
    fetched_ids = {row["account_id"] for row in fetched}
    for row in fetched:
        if row["account_id"] in known_ids or not row["account_key"]:
            continue
        for old_id in sorted(by_key.get(row["account_key"], set()) - fetched_ids):
            changes[(old_id, row["account_id"])] = {
                "old_account_id": old_id, "new_account_id": row["account_id"], "account_key": row["account_key"],
                "changed_at": row.get("modified") or detected_at, "detected_by": "match"}
    for event in events:
        if event.get("event_name") != "AccountLinkageEvent":
            continue
        old_id, new_id = event.get("old_account_id"), event.get("new_account_id")
        if not old_id or not new_id or old_id == new_id:
            continue
        changes[(old_id, new_id)] = {
            "old_account_id": old_id, "new_account_id": new_id,
            "account_key": account_key(event.get("provider_alias"), event.get("account_number")),
            "changed_at": event.get("event_time") or detected_at, "detected_by": "changelog"}
    return list(changes.values())


# -- accounts, meters, credentials, providers, change log -------------------------------------------


def _full_refresh_due(ctx: SyncContext, env: Mapping[str, str]) -> tuple[bool, str]:
    if (ctx.scope.get("full") or "").lower() in ("1", "true", "yes"):
        return True, "requested"
    if not ctx.lake.has_data(VENDOR, STATUS_REFRESHES.name):
        return True, "first sync"
    rows = query_dataset(ctx.lake, VENDOR, STATUS_REFRESHES.name,
                         "select max(refreshed_at) as m from dataset where mode = 'full'").to_pylist()
    last = rows[0]["m"] if rows else None
    raw = env.get(FULL_REFRESH_ENV, "").strip()
    try:
        hours = float(raw) if raw else DEFAULT_FULL_REFRESH_HOURS
    except ValueError:
        raise ValueError(f"{FULL_REFRESH_ENV} must be a number of hours, got {raw!r}") from None
    if last is None:
        return True, "no full refresh yet"
    if now_utc() - last >= timedelta(hours=hours):
        return True, f"last full refresh {last.isoformat()} is older than {hours:g} h"
    return False, f"last full refresh {last.isoformat()}"


def _collect(quarantine: Quarantine, entity: str, parsed: Parsed, extracted_at: datetime) -> list:
    for rejected in parsed.rejected:
        quarantine.add(entity, rejected.raw, rejected.reason, extracted_at)
    by_id: dict = {}
    for record, raw in zip(parsed.records, parsed.raws):
        if not record.id:  # nothing to key it by: never silently dropped
            quarantine.add(entity, raw, "id: missing", extracted_at)
            continue
        # Met twice while paging (modified meanwhile): the latest `modified` wins, of equal ones the last met.
        seen = by_id.get(record.id)
        modified = getattr(record, "modified", None)
        if seen is None or seen.modified is None or (modified is not None and modified >= seen.modified):
            by_id[record.id] = record
    return [r for r in by_id.values() if r.id]


def _after(field: str, since: datetime | None, sort: str | None = None) -> Query:
    query = Query() if since is None else Query().after(field, since)
    return query.sort(sort) if sort else query


def sync_accounts(ctx: SyncContext) -> SyncResult:
    client = ctx.connection.client
    env = getattr(ctx.connection, "env", None) or os.environ
    quarantine = Quarantine(VENDOR, ctx.load_id)
    extracted_at = now_utc()
    counters: Counter = Counter()

    # The change log, incrementally.
    events_since = _max(ctx, CHANGE_EVENTS.name, "event_time")
    events = _collect_events(client, quarantine, events_since - LOOKBACK if events_since else None, extracted_at)
    event_rows = [change_event_row(e, ctx.load_id, extracted_at) for e in events]
    counters["events_read"] = len(event_rows)

    full, why = _full_refresh_due(ctx, env)
    ctx.log.info("urjanet: %s refresh (%s), %d change-log events read", "full" if full else "incremental", why,
                 len(event_rows))
    if full:
        providers = _collect(quarantine, "providers", client.search_all("provider"), extracted_at)
        credentials = _collect(quarantine, "credentials", client.search_all("credential"), extracted_at)
        accounts = _collect(quarantine, "accounts", client.search_all("account"), extracted_at)
        meters = _collect(quarantine, "meters", client.search_all("meter"), extracted_at)
    else:
        providers = ([] if ctx.lake.has_data(VENDOR, PROVIDERS.name)
                     else _collect(quarantine, "providers", client.search_all("provider"), extracted_at))
        accounts, credentials, meters = _incremental(ctx, client, quarantine, events, extracted_at, counters)

    account_rows = [account_row(a, ctx.load_id, extracted_at) for a in accounts]
    known = []
    if ctx.lake.has_data(VENDOR, ACCOUNTS.name):
        known = [KnownAccount(r["account_id"], r["account_key"])
                 for r in read_latest(ctx.lake, VENDOR, ACCOUNTS, columns=["account_id", "account_key"]).to_pylist()]
    changes = detect_id_changes(known, account_rows, event_rows, detected_at=extracted_at)
    for change in changes:
        change.update(_meta(ctx.load_id, extracted_at))
        ctx.log.warning("urjanet: account %s is now %s (%s, %s)", change["old_account_id"], change["new_account_id"],
                        change["account_key"], change["detected_by"])

    counters.update(providers_seen=len(providers), credentials_seen=len(credentials), accounts_seen=len(accounts),
                    meters_seen=len(meters), account_id_changes=len(changes))
    result = SyncResult(counters=dict(counters))
    result.entities["providers"] = land(ctx, PROVIDERS, pa.Table.from_pylist(
        [provider_row(p, ctx.load_id, extracted_at) for p in providers], schema=PROVIDERS.schema))
    result.entities["credentials"] = land(ctx, CREDENTIALS, pa.Table.from_pylist(
        [credential_row(c, ctx.load_id, extracted_at) for c in credentials], schema=CREDENTIALS.schema))
    result.entities["accounts"] = land(ctx, ACCOUNTS, pa.Table.from_pylist(account_rows, schema=ACCOUNTS.schema))
    result.entities["meters"] = land(ctx, METERS, pa.Table.from_pylist(
        [meter_row(m, ctx.load_id, extracted_at) for m in meters], schema=METERS.schema))
    result.entities["change_events"] = land(ctx, CHANGE_EVENTS, pa.Table.from_pylist(event_rows,
                                                                                      schema=CHANGE_EVENTS.schema))
    result.entities["account_id_changes"] = land(ctx, ACCOUNT_ID_CHANGES, pa.Table.from_pylist(
        changes, schema=ACCOUNT_ID_CHANGES.schema))
    result.entities["status_refreshes"] = land(ctx, STATUS_REFRESHES, pa.Table.from_pylist([{
        "refreshed_at": extracted_at, "mode": "full" if full else "incremental", "reason": why,
        "accounts": len(accounts), "meters": len(meters), "credentials": len(credentials),
        "events": len(event_rows), **_meta(ctx.load_id, extracted_at)}], schema=STATUS_REFRESHES.schema),
        only_changed=False)
    land_quarantine(ctx, quarantine, result)
    result.http = client.http.stats.as_metadata()
    ctx.log.info("urjanet: %s", dict(counters))
    return result


def _collect_events(client, quarantine: Quarantine, since: datetime | None, extracted_at: datetime) -> list[ChangeEvent]:
    parsed = client.search_all("changelog", _after("timestamp", since, "timestamp"))
    for rejected in parsed.rejected:
        quarantine.add("change_events", rejected.raw, rejected.reason, extracted_at)
    return list(parsed.records)


def _incremental(ctx: SyncContext, client, quarantine: Quarantine, events: list[ChangeEvent],
                 extracted_at: datetime, counters: Counter) -> tuple[list, list, list]:
    """Records modified since the newest landed, plus those the new change events name."""
    def since(entity: str) -> datetime | None:
        newest = _max(ctx, entity, "modified")
        return newest - LOOKBACK if newest else None

    accounts = {a.id: a for a in _collect(quarantine, "accounts", client.search_all(
        "account", _after("modified", since(ACCOUNTS.name), "modified")), extracted_at)}
    credentials = {c.id: c for c in _collect(quarantine, "credentials", client.search_all(
        "credential", _after("modified", since(CREDENTIALS.name), "modified")), extracted_at)}
    meters = {m.id: m for m in _collect(quarantine, "meters", client.search_all(
        "meter", _after("modified", since(METERS.name), "modified")), extracted_at)}
    counters["modified_accounts"] = len(accounts)

    numbers, account_ids, channels = set(), set(), set()
    for e in events:
        f = e.event_fields
        if e.event_name in ACCOUNT_EVENTS:
            if f.get("newAccountId"):
                account_ids.add(str(f["newAccountId"]))
            elif f.get("accountNumber"):
                numbers.add(str(f["accountNumber"]))
        if e.event_name in CREDENTIAL_EVENTS and f.get("extractionChannelId"):
            channels.add(str(f["extractionChannelId"]))
    counters.update(accounts_named_by_events=len(numbers) + len(account_ids), credentials_named_by_events=len(channels))

    def by_number(number: str) -> list[Account]:
        return _collect(quarantine, "accounts", client.search_all("account", Query().eq("accountNumber", number)),
                        now_utc())

    for found in client.http.map_concurrent(by_number, sorted(numbers)):
        accounts.update((a.id, a) for a in found)
    for account in client.http.map_concurrent(client.account, sorted(account_ids - set(accounts))):
        accounts[account.id] = account
    for credential in client.http.map_concurrent(client.credential, sorted(channels)):
        credentials[credential.id] = credential
    # Meters of re-read accounts: their account reference follows an id change.
    refreshed = sorted(a for a in accounts if a)
    for parsed in client.http.map_concurrent(client.meters_by_account, refreshed):
        meters.update((m.id, m) for m in _collect(quarantine, "meters", parsed, extracted_at))
    return list(accounts.values()), list(credentials.values()), list(meters.values())


def current_accounts(lake) -> list[dict]:
    """The latest row of every account, without ids that changed (one row per account_key)."""
    if not lake.has_data(VENDOR, ACCOUNTS.name):
        return []
    rows = read_latest(lake, VENDOR, ACCOUNTS, columns=["account_id", "account_key", "created", "modified",
                                                        "_extracted_at"]).to_pylist()
    old_ids = set()
    if lake.has_data(VENDOR, ACCOUNT_ID_CHANGES.name):
        old_ids = {r["old_account_id"] for r in read_latest(lake, VENDOR, ACCOUNT_ID_CHANGES,
                                                           columns=["old_account_id"]).to_pylist()}
    created_by_key: dict[str, datetime] = {}
    for r in rows:
        if r["account_key"] and r["created"]:
            created_by_key[r["account_key"]] = min(created_by_key.get(r["account_key"], r["created"]), r["created"])
    current = [dict(r, first_created=created_by_key.get(r["account_key"]) or r["created"])
               for r in rows if r["account_id"] not in old_ids]
    return current


def customer_links(lake) -> list[CustomerLink]:
    """The policy's customer is the account, linked when it was created (the earliest `created`
    of its account_key, so an id change does not move the link time)."""
    return [CustomerLink(VENDOR, r["account_id"], r["first_created"] or r["_extracted_at"],
                         "created" if r["first_created"] else "first_seen") for r in current_accounts(lake)]


# -- statement deliveries ----------------------------------------------------------------------------

MASKED_STATEMENT_FIELDS = ("total_bill_amount", "amount_due", "new_charges", "outstanding_balance",
                           "previous_balance")


def sync_statements(ctx: SyncContext) -> SyncResult:
    from .deliveries import DeliveryFormatError, delivery_file_row, parse_delivery

    policy = ctx.policy
    assert policy is not None
    source = getattr(ctx.connection, "deliveries", None)
    result = SyncResult()
    if source is None:
        ctx.log.warning("urjanet: no statement delivery location (set URJANET_DELIVERY_DIR or "
                        "URJANET_DELIVERY_S3_URI); no statements read")
        for entity in (DELIVERY_FILES, STATEMENTS, STATEMENT_METERS, USAGES, CHARGES):
            result.entities[entity.name] = land(ctx, entity, entity.schema.empty_table(), only_changed=False)
        land_quarantine(ctx, Quarantine(VENDOR, ctx.load_id), result)
        return result

    accounts = {r["account_key"]: r["account_id"] for r in current_accounts(ctx.lake) if r["account_key"]}
    done = set()
    if ctx.lake.has_data(VENDOR, DELIVERY_FILES.name):
        done = {(r["file_name"], r["fingerprint"]) for r in read_latest(ctx.lake, VENDOR, DELIVERY_FILES).to_pylist()
                if r["policy_sha256"] == policy.policy.sha256 and not r["unmatched"]}
    files = source.list()
    # A fanned-out sync reads the files its shard owns (by name): a file is read by one step.
    todo = in_shard(ctx.shard, [f for f in files if (f.name, f.fingerprint) not in done], lambda f: f.name)
    ctx.log.info("urjanet: %d delivery file(s) at %s, %d to read", len(files), source.location, len(todo))
    quarantine = Quarantine(VENDOR, ctx.load_id)
    counters: Counter = Counter(dict.fromkeys(("files_read", "files_unreadable", "statements_seen",
                                               "statements_in_policy", "statements_masked",
                                               "statements_unmatched", "lines_not_landed_outside_policy"), 0))
    tables: dict[str, list[dict]] = {e.name: [] for e in (DELIVERY_FILES, STATEMENTS, STATEMENT_METERS, USAGES,
                                                          CHARGES)}
    for file in todo:
        extracted_at = now_utc()
        meta = _meta(ctx.load_id, extracted_at)
        file_row = {**delivery_file_row(file), "unmatched": 0, "policy_sha256": policy.policy.sha256, **meta}
        try:
            delivery = parse_delivery(file.name, source.read(file))
        except DeliveryFormatError as exc:
            counters["files_unreadable"] += 1
            file_row["error"] = str(exc)
            quarantine.add("delivery_files", {"file_name": file.name, "location": file.location}, str(exc),
                           extracted_at, record_id=file.name)
            tables[DELIVERY_FILES.name].append(file_row)
            ctx.log.warning("urjanet: delivery file %s skipped: %s", file.name, exc)
            continue
        counters["files_read"] += 1
        for rejected in delivery.rejected:
            quarantine.add("statements", rejected.raw, f"{file.name}: {rejected.reason}", extracted_at,
                           record_id=rejected.statement_id)
        admitted = set()
        for row in delivery.statements:
            counters["statements_seen"] += 1
            key = account_key(row["provider_alias"], row["account_number"])
            account_id = accounts.get(key)
            if account_id is None:
                counters["statements_unmatched"] += 1
                file_row["unmatched"] += 1
            decision = policy.bill_decision(VENDOR, account_id or "", row["statement_id"], row["statement_date"])
            row = {**row, "account_key": key, "account_id": account_id, "is_masked": not decision.in_policy, **meta}
            if decision.in_policy:
                counters["statements_in_policy"] += 1
                admitted.add(row["statement_id"])
            else:
                counters["statements_masked"] += 1
                row.update(dict.fromkeys(MASKED_STATEMENT_FIELDS))
            tables[STATEMENTS.name].append(row)
        tables[STATEMENT_METERS.name] += [{**r, **meta} for r in delivery.statement_meters]
        for entity in (USAGES, CHARGES):
            lines = getattr(delivery, entity.name)
            kept = [{**r, **meta} for r in lines if r["statement_id"] in admitted]
            counters["lines_not_landed_outside_policy"] += len(lines) - len(kept)
            tables[entity.name] += kept
        file_row.update({k: v for k, v in delivery_file_row(file, delivery).items() if k != "error"})
        tables[DELIVERY_FILES.name].append(file_row)

    result.counters = dict(counters)
    for entity in (STATEMENTS, STATEMENT_METERS, USAGES, CHARGES):
        result.entities[entity.name] = land(ctx, entity, pa.Table.from_pylist(tables[entity.name],
                                                                              schema=entity.schema))
    result.entities[DELIVERY_FILES.name] = land(ctx, DELIVERY_FILES, pa.Table.from_pylist(
        tables[DELIVERY_FILES.name], schema=DELIVERY_FILES.schema), only_changed=False)
    land_quarantine(ctx, quarantine, result)
    if counters["statements_unmatched"]:
        ctx.log.warning("urjanet: %d statement(s) match no known account (provider + account number); their "
                        "files are read again on the next sync", counters["statements_unmatched"])
    ctx.log.info("urjanet statements: %s", dict(counters))
    return result

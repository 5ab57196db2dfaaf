"""WattzOn syncs: profiles (+ last jobs), bills (+ PDFs), interval periods and readings.

Pure functions over a WattzonClient, the lake and the compiled policy, like Bayou's.
WattzOn has no vendor-side lock: the policy decides what is *kept*. A statement outside policy
lands with identifiers and dates only; its PDF is not fetched; readings outside policy are dropped.
"""

from __future__ import annotations

import hashlib
import uuid
from collections import Counter, defaultdict
from datetime import UTC, date, datetime
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.compute as pc

from ..core.errors import VendorError, VendorResponseError
from ..core.interval_loads import INTERVAL_LOADS, IntervalLoads
from ..core.landing import land, land_quarantine, now_utc
from ..core.quarantine import Quarantine
from ..core.records import Parsed, first_of_duplicates, to_json_text, to_text
from ..core.vendor import SyncContext, SyncResult, in_shard
from ..lake import query_dataset, read_latest
from ..policy import CustomerLink, Window, midnight_utc
from ..bayou.intervals import in_windows
from .entities import BILL_PDFS, BILLS, INTERVAL_PERIODS, INTERVALS, JOBS, PROFILES
from .intervals import parse_month_json, parse_month_source
from .records import BillRecord, IntervalPeriod, JobStatus, Profile

VENDOR = "wattzon"
PDF_DIR = "pdf_files"
MONTH_FILE_ENDPOINT = "/data/intervals/{profile_id}/{meter_id}/monthly/{ym}/"
# Fields a statement outside policy keeps (the equivalent of a locked bill: ids and dates).
LOCKED_FIELDS = ("profile_id", "bill_id", "record_type", "statement_id", "statement_date", "account_number",
                 "service_id", "meter_number", "bill_date", "start_date", "end_date", "date", "currency",
                 "cached", "cached_job_id")


def _client(ctx: SyncContext):
    return ctx.connection.client


def _scoped_profile_ids(ctx: SyncContext) -> set[str] | None:
    value = ctx.scope.get("profile_id")
    return {p.strip() for p in value.split(",")} if value else None


# -- profiles and jobs -------------------------------------------------------------------------


def profile_row(profile: Profile, load_id: str, extracted_at: datetime) -> dict[str, Any]:
    return {
        "profile_id": str(profile.id), "utility_provider": profile.utility_provider,
        "utility_provider_id": None if profile.utility_provider_id is None else str(profile.utility_provider_id),
        "label": profile.label, "tags": to_json_text(sorted(profile.tags)), "zipcode": profile.zipcode,
        "created": profile.created, "modified": profile.modified,
        "_load_id": load_id, "_extracted_at": extracted_at,
    }


def job_row(job: JobStatus, profile_id: str, source: str, load_id: str, extracted_at: datetime,
            mode: str | None = None, new_records: int | None = None, existing_records: int | None = None) -> dict:
    return {
        "job_id": job.job_id, "profile_id": profile_id, "mode": mode, "job_status": job.job_status,
        "status": job.status, "finished": bool(job.finished),
        "detail": job.detail if isinstance(job.detail, str) or job.detail is None else to_json_text(job.detail),
        "source": source, "new_records": new_records, "existing_records": existing_records,
        "_load_id": load_id, "_extracted_at": extracted_at,
    }


def sync_profiles(ctx: SyncContext) -> SyncResult:
    client = _client(ctx)
    scoped = _scoped_profile_ids(ctx)
    ids = sorted(scoped) if scoped else [str(i) for i in client.list_profiles()]
    quarantine = Quarantine(VENDOR, ctx.load_id)
    extracted_at = now_utc()

    def fetch(profile_id: str):
        profile = client.get_profile(profile_id)
        try:
            last = client.last_job(profile_id)
        except VendorError as exc:
            if exc.status != 404:  # "Job not found": a profile that never ran a job
                raise
            last = None
        return profile_id, profile, last

    profiles, jobs = [], []
    for profile_id, profile, last in client.http.map_concurrent(fetch, ids):
        if profile.id is None:
            quarantine.add("profiles", profile.model_dump(mode="json"), "profile without id", extracted_at,
                           record_id=profile_id)
            continue
        profiles.append(profile_row(profile, ctx.load_id, extracted_at))
        if last is not None and last.job_id:
            jobs.append(job_row(last, profile_id, "last_job", ctx.load_id, extracted_at))
    result = SyncResult(counters={"profiles_seen": len(profiles), "jobs_seen": len(jobs)})
    result.entities["profiles"] = land(ctx, PROFILES, pa.Table.from_pylist(profiles, schema=PROFILES.schema))
    result.entities["jobs"] = land(ctx, JOBS, pa.Table.from_pylist(jobs, schema=JOBS.schema))
    land_quarantine(ctx, quarantine, result)
    result.http = client.http.stats.as_metadata()
    ctx.log.info("wattzon: %d profiles, %d last jobs", len(profiles), len(jobs))
    return result


def customer_links(lake) -> list[CustomerLink]:
    """Link time of a profile: its creation date (the issue's rule for WattzOn)."""
    if not lake.has_data(VENDOR, "profiles"):
        return []
    rows = read_latest(lake, VENDOR, PROFILES, columns=["profile_id", "created", "_extracted_at"]).to_pylist()
    links = []
    for row in rows:
        if row["created"] is not None:
            links.append(CustomerLink(VENDOR, row["profile_id"], row["created"], "created"))
        else:
            links.append(CustomerLink(VENDOR, row["profile_id"], row["_extracted_at"], "first_seen"))
    return links


def _known_profiles(ctx: SyncContext) -> list[str]:
    if not ctx.lake.has_data(VENDOR, "profiles"):
        raise VendorResponseError(VENDOR, "GET", "/profiles/", None,
                                  "no profiles in the lake yet: materialize wattzon/profiles first")
    ids = sorted(read_latest(ctx.lake, VENDOR, PROFILES, columns=["profile_id"])["profile_id"].to_pylist())
    scoped = _scoped_profile_ids(ctx)
    return in_shard(ctx.shard, [i for i in ids if scoped is None or i in scoped], lambda i: i)


# -- bills -------------------------------------------------------------------------------------


def statement_key(profile_id: str, record: BillRecord) -> tuple[str | None, date | None]:
    """Records of one statement share profile, account number and bill date: one bill.

    The bill's id is `profile:account_number:bill_date`; its statement date is the bill date,
    or, for older agents without one, the period end (or the interpolated `date`).
    """
    moment = record.bill_date or record.end_date or record.date
    statement_date = moment.date() if moment else None
    if statement_date is None:
        return None, None
    return f"{profile_id}:{record.account_number or ''}:{statement_date.isoformat()}", statement_date


def _day(value: datetime | None) -> date | None:
    return value.date() if value else None


def bill_row(profile_id: str, record: BillRecord, statement_id: str, statement_date: date, *, masked: bool,
             load_id: str, extracted_at: datetime) -> dict[str, Any]:
    row = {
        "profile_id": profile_id, "bill_id": record.bill_id, "record_type": record.type,
        "statement_id": statement_id, "statement_date": statement_date,
        "account_number": record.account_number, "service_id": record.service_id,
        "meter_number": record.meter_number, "name": record.name, "service_address": record.service_address,
        "bill_date": _day(record.bill_date), "start_date": record.start_date, "end_date": record.end_date,
        "date": record.date, "cost": record.cost, "usage": record.usage, "units": record.units,
        "currency": record.currency, "retail_energy_provider": record.retail_energy_provider,
        "rate_plan": record.rate_plan, "exported_energy": record.exported_energy,
        "previous_balance": record.previous_balance, "payment_received": record.payment_received,
        "past_due_balance": record.past_due_balance, "current_charges": record.current_charges,
        "total_amount_due": record.total_amount_due, "due_date": _day(record.due_date),
        "payment_date": _day(record.payment_date), "pdf": record.pdf or None, "pdf_sha256": None,
        "cached": record.cached, "cached_job_id": record.cached_job_id, "is_masked": masked,
        "_load_id": load_id, "_extracted_at": extracted_at,
    }
    if masked:
        row = {k: (v if k in LOCKED_FIELDS or k.startswith("_") else None) for k, v in row.items()}
        row["is_masked"] = True
    return row


def _store_pdf(ctx: SyncContext, content: bytes) -> tuple[str, str]:
    """Content-addressed: the same PDF fetched twice (or shared by a statement's records) is stored once."""
    digest = hashlib.sha256(content).hexdigest()
    relative = f"{VENDOR}/{PDF_DIR}/{digest[:2]}/{digest}.pdf"
    path = ctx.lake.root / relative
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        # One temp name per writer: two shard processes may store the same document at once.
        tmp = path.parent / f".tmp-{digest}-{uuid.uuid4().hex}"
        tmp.write_bytes(content)
        tmp.replace(path)
    return digest, relative


def sync_bills(ctx: SyncContext) -> SyncResult:
    client, policy = _client(ctx), ctx.policy
    assert policy is not None
    profile_ids = _known_profiles(ctx)
    known_pdfs = {(r["profile_id"], r["bill_id"]): r for r in read_latest(ctx.lake, VENDOR, BILL_PDFS).to_pylist()}
    quarantine = Quarantine(VENDOR, ctx.load_id)
    counters: Counter = Counter(dict.fromkeys(
        ("records_seen", "statements_seen", "statements_in_policy", "statements_masked", "pdfs_fetched"), 0))

    def fetch(profile_id: str):
        return profile_id, client.bills(profile_id), now_utc()

    bills, pdf_rows = [], []
    try:
        for profile_id, parsed, extracted_at in client.http.map_concurrent(fetch, profile_ids):
            rows, pdfs = _profile_bills(ctx, profile_id, parsed, extracted_at, quarantine, counters, known_pdfs)
            bills += rows
            pdf_rows += pdfs
    except VendorError:
        _land_bills(ctx, bills, pdf_rows, quarantine, counters)
        raise
    return _land_bills(ctx, bills, pdf_rows, quarantine, counters)


def _profile_bills(ctx, profile_id, parsed: Parsed[BillRecord], extracted_at, quarantine, counters, known_pdfs):
    client, policy = _client(ctx), ctx.policy
    # One answer naming a record twice with different contents: the first lands (docs: Bad input).
    unique = first_of_duplicates(parsed, lambda r: (r.bill_id, r.type), "bill record", "bill_id")
    for duplicate in unique.rejected[len(parsed.rejected):]:
        raw = duplicate.raw
        kept = {k: raw[k] for k in ("bill_id", "type", "account_number", "bill_date", "start_date", "end_date")
                if k in raw}
        quarantine.add("bills", kept, duplicate.reason, extracted_at, record_id=to_text(raw.get("bill_id")))
    parsed = Parsed(unique.records, parsed.rejected, unique.raws)
    for rejected in parsed.rejected:
        # Not known to be in policy: keep ids and dates only, and name fields without their values.
        raw = rejected.raw if isinstance(rejected.raw, dict) else {"value": str(rejected.raw)[:200]}
        kept = {k: raw[k] for k in ("bill_id", "type", "account_number", "bill_date", "start_date", "end_date")
                if k in raw}
        reason = "; ".join(p.split(":")[0] + ": invalid value" if ":" in p else p for p in rejected.reason.split("; "))
        quarantine.add("bills", kept, reason, extracted_at, record_id=str(raw.get("bill_id")) if raw.get("bill_id") else None)
    statements: dict[str, list[tuple[BillRecord, date]]] = defaultdict(list)
    for record in parsed.records:
        counters["records_seen"] += 1
        statement_id, statement_date = statement_key(profile_id, record)
        if statement_id is None or not record.bill_id or not record.type:
            quarantine.add("bills", {"bill_id": record.bill_id, "type": record.type,
                                     "account_number": record.account_number},
                           "bill record without bill_id, type or any date", extracted_at, record_id=record.bill_id)
            continue
        statements[statement_id].append((record, statement_date))
    rows, pdf_rows = [], []
    for statement_id, records in statements.items():
        counters["statements_seen"] += 1
        statement_date = records[0][1]
        in_policy = policy.bill_decision(VENDOR, profile_id, statement_id, statement_date).in_policy
        counters["statements_in_policy" if in_policy else "statements_masked"] += 1
        # One PDF per statement (every record of a statement links the same document): fetch it
        # once, unless an earlier sync already stored it, and point every record at its digest.
        digest = next((known_pdfs[(profile_id, r.bill_id)]["sha256"] for r, _ in records
                       if (profile_id, r.bill_id) in known_pdfs), None)
        with_pdf = [r for r, _ in records if r.pdf]
        if in_policy and with_pdf and digest is None:
            digest, relative = _store_pdf(ctx, client.bill_pdf(profile_id, with_pdf[0].bill_id))
            counters["pdfs_fetched"] += 1
            size = (ctx.lake.root / relative).stat().st_size
            pdf_rows += [{"profile_id": profile_id, "bill_id": r.bill_id, "statement_id": statement_id,
                          "sha256": digest, "size_bytes": size, "path": relative, "_load_id": ctx.load_id,
                          "_extracted_at": extracted_at} for r in with_pdf]
        for record, _ in records:
            row = bill_row(profile_id, record, statement_id, statement_date, masked=not in_policy,
                           load_id=ctx.load_id, extracted_at=extracted_at)
            if in_policy and record.pdf and digest is not None:
                row["pdf_sha256"] = digest
            rows.append(row)
    return rows, pdf_rows


def _land_bills(ctx, bills, pdf_rows, quarantine, counters) -> SyncResult:
    result = SyncResult(counters=dict(counters))
    result.entities["bills"] = land(ctx, BILLS, pa.Table.from_pylist(bills, schema=BILLS.schema))
    result.entities["bill_pdfs"] = land(ctx, BILL_PDFS, pa.Table.from_pylist(pdf_rows, schema=BILL_PDFS.schema))
    land_quarantine(ctx, quarantine, result)
    result.http = _client(ctx).http.stats.as_metadata()
    ctx.log.info("wattzon bills: %s", dict(counters))
    return result


# -- intervals ---------------------------------------------------------------------------------


def _landed_periods(ctx: SyncContext) -> dict[tuple[str, str, str], dict]:
    rows = read_latest(ctx.lake, VENDOR, INTERVAL_PERIODS).to_pylist()
    return {(r["profile_id"], r["meter_id"], r["month_id"]): r for r in rows}


def needs_fetch(period: IntervalPeriod, landed: dict | None) -> bool:
    """Fetch a month when it is new, was incomplete when last fetched, or was re-extracted since."""
    if landed is None or not landed["complete"]:
        return True
    return (period.extraction_time is not None and landed["extraction_time"] is not None
            and period.extraction_time > landed["extraction_time"])


def overlaps(period: IntervalPeriod, windows: tuple[Window, ...]) -> bool:
    start, end = period.first_interval, period.last_interval
    if start is None or end is None:
        return bool(windows)
    for w in windows:
        if (w.starts_on is None or end >= midnight_utc(w.starts_on)) and (w.ends_on is None or start < midnight_utc(w.ends_on)):
            return True
    return False


def _known_timezones(ctx: SyncContext) -> dict[tuple[str, str], str]:
    if not ctx.lake.has_data(VENDOR, "intervals"):
        return {}
    table = query_dataset(ctx.lake, VENDOR, "intervals", "select distinct profile_id, meter_id, timezone from dataset "
                          "where timezone is not null")
    return {(r["profile_id"], r["meter_id"]): r["timezone"] for r in table.to_pylist()}


def sync_intervals(ctx: SyncContext) -> SyncResult:
    client, policy = _client(ctx), ctx.policy
    assert policy is not None
    quarantine = Quarantine(VENDOR, ctx.load_id)
    counters: Counter = Counter(dict.fromkeys(("periods_listed", "months_fetched", "months_unchanged",
                                               "months_outside_policy", "readings_landed",
                                               "readings_outside_policy"), 0))
    landed = _landed_periods(ctx)
    tasks = []
    for profile_id in _known_profiles(ctx):
        windows = policy.windows(VENDOR, profile_id)
        try:
            parsed = client.interval_periods(profile_id)
        except VendorError as exc:
            if exc.status == 404:  # "No intervals found"
                continue
            raise
        for rejected in parsed.rejected:
            quarantine.add("interval_periods", rejected.raw, rejected.reason, now_utc())
        listed: set[tuple[str, str]] = set()
        for period in parsed.records:
            counters["periods_listed"] += 1
            if (period.meter_id, period.month_id) in listed:
                # A month listed twice in one answer (a repeated record): fetched and landed once.
                counters["periods_repeated"] += 1
                continue
            listed.add((period.meter_id, period.month_id))
            if not period.meter_id or not period.month_id:
                quarantine.add("interval_periods", period.model_dump(mode="json"), "period without meter_id or month_id",
                               now_utc())
                continue
            if not overlaps(period, windows):
                counters["months_outside_policy"] += 1
                continue
            if ctx.window:  # a partitioned run: every month file of the window again
                if not overlaps(period, (Window("ongoing", ctx.window[0].date(), ctx.window[1].date()),)):
                    continue
            elif not needs_fetch(period, landed.get((profile_id, period.meter_id, period.month_id))):
                counters["months_unchanged"] += 1
                continue
            tasks.append((profile_id, period, windows))
    # Month by month across profiles, so the writer holds about one month whatever the history.
    tasks.sort(key=lambda t: (t[1].month_id, t[0], t[1].meter_id))
    ctx.log.info("wattzon intervals: %d month files to fetch (%d unchanged, %d outside policy)",
                 len(tasks), counters["months_unchanged"], counters["months_outside_policy"])

    timezones = _known_timezones(ctx)
    latest_month = {}
    for profile_id, period, _ in tasks:
        key = (profile_id, period.meter_id)
        latest_month[key] = max(latest_month.get(key, ""), period.month_id)

    def meter_timezone(profile_id: str, meter_id: str) -> str:
        """The meter's zone, from a normalized month (the source CSV carries none)."""
        key = (profile_id, meter_id)
        if key not in timezones:
            content = client.interval_file(profile_id, meter_id, latest_month[key], format="json")
            timezones[key] = orjson.loads(content).get("timezone") or "UTC"
        return timezones[key]

    def fetch(task):
        profile_id, period, windows = task
        extracted_at = now_utc()
        common = dict(profile_id=profile_id, meter_id=period.meter_id, month_id=period.month_id,
                      extraction_time=period.extraction_time, load_id=ctx.load_id, extracted_at=extracted_at)
        try:
            content = client.interval_file(profile_id, period.meter_id, period.month_id, format="json")
        except VendorError as exc:
            if exc.status != 404 or "normalized" not in exc.detail.lower():
                raise
            # Older agents only have the utility's own file.
            try:
                content = client.interval_file(profile_id, period.meter_id, period.month_id, format="source")
                table = parse_month_source(content, timezone=meter_timezone(profile_id, period.meter_id), **common)
            except (ValueError, pa.ArrowInvalid, pa.ArrowTypeError) as exc:
                return task, None, [], str(exc), extracted_at
            return task, table, [], None, extracted_at
        try:
            table, zone, rejected = parse_month_json(content, **common)
        except ValueError as exc:
            # The answer as a whole is unreadable (an HTML page, truncated JSON): fail clearly.
            raise VendorResponseError(VENDOR, "GET", MONTH_FILE_ENDPOINT, 200, str(exc)) from None
        if zone:
            timezones[(profile_id, period.meter_id)] = zone
        return task, table, rejected, None, extracted_at

    period_rows = []
    loads = IntervalLoads(ctx.load_id)
    writer = ctx.lake.writer(VENDOR, INTERVALS, ctx.load_id)
    result = SyncResult()
    try:
        for i, (task, table, rejected, error, extracted_at) in enumerate(client.http.map_concurrent(fetch, tasks),
                                                                          start=1):
            profile_id, period, windows = task
            where = {"profile_id": profile_id, "meter_id": period.meter_id, "month_id": period.month_id}
            for raw, reason in rejected:
                quarantine.add("intervals", {**where, **raw} if isinstance(raw, dict) else {**where, "reading": raw},
                               reason, extracted_at, record_id=period.meter_id)
            if error is not None:
                quarantine.add("intervals", {"profile_id": profile_id, "meter_id": period.meter_id,
                                             "month_id": period.month_id}, error, extracted_at)
                continue
            keep = in_windows(table["interval_start"], windows)
            kept = table.filter(keep)
            counters["readings_outside_policy"] += table.num_rows - kept.num_rows
            counters["readings_landed"] += kept.num_rows
            counters["months_fetched"] += 1
            writer.write(kept)
            if table.num_rows:  # a month file covers its first to its last reading
                loads.add(profile_id, period.meter_id, pc.min(table["interval_start"]).as_py(),
                          pc.max(table["interval_end"]).as_py(), kept.num_rows, extracted_at)
            period_rows.append({
                "profile_id": profile_id, "meter_id": period.meter_id, "month_id": period.month_id,
                "first_interval": period.first_interval, "last_interval": period.last_interval,
                "complete": period.complete, "extraction_time": period.extraction_time,
                "source_file_size": period.source_file_size, "job_id_extracted": period.job_id_extracted,
                "readings_landed": kept.num_rows, "_load_id": ctx.load_id, "_extracted_at": extracted_at,
            })
            if i % 50 == 0 or i == len(tasks):
                ctx.log.info("wattzon intervals: %d/%d months, %d readings", i, len(tasks), counters["readings_landed"])
    finally:
        stats = writer.close()
        # Periods land after their readings: a crash in between only means fetching the month again.
        result.entities["intervals"] = land(ctx, INTERVALS, INTERVALS.schema.empty_table(), only_changed=False)
        result.entities["intervals"].rows = stats.rows
        result.entities["intervals"].files = len(stats.files)
        result.entities["interval_loads"] = land(ctx, INTERVAL_LOADS, loads.table(), only_changed=False)
        result.entities["interval_periods"] = land(
            ctx, INTERVAL_PERIODS, pa.Table.from_pylist(period_rows, schema=INTERVAL_PERIODS.schema), only_changed=False)
        land_quarantine(ctx, quarantine, result)
        result.counters = dict(counters)
        result.http = client.http.stats.as_metadata()
    ctx.log.info("wattzon intervals: %s", dict(counters))
    return result


# -- refresh (the schedule) --------------------------------------------------------------------


def refresh_profiles(connection, log, *, modes: tuple[str, ...] = ("bill", "interval"),
                     deadline_s: float = 900.0, sleep=None) -> dict[str, Any]:
    """Start an extraction job per profile and mode, and follow them to the end.

    The jobs' notifications (SQS, or the sandbox's queue) then trigger targeted syncs through
    the notification sensor. Job completion is decided by `finished` only; unknown codes count.
    """
    client = connection.client
    started = [(pid, mode, client.start_job(pid, mode=mode)) for pid in client.list_profiles() for mode in modes]
    log.info("wattzon refresh: started %d jobs", len(started))
    final: Counter = Counter()
    # The sandbox advances a job by one step per poll: no need to wait seconds between polls there.
    pacing = {"initial_interval_s": 0.05, "max_interval_s": 0.5} if connection.is_sandbox else {}
    if sleep is not None:
        pacing["sleep"] = sleep

    def follow(job):
        return client.wait_for_job(job[2], deadline_s=deadline_s, **pacing)

    for status in client.http.map_concurrent(follow, started):
        final[status.status or "unknown"] += 1
    return {"jobs_started": len(started), **{f"final_{k}": v for k, v in sorted(final.items())}}

"""Deterministic synthetic data for the Urjanet Utility Data API sandbox.

    generate_dataset(seed=7, accounts=30, months=24, as_of=None) -> UrjanetDataset

One customer (`customer_id`, "SandboxCustomer") owns every record. Fixed assumptions:
* Providers, service types, templates and custom attributes are a small fixed catalogue
  (`PROVIDERS`, `SERVICE_TYPES`, two attributes `FacilityId` and `CostCenter`); each provider has
  one default template `<alias>TemplateProvider`.
* About one WEB credential per three accounts (`extractionChannelId` `SandboxCustomer_<n>-<alias>_1`),
  each account 1 or 2 meters; passwords are kept (write-only) in `_passwords`.
* `months` is the history the accounts have been extracted for: created/firstExtractDate lie up to
  `months` months before `as_of`; later dates follow. All dates are ms since the epoch.
* The change log holds, per account, an AccountNominatedEvent and the EnrollmentStatusChangeEvents
  that led to its status (plus some MonitoringStatusChangeEvents), oldest first.
* Candidates (seed: "accounts/meters that we have extracted but have not been associated with a
  requested account/meter") are kept apart from the enrolled records, in `candidate_accounts`
  and `candidate_meters`, from their own random stream, so they never change the enrolled
  records or the change log. Each credential with a successful extraction has 1 to 3 candidate
  accounts, shaped like the seed's Example C: `enrollmentStatus` and `monitoringStatus` null,
  `extractionStatus` SUCCESS, not subscribed nor delivered, `extractionChannels` empty and the
  credential in `verifiedExtractionChannels`; account numbers end in `-C<nnnn>`. Each has one
  candidate meter, and about one successful enrolled account in four has one extra candidate
  meter besides its own.
Generation is cheap (plain dicts), so `accounts` may be several thousand.
Records are stored in the API's own shape; keys starting with "_" are internal and never rendered.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from ...core.sandbox_kit import SandboxSettings, settings_from_env

CUSTOMER_ID = "SandboxCustomer"
SYSTEM_USER = "system"
DAY_MS = 86_400_000

# alias, name, classification, service types, parent alias
PROVIDERS = (
    ("SouthernCompany", "Southern Company", "PRIMARY", ("Electric", "Gas"), None),
    ("GeorgiaPower", "Georgia Power", "PRIMARY", ("Electric",), "SouthernCompany"),
    ("AtlantaGasLight", "Atlanta Gas Light", "PRIMARY", ("Gas",), "SouthernCompany"),
    ("DukeEnergy", "Duke Energy", "PRIMARY", ("Electric",), None),
    ("PacificGasElectric", "Pacific Gas and Electric", "BOTH", ("Electric", "Gas"), None),
    ("CityOfAtlantaWater", "City of Atlanta Watershed", "PRIMARY", ("Water", "Sewer"), None),
)
SERVICE_TYPES = ("Electric", "Gas", "Water", "Sewer")
ATTRIBUTES = (("FacilityId", False, 1), ("CostCenter", False, 2))
ENROLLMENT_PATH = ("SUBMITTED", "NOMINATED")
FINAL_ENROLLMENT = (
    ("SUCCESSFUL_DELIVERED", 70), ("SUCCESSFUL_ENROLLED", 8), ("NEEDS_CREDENTIAL", 3), ("FAILED_LOGIN", 6),
    ("ACCOUNT_MISSING", 4), ("STATEMENT_MISSING", 3), ("FAILED_TO_ACCESS", 3), ("NOMINATED", 3),
)
EXTRACTION_FOR = {
    "SUCCESSFUL_DELIVERED": "SUCCESS", "SUCCESSFUL_ENROLLED": "SUCCESS", "FAILED_LOGIN": "LOGIN_FAILURE",
    "ACCOUNT_MISSING": "ACCOUNT_MISSING", "STATEMENT_MISSING": "STATEMENT_MISSING",
    "FAILED_TO_ACCESS": "FAILED_TO_ACCESS", "NEEDS_CREDENTIAL": None, "NOMINATED": None,
}
MONITORING_FOR = {
    "SUCCESSFUL_DELIVERED": "PRODUCTION", "SUCCESSFUL_ENROLLED": "PRODUCTION", "FAILED_LOGIN": "LOGIN_FAILURE",
    "ACCOUNT_MISSING": "ACCOUNT_MISSING", "STATEMENT_MISSING": "TRACKED_STATEMENT_MISSING",
    "FAILED_TO_ACCESS": "ERROR_WEBSITE_PROBLEM", "NEEDS_CREDENTIAL": "ENROLLMENT_EVENT", "NOMINATED": "ENROLLMENT_EVENT",
}
STREETS = ("Peachtree St", "Main St", "Oak Ave", "Ponce de Leon Ave", "Spring St", "Market St", "Elm St")


def ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def link(kind: str, record_id: str, natural_key: str | None) -> dict:
    return {"id": record_id, "naturalKey": natural_key, "link": {"rel": "self", "href": f"/{kind}/status/{record_id}"}}


def normalize(number: str) -> str:
    return "".join(ch for ch in number if ch.isalnum())


@dataclass
class UrjanetDataset:
    seed: int
    months: int
    as_of: date
    now_ms: int  # as_of 12:00Z: the sandbox's virtual clock starts here
    customer_id: str = CUSTOMER_ID
    service_types: dict[str, dict] = field(default_factory=dict)
    providers: dict[str, dict] = field(default_factory=dict)
    templates: dict[str, dict] = field(default_factory=dict)
    attributes: dict[str, dict] = field(default_factory=dict)
    credentials: dict[str, dict] = field(default_factory=dict)
    accounts: dict[str, dict] = field(default_factory=dict)
    meters: dict[str, dict] = field(default_factory=dict)
    changelog: list[dict] = field(default_factory=list)
    candidate_accounts: dict[str, dict] = field(default_factory=dict)
    candidate_meters: dict[str, dict] = field(default_factory=dict)

    def summary(self) -> dict:
        return {
            "customer_id": self.customer_id, "providers": len(self.providers), "credentials": len(self.credentials),
            "accounts": len(self.accounts), "meters": len(self.meters), "changelog": len(self.changelog),
            "candidate_accounts": len(self.candidate_accounts), "candidate_meters": len(self.candidate_meters),
            "as_of": self.as_of.isoformat(),
        }


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _stamped(record: dict, created: int, modified: int | None = None, user: str | None = SYSTEM_USER) -> dict:
    record.update(created=created, modified=created if modified is None else modified,
                  createdByUsername=user, lastModifiedByUsername=user)
    return record


def event(username: str, timestamp: int, name: str, customer_id: str = CUSTOMER_ID, **fields) -> dict:
    """A change-log entry; eventFields values are flat strings (maps included), as the seed says."""
    flat = {k: (None if v is None else str(v).lower() if isinstance(v, bool) else str(v)) for k, v in fields.items()}
    return {"username": username, "timestamp": timestamp, "eventName": name, "customerId": customer_id,
            "eventFields": flat}


def _catalogue(ds: UrjanetDataset, rng: random.Random, epoch_ms: int) -> None:
    for name in SERVICE_TYPES:
        sid = _uuid(rng)
        ds.service_types[sid] = _stamped({"id": sid, "name": name}, epoch_ms)
    by_name = {st["name"]: st for st in ds.service_types.values()}
    ids = {alias: _uuid(rng) for alias, *_ in PROVIDERS}
    for alias, name, classification, types, parent in PROVIDERS:
        tid = _uuid(rng)
        template_name = f"{alias}TemplateProvider"
        ds.templates[tid] = _stamped({
            "id": tid, "templateName": template_name, "website": f"https://www.{alias.lower()}.example.com",
            "hasInterval": "Electric" in types, "hasHistory": True, "hasPdf": True, "hasHtml": False, "hasEdi": False,
            "hasXls": False, "hasCsv": False, "hasOcr": False, "tracksLoginFailure": True,
            "utilityProviders": [link("provider", ids[alias], alias)],
        }, epoch_ms)
        ds.providers[ids[alias]] = _stamped({
            "id": ids[alias], "providerAlias": alias, "providerName": name, "classification": classification,
            "serviceTypes": [link("servicetype", by_name[t]["id"], t) for t in types],
            "parentProvider": link("provider", ids[parent], parent) if parent else None,
            "childProviders": [link("provider", ids[c[0]], c[0]) for c in PROVIDERS if c[4] == alias],
            "templateInfos": [link("template", tid, template_name)],
        }, epoch_ms)
    for name, required, position in ATTRIBUTES:
        aid = _uuid(rng)
        ds.attributes[aid] = _stamped({"id": aid, "required": required, "name": name, "cnbdPosition": position,
                                       "urjanetKey": None}, epoch_ms)


def provider_by_alias(ds: UrjanetDataset) -> dict[str, dict]:
    return {p["providerAlias"]: p for p in ds.providers.values()}


def template_for(ds: UrjanetDataset, provider: dict) -> dict:
    return ds.templates[provider["templateInfos"][0]["id"]]


def generate_dataset(seed: int = 7, accounts: int = 30, months: int = 24, as_of: date | None = None) -> UrjanetDataset:
    if accounts < 0 or months < 1:
        raise ValueError("accounts must be >= 0 and months >= 1")
    as_of = as_of or datetime.now(UTC).date()
    rng = random.Random(f"urjanet-{seed}")
    now = datetime.combine(as_of, time(12), tzinfo=UTC)
    ds = UrjanetDataset(seed=seed, months=months, as_of=as_of, now_ms=ms(now))
    start = now - timedelta(days=31 * months)
    _catalogue(ds, rng, ms(start) - 400 * DAY_MS)
    aliases = provider_by_alias(ds)
    leaf_providers = [a for a, *_ in PROVIDERS if a != "SouthernCompany"]
    finals = [s for s, _ in FINAL_ENROLLMENT]
    weights = [w for _, w in FINAL_ENROLLMENT]
    span_ms = ms(now) - ms(start)
    events: list[dict] = []
    credential = None
    credential_left = 0
    for n in range(accounts):
        created = ms(start) + int(span_ms * 0.8 * n / max(accounts, 1)) + rng.randrange(0, 3_600_000)
        if credential_left == 0:
            alias = rng.choice(leaf_providers)
            provider = aliases[alias]
            cid = _uuid(rng)
            number = len(ds.credentials) + 1
            template = template_for(ds, provider)
            credential = _stamped({
                "id": cid, "extractionChannelId": f"{CUSTOMER_ID}_{number}-{alias}_1",
                "username": f"user{number:05d}@example.com", "username2": None, "username3": None,
                "username4": None, "acquisitionType": "WEB", "s3BucketName": None, "s3FilePrefix": None,
                "message": None, "lastAttempted": None, "lastSuccess": None,
                "template": link("template", template["id"], template["templateName"]),
                "utilityProvider": link("provider", provider["id"], alias),
                "url": template["website"], "enabled": True, "intervalDataEnabled": rng.random() < 0.3,
                "_passwords": {"password": f"pw-{rng.getrandbits(40):010x}"},
            }, created - DAY_MS)
            ds.credentials[cid] = credential
            credential_left = rng.randint(1, 5)
        credential_left -= 1
        alias = credential["utilityProvider"]["naturalKey"]
        provider = aliases[alias]
        status = rng.choices(finals, weights)[0]
        extraction = EXTRACTION_FOR[status]
        extracted = extraction is not None
        account_number = f"{rng.randint(100, 999)}-{rng.randint(10000, 99999)}-{n:05d}"
        first = created + rng.randint(2, 20) * DAY_MS if extracted else None
        last = ms(now) - rng.randint(0, 25) * DAY_MS if extracted else None
        successful = status.startswith("SUCCESSFUL")
        bill = round(rng.uniform(40, 4000), 2) if successful else None
        account_id = _uuid(rng)
        subscribed = status != "SUCCESSFUL_ENROLLED" or rng.random() < 0.5
        channel = link("credential", credential["id"], credential["extractionChannelId"])
        credential["lastAttempted"] = max(credential["lastAttempted"] or 0, last or 0) or None
        if successful:
            credential["lastSuccess"] = max(credential["lastSuccess"] or 0, last or 0) or None
        account = _stamped({
            "id": account_id, "customerId": CUSTOMER_ID, "accountNumber": account_number,
            "normalizedAccountNumber": normalize(account_number), "summaryAccountNumber": None,
            "normalizedSummaryAccountNumber": None, "enrollmentStatus": status, "extractionStatus": extraction,
            "monitoringStatus": MONITORING_FOR[status],
            "providerClassification": provider["classification"] if extracted else None,
            "message": None if successful else f"Account is {status.lower().replace('_', ' ')}",
            "pullHistory": rng.random() < 0.5, "historyRequested": None, "subscribed": subscribed,
            "isSummaryAccount": False, "subscriptionLastUpdated": None, "unsubscribeDate": None,
            "toBeDelivered": status == "SUCCESSFUL_DELIVERED", "deliveryLastUpdated": None,
            "deliveryDisabledDate": None, "firstExtractDate": first, "lastExtracted": last,
            "lastSuccessfulExtraction": last if successful else None, "ebillRequirement": "DO_NOT_CHANGE",
            "lastDelivered": last if status == "SUCCESSFUL_DELIVERED" else None,
            "latestOrphanSourceDeliveredDate": None,
            "nextExpectedPostDate": last + 30 * DAY_MS if successful else None,
            "latestIntervalEnd": last - 3 * DAY_MS if successful else None,
            "startToEndAvg": 30 if successful else None,
            "nextExpectedConfidence": rng.choice(("LOW", "MEDIUM", "HIGH")) if successful else None,
            "latestTotalBillAmount": bill, "latestStatementCreate": last if successful else None,
            "lastSuccessfulExtractionChannel": channel if successful else None,
            "utilityProvider": link("provider", provider["id"], alias),
            "verifiedExtractionChannels": [channel] if extracted else [],
            "extractionChannels": [] if status == "NEEDS_CREDENTIAL" else [channel],
            "customAttributes": {"FacilityId": f"FAC-{n % 97:03d}"} if rng.random() < 0.7 else {},
        }, created, last or created)
        ds.accounts[account_id] = account
        types = [t["naturalKey"] for t in provider["serviceTypes"]]
        for k in range(rng.randint(1, 2)):
            meter_id = _uuid(rng)
            meter_number = f"M{rng.randint(10**7, 10**8 - 1)}"
            ds.meters[meter_id] = _stamped({
                "id": meter_id, "utilityAccount": link("account", account_id, None),
                "meterNumber": meter_number, "normalizedMeterNumber": normalize(meter_number),
                "serviceType": types[k % len(types)].upper(), "tariff": f"{alias[:3].upper()}-R{rng.randint(1, 9)}",
                "serviceAddress": f"{rng.randint(1, 9999)} {rng.choice(STREETS)}", "podNumber": None,
                "previousMeterNumber": None, "deactivated": False, "customAttributes": {},
            }, created, first or created)
        fields = {"accountNumber": account_number, "providerAlias": alias}
        events.append(event("api-user", created, "AccountNominatedEvent", **fields))
        previous = None
        path = list(ENROLLMENT_PATH) + ([] if status in ENROLLMENT_PATH else [status])
        for step, name in enumerate(path):
            if previous is not None:
                events.append(event(SYSTEM_USER, created + step * 3_600_000, "EnrollmentStatusChangeEvent",
                                    oldStatus=previous, newStatus=name, **fields))
            previous = name
        if extracted:
            events.append(event("ops-user", first, "MonitoringStatusChangeEvent", oldStatus="UNKNOWN",
                                newStatus=account["monitoringStatus"], **fields))
    events.sort(key=lambda e: e["timestamp"])
    ds.changelog = events
    _candidates(ds, random.Random(f"urjanet-candidates-{seed}"), ms(now))
    return ds


def _meter(rng: random.Random, account_id: str, alias: str, service_type: str, created: int) -> dict:
    meter_id = _uuid(rng)
    meter_number = f"M{rng.randint(10**7, 10**8 - 1)}"
    return _stamped({
        "id": meter_id, "utilityAccount": link("account", account_id, None),
        "meterNumber": meter_number, "normalizedMeterNumber": normalize(meter_number),
        "serviceType": service_type.upper(), "tariff": f"{alias[:3].upper()}-R{rng.randint(1, 9)}",
        "serviceAddress": f"{rng.randint(1, 9999)} {rng.choice(STREETS)}", "podNumber": None,
        "previousMeterNumber": None, "deactivated": False, "customAttributes": {},
    }, created)


def _candidates(ds: UrjanetDataset, rng: random.Random, now_ms: int) -> None:
    """Discovered, never requested accounts and meters (own random stream: enrolled records unchanged)."""
    aliases = provider_by_alias(ds)
    number = 0
    for credential in ds.credentials.values():
        if not credential["lastSuccess"]:
            continue
        alias = credential["utilityProvider"]["naturalKey"]
        provider = aliases[alias]
        channel = link("credential", credential["id"], credential["extractionChannelId"])
        types = [t["naturalKey"] for t in provider["serviceTypes"]]
        for _ in range(rng.randint(1, 3)):
            number += 1
            account_id = _uuid(rng)
            account_number = f"{rng.randint(100, 999)}-{rng.randint(10000, 99999)}-C{number:04d}"
            last = credential["lastSuccess"] - rng.randint(0, 5) * DAY_MS
            first = last - rng.randint(30, 300) * DAY_MS
            account = _stamped({
                "id": account_id, "customerId": ds.customer_id, "accountNumber": account_number,
                "normalizedAccountNumber": normalize(account_number), "summaryAccountNumber": None,
                "normalizedSummaryAccountNumber": None, "enrollmentStatus": None, "extractionStatus": "SUCCESS",
                "monitoringStatus": None, "providerClassification": provider["classification"], "message": None,
                "pullHistory": False, "historyRequested": None, "subscribed": False, "isSummaryAccount": False,
                "subscriptionLastUpdated": None, "unsubscribeDate": None, "toBeDelivered": False,
                "deliveryLastUpdated": None, "deliveryDisabledDate": None, "firstExtractDate": first,
                "lastExtracted": last, "lastSuccessfulExtraction": last, "ebillRequirement": None,
                "lastDelivered": None, "latestOrphanSourceDeliveredDate": None,
                "nextExpectedPostDate": last + 30 * DAY_MS, "latestIntervalEnd": last - 3 * DAY_MS,
                "startToEndAvg": 30, "nextExpectedConfidence": rng.choice(("LOW", "MEDIUM", "HIGH")),
                "latestTotalBillAmount": round(rng.uniform(40, 4000), 2), "latestStatementCreate": last,
                "lastSuccessfulExtractionChannel": channel, "utilityProvider": link("provider", provider["id"], alias),
                "verifiedExtractionChannels": [channel], "extractionChannels": [], "customAttributes": {},
            }, first, last, user=None)
            ds.candidate_accounts[account_id] = account
            meter = _meter(rng, account_id, alias, rng.choice(types), first)
            ds.candidate_meters[meter["id"]] = meter
    for account in ds.accounts.values():
        if account["lastSuccessfulExtraction"] and rng.random() < 0.25:
            alias = account["utilityProvider"]["naturalKey"]
            types = [t["naturalKey"] for t in aliases[alias]["serviceTypes"]]
            meter = _meter(rng, account["id"], alias, rng.choice(types), account["lastSuccessfulExtraction"])
            ds.candidate_meters[meter["id"]] = meter


def sandbox_settings_from_env(environ: Mapping[str, str] | None = None) -> SandboxSettings:
    """Generator settings from URJANET_SANDBOX_SEED, _ACCOUNTS, _MONTHS, _AS_OF."""
    return settings_from_env(environ, "urjanet", {"seed": 7, "accounts": 30, "months": 24})

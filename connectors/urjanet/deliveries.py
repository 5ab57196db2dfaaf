"""Urjanet statement deliveries: where the files are, and how one is read (pure, no Dagster).

The enrollment and status API has no statement data: statements (bills) come as delivery files
dropped into a folder or an S3 prefix. The format is ours (the real product's layout is not public):

A delivery is one JSON file, `*.json` or gzip-compressed `*.json.gz` (gzip is recognised by its
magic bytes, so a compressed `.json` is read too)::

    {"deliveryId": str, "customerId": str, "createdDate": ISO-8601 UTC timestamp,
     "statements": [statement, ...]}

and a statement is::

    {"StatementId": str,
     "Account": {"AccountNumber", "ProviderAlias", "ProviderName", "StatementDate", "DueDate",
                 "IntervalStart", "IntervalEnd", "TotalBillAmount", "AmountDue", "NewCharges",
                 "OutstandingBalance", "PreviousBalance", "StatementType", "Currency"},
     "Meters": [{"MeterNumber", "ServiceType", "Tariff", "PODid", "IntervalStart", "IntervalEnd",
                 "Usages": [{"MeasurementType", "EnergyUnit", "UsageAmount", "RateComponent"}],
                 "Charges": [{"ChargeActualName", "ChargeAmount", "ChargeUnitsUsed",
                              "ChargeRatePerUnit", "UsageUnit"}]}],
     "Charges": [account-level charges, same shape as a meter's]}

Amounts may be JSON numbers or decimal strings; dates are `YYYY-MM-DD`. Unknown keys are ignored.

Reading rules (`parse_delivery`):
* A file that is not gzip/JSON, or has no `statements` list, raises `DeliveryFormatError`: the
  sync records it (delivery_files.error, quarantine) and goes on with the next file.
* The statement is the unit: a statement is kept whole or rejected whole, with a reason naming
  the field (`Account.StatementDate: expected an ISO date, got '2024-13-45'`). Rejected: no
  StatementId, AccountNumber, ProviderAlias or valid StatementDate; a StatementType other than
  bill|adjustment (case-insensitive; missing means bill); a meter without a meter number; any
  unreadable value (amount, date: year 0001 and other years before 1900 included) anywhere in it;
  a period (account, meter, usage or charge) whose IntervalEnd is before its IntervalStart; a
  UsageAmount beyond 1e9 in its unit (negative usage is kept: net metering); a StatementId already
  met in the same file (the first one lands).
* Money is rounded half-up to 4 decimals, quantities to 6 (the lake's decimal scales); a value too
  large for the lake's precision rejects the statement.
* Usages and charges get a 1-based `line_number` per statement in document order, meter lines
  first, then the account-level charges (which have no meter_number). Lines without their own
  period take their meter's, else the statement's; so does a meter.
* A meter listed twice in one statement (same normalized number) is one statement_meters row
  (its period widened to cover both); its usages and charges are all kept.
* Normalized account and meter numbers keep alphanumerics only, upper-cased (`normalize_number`).
* Every statement is landed, re-published ones (new id, same provider + account number +
  statement date) included: dbt keeps the latest. `account_id`, `account_key` and `is_masked`
  are left to the sync.
"""

from __future__ import annotations

import gzip
import os
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Annotated, Any, Protocol

import orjson
from pydantic import AfterValidator, BeforeValidator, ConfigDict, Field, ValidationError
from pydantic.alias_generators import to_pascal

from ..core.records import (
    MAX_BILL_QUANTITY,
    Day,
    Text,
    VendorRecord,
    describe_validation_error,
    to_decimal,
    to_text,
    to_timestamp,
)
from .records import normalize_number

DELIVERY_SUFFIXES = (".json", ".json.gz")
STATEMENT_TYPES = ("bill", "adjustment")
GZIP_MAGIC = b"\x1f\x8b"


class DeliveryFormatError(ValueError):
    """The file as a whole cannot be read as a delivery (not gzip, not JSON, no statements list)."""


# -- delivery sources ----------------------------------------------------------------------------


@dataclass(frozen=True)
class DeliveryFile:
    name: str  # relative to the folder or S3 prefix, "/"-separated
    location: str  # the absolute path or s3:// URI
    fingerprint: str  # S3 ETag, or f"{size}-{mtime_ns}" for a file: read again only when it changes
    size_bytes: int


class DeliverySource(Protocol):
    location: str

    def list(self) -> list[DeliveryFile]: ...

    def read(self, file: DeliveryFile) -> bytes: ...


def is_delivery_name(name: str) -> bool:
    """A delivery file's relative name: .json or .json.gz, no part starting with "." or "_"."""
    parts = [p for p in name.split("/") if p]
    if not parts or any(p.startswith((".", "_")) for p in parts):
        return False
    return parts[-1].lower().endswith(DELIVERY_SUFFIXES)


class FolderSource:
    def __init__(self, path: str | os.PathLike) -> None:
        self.root = Path(path).expanduser().resolve()
        self.location = str(self.root)

    def list(self) -> list[DeliveryFile]:
        if not self.root.is_dir():
            return []
        files = []
        for dirpath, dirnames, filenames in os.walk(self.root):
            dirnames[:] = [d for d in dirnames if not d.startswith((".", "_"))]
            for filename in filenames:
                path = Path(dirpath) / filename
                name = path.relative_to(self.root).as_posix()
                if not is_delivery_name(name):
                    continue
                try:
                    stat = path.stat()
                except FileNotFoundError:  # removed while listing
                    continue
                files.append(DeliveryFile(name, str(path), f"{stat.st_size}-{stat.st_mtime_ns}", stat.st_size))
        return sorted(files, key=lambda f: f.name)

    def read(self, file: DeliveryFile) -> bytes:
        return (self.root / file.name).read_bytes()

    def __repr__(self) -> str:
        return f"FolderSource({self.location!r})"


def parse_s3_uri(uri: str) -> tuple[str, str]:
    """`s3://bucket/some/prefix` -> ("bucket", "some/prefix/"); the prefix is a folder ("" for the bucket)."""
    text = uri.strip()
    if not text.lower().startswith("s3://"):
        raise ValueError(f"expected an s3://bucket/prefix URI, got {uri!r}")
    bucket, _, prefix = text[5:].partition("/")
    if len(bucket) < 3:
        raise ValueError(f"no valid bucket name in {uri!r}")
    prefix = prefix.strip("/")
    return bucket, f"{prefix}/" if prefix else ""


class S3Source:
    def __init__(self, uri: str, client: Any | None = None) -> None:
        self.bucket, self.prefix = parse_s3_uri(uri)
        self.location = f"s3://{self.bucket}/{self.prefix}"
        self._client = client

    @property
    def client(self) -> Any:
        if self._client is None:
            import boto3

            self._client = boto3.client("s3")  # region and credentials from the usual AWS environment
        return self._client

    def list(self) -> list[DeliveryFile]:
        files = []
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=self.prefix):
            for item in page.get("Contents", []):
                key = item["Key"]
                name = key[len(self.prefix):]
                if key.endswith("/") or not is_delivery_name(name):
                    continue
                files.append(DeliveryFile(name, f"s3://{self.bucket}/{key}", str(item.get("ETag", "")).strip('"'),
                                          int(item.get("Size", 0))))
        return sorted(files, key=lambda f: f.name)

    def read(self, file: DeliveryFile) -> bytes:
        return self.client.get_object(Bucket=self.bucket, Key=self.prefix + file.name)["Body"].read()

    def __repr__(self) -> str:
        return f"S3Source({self.location!r})"


def source_from_env(env: Mapping[str, str]) -> DeliverySource | None:
    """URJANET_DELIVERY_S3_URI wins, else URJANET_DELIVERY_DIR, else None (no deliveries configured)."""
    uri = (env.get("URJANET_DELIVERY_S3_URI") or "").strip()
    if uri:
        return S3Source(uri)
    folder = (env.get("URJANET_DELIVERY_DIR") or "").strip()
    if folder:
        return FolderSource(folder)
    return None


# -- the statement records -----------------------------------------------------------------------


def _fitted(scale: int, precision: int):
    quantum = Decimal(1).scaleb(-scale)

    def fit(value: Decimal | None) -> Decimal | None:
        if value is None:
            return None
        if value and value.adjusted() >= precision - scale:
            raise ValueError(f"number too large: {value}")
        fitted = value.quantize(quantum, rounding=ROUND_HALF_UP)
        if len(fitted.as_tuple().digits) > precision:  # 9999.99995 rounding up to 10000.0000
            raise ValueError(f"number too large: {value}")
        return fitted

    return fit


def _list(value: Any) -> Any:
    return [] if value is None else value


Money = Annotated[Decimal | None, BeforeValidator(to_decimal), AfterValidator(_fitted(4, 18))]
Quantity = Annotated[Decimal | None, BeforeValidator(to_decimal), AfterValidator(_fitted(6, 20))]


class DeliveryRecord(VendorRecord):
    model_config = ConfigDict(extra="allow", frozen=True, populate_by_name=True, alias_generator=to_pascal)


class Usage(DeliveryRecord):
    measurement_type: Text = None
    energy_unit: Text = None
    usage_amount: Quantity = None
    rate_component: Text = None
    interval_start: Day = None
    interval_end: Day = None


class Charge(DeliveryRecord):
    charge_actual_name: Text = None
    charge_amount: Money = None
    charge_units_used: Quantity = None
    charge_rate_per_unit: Quantity = None
    usage_unit: Text = None
    interval_start: Day = None
    interval_end: Day = None


class Meter(DeliveryRecord):
    meter_number: Text = None
    service_type: Text = None
    tariff: Text = None
    pod_id: Text = Field(default=None, alias="PODid")
    interval_start: Day = None
    interval_end: Day = None
    usages: Annotated[list[Usage], BeforeValidator(_list)] = Field(default_factory=list)
    charges: Annotated[list[Charge], BeforeValidator(_list)] = Field(default_factory=list)


class StatementAccount(DeliveryRecord):
    account_number: Text = None
    provider_alias: Text = None
    provider_name: Text = None
    statement_date: Day = None
    due_date: Day = None
    interval_start: Day = None
    interval_end: Day = None
    total_bill_amount: Money = None
    amount_due: Money = None
    new_charges: Money = None
    outstanding_balance: Money = None
    previous_balance: Money = None
    statement_type: Text = None
    currency: Text = None


class Statement(DeliveryRecord):
    statement_id: Text = None
    account: StatementAccount | None = None
    meters: Annotated[list[Meter], BeforeValidator(_list)] = Field(default_factory=list)
    charges: Annotated[list[Charge], BeforeValidator(_list)] = Field(default_factory=list)


# -- parsing -------------------------------------------------------------------------------------


@dataclass
class RejectedStatement:
    raw: Any
    reason: str
    statement_id: str | None = None


@dataclass
class ParsedDelivery:
    file_name: str
    delivery_id: str | None
    customer_id: str | None
    delivered_at: datetime | None
    statements: list[dict] = field(default_factory=list)
    statement_meters: list[dict] = field(default_factory=list)
    usages: list[dict] = field(default_factory=list)
    charges: list[dict] = field(default_factory=list)
    rejected: list[RejectedStatement] = field(default_factory=list)

    def rows(self) -> dict[str, list[dict]]:
        """Rows per lake entity name (without the sync's columns: account_id, account_key, is_masked, meta)."""
        return {"statements": self.statements, "statement_meters": self.statement_meters,
                "usages": self.usages, "charges": self.charges}


def delivery_file_row(file: DeliveryFile, parsed: ParsedDelivery | None = None, error: str | None = None) -> dict:
    """The delivery_files row of a file read (parsed) or skipped (error)."""
    return {"file_name": file.name, "location": file.location, "fingerprint": file.fingerprint,
            "size_bytes": file.size_bytes, "delivery_id": parsed.delivery_id if parsed else None,
            "delivered_at": parsed.delivered_at if parsed else None,
            "statements": len(parsed.statements) if parsed else 0,
            "rejected": len(parsed.rejected) if parsed else 0, "error": error}


def _decode(name: str, data: bytes) -> dict:
    if data[:2] == GZIP_MAGIC:
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as exc:
            raise DeliveryFormatError(f"{name}: not a readable gzip file ({exc})") from None
    elif name.lower().endswith(".gz"):
        raise DeliveryFormatError(f"{name}: not a gzip file (the name ends with .gz)")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        document = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise DeliveryFormatError(f"{name}: not JSON ({exc})") from None
    if not isinstance(document, dict):
        raise DeliveryFormatError(f"{name}: expected a JSON object with a 'statements' list, "
                                  f"got {type(document).__name__}")
    if not isinstance(document.get("statements"), list):
        got = "nothing" if document.get("statements") is None else type(document["statements"]).__name__
        raise DeliveryFormatError(f"{name}: 'statements' must be a list of statements, got {got}")
    return document


def _lenient(convert, value: Any) -> Any:
    try:
        return convert(value)
    except ValueError:
        return None


def _problems(statement: Statement) -> list[str]:
    problems = []
    if statement.statement_id is None:
        problems.append("StatementId: missing")
    account = statement.account
    if account is None:
        problems.append("Account: missing")
    else:
        for label, value in (("AccountNumber", account.account_number), ("ProviderAlias", account.provider_alias),
                             ("StatementDate", account.statement_date)):
            if value is None:
                problems.append(f"Account.{label}: missing")
        if account.account_number is not None and normalize_number(account.account_number) is None:
            problems.append(f"Account.AccountNumber: no letters or digits in {account.account_number!r}")
        kind = (account.statement_type or "bill").lower()
        if kind not in STATEMENT_TYPES:
            problems.append(f"Account.StatementType: unknown statement type {account.statement_type!r} "
                            f"(expected bill or adjustment)")
    if account is not None:
        problems += _period_problems("Account", account)
    for i, meter in enumerate(statement.meters):
        if normalize_number(meter.meter_number) is None:
            problems.append(f"Meters.{i}.MeterNumber: missing" if meter.meter_number is None
                            else f"Meters.{i}.MeterNumber: no letters or digits in {meter.meter_number!r}")
        problems += _period_problems(f"Meters.{i}", meter)
        for j, usage in enumerate(meter.usages):
            problems += _period_problems(f"Meters.{i}.Usages.{j}", usage)
            # Net metering makes a negative consumption legitimate; only the size is checked.
            if usage.usage_amount is not None and abs(usage.usage_amount) > MAX_BILL_QUANTITY:
                problems.append(f"Meters.{i}.Usages.{j}.UsageAmount: implausible usage {usage.usage_amount} "
                                f"{usage.energy_unit or ''} (limit {MAX_BILL_QUANTITY:,})".replace("  ", " "))
        for j, charge in enumerate(meter.charges):
            problems += _period_problems(f"Meters.{i}.Charges.{j}", charge)
    for j, charge in enumerate(statement.charges):
        problems += _period_problems(f"Charges.{j}", charge)
    return problems


def _period_problems(where: str, part: Any) -> list[str]:
    start, end = part.interval_start, part.interval_end
    if start is not None and end is not None and end < start:
        return [f"{where}.IntervalEnd: {end.isoformat()} is before IntervalStart {start.isoformat()}"]
    return []


def parse_delivery(name: str, data: bytes) -> ParsedDelivery:
    """Read one delivery file into lake rows; bad statements are rejected with a reason, never fatal."""
    document = _decode(name, data)
    parsed = ParsedDelivery(
        file_name=name,
        delivery_id=_lenient(to_text, document.get("deliveryId")),
        customer_id=_lenient(to_text, document.get("customerId")),
        delivered_at=_lenient(to_timestamp, document.get("createdDate")),
    )
    seen: set[str] = set()
    for raw in document["statements"]:
        raw_id = raw.get("StatementId") if isinstance(raw, dict) else None
        raw_id = _lenient(to_text, raw_id) if isinstance(raw_id, (str, int)) else None
        if not isinstance(raw, dict):
            parsed.rejected.append(RejectedStatement(raw, f"statement is not a JSON object (got {type(raw).__name__})"))
            continue
        try:
            statement = Statement.model_validate(raw)
        except ValidationError as exc:
            parsed.rejected.append(RejectedStatement(raw, describe_validation_error(exc), raw_id))
            continue
        problems = _problems(statement)
        if not problems and statement.statement_id in seen:
            problems.append(f"StatementId: {statement.statement_id!r} appears more than once in this delivery")
        if problems:
            parsed.rejected.append(RejectedStatement(raw, "; ".join(problems), raw_id))
            continue
        seen.add(statement.statement_id)  # type: ignore[arg-type]
        _add_rows(parsed, statement)
    return parsed


def _add_rows(parsed: ParsedDelivery, statement: Statement) -> None:
    account = statement.account
    assert account is not None and statement.statement_id is not None
    sid = statement.statement_id
    parsed.statements.append({
        "statement_id": sid, "delivery_file": parsed.file_name, "delivered_at": parsed.delivered_at,
        "provider_alias": account.provider_alias, "account_number": account.account_number,
        "normalized_account_number": normalize_number(account.account_number),
        "statement_type": (account.statement_type or "bill").lower(),
        "statement_date": account.statement_date, "interval_start": account.interval_start,
        "interval_end": account.interval_end, "due_date": account.due_date, "currency": account.currency,
        "total_bill_amount": account.total_bill_amount, "amount_due": account.amount_due,
        "new_charges": account.new_charges, "outstanding_balance": account.outstanding_balance,
        "previous_balance": account.previous_balance,
    })
    meters: dict[str, dict] = {}
    usage_line = charge_line = 0

    def charge_row(charge: Charge, number: str | None, normalized: str | None,
                   start: date | None, end: date | None) -> dict:
        return {"statement_id": sid, "line_number": charge_line, "meter_number": number,
                "normalized_meter_number": normalized, "charge_actual_name": charge.charge_actual_name,
                "charge_amount": charge.charge_amount, "charge_units_used": charge.charge_units_used,
                "charge_rate_per_unit": charge.charge_rate_per_unit, "usage_unit": charge.usage_unit,
                "interval_start": charge.interval_start or start, "interval_end": charge.interval_end or end}

    for meter in statement.meters:
        number = meter.meter_number
        normalized = normalize_number(number)
        assert normalized is not None
        start = meter.interval_start or account.interval_start
        end = meter.interval_end or account.interval_end
        row = meters.get(normalized)
        if row is None:
            meters[normalized] = {
                "statement_id": sid, "meter_number": number, "normalized_meter_number": normalized,
                "service_type": meter.service_type, "tariff": meter.tariff, "pod_id": meter.pod_id,
                "interval_start": start, "interval_end": end,
            }
        else:  # the same meter listed again: one row, its period covering both
            row["interval_start"] = min((d for d in (row["interval_start"], start) if d), default=None)
            row["interval_end"] = max((d for d in (row["interval_end"], end) if d), default=None)
        for usage in meter.usages:
            usage_line += 1
            parsed.usages.append({
                "statement_id": sid, "line_number": usage_line, "meter_number": number,
                "normalized_meter_number": normalized, "measurement_type": usage.measurement_type,
                "energy_unit": usage.energy_unit, "usage_amount": usage.usage_amount,
                "rate_component": usage.rate_component, "interval_start": usage.interval_start or start,
                "interval_end": usage.interval_end or end,
            })
        for charge in meter.charges:
            charge_line += 1
            parsed.charges.append(charge_row(charge, number, normalized, start, end))
    for charge in statement.charges:
        charge_line += 1
        parsed.charges.append(charge_row(charge, None, None, account.interval_start, account.interval_end))
    parsed.statement_meters.extend(meters.values())

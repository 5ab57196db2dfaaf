"""Deterministic statement deliveries for the sandbox dataset (format: connectors/urjanet/deliveries.py).

    build_deliveries(dataset) -> SandboxDeliveries       # files + the ids of the special statements
    generate_deliveries(dataset) -> [(name, bytes)]      # just the files
    write_deliveries(dataset, folder) / upload_deliveries(dataset, "s3://bucket/prefix")

Fixed assumptions (seeded from dataset.seed, so the same dataset gives the same bytes):
* Accounts whose enrollmentStatus starts with SUCCESSFUL get one bill a month, on a fixed day (1-28)
  per account, from firstExtractDate to lastSuccessfulExtraction (at most dataset.months bills, the
  latest kept); accounts with pullHistory also get the HISTORY_MONTHS (18) months of bills before
  their creation, as Urjanet's history pull delivers them. The service period is the calendar month before the statement date; due 21 days later.
* Each meter of the account has a general_consumption usage (kWh for ELECTRIC, therms for GAS,
  gallons for WATER/SEWER), some electric meters a demand usage (kW); 2-4 charges per meter, plus
  one account-level charge ("Customer Charge", or "Late Payment Fee" after a partly paid bill).
* NewCharges = sum of the charges; OutstandingBalance = PreviousBalance - payments; TotalBillAmount =
  AmountDue = NewCharges + OutstandingBalance. Each account's latest bill is fully paid up and
  totals the dataset's latestTotalBillAmount (its meter charges are scaled to it).
* Money is written as decimal strings in Account, as JSON numbers in charges; quantities as numbers.
* A statement is delivered 1-5 days after its statement date (never after as_of); one delivery file
  per calendar month of delivery, `YYYY/MM/delivery-YYYY-MM-DD.json`, created (createdDate, 06:00Z)
  on the day of its last statement, so createdDate increases with the files.
* Exactly one re-published statement (same provider, account number and statement date as an
  earlier bill, a new StatementId, one charge a little different) in a later delivery file, and
  exactly one adjustment (StatementType "adjustment", dated 10 days after a bill, a billing
  correction and a usage correction of that bill's service period; the next bill carries it in
  PreviousBalance). Both need an account with at least 4 bills; with none, they are absent (None).
"""

from __future__ import annotations

import os
import random
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import orjson

from ..deliveries import parse_s3_uri
from .generator import UrjanetDataset, provider_by_alias

CENT = Decimal("0.01")
UNITS = {"ELECTRIC": "kWh", "GAS": "therms", "WATER": "gallons", "SEWER": "gallons"}
BASE_USAGE = {"ELECTRIC": (300, 6000), "GAS": (20, 400), "WATER": (1000, 30000), "SEWER": (1000, 30000)}
# usage-priced charge (name, rate range), then fixed charges (name, amount range)
USAGE_CHARGE = {
    "ELECTRIC": ("Energy Charge", (0.07, 0.16)), "GAS": ("Gas Supply Charge", (0.6, 1.4)),
    "WATER": ("Water Usage Charge", (0.004, 0.012)), "SEWER": ("Sewer Usage Charge", (0.005, 0.015)),
}
FIXED_CHARGES = {
    "ELECTRIC": ("Distribution Charge", "Fuel Cost Recovery", "Environmental Surcharge"),
    "GAS": ("Delivery Charge", "Gas Cost Adjustment", "Franchise Fee"),
    "WATER": ("Base Charge", "Infrastructure Fee", "Meter Service Fee"),
    "SEWER": ("Base Charge", "Stormwater Fee", "Infrastructure Fee"),
}


@dataclass
class SandboxDeliveries:
    files: list[tuple[str, bytes]]
    original_statement_id: str | None = None  # the bill that was re-published
    republished_statement_id: str | None = None
    adjustment_statement_id: str | None = None
    statements: int = 0


@dataclass
class _Account:
    account: dict
    provider_name: str
    meters: list[dict]
    bill_dates: list[date]
    rng: random.Random
    profile: list[dict] = field(default_factory=list)  # per meter: base usage, rates, demand


def _money(value: Any) -> Decimal:
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def _num(value: Decimal) -> float | int:
    """A JSON number that reads back as exactly `value` (2 decimals at most)."""
    return int(value) if value == value.to_integral_value() else float(value)


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _day(ms: int | None) -> date | None:
    return None if ms is None else datetime.fromtimestamp(ms / 1000, UTC).date()


HISTORY_MONTHS = 18


def _month_before(day: date) -> tuple[date, date]:
    end = day.replace(day=1) - timedelta(days=1)
    return end.replace(day=1), end


def _bill_dates(first: date, last: date, day: int, months: int) -> list[date]:
    dates = []
    y, m = first.year, first.month
    while (y, m) <= (last.year, last.month):
        candidate = date(y, m, day)
        if first <= candidate <= last:
            dates.append(candidate)
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return dates[-months:]


def _accounts(ds: UrjanetDataset, rng: random.Random) -> list[_Account]:
    meters_of: dict[str, list[dict]] = defaultdict(list)
    for meter in ds.meters.values():
        meters_of[meter["utilityAccount"]["id"]].append(meter)
    providers = provider_by_alias(ds)
    plans = []
    for account in ds.accounts.values():
        if not str(account.get("enrollmentStatus") or "").startswith("SUCCESSFUL"):
            continue
        own = random.Random(f"{rng.getrandbits(64)}")  # one stream per account: stable if others change
        first, last = _day(account.get("firstExtractDate")), _day(account.get("lastSuccessfulExtraction"))
        if first is None or last is None:
            continue
        history = 0
        if account.get("pullHistory"):  # Urjanet also fetches the statements from before enrollment
            history = HISTORY_MONTHS
            created = _day(account.get("created")) or first
            first = min(first, created - timedelta(days=31 * HISTORY_MONTHS))
        alias = account["utilityProvider"]["naturalKey"]
        plan = _Account(account, providers[alias]["providerName"] if alias in providers else alias,
                        meters_of.get(account["id"], []), _bill_dates(first, last, own.randint(1, 28), ds.months + history), own)
        for meter in plan.meters:
            kind = meter["serviceType"] if meter["serviceType"] in UNITS else "ELECTRIC"
            low, high = BASE_USAGE[kind]
            rate_low, rate_high = USAGE_CHARGE[kind][1]
            plan.profile.append({
                "kind": kind, "base": own.uniform(low, high), "rate": round(own.uniform(rate_low, rate_high), 5),
                "demand": kind == "ELECTRIC" and own.random() < 0.4,
                "fixed": own.sample(FIXED_CHARGES[kind], own.randint(1, 2)),  # + usage (+ demand): 2-4 charges
                "pod": f"POD{own.randrange(10**9, 10**10)}" if kind == "ELECTRIC" and own.random() < 0.5 else None,
            })
        plans.append(plan)
    return plans


def _meter_lines(plan: _Account, bill_day: date) -> list[dict]:
    rng = plan.rng
    start, end = _month_before(bill_day)
    meters = []
    for meter, profile in zip(plan.meters, plan.profile):
        kind = profile["kind"]
        season = 1 + 0.25 * (1 if start.month in (1, 2, 7, 8, 12) else -0.2 if start.month in (4, 5, 10) else 0)
        usage = _money(profile["base"] * season * rng.uniform(0.85, 1.15))
        rate = Decimal(str(profile["rate"]))
        usages = [{"MeasurementType": "general_consumption", "EnergyUnit": UNITS[kind], "UsageAmount": _num(usage),
                   "RateComponent": "[total]"}]
        charges = [{"ChargeActualName": USAGE_CHARGE[kind][0], "ChargeAmount": _money(usage * rate),
                    "ChargeUnitsUsed": _num(usage), "ChargeRatePerUnit": float(rate), "UsageUnit": UNITS[kind]}]
        if profile["demand"]:
            demand = _money(float(usage) / 730 * rng.uniform(1.5, 3.0))
            demand_rate = Decimal("9.50")
            usages.append({"MeasurementType": "demand", "EnergyUnit": "kW", "UsageAmount": _num(demand),
                           "RateComponent": "[peak]"})
            charges.append({"ChargeActualName": "Demand Charge", "ChargeAmount": _money(demand * demand_rate),
                            "ChargeUnitsUsed": _num(demand), "ChargeRatePerUnit": float(demand_rate),
                            "UsageUnit": "kW"})
        for name in profile["fixed"]:
            charges.append({"ChargeActualName": name, "ChargeAmount": _money(rng.uniform(4, 40)),
                            "ChargeUnitsUsed": None, "ChargeRatePerUnit": None, "UsageUnit": None})
        meters.append({"MeterNumber": meter["meterNumber"], "ServiceType": meter["serviceType"],
                       "Tariff": meter.get("tariff"), "PODid": profile["pod"], "IntervalStart": start.isoformat(),
                       "IntervalEnd": end.isoformat(), "Usages": usages, "Charges": charges})
    return meters


def _scale_to(meters: list[dict], target: Decimal) -> None:
    """Scale the meter charges so they sum to `target` (the rounding residue goes to the largest)."""
    lines = [c for m in meters for c in m["Charges"]]
    current = sum((c["ChargeAmount"] for c in lines), Decimal(0))
    if not lines or current <= 0 or target <= 0:
        return
    factor = target / current
    for charge in lines:
        charge["ChargeAmount"] = _money(charge["ChargeAmount"] * factor)
        if charge["ChargeUnitsUsed"]:
            charge["ChargeRatePerUnit"] = float((charge["ChargeAmount"] / Decimal(str(charge["ChargeUnitsUsed"])))
                                                .quantize(Decimal("0.000001")))
    largest = max(lines, key=lambda c: c["ChargeAmount"])
    largest["ChargeAmount"] += target - sum((c["ChargeAmount"] for c in lines), Decimal(0))


def _statement(statement_id: str, plan: _Account, day: date, kind: str, start: date, end: date,
               meters: list[dict], account_charges: list[dict], previous: Decimal, paid: Decimal) -> dict:
    new_charges = sum((c["ChargeAmount"] for m in meters for c in m["Charges"]), Decimal(0)) + \
        sum((c["ChargeAmount"] for c in account_charges), Decimal(0))
    outstanding = previous - paid
    total = new_charges + outstanding
    account = plan.account
    return {
        "StatementId": statement_id,
        "Account": {
            "AccountNumber": account["accountNumber"], "ProviderAlias": account["utilityProvider"]["naturalKey"],
            "ProviderName": plan.provider_name, "StatementDate": day.isoformat(),
            "DueDate": (day + timedelta(days=21)).isoformat(), "IntervalStart": start.isoformat(),
            "IntervalEnd": end.isoformat(), "TotalBillAmount": str(total), "AmountDue": str(total),
            "NewCharges": str(new_charges), "OutstandingBalance": str(outstanding), "PreviousBalance": str(previous),
            "StatementType": kind, "Currency": "USD",
        },
        "Meters": meters,
        "Charges": account_charges,
    }


def _delivery_day(day: date, rng: random.Random, as_of: date) -> date:
    return min(day + timedelta(days=rng.randint(1, 5)), as_of)


def build_deliveries(dataset: UrjanetDataset) -> SandboxDeliveries:
    rng = random.Random(f"urjanet-deliveries-{dataset.seed}")
    plans = _accounts(dataset, rng)
    eligible = [p for p in plans if len(p.bill_dates) >= 4]
    republish_plan = rng.choice(eligible) if eligible else None
    others = [p for p in eligible if p is not republish_plan]
    adjust_plan = rng.choice(others) if others else republish_plan
    republish_at = rng.randrange(1, len(republish_plan.bill_dates) - 2) if republish_plan else -1
    adjust_at = rng.randrange(1, len(adjust_plan.bill_dates) - 1) if adjust_plan else -1
    if adjust_plan is republish_plan and adjust_at == republish_at:
        adjust_at -= 1  # keep the re-published bill's chain simple: never the adjusted one too
    result = SandboxDeliveries(files=[])
    delivered: list[tuple[date, dict]] = []
    republish: tuple[dict, date] | None = None

    for plan in plans:
        prng = plan.rng
        balance = Decimal(0)
        late = False
        for i, day in enumerate(plan.bill_dates):
            last = i == len(plan.bill_dates) - 1
            start, end = _month_before(day)
            meters = _meter_lines(plan, day)
            # paid in full, except now and then (a late payment fee follows); the latest bill is paid up
            paid = balance if last or prng.random() < 0.9 else _money(balance * Decimal(prng.uniform(0.3, 0.8)))
            fee_name = "Late Payment Fee" if late else "Customer Charge"
            fee = _money(prng.uniform(5, 15)) if late else _money(prng.uniform(8, 25))
            account_charges = [{"ChargeActualName": fee_name, "ChargeAmount": fee, "ChargeUnitsUsed": None,
                                "ChargeRatePerUnit": None, "UsageUnit": None}]
            if last and plan.account.get("latestTotalBillAmount") is not None:
                _scale_to(meters, _money(plan.account["latestTotalBillAmount"]) - fee)
            bill = _statement(_uuid(prng), plan, day, "bill", start, end, meters, account_charges, balance, paid)
            late = paid < balance
            balance = Decimal(bill["Account"]["TotalBillAmount"])
            delivered_on = _delivery_day(day, prng, dataset.as_of)
            delivered.append((delivered_on, bill))
            if plan is republish_plan and i == republish_at:
                republish = (bill, delivered_on)
            if plan is adjust_plan and i == adjust_at:
                adjustment, balance = _adjustment(plan, bill, day + timedelta(days=10), balance)
                result.adjustment_statement_id = adjustment["StatementId"]
                delivered.append((_delivery_day(day + timedelta(days=10), prng, dataset.as_of), adjustment))

    if republish is not None:
        original, delivered_on = republish
        copy = orjson.loads(orjson.dumps(original, default=str))
        copy["StatementId"] = _uuid(rng)
        lines = [c for m in copy["Meters"] for c in m["Charges"]] + copy["Charges"]
        for line in lines:
            line["ChargeAmount"] = Decimal(line["ChargeAmount"])
        lines[0]["ChargeAmount"] += _money(rng.uniform(0.5, 9.5))  # the corrected charge
        account = copy["Account"]
        new_charges = sum((c["ChargeAmount"] for c in lines), Decimal(0))
        total = new_charges + Decimal(account["OutstandingBalance"])
        account.update(NewCharges=str(new_charges), TotalBillAmount=str(total), AmountDue=str(total))
        next_month = (delivered_on.replace(day=1) + timedelta(days=32)).replace(day=1)
        delivered.append((min(next_month + timedelta(days=rng.randint(0, 20)), dataset.as_of), copy))
        result.original_statement_id = original["StatementId"]
        result.republished_statement_id = copy["StatementId"]

    by_month: dict[tuple[int, int], list[tuple[date, dict]]] = defaultdict(list)
    for day, statement in delivered:
        by_month[(day.year, day.month)].append((day, statement))
    for month in sorted(by_month):
        items = sorted(by_month[month], key=lambda item: (item[0], item[1]["Account"]["StatementDate"],
                                                          item[1]["Account"]["AccountNumber"], item[1]["StatementId"]))
        created = max(day for day, _ in items)
        document = {
            "deliveryId": f"DLV-{created:%Y%m%d}-{rng.getrandbits(32):08x}", "customerId": dataset.customer_id,
            "createdDate": datetime.combine(created, time(6), tzinfo=UTC).isoformat().replace("+00:00", "Z"),
            "statements": [statement for _, statement in items],
        }
        name = f"{created:%Y/%m}/delivery-{created:%Y-%m-%d}.json"
        result.files.append((name, orjson.dumps(document, default=_json_default)))
        result.statements += len(items)
    return result


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return _num(value)
    raise TypeError(f"cannot write {type(value).__name__}")


def _adjustment(plan: _Account, bill: dict, day: date, balance: Decimal) -> tuple[dict, Decimal]:
    """A correction of `bill`: a usage correction on its first meter and a billing correction."""
    rng = plan.rng
    start = date.fromisoformat(bill["Account"]["IntervalStart"])
    end = date.fromisoformat(bill["Account"]["IntervalEnd"])
    meters = []
    if bill["Meters"]:
        meter = bill["Meters"][0]
        usage = meter["Usages"][0]
        charge = meter["Charges"][0]
        share = Decimal(str(rng.choice((-1, 1)) * round(rng.uniform(0.03, 0.12), 3)))
        usage_fix = _money(Decimal(str(usage["UsageAmount"])) * share)
        amount_fix = _money(charge["ChargeAmount"] * share)
        if amount_fix == 0:
            amount_fix = CENT if share > 0 else -CENT
        meters.append({
            "MeterNumber": meter["MeterNumber"], "ServiceType": meter["ServiceType"], "Tariff": meter["Tariff"],
            "PODid": meter["PODid"], "IntervalStart": meter["IntervalStart"], "IntervalEnd": meter["IntervalEnd"],
            "Usages": [{**usage, "UsageAmount": _num(usage_fix)}],
            "Charges": [{"ChargeActualName": "Billing Correction", "ChargeAmount": amount_fix,
                         "ChargeUnitsUsed": _num(usage_fix), "ChargeRatePerUnit": charge["ChargeRatePerUnit"],
                         "UsageUnit": charge["UsageUnit"]}],
        })
        account_charges: list[dict] = []
    else:
        account_charges = [{"ChargeActualName": "Billing Correction", "ChargeAmount": -_money(rng.uniform(1, 20)),
                            "ChargeUnitsUsed": None, "ChargeRatePerUnit": None, "UsageUnit": None}]
    statement = _statement(_uuid(rng), plan, day, "adjustment", start, end, meters, account_charges, balance,
                           paid=Decimal(0))
    return statement, Decimal(statement["Account"]["TotalBillAmount"])


def generate_deliveries(dataset: UrjanetDataset) -> list[tuple[str, bytes]]:
    return build_deliveries(dataset).files


def special_statements(dataset: UrjanetDataset) -> dict[str, str | None]:
    """{"original", "republished", "adjustment"}: the statement ids tests look for."""
    built = build_deliveries(dataset)
    return {"original": built.original_statement_id, "republished": built.republished_statement_id,
            "adjustment": built.adjustment_statement_id}


def write_deliveries(dataset: UrjanetDataset, folder: str | os.PathLike) -> list[Path]:
    """Write the files under `folder` (atomically; an unchanged file is left alone, so its
    size+mtime fingerprint stays the same)."""
    root = Path(folder)
    paths = []
    for name, data in generate_deliveries(dataset):
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if not (path.is_file() and path.stat().st_size == len(data) and path.read_bytes() == data):
            tmp = path.parent / f".{path.name}.{uuid.uuid4().hex}.tmp"
            try:
                tmp.write_bytes(data)
                os.replace(tmp, path)
            except BaseException:
                tmp.unlink(missing_ok=True)
                raise
        paths.append(path)
    return paths


def upload_deliveries(dataset: UrjanetDataset, s3_uri: str, client: Any | None = None) -> list[str]:
    """Put the files under an S3 prefix; returns their s3:// URIs."""
    bucket, prefix = parse_s3_uri(s3_uri)
    if client is None:
        import boto3

        client = boto3.client("s3")
    uris = []
    for name, data in generate_deliveries(dataset):
        client.put_object(Bucket=bucket, Key=prefix + name, Body=data, ContentType="application/json")
        uris.append(f"s3://{bucket}/{prefix}{name}")
    return uris

"""The unlock and history-window policy: one pure module, used by ingestion and by dbt.

Rules (Bayou's company settings, generalised to every vendor):

* A customer's *link date* is the UTC calendar date on which it linked its utility account.
* A bill is *historical* when its statement date is before the link date, *ongoing* otherwise.
* A historical bill is in policy when history is ``all``, or a number N and the statement date
  is on or after the link date minus N calendar months (day clamped to the month's end).
  History ``none`` (or 0) admits no historical bill.
* An ongoing bill is in policy when ``continuous`` is true.
* A per-bill unlock puts that bill in policy whatever the rest says.
* Interval readings follow the same rule on their start time, with the link date taken as
  midnight UTC.

The rules are *compiled* per customer into date windows (start inclusive, end exclusive,
None = unbounded). Ingestion asks the compiled policy; the `policy` asset writes the same
windows to the lake, and dbt only joins to them, so the rules exist once.
"""

from __future__ import annotations

import calendar
import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any, Literal

import pyarrow as pa
import yaml

History = Literal["all", "none"] | int

TOP_LEVEL_KEYS = {"default", "customers", "unlocked_bills"}
DEFAULT_KEYS = {"history", "continuous"}
CUSTOMER_KEYS = {"vendor", "customer_id", "history", "continuous"}
UNLOCK_KEYS = {"vendor", "bill_id"}


class PolicyError(ValueError):
    """The policy file is malformed; the message names the bad key or value."""


@dataclass(frozen=True)
class Rule:
    history: History
    continuous: bool


@dataclass(frozen=True)
class CustomerOverride:
    history: History | None = None
    continuous: bool | None = None


@dataclass(frozen=True)
class Policy:
    default: Rule = Rule(history=12, continuous=True)
    customers: Mapping[tuple[str, str], CustomerOverride] = field(default_factory=dict)
    unlocked_bills: frozenset[tuple[str, str]] = frozenset()
    sha256: str = ""

    def rule_for(self, vendor: str, customer_id: str) -> Rule:
        override = self.customers.get((vendor, str(customer_id)))
        if override is None:
            return self.default
        return Rule(
            history=self.default.history if override.history is None else override.history,
            continuous=self.default.continuous if override.continuous is None else override.continuous,
        )

    def is_bill_unlocked(self, vendor: str, bill_id: str) -> bool:
        return (vendor, str(bill_id)) in self.unlocked_bills


# -- parsing -------------------------------------------------------------------------------


def load_policy(path: str | Path, known_vendors: Iterable[str] | None = None) -> Policy:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PolicyError(f"policy file {path} does not exist (set UTILITY_POLICY_FILE)") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise PolicyError(f"policy file {path} is not valid YAML: {exc}") from None
    return parse_policy(data, source=str(path), known_vendors=known_vendors, raw=text.encode())


def parse_policy(
    data: Any, *, source: str = "policy", known_vendors: Iterable[str] | None = None, raw: bytes | None = None
) -> Policy:
    vendors = frozenset(known_vendors) if known_vendors is not None else None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise PolicyError(f"{source}: the top level must be a mapping with keys {sorted(TOP_LEVEL_KEYS)}")
    _reject_unknown(data, TOP_LEVEL_KEYS, source)

    default_raw = data.get("default") or {}
    if not isinstance(default_raw, dict):
        raise PolicyError(f"{source}: 'default' must be a mapping with keys history and continuous")
    _reject_unknown(default_raw, DEFAULT_KEYS, f"{source}: default")
    default = Rule(
        history=_history(default_raw.get("history", 12), f"{source}: default.history"),
        continuous=_boolean(default_raw.get("continuous", True), f"{source}: default.continuous"),
    )

    customers: dict[tuple[str, str], CustomerOverride] = {}
    for i, entry in enumerate(_list(data.get("customers"), f"{source}: customers")):
        where = f"{source}: customers[{i}]"
        if not isinstance(entry, dict):
            raise PolicyError(f"{where} must be a mapping with keys {sorted(CUSTOMER_KEYS)}")
        _reject_unknown(entry, CUSTOMER_KEYS, where)
        vendor = _vendor(entry, where, vendors)
        customer_id = _identifier(entry, "customer_id", where)
        if (vendor, customer_id) in customers:
            raise PolicyError(f"{where}: customer_id {customer_id!r} of vendor {vendor!r} is listed twice")
        customers[(vendor, customer_id)] = CustomerOverride(
            history=_history(entry["history"], f"{where}.history") if "history" in entry else None,
            continuous=_boolean(entry["continuous"], f"{where}.continuous") if "continuous" in entry else None,
        )

    unlocked: set[tuple[str, str]] = set()
    for i, entry in enumerate(_list(data.get("unlocked_bills"), f"{source}: unlocked_bills")):
        where = f"{source}: unlocked_bills[{i}]"
        if not isinstance(entry, dict):
            raise PolicyError(f"{where} must be a mapping with keys {sorted(UNLOCK_KEYS)}")
        _reject_unknown(entry, UNLOCK_KEYS, where)
        unlocked.add((_vendor(entry, where, vendors), _identifier(entry, "bill_id", where)))

    digest_source = raw if raw is not None else yaml.safe_dump(data, sort_keys=True).encode()
    return Policy(
        default=default,
        customers=customers,
        unlocked_bills=frozenset(unlocked),
        sha256=hashlib.sha256(digest_source).hexdigest(),
    )


def _reject_unknown(mapping: dict, allowed: set[str], where: str) -> None:
    unknown = sorted(str(k) for k in mapping if k not in allowed)
    if unknown:
        raise PolicyError(f"{where}: unknown key {unknown[0]!r} (allowed: {', '.join(sorted(allowed))})")


def _list(value: Any, where: str) -> list:
    if value is None:
        return []
    if not isinstance(value, list):
        raise PolicyError(f"{where} must be a list, got {type(value).__name__}")
    return value


def _history(value: Any, where: str) -> History:
    if isinstance(value, bool):
        raise PolicyError(f"{where}: {value!r} is not valid; use all, none or a whole number of months")
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in ("all", "none"):
            return lowered  # type: ignore[return-value]
        if lowered.isdigit():
            return int(lowered)
        raise PolicyError(f"{where}: {value!r} is not valid; use all, none or a whole number of months")
    if isinstance(value, int):
        if value < 0:
            raise PolicyError(f"{where}: {value} is negative; use all, none or a whole number of months")
        return value
    raise PolicyError(f"{where}: {value!r} is not valid; use all, none or a whole number of months")


def _boolean(value: Any, where: str) -> bool:
    if isinstance(value, bool):
        return value
    raise PolicyError(f"{where}: {value!r} is not valid; use true or false")


def _vendor(entry: dict, where: str, vendors: frozenset[str] | None) -> str:
    if "vendor" not in entry:
        raise PolicyError(f"{where}: missing key 'vendor'")
    vendor = entry["vendor"]
    if not isinstance(vendor, str) or not vendor.strip():
        raise PolicyError(f"{where}.vendor: {vendor!r} is not a vendor name")
    vendor = vendor.strip().lower()
    if vendors is not None and vendor not in vendors:
        raise PolicyError(f"{where}.vendor: unknown vendor {vendor!r} (known: {', '.join(sorted(vendors))})")
    return vendor


def _identifier(entry: dict, key: str, where: str) -> str:
    if key not in entry:
        raise PolicyError(f"{where}: missing key {key!r}")
    value = entry[key]
    if isinstance(value, bool) or not isinstance(value, (str, int)) or str(value).strip() == "":
        raise PolicyError(f"{where}.{key}: {value!r} is not an identifier")
    return str(value).strip()


# -- windows -------------------------------------------------------------------------------


def subtract_months(day: date, months: int) -> date:
    """Calendar months back, the day clamped to the target month's length (Mar 31 - 1 = Feb 28/29)."""
    index = day.year * 12 + (day.month - 1) - months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def midnight_utc(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


@dataclass(frozen=True)
class Window:
    kind: Literal["history", "ongoing"]
    starts_on: date | None
    ends_on: date | None

    def contains_date(self, day: date) -> bool:
        return (self.starts_on is None or day >= self.starts_on) and (self.ends_on is None or day < self.ends_on)

    def contains_time(self, moment: datetime) -> bool:
        if moment.tzinfo is None:
            raise ValueError("policy times must be timezone-aware")
        return (self.starts_on is None or moment >= midnight_utc(self.starts_on)) and (
            self.ends_on is None or moment < midnight_utc(self.ends_on)
        )


def windows_for(link_date: date, rule: Rule) -> tuple[Window, ...]:
    windows: list[Window] = []
    history = rule.history
    if history == "all":
        windows.append(Window("history", None, link_date))
    elif isinstance(history, int) and history > 0:
        windows.append(Window("history", subtract_months(link_date, history), link_date))
    if rule.continuous:
        windows.append(Window("ongoing", link_date, None))
    return tuple(windows)


@dataclass(frozen=True)
class CustomerLink:
    """When a customer linked its utility account, and which field said so."""

    vendor: str
    customer_id: str
    linked_at: datetime
    source: str


@dataclass(frozen=True)
class CustomerPolicy:
    vendor: str
    customer_id: str
    linked_at: datetime
    link_source: str
    rule: Rule
    windows: tuple[Window, ...]

    def covers_date(self, day: date) -> bool:
        return any(w.contains_date(day) for w in self.windows)

    def covers_time(self, moment: datetime) -> bool:
        return any(w.contains_time(moment) for w in self.windows)


@dataclass(frozen=True)
class Decision:
    in_policy: bool
    reason: str


class CompiledPolicy:
    """The policy applied to known customers: what ingestion asks and what dbt joins to."""

    def __init__(self, policy: Policy, customers: Mapping[tuple[str, str], CustomerPolicy]) -> None:
        self.policy = policy
        self.customers = dict(customers)

    def customer(self, vendor: str, customer_id: str) -> CustomerPolicy | None:
        return self.customers.get((vendor, str(customer_id)))

    def bill_decision(self, vendor: str, customer_id: str, bill_id: str, statement_date: date | None) -> Decision:
        if self.policy.is_bill_unlocked(vendor, bill_id):
            return Decision(True, "unlocked_bills entry")
        customer = self.customer(vendor, customer_id)
        if customer is None:
            return Decision(False, "customer unknown to the policy")
        if statement_date is None:
            return Decision(False, "no statement date")
        for window in customer.windows:
            if window.contains_date(statement_date):
                return Decision(True, f"{window.kind} window")
        historical = statement_date < customer.linked_at.date()
        if historical:
            return Decision(False, f"historical, outside history={customer.rule.history}")
        return Decision(False, "ongoing, continuous=false")

    def windows(self, vendor: str, customer_id: str) -> tuple[Window, ...]:
        customer = self.customer(vendor, customer_id)
        return customer.windows if customer else ()

    # -- the tables dbt reads --------------------------------------------------------------

    def to_tables(self) -> dict[str, pa.Table]:
        rows = sorted(self.customers.values(), key=lambda c: (c.vendor, c.customer_id))
        customer_policies = pa.Table.from_pylist(
            [
                {
                    "vendor": c.vendor,
                    "vendor_customer_id": c.customer_id,
                    "linked_at": c.linked_at,
                    "link_source": c.link_source,
                    "history": str(c.rule.history),
                    "continuous": c.rule.continuous,
                    "policy_sha256": self.policy.sha256,
                }
                for c in rows
            ],
            schema=CUSTOMER_POLICIES_SCHEMA,
        )
        policy_windows = pa.Table.from_pylist(
            [
                {
                    "vendor": c.vendor,
                    "vendor_customer_id": c.customer_id,
                    "window_kind": w.kind,
                    "starts_on": w.starts_on,
                    "ends_on": w.ends_on,
                    "starts_at": midnight_utc(w.starts_on) if w.starts_on else None,
                    "ends_at": midnight_utc(w.ends_on) if w.ends_on else None,
                }
                for c in rows
                for w in c.windows
            ],
            schema=POLICY_WINDOWS_SCHEMA,
        )
        unlocked_bills = pa.Table.from_pylist(
            [{"vendor": v, "vendor_bill_id": b} for v, b in sorted(self.policy.unlocked_bills)],
            schema=UNLOCKED_BILLS_SCHEMA,
        )
        return {
            "customer_policies": customer_policies,
            "policy_windows": policy_windows,
            "unlocked_bills": unlocked_bills,
        }


def compile_policy(policy: Policy, links: Iterable[CustomerLink]) -> CompiledPolicy:
    customers: dict[tuple[str, str], CustomerPolicy] = {}
    for link in links:
        if link.linked_at.tzinfo is None:
            raise ValueError(f"{link.vendor} customer {link.customer_id}: linked_at must be timezone-aware")
        linked_at = link.linked_at.astimezone(UTC)
        rule = policy.rule_for(link.vendor, link.customer_id)
        customers[(link.vendor, link.customer_id)] = CustomerPolicy(
            vendor=link.vendor,
            customer_id=link.customer_id,
            linked_at=linked_at,
            link_source=link.source,
            rule=rule,
            windows=windows_for(linked_at.date(), rule),
        )
    return CompiledPolicy(policy, customers)


_TS = pa.timestamp("us", tz="UTC")
CUSTOMER_POLICIES_SCHEMA = pa.schema(
    [
        ("vendor", pa.string()),
        ("vendor_customer_id", pa.string()),
        ("linked_at", _TS),
        ("link_source", pa.string()),
        ("history", pa.string()),
        ("continuous", pa.bool_()),
        ("policy_sha256", pa.string()),
    ]
)
POLICY_WINDOWS_SCHEMA = pa.schema(
    [
        ("vendor", pa.string()),
        ("vendor_customer_id", pa.string()),
        ("window_kind", pa.string()),
        ("starts_on", pa.date32()),
        ("ends_on", pa.date32()),
        ("starts_at", _TS),
        ("ends_at", _TS),
    ]
)
UNLOCKED_BILLS_SCHEMA = pa.schema([("vendor", pa.string()), ("vendor_bill_id", pa.string())])
POLICY_SCHEMAS = {
    "customer_policies": CUSTOMER_POLICIES_SCHEMA,
    "policy_windows": POLICY_WINDOWS_SCHEMA,
    "unlocked_bills": UNLOCKED_BILLS_SCHEMA,
}

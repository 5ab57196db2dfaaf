"""Tolerant field types shared by vendor record models.

Vendors are loose with types (numbers as strings, ids as ints or strings, ISO timestamps
with or without a zone). These validators accept every spelling we have seen and reject the
rest with a message that names the value, so the record can be quarantined with a reason.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from dataclasses import dataclass
from collections.abc import Callable
from typing import Annotated, Any, Generic, TypeVar

import orjson
from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError

MIN_YEAR = 1900  # year 0001 and other placeholder dates are errors, not data

# Plausibility limits (docs/reliability.md, "Bad input"). A value beyond them is
# a unit or parsing accident, never a meter: the record is quarantined with the field named.
# One interval reading: 1 GWh is a 4 GW draw for 15 minutes, more than a power plant's meter.
MAX_READING_KWH = Decimal(1_000_000)
MAX_READING_THERMS = Decimal(100_000)  # about 2.9 GWh of gas in one reading
MAX_DEMAND_KW = Decimal(1_000_000)  # 1 GW of demand
# One bill's quantity, in the vendor's unit (kWh, therms, ccf, gallons): 1e9 is beyond any site's
# month (a 100 MW plant uses 72 GWh = 7.2e7 kWh a month).
MAX_BILL_QUANTITY = Decimal(1_000_000_000)


def to_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError(f"expected text or a number, got boolean {value!r}")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        raise ValueError(f"expected an identifier, got {value!r}")
    if isinstance(value, str):
        value = value.strip()
        return value or None
    raise ValueError(f"expected text, got {type(value).__name__}")


def to_decimal(value: Any) -> Decimal | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise ValueError(f"expected a number, got boolean {value!r}")
    if isinstance(value, (int, float, str)):
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation:
            raise ValueError(f"expected a number, got {value!r}") from None
        if not number.is_finite():
            raise ValueError(f"expected a finite number, got {value!r}")
        return number
    raise ValueError(f"expected a number, got {type(value).__name__}")


def to_whole(value: Any) -> int | None:
    number = to_decimal(value)
    if number is None:
        return None
    if number != number.to_integral_value():
        raise ValueError(f"expected a whole number, got {value!r}")
    return int(number)


def to_float(value: Any) -> float | None:
    number = to_decimal(value)
    return None if number is None else float(number)


def to_date(value: Any) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        parsed = value.date()
    elif isinstance(value, date):
        parsed = value
    elif isinstance(value, str):
        text = value.strip()
        try:
            parsed = date.fromisoformat(text[:10])
        except ValueError:
            raise ValueError(f"expected an ISO date, got {value!r}") from None
    else:
        raise ValueError(f"expected an ISO date, got {type(value).__name__}")
    if parsed.year < MIN_YEAR:
        raise ValueError(f"implausible date {value!r}")
    return parsed


def to_timestamp(value: Any) -> datetime | None:
    """ISO 8601 to an aware UTC datetime; a value without a zone is taken as UTC."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str):
        text = value.strip()
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            raise ValueError(f"expected an ISO 8601 timestamp, got {value!r}") from None
    else:
        raise ValueError(f"expected an ISO 8601 timestamp, got {type(value).__name__}")
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    if parsed.year < MIN_YEAR:  # before converting: year 0001 with an offset overflows
        raise ValueError(f"implausible timestamp {value!r}")
    try:
        parsed = parsed.astimezone(UTC)
    except OverflowError:
        raise ValueError(f"implausible timestamp {value!r}") from None
    if parsed.year < MIN_YEAR:
        raise ValueError(f"implausible timestamp {value!r}")
    return parsed


def check_period(start: Any, end: Any, start_name: str, end_name: str) -> None:
    """Raise when a period ends before it starts (dates or timestamps of the same kind)."""
    if start is not None and end is not None and end < start:
        raise ValueError(f"{end_name} {_iso(end)} is before {start_name} {_iso(start)}")


def check_quantity(value: Decimal | float | None, name: str, limit: Decimal, *, may_be_negative: bool,
                   unit: str = "") -> None:
    """Raise when a usage is negative where it cannot be, or beyond the plausibility limit."""
    if value is None:
        return
    unit = f" {unit}" if unit else ""
    if value < 0 and not may_be_negative:
        raise ValueError(f"{name}: negative usage {value}{unit} (only net readings may be negative)")
    if abs(Decimal(str(value))) > limit:
        raise ValueError(f"{name}: implausible usage {value}{unit} (limit {limit:,}{unit})")


def _iso(value: Any) -> str:
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def to_json_text(value: Any) -> str | None:
    if value is None:
        return None
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()


Text = Annotated[str | None, BeforeValidator(to_text)]
Number = Annotated[Decimal | None, BeforeValidator(to_decimal)]
Whole = Annotated[int | None, BeforeValidator(to_whole)]
Day = Annotated[date | None, BeforeValidator(to_date)]
Timestamp = Annotated[datetime | None, BeforeValidator(to_timestamp)]
JsonText = Annotated[str | None, BeforeValidator(to_json_text)]


class VendorRecord(BaseModel):
    """Base for vendor records: unknown fields are tolerated (and can be listed), never fatal."""

    model_config = ConfigDict(extra="allow", frozen=True, populate_by_name=True)

    @property
    def unknown_fields(self) -> list[str]:
        return sorted(self.model_extra or {})


def describe_validation_error(exc: ValidationError) -> str:
    """One line per problem: `billed_on: expected an ISO date, got 'soon'`."""
    parts = []
    for error in exc.errors(include_url=False):
        where = ".".join(str(p) for p in error.get("loc", ()))
        message = error.get("msg", "invalid").removeprefix("Value error, ")
        # A record-level check names its own fields ("gas_consumption: negative usage ...").
        parts.append(f"{where}: {message}" if where else message)
    return "; ".join(parts)


def as_mapping(value: Any, what: str) -> dict:
    if not isinstance(value, dict):
        raise ValueError(f"{what} is not a JSON object (got {type(value).__name__})")
    return value


T = TypeVar("T")


@dataclass
class Rejected:
    raw: Any
    reason: str


@dataclass
class Parsed(Generic[T]):
    records: list[T]
    rejected: list[Rejected]
    raws: list[Any]  # the raw dict of each record, aligned with `records`


def first_of_duplicates(parsed: Parsed[T], key: Callable[[T], Any], what: str, key_name: str) -> Parsed[T]:
    """One answer that names an id twice: the first occurrence lands, an exact repeat is dropped,
    and a later occurrence with different contents is rejected (nothing says which one is right).

    For answers that are one unordered document (a bare array, a delivery file). Paged answers in
    update order keep the latest version instead (a record updated while paging)."""
    first: dict[Any, Any] = {}
    records, raws, rejected = [], [], list(parsed.rejected)
    for record, raw in zip(parsed.records, parsed.raws):
        k = key(record)
        if k in first:
            if raw != first[k]:
                rejected.append(Rejected(raw, f"{key_name}: duplicate {what} id {k!r} with different contents "
                                              f"(the first occurrence in the answer is kept)"))
            continue
        first[k] = raw
        records.append(record)
        raws.append(raw)
    return Parsed(records, rejected, raws)


def parse_records(raws: Any, model: type[T], what: str) -> Parsed[T]:
    if not isinstance(raws, list):
        raise ValueError(f"expected a JSON array of {what}, got {type(raws).__name__}")
    records, rejected, kept_raws = [], [], []
    for raw in raws:
        if not isinstance(raw, dict):
            rejected.append(Rejected(raw, f"{what} record is not a JSON object"))
            continue
        try:
            records.append(model.model_validate(raw))  # type: ignore[attr-defined]
            kept_raws.append(raw)
        except ValidationError as exc:
            rejected.append(Rejected(raw, describe_validation_error(exc)))
    return Parsed(records, rejected, kept_raws)



"""Tolerant field types shared by vendor record models.

Vendors are loose with types (numbers as strings, ids as ints or strings, ISO timestamps
with or without a zone). These validators accept every spelling we have seen and reject the
rest with a message that names the value, so the record can be quarantined with a reason.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar

import orjson
from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError

MIN_YEAR = 1900  # year 0001 and other placeholder dates are errors, not data


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
    parsed = parsed.astimezone(UTC)
    if parsed.year < MIN_YEAR:
        raise ValueError(f"implausible timestamp {value!r}")
    return parsed


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
        where = ".".join(str(p) for p in error.get("loc", ())) or "record"
        message = error.get("msg", "invalid").removeprefix("Value error, ")
        parts.append(f"{where}: {message}")
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



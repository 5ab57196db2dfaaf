"""Urjanet search criteria (seed Appendix C) as a small immutable builder.

    Query().eq("enrollmentStatus", "PENDING").startswith("accountNumber", "100").sort("accountNumber")

renders to the `queryCriteria` object the search endpoints take:

    {"start": 0, "length": 100, "sorts": [{"field": "accountNumber", "direction": "asc"}],
     "filter": {"conditions": [{"field": "enrollmentStatus", "operator": "eq", "value": "PENDING"}, ...]}}

Every operator of Appendix C has a method. Values are checked against the operator's type (numbers
for gt/lt/gte/lte, booleans for `is`, dates for before/after/on, text for the string operators) and
dates become milliseconds since the epoch, as the API wants. Conditions are combined with AND (the
seed documents no other combinator). Password fields follow the seed's rules: `eq` only, never
sorted on, and only beside at least one non-password condition; their values are registered with
the log redactor.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Any

from ..core.redaction import register_secret

MAX_PAGE_LENGTH = 1000  # the API truncates longer pages to 1000
DEFAULT_PAGE_LENGTH = 100  # what the API uses when no length is given


class Operator(StrEnum):
    EQ = "eq"
    NEQ = "neq"
    NE = "ne"  # alias of neq
    GT = "gt"
    LT = "lt"
    GTE = "gte"
    LTE = "lte"
    INCLUDE = "include"
    INCLUDES = "includes"  # alias of include
    STARTSWITH = "startswith"
    ENDSWITH = "endswith"
    NOTINCLUDE = "notinclude"
    IS = "is"
    BEFORE = "before"
    AFTER = "after"
    ON = "on"
    ISBLANK = "isblank"
    NOTBLANK = "notblank"


NUMBER_OPERATORS = frozenset({Operator.GT, Operator.LT, Operator.GTE, Operator.LTE})
EQUALITY_OPERATORS = frozenset({Operator.EQ, Operator.NEQ, Operator.NE})  # number or string
TEXT_OPERATORS = frozenset({Operator.INCLUDE, Operator.INCLUDES, Operator.STARTSWITH, Operator.ENDSWITH,
                            Operator.NOTINCLUDE})
DATE_OPERATORS = frozenset({Operator.BEFORE, Operator.AFTER, Operator.ON})
VALUELESS_OPERATORS = frozenset({Operator.ISBLANK, Operator.NOTBLANK})
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def epoch_ms(value: datetime | date | int) -> int:
    """A date as milliseconds since the epoch; naive datetimes and dates are taken as UTC."""
    if isinstance(value, bool):
        raise TypeError("expected a date, datetime or epoch milliseconds, got a boolean")
    if isinstance(value, int):
        return value
    if isinstance(value, datetime):
        moment = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    elif isinstance(value, date):
        moment = datetime.combine(value, time.min, tzinfo=UTC)
    else:
        raise TypeError(f"expected a date, datetime or epoch milliseconds, got {type(value).__name__}")
    return (moment - _EPOCH) // timedelta(milliseconds=1)


def is_password_field(name: str) -> bool:
    return name.lower().startswith("password")


@dataclass(frozen=True)
class Condition:
    field: str
    operator: Operator
    value: Any = None

    def __post_init__(self) -> None:
        if not self.field or not isinstance(self.field, str):
            raise ValueError("a condition needs a field name")
        op = Operator(self.operator)  # accepts the plain string too ("startswith")
        object.__setattr__(self, "operator", op)
        object.__setattr__(self, "value", _check_value(self.field, op, self.value))
        if is_password_field(self.field):
            if op is not Operator.EQ:
                raise ValueError(f"{self.field}: password fields only allow 'eq' (seed: credential search)")
            register_secret(self.value if isinstance(self.value, str) else None)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"field": self.field, "operator": self.operator.value}
        if self.operator not in VALUELESS_OPERATORS:
            out["value"] = self.value
        return out

    def __repr__(self) -> str:  # never show a password filter's value
        value = "***" if is_password_field(self.field) else repr(self.value)
        return f"Condition({self.field!r} {self.operator.value} {value})"


@dataclass(frozen=True)
class Sort:
    field: str
    direction: str = "asc"

    def __post_init__(self) -> None:
        if is_password_field(self.field):
            raise ValueError(f"{self.field}: sorting on password fields is not allowed")
        direction = str(self.direction).lower()
        if direction not in ("asc", "desc"):
            raise ValueError(f"sort direction must be 'asc' or 'desc', got {self.direction!r}")
        object.__setattr__(self, "direction", direction)

    def to_json(self) -> dict[str, str]:
        return {"field": self.field, "direction": self.direction}


def _check_value(name: str, op: Operator, value: Any) -> Any:
    if op in VALUELESS_OPERATORS:
        if value is not None:
            raise ValueError(f"{name}: '{op.value}' takes no value")
        return None
    if value is None:
        raise ValueError(f"{name}: '{op.value}' needs a value")
    if op is Operator.IS:
        if not isinstance(value, bool):
            raise ValueError(f"{name}: 'is' compares booleans, got {value!r}")
        return value
    if op in DATE_OPERATORS:
        try:
            return epoch_ms(value)
        except TypeError as exc:
            raise ValueError(f"{name}: '{op.value}' {exc}") from None
    if isinstance(value, bool):
        raise ValueError(f"{name}: '{op.value}' does not compare booleans (use 'is')")
    if op in NUMBER_OPERATORS:
        if not isinstance(value, (int, float)):
            raise ValueError(f"{name}: '{op.value}' compares numbers, got {value!r}")
        return value
    if op in TEXT_OPERATORS:
        if not isinstance(value, str):
            raise ValueError(f"{name}: '{op.value}' compares text, got {value!r}")
        return value
    # eq / neq / ne: numbers or strings (dates as epoch ms for convenience)
    if isinstance(value, (datetime, date)):
        return epoch_ms(value)
    if not isinstance(value, (str, int, float)):
        raise ValueError(f"{name}: '{op.value}' compares numbers or text, got {type(value).__name__}")
    return value


@dataclass(frozen=True)
class Query:
    """Filters (ANDed), sorts and a page window. Each method returns a new Query."""

    conditions: tuple[Condition, ...] = ()
    sorts: tuple[Sort, ...] = ()
    start: int = 0
    length: int | None = None

    # -- filters -----------------------------------------------------------------------------
    def where(self, field_name: str, operator: Operator | str, value: Any = None) -> Query:
        return replace(self, conditions=(*self.conditions, Condition(field_name, Operator(operator), value)))

    def eq(self, f: str, value: Any) -> Query:
        return self.where(f, Operator.EQ, value)

    def neq(self, f: str, value: Any) -> Query:
        return self.where(f, Operator.NEQ, value)

    def ne(self, f: str, value: Any) -> Query:
        return self.where(f, Operator.NE, value)

    def gt(self, f: str, value: int | float) -> Query:
        return self.where(f, Operator.GT, value)

    def lt(self, f: str, value: int | float) -> Query:
        return self.where(f, Operator.LT, value)

    def gte(self, f: str, value: int | float) -> Query:
        return self.where(f, Operator.GTE, value)

    def lte(self, f: str, value: int | float) -> Query:
        return self.where(f, Operator.LTE, value)

    def include(self, f: str, value: str) -> Query:
        return self.where(f, Operator.INCLUDE, value)

    def includes(self, f: str, value: str) -> Query:
        return self.where(f, Operator.INCLUDES, value)

    def startswith(self, f: str, value: str) -> Query:
        return self.where(f, Operator.STARTSWITH, value)

    def endswith(self, f: str, value: str) -> Query:
        return self.where(f, Operator.ENDSWITH, value)

    def notinclude(self, f: str, value: str) -> Query:
        return self.where(f, Operator.NOTINCLUDE, value)

    def is_(self, f: str, value: bool) -> Query:
        return self.where(f, Operator.IS, value)

    def before(self, f: str, value: datetime | date | int) -> Query:
        return self.where(f, Operator.BEFORE, value)

    def after(self, f: str, value: datetime | date | int) -> Query:
        return self.where(f, Operator.AFTER, value)

    def on(self, f: str, value: datetime | date | int) -> Query:
        return self.where(f, Operator.ON, value)

    def isblank(self, f: str) -> Query:
        return self.where(f, Operator.ISBLANK)

    def notblank(self, f: str) -> Query:
        return self.where(f, Operator.NOTBLANK)

    # -- sorts and window ----------------------------------------------------------------------
    def sort(self, f: str, direction: str = "asc") -> Query:
        return replace(self, sorts=(*self.sorts, Sort(f, direction)))

    def page(self, start: int = 0, length: int | None = None) -> Query:
        if start < 0:
            raise ValueError(f"start must be >= 0, got {start}")
        if length is not None and not 1 <= length <= MAX_PAGE_LENGTH:
            raise ValueError(f"length must be between 1 and {MAX_PAGE_LENGTH}, got {length}")
        return replace(self, start=start, length=length)

    # -- rendering -----------------------------------------------------------------------------
    def validate(self) -> None:
        """The seed's password rule: a password filter needs at least one other filter."""
        if any(is_password_field(c.field) for c in self.conditions) and not any(
                not is_password_field(c.field) for c in self.conditions):
            raise ValueError("a password filter needs at least one non-password filter beside it")

    def to_json(self, *, start: int | None = None, length: int | None = None) -> dict[str, Any]:
        """The `queryCriteria` object; `start`/`length` override the query's own window."""
        self.validate()
        length = self.length if length is None else length
        if length is not None and not 1 <= length <= MAX_PAGE_LENGTH:
            raise ValueError(f"length must be between 1 and {MAX_PAGE_LENGTH}, got {length}")
        out: dict[str, Any] = {
            "start": self.start if start is None else start,
            "length": length if length is not None else DEFAULT_PAGE_LENGTH,
            "sorts": [s.to_json() for s in self.sorts] or None,
            "filter": {"conditions": [c.to_json() for c in self.conditions]} if self.conditions else None,
        }
        return out

"""Corpora of malformed vendor payloads, as data: each case says how to spoil one valid record (or
the whole answer) and what must become of it. Used by tests/integration/test_bad_input.py.

Outcomes (the rules: docs/reliability.md, "Bad input"):
* `quarantined`: the record lands in `lake/<vendor>/quarantine` with a reason containing `reason`;
  the valid records beside it land.
* `landed`: the record is valid as it is (e.g. negative net usage) and lands with the others.
* `fails`: the answer as a whole is unreadable; the sync raises an error naming the vendor, the
  endpoint (or file) and `reason`.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

CATEGORIES = ("missing_field", "wrong_type", "bad_date", "impossible_date", "negative_usage", "absurd_usage",
              "unknown_enum", "duplicate_id", "non_utf8", "html_200")
# Where a case puts bytes that are not UTF-8: the marker is replaced in the serialized answer.
NON_UTF8_MARKER = "@@NON-UTF8@@"
NON_UTF8_BYTES = b"caf\xe9 \xff\xfe"  # Latin-1 and stray bytes: not UTF-8
HTML_PAGE = "<!DOCTYPE html><html><body><h1>503 Service Unavailable</h1>Scheduled maintenance</body></html>"


@dataclass(frozen=True)
class Case:
    entity: str
    category: str
    name: str
    outcome: str  # quarantined | landed | fails
    reason: str = ""  # a substring of the quarantine reason or of the error message
    set: dict[str, Any] = field(default_factory=dict)  # fields set on a copy of a valid record
    drop: tuple[str, ...] = ()  # fields removed from it
    duplicate: bool = False  # the spoiled copy keeps the valid record's id and follows it
    raw: str | None = None  # the whole answer replaced by this text

    def __post_init__(self) -> None:
        assert self.category in CATEGORIES, self.category
        assert self.outcome in ("quarantined", "landed", "fails"), self.outcome

    @property
    def id(self) -> str:
        return f"{self.entity}:{self.category}:{self.name}"


def spoil(record: dict, case: Case) -> dict:
    """A copy of a valid record spoiled as the case says; a dotted key ("Account.StatementDate",
    "Meters.0.Usages.0.UsageAmount") reaches into nested objects and lists."""
    spoiled = copy.deepcopy(record)
    for path in case.drop:
        parent, last = _walk(spoiled, path)
        parent.pop(last if isinstance(parent, dict) else int(last))
    for path, value in case.set.items():
        parent, last = _walk(spoiled, path)
        parent[last if isinstance(parent, dict) else int(last)] = value
    return spoiled


def _walk(record: Any, path: str) -> tuple[Any, str]:
    *parents, last = path.split(".")
    for part in parents:
        record = record[part] if isinstance(record, dict) else record[int(part)]
    return record, last


def non_utf8(body: bytes) -> bytes:
    return body.replace(NON_UTF8_MARKER.encode(), NON_UTF8_BYTES)


def counts(cases: list[Case]) -> dict[tuple[str, str, str], int]:
    """(entity, category, outcome) -> number of cases, for the docs' tables."""
    out: dict[tuple[str, str, str], int] = {}
    for case in cases:
        key = (case.entity, case.category, case.outcome)
        out[key] = out.get(key, 0) + 1
    return out

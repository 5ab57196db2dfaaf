"""Quarantine: malformed records are kept with the reason, never dropped, never fatal."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson
import pyarrow as pa

from ..lake import META_COLUMNS, Entity

QUARANTINE = Entity(
    name="quarantine",
    schema=pa.schema(
        [
            ("vendor", pa.string()),
            ("entity", pa.string()),
            ("record_id", pa.string()),
            ("raw_record", pa.string()),
            ("reason", pa.string()),
        ]
        + META_COLUMNS
    ),
    description="Records that could not be read, with the reason; one dataset per vendor.",
)


def raw_text(record: Any) -> str:
    """The record as JSON text; bytes that are not UTF-8 are kept as escaped text."""
    if isinstance(record, (bytes, bytearray)):
        return bytes(record).decode("utf-8", "backslashreplace")
    try:
        return orjson.dumps(record, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS).decode()
    except TypeError:
        return repr(record)


@dataclass
class Quarantine:
    vendor: str
    load_id: str
    rows: list[dict[str, Any]] = field(default_factory=list)
    reasons: Counter = field(default_factory=Counter)

    def add(self, entity: str, record: Any, reason: str, extracted_at: datetime, record_id: str | None = None) -> None:
        if record_id is None and isinstance(record, dict):
            candidate = record.get("id")
            record_id = str(candidate) if isinstance(candidate, (str, int)) and not isinstance(candidate, bool) else None
        self.rows.append(
            {
                "vendor": self.vendor,
                "entity": entity,
                "record_id": record_id,
                "raw_record": raw_text(record),
                "reason": reason,
                "_load_id": self.load_id,
                "_extracted_at": extracted_at,
            }
        )
        self.reasons[f"{entity}: {reason.split(':')[0]}"] += 1

    def __len__(self) -> int:
        return len(self.rows)

    def to_table(self) -> pa.Table:
        return pa.Table.from_pylist(self.rows, schema=QUARANTINE.schema)

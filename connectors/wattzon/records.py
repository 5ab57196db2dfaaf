"""Typed WattzOn Link API 4.0 records, tolerant of the quirks of the API.

* Ids are integers for profiles and providers, strings for jobs and bills; either spelling is
  accepted.
* Bill dates are ISO 8601 strings in UTC without a zone (`"2016-10-31T23:59:59"`): they become
  aware UTC datetimes. Older agents send only an interpolated `date`; it is kept as `date`.
* Numbers may come as strings (`"21.25"`); they become Decimals.
* Interval-period times and the transmission key's `expires` are Unix timestamps (seconds);
  they become aware UTC datetimes.
* Unknown fields are allowed (WattzOn says more types and fields will be added) and listed by
  name through `unknown_fields`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import AliasChoices, BeforeValidator, Field, model_validator

from ..core.records import (
    MAX_BILL_QUANTITY,
    Number,
    Text,
    Timestamp,
    VendorRecord,
    Whole,
    check_period,
    check_quantity,
    to_decimal,
    to_timestamp,
)


def to_unix_time(value: Any) -> datetime | None:
    """A Unix timestamp (seconds; int, float or numeric string) to an aware UTC datetime.
    ISO 8601 strings are accepted too."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return to_timestamp(value)
    if isinstance(value, bool):
        raise ValueError(f"expected a Unix timestamp, got boolean {value!r}")
    if isinstance(value, str) and not _looks_numeric(value):
        return to_timestamp(value)
    number = to_decimal(value)
    if number is None:
        return None
    if number > Decimal(10_000_000_000):  # milliseconds (year 2286+ in seconds)
        number = number / 1000
    if number < Decimal(-2_208_988_800):  # before 1900
        raise ValueError(f"implausible Unix timestamp {value!r}")
    return datetime.fromtimestamp(float(number), tz=UTC)


def _looks_numeric(text: str) -> bool:
    try:
        Decimal(text.strip())
    except ArithmeticError:
        return False
    return True


def to_flag(value: Any) -> bool | None:
    """true/false in any spelling WattzOn might use: booleans, 0/1, "true"/"false", "yes"/"no"."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        text = value.strip().lower()
        if text in {"true", "t", "yes", "y", "1"}:
            return True
        if text in {"false", "f", "no", "n", "0"}:
            return False
    raise ValueError(f"expected true or false, got {value!r}")


def to_text_list(value: Any) -> list[str]:
    """A list of strings; a comma-separated string or a list of `{"name": ...}` objects work too."""
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    if isinstance(value, (list, tuple)):
        out = []
        for item in value:
            if isinstance(item, dict):
                item = item.get("name", item.get("tag"))
            if item is None:
                continue
            if isinstance(item, bool) or not isinstance(item, (str, int)):
                raise ValueError(f"expected a list of names, got an item {item!r}")
            out.append(str(item))
        return out
    raise ValueError(f"expected a list, got {type(value).__name__}")


UnixTime = Annotated[datetime | None, BeforeValidator(to_unix_time)]
Flag = Annotated[bool | None, BeforeValidator(to_flag)]
TextList = Annotated[list[str], BeforeValidator(to_text_list)]


# -- reference data -----------------------------------------------------------------------------


class ZipInfo(VendorRecord):
    zipcode: Text = None
    city: Text = None
    county: Text = None
    state: Text = None
    latitude: Number = None
    longitude: Number = None


class UtilityProvider(VendorRecord):
    """`GET /utilities/{provider_id}/`; `id` is filled in from the request (the answer has none)."""

    id: Whole = Field(default=None, validation_alias=AliasChoices("id", "provider_id"))
    name: Text = None
    type: Text = None  # comma-separated: "electricity,gas"
    lseid: Text = None
    homepage_url: Text = None

    @property
    def types(self) -> list[str]:
        return to_text_list(self.type)


class CertificateInfo(VendorRecord):
    client_name: Text = None
    enabled: Flag = None
    expiration_date: Timestamp = None
    created_date: Timestamp = None


class TransmissionKey(VendorRecord):
    """`GET /profiles/keys/`: an RSA public key (PEM) and its expiry."""

    public_key: Text = Field(default=None, repr=False)
    expires: UnixTime = None

    @model_validator(mode="after")
    def _needs_key(self) -> TransmissionKey:
        if not self.public_key:
            raise ValueError("transmission key without public_key")
        return self


# -- profiles -----------------------------------------------------------------------------------


class Profile(VendorRecord):
    """A profile. The create answer names the id `id` (example) or `profile_id` (field list);
    the retrieve answer has none, so the client fills it in from the request."""

    id: Whole = Field(default=None, validation_alias=AliasChoices("id", "profile_id"))
    utility_provider: Text = None
    utility_provider_id: Whole = Field(
        default=None, validation_alias=AliasChoices("utility_provider_id", "provider_id")
    )
    label: Text = None
    tags: TextList = Field(default_factory=list)
    zipcode: Text = None
    created: Timestamp = None
    modified: Timestamp = None

    @property
    def profile_id(self) -> int | None:
        return self.id


# -- jobs ---------------------------------------------------------------------------------------

AGENT_STATE_PREFIX = "AgentState."
# Terminal codes that mean data was extracted (the rest of the seed's codes: see jobs.py).
SUCCESS_STATES = frozenset({"success", "partial_success"})


class JobStatus(VendorRecord):
    """`GET /jobs/{job_id}/` or `/jobs/profiles/{profile_id}/`.

    `job_status` is the raw string as sent (`"AgentState.success"`), `status` the code without the
    `AgentState.` prefix (`"success"`). Completion is `finished`, never the code: WattzOn adds
    codes without notice, and unknown codes are kept as they are.
    """

    job_id: Text = None
    job_status: Text = None
    status: Text = None
    finished: Annotated[bool, BeforeValidator(lambda value: bool(to_flag(value)))] = False  # missing: running
    detail: Any = None

    @model_validator(mode="before")
    @classmethod
    def _derive_status(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("status") is None:
            raw = data.get("job_status")
            if isinstance(raw, str):
                data = {**data, "status": raw.strip().removeprefix(AGENT_STATE_PREFIX) or None}
        return data

    @property
    def is_success(self) -> bool:
        return self.finished and self.status in SUCCESS_STATES


# -- data ---------------------------------------------------------------------------------------


class BillRecord(VendorRecord):
    """One record of `GET /data/bills/{profile_id}/`: an electricity, gas, water or billing record.

    Every field of the seed's lists is typed; none is required except `bill_id` (the key) and
    `type`. Dates become aware UTC datetimes.
    """

    # every record
    name: Text = None
    service_address: Text = None
    account_number: Text = None
    bill_date: Timestamp = None
    type: Text = None
    pdf: Text = None
    bill_id: Text = None
    cached: Flag = None
    cached_job_id: Text = None
    currency: Text = None
    # electricity, gas (and water)
    service_id: Text = None
    meter_number: Text = None
    start_date: Timestamp = None
    end_date: Timestamp = None
    date: Timestamp = None
    cost: Number = None
    usage: Number = None
    units: Text = None
    retail_energy_provider: Text = None
    rate_plan: Text = None
    exported_energy: Number = None
    # billing
    previous_balance: Number = None
    payment_received: Number = None
    past_due_balance: Number = None
    due_date: Timestamp = None
    current_charges: Number = None
    total_amount_due: Number = None
    payment_date: Timestamp = None

    @model_validator(mode="after")
    def _coherent(self) -> BillRecord:
        if not self.bill_id:
            raise ValueError("bill record without bill_id")
        if not self.type:
            raise ValueError("bill record without type")
        check_period(self.start_date, self.end_date, "start_date", "end_date")
        # `usage` is energy used and `exported_energy` energy sent back (the seed's two fields):
        # neither is negative, so a negative value is an error, not net metering.
        check_quantity(self.usage, "usage", MAX_BILL_QUANTITY, may_be_negative=False, unit=self.units or "")
        check_quantity(self.exported_energy, "exported_energy", MAX_BILL_QUANTITY, may_be_negative=False)
        return self

    @property
    def period_start(self) -> datetime | None:
        return self.start_date or self.date

    @property
    def period_end(self) -> datetime | None:
        return self.end_date or self.date

    @property
    def has_pdf(self) -> bool:
        return bool(self.pdf)


class IntervalPeriod(VendorRecord):
    """One record of `GET /data/intervals/{profile_id}/`: a month of interval data for a meter."""

    meter_id: Text = None
    month_id: Text = None  # "YYYY-MM" (the seed's "YYYY-DD" is a typo: its example is 2015-01)
    first_interval: UnixTime = None
    last_interval: UnixTime = None
    complete: Flag = None
    extraction_time: UnixTime = None
    source_file_size: Whole = None
    job_id_extracted: Text = None

    @model_validator(mode="after")
    def _coherent(self) -> IntervalPeriod:
        if not self.meter_id:
            raise ValueError("interval period without meter_id")
        if not self.month_id:
            raise ValueError("interval period without month_id")
        if self.first_interval and self.last_interval and self.last_interval < self.first_interval:
            raise ValueError("last_interval is before first_interval")
        return self


# -- notifications ------------------------------------------------------------------------------


class Notification(VendorRecord):
    """The SQS message WattzOn sends at the end of a job (send_notification=true)."""

    app: Text = None
    profile_id: Whole = None
    job_id: Text = None
    tags: TextList = Field(default_factory=list)
    created_at: Timestamp = None
    final_state: Text = None
    mode: Text = None
    existing_records: Whole = None
    new_records: Whole = None

    @property
    def status(self) -> str | None:
        """`final_state` without an `AgentState.` prefix, should one be sent."""
        return self.final_state.removeprefix(AGENT_STATE_PREFIX) if self.final_state else None

    @property
    def is_success(self) -> bool:
        return self.status in SUCCESS_STATES

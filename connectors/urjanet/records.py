"""Typed Urjanet records (enrollment and status API), tolerant like every vendor's records.

Field names are the vendor's camelCase, read into snake_case attributes (`isSummaryAccount` ->
`is_summary_account`); unknown fields are kept as extras. Every date in the API is milliseconds
since the epoch: `EpochMs` turns it into an aware UTC datetime. Credentials never keep a password:
any `password*` key a response might carry is dropped before validation.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BeforeValidator, ConfigDict, Field, model_validator
from pydantic.alias_generators import to_camel

from ..core.records import Number, Text, VendorRecord, Whole, MIN_YEAR, to_decimal, to_timestamp

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def from_epoch_ms(value: Any) -> datetime | None:
    """Milliseconds since the epoch (int, float or numeric string) to an aware UTC datetime.

    ISO 8601 text is accepted too (tolerance for hand-made payloads)."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return to_timestamp(value)
    if isinstance(value, str):
        try:
            number: Decimal | None = to_decimal(value)
        except ValueError:
            return to_timestamp(value)
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        number = to_decimal(value)
    else:
        raise ValueError(f"expected milliseconds since the epoch, got {type(value).__name__}")
    assert number is not None
    try:
        moment = _EPOCH + timedelta(milliseconds=int(number))
    except OverflowError:
        raise ValueError(f"implausible epoch milliseconds {value!r}") from None
    if moment.year < MIN_YEAR:
        raise ValueError(f"implausible epoch milliseconds {value!r}")
    return moment


EpochMs = Annotated[datetime | None, BeforeValidator(from_epoch_ms)]


def _text_map(value: Any) -> dict[str, str | None] | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise ValueError(f"expected an object of attributes, got {type(value).__name__}")
    return {str(k): (None if v is None else str(v)) for k, v in value.items()}


TextMap = Annotated[dict[str, str | None] | None, BeforeValidator(_text_map)]


class UrjanetRecord(VendorRecord):
    model_config = ConfigDict(extra="allow", frozen=True, populate_by_name=True, alias_generator=to_camel)


class Link(UrjanetRecord):
    rel: Text = None
    href: Text = None


class EntityReference(UrjanetRecord):
    """`{id, naturalKey, link}`: how the API points at another entity."""

    id: Text = None
    natural_key: Text = None
    link: Link | None = None


class _Audited(UrjanetRecord):
    id: Text = None
    created: EpochMs = None
    modified: EpochMs = None
    created_by_username: Text = None
    last_modified_by_username: Text = None


class Account(_Audited):
    customer_id: Text = None
    account_number: Text = None
    normalized_account_number: Text = None
    summary_account_number: Text = None
    normalized_summary_account_number: Text = None
    enrollment_status: Text = None
    extraction_status: Text = None
    monitoring_status: Text = None
    provider_classification: Text = None
    message: Text = None
    pull_history: bool | None = None
    history_requested: EpochMs = None
    subscribed: bool | None = None
    is_summary_account: bool | None = None
    subscription_last_updated: EpochMs = None
    unsubscribe_date: EpochMs = None
    to_be_delivered: bool | None = None
    delivery_last_updated: EpochMs = None
    delivery_disabled_date: EpochMs = None
    first_extract_date: EpochMs = None
    last_extracted: EpochMs = None
    last_successful_extraction: EpochMs = None
    ebill_requirement: Text = None
    last_delivered: EpochMs = None
    latest_orphan_source_delivered_date: EpochMs = None
    next_expected_post_date: EpochMs = None
    latest_interval_end: EpochMs = None
    start_to_end_avg: Number = None
    next_expected_confidence: Text = None
    latest_total_bill_amount: Number = None
    latest_statement_create: EpochMs = None
    last_successful_extraction_channel: EntityReference | None = None
    utility_provider: EntityReference | None = None
    verified_extraction_channels: list[EntityReference] = Field(default_factory=list)
    extraction_channels: list[EntityReference] = Field(default_factory=list)
    custom_attributes: TextMap = None

    @model_validator(mode="before")
    @classmethod
    def _null_lists(cls, data: Any) -> Any:
        return _drop_null_lists(data, ("verifiedExtractionChannels", "extractionChannels"))


class Meter(_Audited):
    utility_account: EntityReference | None = None
    meter_number: Text = None
    normalized_meter_number: Text = None
    service_type: Text = None
    tariff: Text = None
    service_address: Text = None
    pod_number: Text = None
    previous_meter_number: Text = None
    deactivated: bool | None = None
    custom_attributes: TextMap = None


class Credential(_Audited):
    """A utility website login (or S3 drop). Passwords are write-only: never kept here."""

    extraction_channel_id: Text = None
    username: Text = Field(default=None, repr=False)  # the customer's utility login: personal
    username2: Text = Field(default=None, repr=False)
    username3: Text = Field(default=None, repr=False)
    username4: Text = Field(default=None, repr=False)
    message: Text = None
    acquisition_type: Text = None
    url: Text = None
    enabled: bool | None = None
    interval_data_enabled: bool | None = None
    s3_bucket_name: Text = None
    s3_file_prefix: Text = None
    s3_encryption_key_id: Text = Field(default=None, repr=False)
    s3_role_id: Text = None
    last_attempted: EpochMs = None
    last_success: EpochMs = None
    template: EntityReference | None = None
    utility_provider: EntityReference | None = None

    @model_validator(mode="before")
    @classmethod
    def _drop_passwords(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return {k: v for k, v in data.items() if not str(k).lower().startswith("password")}
        return data


class ChangeEvent(UrjanetRecord):
    """A change log entry (Appendix B); `eventFields` holds the event's own fields, maps flattened."""

    username: Text = None
    timestamp: EpochMs = None
    event_name: Text = None
    customer_id: Text = None
    event_fields: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _null_fields(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("eventFields") is None and "eventFields" in data:
            data = {**data, "eventFields": {}}
        return data


class ServiceType(_Audited):
    name: Text = None


class Provider(_Audited):
    provider_alias: Text = None
    provider_name: Text = None
    classification: Text = None
    service_types: list[EntityReference] = Field(default_factory=list)
    parent_provider: EntityReference | None = None
    child_providers: list[EntityReference] = Field(default_factory=list)
    template_infos: list[EntityReference] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _null_lists(cls, data: Any) -> Any:
        return _drop_null_lists(data, ("serviceTypes", "childProviders", "templateInfos"))


class Template(_Audited):
    template_name: Text = None
    website: Text = None
    has_interval: bool | None = None
    has_history: bool | None = None
    has_pdf: bool | None = None
    has_html: bool | None = None
    has_edi: bool | None = None
    has_xls: bool | None = None
    has_csv: bool | None = None
    has_ocr: bool | None = None
    tracks_login_failure: bool | None = None
    utility_providers: list[EntityReference] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _null_lists(cls, data: Any) -> Any:
        return _drop_null_lists(data, ("utilityProviders",))


class Attribute(_Audited):
    """A custom attribute definition (mixin)."""

    name: Text = None
    required: bool | None = None
    cnbd_position: Whole = None
    urjanet_key: Text = None


def _drop_null_lists(data: Any, keys: tuple[str, ...]) -> Any:
    if isinstance(data, dict) and any(data.get(k, []) is None for k in keys):
        return {k: v for k, v in data.items() if not (k in keys and v is None)}
    return data


def normalize_number(number: str | None) -> str | None:
    """An account or meter number as Urjanet matches it: letters and digits only, upper-cased
    ("123-45 678a" -> "12345678A"). None, or nothing left, is None."""
    if number is None:
        return None
    return "".join(ch for ch in str(number) if ch.isalnum()).upper() or None


def account_key(provider_alias: str | None, account_number: str | None) -> str | None:
    """What identifies an account across id changes: provider alias + normalized account number."""
    normalized = normalize_number(account_number)
    if not provider_alias or not normalized:
        return None
    return f"{provider_alias.strip().lower()}:{normalized}"

"""Typed Arc records (legacy Arc API), tolerant like every vendor's records."""

from __future__ import annotations

from typing import Any

from pydantic import Field, model_validator

from ..core.records import (
    MAX_BILL_QUANTITY,
    Day,
    JsonText,
    Number,
    Text,
    Timestamp,
    VendorRecord,
    Whole,
    check_period,
    check_quantity,
)


class User(VendorRecord):
    client_user_id: Text = None
    created_at: Timestamp = None
    updated_at: Timestamp = None
    sandboxed: bool | None = None


class UtilityCredential(VendorRecord):
    id: Whole
    client_user_id: Text = None
    utility_name: Text = None
    utility_long_name: Text = None
    username: Text = Field(default=None, repr=False)  # the end customer's utility login: personal, not landed
    verification_status: Text = None
    accounts_load_in_progress: bool | None = None
    verification_updated_at: Timestamp = None
    created_at: Timestamp = None
    updated_at: Timestamp = None
    sandboxed: bool | None = None

    @model_validator(mode="after")
    def _has_id(self) -> UtilityCredential:
        return _needs_id(self)


class MostRecentTariff(VendorRecord):
    main_tariff_id: Text = None
    supplier_name: Text = None
    tariff_code: Text = None
    tariff_name: Text = None
    utility_name: Text = None
    tariff_as_of_date: Day = None


class FeatureAvailability(VendorRecord):
    charge_cost: Text = None
    smart_charge: Text = None
    utility_intervals: Text = None
    utility_statements: Text = None
    hosted_payments: Text = None
    utility_remittance: Text = None


class UtilityMeter(VendorRecord):
    id: Whole
    client_user_id: Text = None
    utility_credential_id: Whole = None
    utility_account_id: Whole = None
    meter_number: Text = None
    service_type: Text = None
    created_at: Timestamp = None
    updated_at: Timestamp = None
    sandboxed: bool | None = None

    @model_validator(mode="after")
    def _has_id(self) -> UtilityMeter:
        return _needs_id(self)


class UtilityAccount(VendorRecord):
    id: Whole
    client_user_id: Text = None
    utility_name: Text = None
    utility_long_name: Text = None
    utility_credential_id: Whole = None
    account_number: Text = None
    service_address_street_one: Text = None
    service_address_street_two: Text = None
    service_address_city: Text = None
    service_address_city: Text = None
    service_address_state: Text = None
    service_address_zip: Text = None
    service_customer_name: Text = None
    supplier_account_id: Text = None
    status: Text = None
    most_recent_tariff: MostRecentTariff | None = None
    flags: list[str] = Field(default_factory=list)
    services: list[str] = Field(default_factory=list)
    created_at: Timestamp = None
    updated_at: Timestamp = None
    feature_availability: FeatureAvailability | None = None
    utility_meters: list[UtilityMeter] = Field(default_factory=list)
    sandboxed: bool | None = None

    @model_validator(mode="after")
    def _has_id(self) -> UtilityAccount:
        return _needs_id(self)


class UtilityStatement(VendorRecord):
    id: Whole
    client_user_id: Text = None
    utility_account_id: Whole = None
    utility_name: Text = None
    tariff: Any = None  # a tariff name, or an object in newer payloads
    statement_date: Day = None
    due_date: Day = None
    service_start_date: Day = None
    service_end_date: Day = None
    kwh: Number = None
    utility_charge: Number = None
    supplier_charge: Number = None
    gas_charge: Number = None
    past_due: bool | None = None
    final_bill: bool | None = None
    service_window_inclusive_of_end_date: bool | None = None
    pdf_url: Text = Field(default=None, repr=False)
    billing_flags: list[str] = Field(default_factory=list)
    created_at: Timestamp = None
    updated_at: Timestamp = None
    sandboxed: bool | None = None

    @model_validator(mode="after")
    def _coherent(self) -> UtilityStatement:
        _needs_id(self)
        check_period(self.service_start_date, self.service_end_date, "service_start_date", "service_end_date")
        # `kwh` is the statement's net usage: negative for a net-metered account that exported more.
        check_quantity(self.kwh, "kwh", MAX_BILL_QUANTITY, may_be_negative=True, unit="kWh")
        return self


def _needs_id(record):
    """`id: null` passes the tolerant type: the key is required all the same."""
    if record.id is None:
        raise ValueError("id: missing")
    return record

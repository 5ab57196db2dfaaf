"""Typed Bayou records, tolerant of the quirks the real API has.

* consumption sent as decimal strings (`"50.000"`),
* `account_number` as a string or an integer,
* interval fields that become arrays when two conflicting readings exist (handled in
  intervals.py, where the volume is),
* unknown extra fields (kept out of the lake, listed in the logs by name only).
"""

from __future__ import annotations

from datetime import date
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

# Bayou sends electricity in Wh: the bill limit (MAX_BILL_QUANTITY, in kWh) times 1000.
MAX_BILL_WH = MAX_BILL_QUANTITY * 1000
# `gas_consumption_unit` decides what `gas_consumption` means: `therms|ccf` (the contract), and the
# spellings dbt's normalize_gas_unit knows. Another unit would land a number nobody can read.
GAS_UNITS = frozenset({"therms", "therm", "thm", "ccf"})


class Tariff(VendorRecord):
    tariff: Text = None
    period_from: Day = None
    period_to: Day = None


class CustomerMeter(VendorRecord):
    id: Text
    type: Text = None
    tariffs: list[Tariff] = Field(default_factory=list)
    address: JsonText = None
    additional_attributes: JsonText = None

    @model_validator(mode="after")
    def _needs_id(self) -> CustomerMeter:
        if not self.id:
            raise ValueError("meter without id")
        return self

    @property
    def current_tariff(self) -> str | None:
        if not self.tariffs:
            return None
        latest = max(self.tariffs, key=lambda t: (t.period_to is None, t.period_from or date.min))
        return latest.tariff


class AccountNumber(VendorRecord):
    id: Text
    meters: list[CustomerMeter] = Field(default_factory=list)


class Customer(VendorRecord):
    id: Text
    external_id: Text = None
    email: Text = None
    first_name: Text = None
    last_name: Text = None
    address_line_1: Text = None
    address_line_2: Text = None
    city: Text = None
    state: Text = None
    zipcode: Text = None
    utility: Text = None
    tags: JsonText = None
    has_accepted_terms_on: Timestamp = None
    has_filled_credentials: bool | None = None
    has_filled_credentials_on: Timestamp = None
    bills_are_ready: bool | None = None
    utility_has_intervals: bool | None = None
    account_has_intervals: bool | None = None
    intervals_are_ready: bool | None = None
    first_interval_discovered: Timestamp = None
    last_interval_discovered: Timestamp = None
    account_numbers: list[AccountNumber] = Field(default_factory=list)
    # Credentials of the end customer's enrollment: parsed so they are known, never landed.
    onboarding_link: Text = Field(default=None, exclude=True, repr=False)
    onboarding_token: Text = Field(default=None, exclude=True, repr=False)

    @model_validator(mode="after")
    def _needs_id(self) -> Customer:
        if not self.id:
            raise ValueError("customer without id")
        return self


class BillMeter(VendorRecord):
    id: Text
    status: Text = None
    type: Text = None
    billing_period_from: Day = None
    billing_period_to: Day = None
    consumption: Number = None
    address: JsonText = None
    tariff: Text = None
    additional_attributes: JsonText = None

    @model_validator(mode="after")
    def _coherent(self) -> BillMeter:
        check_period(self.billing_period_from, self.billing_period_to, "billing_period_from", "billing_period_to")
        # Electric consumption may be net of export (net metering): only its size is checked.
        gas = (self.type or "").lower() == "gas"
        check_quantity(self.consumption, "consumption", MAX_BILL_QUANTITY if gas else MAX_BILL_WH,
                       may_be_negative=not gas)
        return self


class Bill(VendorRecord):
    id: Text
    external_id: Text = None
    status: Text = None
    customer_id: Text = None
    customer_external_id: Text = None
    billed_on: Day = None
    utility: Text = None
    account_number: Text = None
    billing_period_from: Day = None
    billing_period_to: Day = None
    outstanding_balance: Whole = None
    electricity_consumption: Number = None
    electricity_amount: Whole = None
    delivery_charge: Whole = None
    supply_charge: Whole = None
    community_solar_bill_credit: Whole = None
    gas_amount: Whole = None
    total_amount: Whole = None
    gas_consumption: Number = None
    gas_consumption_unit: Text = None
    file_url: Text = Field(default=None, repr=False)
    meters: list[BillMeter] = Field(default_factory=list)

    @model_validator(mode="after")
    def _coherent(self) -> Bill:
        if not self.id:
            raise ValueError("bill without id")
        if not self.customer_id:
            raise ValueError("bill without customer_id")
        if self.billed_on is None:
            raise ValueError("bill without billed_on (the statement date)")
        check_period(self.billing_period_from, self.billing_period_to, "billing_period_from", "billing_period_to")
        # A net-metered bill's electricity consumption may be negative (export above use); gas may not.
        check_quantity(self.electricity_consumption, "electricity_consumption", MAX_BILL_WH, may_be_negative=True,
                       unit="Wh")
        check_quantity(self.gas_consumption, "gas_consumption", MAX_BILL_QUANTITY, may_be_negative=False)
        if self.gas_consumption is not None and (self.gas_consumption_unit or "").lower() not in GAS_UNITS:
            raise ValueError(f"gas_consumption_unit: unknown unit {self.gas_consumption_unit!r} for gas_consumption "
                             f"(expected therms or ccf)")
        return self

    @property
    def is_locked(self) -> bool:
        """Locked at Bayou. Locked bill objects may omit `status` (the seed's example does):
        then a bill without any amount or usage is locked."""
        if self.status is not None:
            return self.status == "locked"
        return all(
            getattr(self, name) is None
            for name in ("total_amount", "electricity_amount", "gas_amount", "electricity_consumption", "gas_consumption")
        )


# The fields Bayou returns for a locked bill (seeds/bayou-unlocked-data.txt): all that may land
# for a bill outside policy.
LOCKED_BILL_FIELDS = (
    "id", "external_id", "status", "customer_id", "customer_external_id", "billed_on", "utility",
    "account_number", "billing_period_from", "billing_period_to",
)
LOCKED_METER_FIELDS = ("id", "type", "billing_period_from", "billing_period_to")


def locked_projection(raw: Any) -> Any:
    """The locked-field subset of a raw bill: what may be kept of a bill outside policy."""
    if not isinstance(raw, dict):
        return raw if not isinstance(raw, (dict, list)) else None
    projected = {k: raw[k] for k in LOCKED_BILL_FIELDS if k in raw}
    meters = raw.get("meters")
    if isinstance(meters, list):
        projected["meters"] = [
            {k: m[k] for k in LOCKED_METER_FIELDS if k in m} if isinstance(m, dict) else None for m in meters
        ]
    return projected

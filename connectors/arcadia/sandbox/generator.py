"""Deterministic synthetic data for the Arcadia Arc sandbox (legacy Arc API, 2022-10-13).

`generate_dataset(seed=7, users=4, months=24, as_of=None)` returns an `ArcadiaDataset`: users,
utility credentials, utility accounts, utility meters and monthly utility statements, fully
built (they are small), and 15-minute interval readings computed lazily for any requested
window, so 200 users x 24 months costs a few MB, not millions of objects.

Same seed, scale and `as_of` give byte-identical API responses. Every number comes from
`random.Random` instances seeded with integers derived from (seed, user index, account index,
period or day); nothing depends on hash randomisation, the wall clock or generation order.

Time model (fixed assumptions, all UTC)
* `as_of` (default: today, UTC) is the sandbox's today; its clock reads `as_of 12:00Z`
  (`dataset.now`). Every generated `created_at` / `updated_at` is at least one hour before it,
  so anything the running sandbox changes later (see app.py) sorts after all of them.
* History start `dataset.history_start` = `months` months before the first day of `as_of`'s
  month. Users link their utility login (create their verified credential) at different
  moments during the first quarter of the history (at most 120 days in); Arc then discovers
  the accounts and meters within minutes and pulls the historical statements. Statements
  issued after the link appear a few hours to a day after their statement date.
* Ids are assigned in creation order (`created_at`, then structure), like a database's, so
  `updated_at` ascending paging really crosses pages. Within each resource type every
  `updated_at` is unique (colliding values are pushed one second later), so the strict
  `updated_after` cursor loses nothing even without a tie-breaker.

Records (shapes: see app.py's docstring and `render_*`)
* Each user has one `verified` credential (the one whose accounts are discovered) and 1 to 3
  others, rotating through `pending`, `rejected` and `error` (with 3 or more users every
  status occurs), at other utilities, created later.
* Each verified credential has 2 or 3 accounts. Account j=0 of a user at a utility with gas
  service has an electric and a gas meter (services `["electric", "gas"]`); account j=1 of
  every even-indexed user has rooftop solar (net-metering tariff, generation in its intervals);
  the last account of users 1, 4, 7, ... is `closed` part-way through the history (its last
  statement has `final_bill: true`, its intervals stop there). Others are `active`.
* Statements: one per consecutive service period of 28-33 days, from the account's first meter
  read day after `history_start` until `as_of` (or the closure). `statement_date` = service end
  + 2..5 days, `due_date` = statement date + 21 days. Utilities differ on
  `service_window_inclusive_of_end_date` (Pepco and PG&E: true, the window is
  [start, end]; ConEd and ComEd: false, the window is [start, end) and the next period starts
  on the end date).
* `kwh` (integer) = the electric meter's net consumption (consumption - generation) over the
  service window's UTC days, rounded: exactly what the intervals add up to, including the
  readings hidden by `is_null_kwh` gaps (the utility's register still counted them). Solar
  accounts can have negative `kwh` in summer.
* Charges (USD, 2 decimals): `gas_charge` = gas fixed charge + therms x gas rate (null without
  a gas meter); `supplier_charge` = max(kwh, 0) x supply rate when the account buys its supply
  from a retail supplier / CCA (`most_recent_tariff.supplier_name` not null), else null and the
  utility bills supply itself; `utility_charge` = the utility's total on the statement =
  electric fixed charge + max(kwh, 0) x delivery rate (+ supply when there is no supplier)
  + `gas_charge`. The customer owes `utility_charge + (supplier_charge or 0)`.
* About 8% of statements are `past_due` (never the first), and the newest statement of user
  0's first account always is: accounts whose newest statement is past due carry
  `flags: ["utility_statement_past_due"]`.
* `possible_rebill` pairs: on the first account of every even-indexed user with at least three
  statements, the middle period was billed twice: the original (`billing_flags: []`) and, 8-14
  days later, a corrected statement for the same service dates with slightly different kWh and
  charges and `billing_flags: ["possible_rebill"]`.
* Tariffs: solar accounts are on the utility's net-metering tariff; a third of the others
  switched to a time-of-use tariff half-way through the history. `most_recent_tariff` is the
  tariff of the newest statement, `tariff_as_of_date` its statement date.
* `pdf_url` is a fake presigned S3 URL rendered by the server at request time (valid 600 s).

Intervals (electric meters only; gas meters have none)
* 15-minute readings on UTC boundaries. Available from midnight of the account's first service
  start (for accounts with (user + account index) % 4 == 3: four months later, a smart meter
  installed late) to midnight of `as_of - 1 day` (the utility's data lag), or to the end of the
  final service window for closed accounts.
* Per day: consumption from a per-meter base, season (cooling and electric heating), weekend
  and noise; generation for solar meters from panel size, season and cloudiness; both spread
  over the day's slots in integer Wh (so any sum is exact), then given in kWh with 3 decimals.
  `net_kwh` = `kwh` = consumption - generation. Non-solar meters report `generation_kwh: null`.
* About one day in 25 has a gap of 1 to 8 consecutive readings with `is_null_kwh: true` and
  every kWh value null.
"""

from __future__ import annotations

import hashlib
import math
import operator
import random
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from itertools import accumulate
from typing import Any

from ...core.sandbox_kit import SandboxSettings, settings_from_env

GRANULARITY_MINUTES = 15
SLOTS_PER_DAY = 24 * 60 // GRANULARITY_MINUTES
SLOT = timedelta(minutes=GRANULARITY_MINUTES)
SANDBOX_CLOCK = time(12, 0)
# Generated timestamps stay at least this far before the sandbox clock.
GENERATED_BEFORE_NOW = timedelta(hours=1)
INTERVAL_LAG_DAYS = 1
GAP_RATE = 1 / 25
PAST_DUE_RATE = 0.08
LATE_SMART_METER_DAYS = 120
MAX_LINK_DAYS = 120
CREDENTIAL_IDS_FROM = 1001
ACCOUNT_IDS_FROM = 12001
METER_IDS_FROM = 50001
STATEMENT_IDS_FROM = 300001
CREDENTIAL_STATUSES = ("pending", "rejected", "error")


# ---------------------------------------------------------------------------------------------
# Utilities
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tariff:
    main_tariff_id: str
    tariff_code: str
    tariff_name: str


@dataclass(frozen=True)
class Utility:
    name: str  # utility_name
    long_name: str  # utility_long_name
    tariff_utility_name: str  # a tariff's utility_name (Genability's name for the utility)
    places: tuple[tuple[str, str, str], ...]  # (city, state, zip prefix)
    tariffs: tuple[Tariff, ...]  # [0] standard, [1] time of use
    solar_tariff: Tariff
    suppliers: tuple[str | None, ...]  # retail suppliers / CCAs (None: the utility supplies)
    gas: bool
    inclusive_end: bool  # service_window_inclusive_of_end_date
    account_number_format: str  # "#" is a digit
    utc_offset_hours: int
    electric_fixed: float
    delivery_per_kwh: float
    supply_per_kwh: float
    gas_fixed: float
    gas_per_therm: float
    hosted_payments: bool


UTILITIES: tuple[Utility, ...] = (
    Utility(
        "Pepco", "Pepco DC", "Potomac Electric Power Co",
        (("Washington", "DC", "200"),),
        (Tariff("gen_mtid_3327801", "R", "Residential Standard Service"),
         Tariff("gen_mtid_3327811", "R-TM", "Residential Time Metered Service")),
        Tariff("gen_mtid_3327825", "R-NEM", "Residential - Net Energy Metering"),
        (None, "Constellation NewEnergy"), False, True, "##########", -5,
        13.91, 0.0821, 0.0943, 0.0, 0.0, True,
    ),
    Utility(
        "PG&E", "Pacific Gas & Electric", "Pacific Gas & Electric",
        (("San Francisco", "CA", "941"), ("Oakland", "CA", "946"), ("Berkeley", "CA", "947")),
        (Tariff("gen_mtid_522", "E-1", "Residential Service"),
         Tariff("gen_mtid_3331108", "EV-2A-TOU", "Residential - Time of Use - Plug-In Electric Vehicle 2")),
        Tariff("gen_mtid_3284937", "E-TOU-C-NEM2", "Residential - Time of Use - Net Energy Metering 2"),
        ("East Bay Community Energy", "CleanPowerSF", None), True, True, "##########-#", -8,
        10.0, 0.2195, 0.1386, 5.2, 2.12, False,
    ),
    Utility(
        "ConEd", "Consolidated Edison NY", "Consolidated Edison Co-NY Inc",
        (("New York", "NY", "100"), ("Brooklyn", "NY", "112"), ("Queens", "NY", "113")),
        (Tariff("gen_mtid_809", "EL1", "Residential and Religious"),
         Tariff("gen_mtid_3189213", "EL1-TOU", "Residential and Religious - Voluntary Time of Use")),
        Tariff("gen_mtid_3368541", "EL1-NEM", "Residential and Religious - Net Metering"),
        (None, "Clearview Energy"), True, False, "###############", -5,
        18.73, 0.1662, 0.1147, 21.05, 1.48, False,
    ),
    Utility(
        "ComEd", "Commonwealth Edison IL", "Commonwealth Edison Co",
        (("Chicago", "IL", "606"), ("Evanston", "IL", "602")),
        (Tariff("gen_mtid_3165", "BES-R", "Basic Electric Service - Residential Single Family"),
         Tariff("gen_mtid_3206917", "RTOUPP", "Residential Time of Use Pricing Pilot")),
        Tariff("gen_mtid_3400817", "BES-R-DG", "Residential Single Family - Distributed Generation"),
        (None,), False, False, "##########", -6,
        15.89, 0.0617, 0.0725, 0.0, 0.0, True,
    ),
)

FIRST_NAMES = ("Joan", "Marie", "Samuel", "Priya", "Diego", "Aiko", "Fatima", "Oliver", "Grace", "Mateo",
               "Leila", "Kwame", "Hannah", "Ravi", "Sofia", "Tomasz")
LAST_NAMES = ("Arc", "Curie", "Okafor", "Nakamura", "Alvarez", "Lindqvist", "Haddad", "Brennan", "Kowalski",
              "Mensah", "Iyer", "Rossi", "Dubois", "Park", "Silva", "Novak")
STREETS = ("W Addison St", "Maple Ave", "Oak St", "Connecticut Ave NW", "Valencia St", "Bedford Ave",
           "Shattuck Ave", "N Clark St", "Elm St", "Telegraph Ave", "Greene Ave", "Grand Ave")
UNITS = (None, None, "Apartment 1", "Apt 4B", "Unit 12", None, "Suite 200")


# ---------------------------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------------------------


def add_months(day: date, months: int) -> date:
    month_index = day.year * 12 + day.month - 1 + months
    year, month = divmod(month_index, 12)
    month += 1
    last = (date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)).day
    return date(year, month, min(day.day, last))


def iso_z(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def epoch(moment: datetime) -> int:
    return int(moment.timestamp())


def _rng(*parts: int) -> random.Random:
    """A Random seeded from integers only, so streams are stable across processes and runs."""
    key = 0
    for part in parts:
        key = (key * 1_000_003 + part) % (1 << 61)
    return random.Random(key)


_MASK64 = (1 << 64) - 1


def _hash64(*parts: int) -> int:
    """A well-mixed 64-bit integer from integers (splitmix64): much cheaper than seeding a Random."""
    x = 0x9E3779B97F4A7C15
    for part in parts:
        x = (x ^ (part & _MASK64)) * 0xBF58476D1CE4E5B9 & _MASK64
        x ^= x >> 31
        x = (x + 0x9E3779B97F4A7C15) & _MASK64
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9 & _MASK64
    x = (x ^ (x >> 27)) * 0x94D049BB133111EB & _MASK64
    return x ^ (x >> 31)


def _spread(total: int, weights: list[float]) -> list[int]:
    """Non-negative integers proportional to `weights` that add up to exactly `total`."""
    cumulative = list(accumulate(weights))
    if total == 0 or cumulative[-1] <= 0:
        return [0] * len(weights)
    scale = total / cumulative[-1]
    rounded = [int(c * scale + 0.5) for c in cumulative]
    rounded[-1] = total
    return list(map(operator.sub, rounded, [0, *rounded[:-1]]))


def _fill(pattern: str, rng: random.Random) -> str:
    return "".join(
        (str(rng.randint(1, 9)) if i == 0 else str(rng.randint(0, 9))) if ch == "#" else ch
        for i, ch in enumerate(pattern)
    )


def _uuid(seed: int, *parts: Any) -> str:
    digest = hashlib.sha256(":".join(["arcadia-sandbox", str(seed), *map(str, parts)]).encode()).digest()
    return str(uuid.UUID(bytes=digest[:16], version=4))


def _money(value: float) -> float:
    return round(value + 1e-9, 2)


def _cooling(doy: int) -> float:
    return max(0.0, math.cos(2 * math.pi * (doy - 205) / 365.25))


def _heating(doy: int) -> float:
    return max(0.0, math.cos(2 * math.pi * (doy - 20) / 365.25))


def pdf_url(seed: int, statement_id: int, issued_at: datetime) -> str:
    """A fake presigned S3 URL, valid 600 s from `issued_at` (the server's clock)."""
    stamp = issued_at.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    signature = hashlib.sha256(f"arc-sandbox-pdf:{seed}:{statement_id}:{stamp}".encode()).hexdigest()
    return (
        f"https://arc-sandbox-utility-statements.s3.amazonaws.com/utility_statements/{statement_id}.pdf"
        f"?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date={stamp}&X-Amz-Expires=600&X-Amz-Signature={signature}"
    )


# Shapes over the local day, hour by hour.
_BASE_SHAPE = (0.55, 0.5, 0.48, 0.47, 0.48, 0.55, 0.8, 1.1, 1.05, 0.85, 0.75, 0.72,
               0.72, 0.7, 0.72, 0.8, 0.95, 1.25, 1.5, 1.55, 1.45, 1.25, 0.95, 0.7)


@lru_cache(maxsize=64)
def _slot_shape(utc_offset_hours: int) -> tuple[float, ...]:
    """Local-hour shape -> 96 weights indexed by UTC slot, interpolated between hour centres."""
    slots = []
    for utc_slot in range(SLOTS_PER_DAY):
        local_hour = ((utc_slot + 0.5) / 4 + utc_offset_hours) % 24
        h0 = int(local_hour - 0.5) % 24
        frac = (local_hour - 0.5) % 1
        slots.append(_BASE_SHAPE[h0] * (1 - frac) + _BASE_SHAPE[(h0 + 1) % 24] * frac)
    return tuple(slots)


@lru_cache(maxsize=4096)
def _solar_shape(doy: int, utc_offset_hours: int) -> tuple[float, ...]:
    """Clear-sky generation weights per UTC slot."""
    daylight = 12 + 3.2 * math.cos(2 * math.pi * (doy - 172) / 365.25)
    sunrise = 12.5 - daylight / 2
    weights = []
    for utc_slot in range(SLOTS_PER_DAY):
        local_hour = ((utc_slot + 0.5) / 4 + utc_offset_hours) % 24
        x = (local_hour - sunrise) / daylight
        weights.append(math.sin(math.pi * x) ** 1.5 if 0 < x < 1 else 0.0)
    return tuple(weights)


# ---------------------------------------------------------------------------------------------
# Interval model
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MeterProfile:
    """What an electric meter's readings are computed from (`key` is stable across scales)."""

    seed: int
    key: int
    base_wh: int
    cooling: float
    heating: float
    solar_kw: float
    utc_offset_hours: int

    @property
    def solar(self) -> bool:
        return self.solar_kw > 0


@dataclass(frozen=True)
class DayReadings:
    consumption: tuple[int, ...]  # Wh per slot
    generation: tuple[int, ...]  # Wh per slot
    gap: tuple[int, int] | None  # [first, end) slots with is_null_kwh


def day_totals(profile: MeterProfile, day: date) -> tuple[int, int]:
    """(consumption Wh, generation Wh) of one UTC day."""
    ordinal = day.toordinal()
    doy = day.timetuple().tm_yday
    weekend = 1.08 if day.weekday() >= 5 else 1.0
    mixed = _hash64(profile.seed, 101, profile.key, ordinal)
    noise = 0.85 + 0.3 * (mixed & 0xFFFFFF) / (1 << 24)
    sky = 0.3 + 0.7 * (mixed >> 40) / (1 << 24)
    consumption = int(profile.base_wh * (1 + profile.cooling * _cooling(doy) + profile.heating * _heating(doy))
                      * weekend * noise)
    generation = 0
    if profile.solar:
        peak_sun_hours = 4.3 + 1.7 * math.cos(2 * math.pi * (doy - 172) / 365.25)
        generation = int(profile.solar_kw * 1000 * peak_sun_hours * sky)
    return consumption, generation


@lru_cache(maxsize=4096)
def day_readings(profile: MeterProfile, day: date) -> DayReadings:
    consumption_total, generation_total = day_totals(profile, day)
    rng = _rng(profile.seed, 104, profile.key, day.toordinal())
    shape = _slot_shape(profile.utc_offset_hours)
    consumption = _spread(consumption_total, [w * rng.uniform(0.7, 1.3) for w in shape])
    if generation_total:
        sun = _solar_shape(day.timetuple().tm_yday, profile.utc_offset_hours)
        generation = _spread(generation_total, [w * rng.uniform(0.8, 1.0) for w in sun])
    else:
        generation = [0] * SLOTS_PER_DAY
    gap_rng = _rng(profile.seed, 103, profile.key, day.toordinal())
    gap = None
    if gap_rng.random() < GAP_RATE:
        first = gap_rng.randrange(SLOTS_PER_DAY)
        gap = (first, min(SLOTS_PER_DAY, first + gap_rng.randint(1, 8)))
    return DayReadings(tuple(consumption), tuple(generation), gap)


def net_wh_between(profile: MeterProfile, first: date, last: date) -> int:
    """Net Wh (consumption - generation) over the UTC days first..last inclusive."""
    total = 0
    day = first
    while day <= last:
        consumption, generation = day_totals(profile, day)
        total += consumption - generation
        day += timedelta(days=1)
    return total


_SLOT_TIMES = [f"T{h:02d}:{m:02d}:00Z" for h in range(24) for m in range(0, 60, GRANULARITY_MINUTES)]


def _kwh(wh: int) -> float:
    return wh / 1000


def interval_items(profile: MeterProfile, start: datetime, end: datetime) -> list[dict]:
    """Readings whose start lies in [start, end) (both 15-minute aligned), oldest first."""
    items: list[dict] = []
    day = start.date()
    while midnight(day) < end:
        readings = day_readings(profile, day)
        day_start = midnight(day)
        first = max(0, math.ceil((start - day_start).total_seconds() / (GRANULARITY_MINUTES * 60)))
        last = min(SLOTS_PER_DAY, math.ceil((end - day_start).total_seconds() / (GRANULARITY_MINUTES * 60)))
        day_text = day.isoformat()
        next_text = (day + timedelta(days=1)).isoformat()
        gap_first, gap_end = readings.gap or (SLOTS_PER_DAY, SLOTS_PER_DAY)
        for slot in range(first, last):
            start_text = day_text + _SLOT_TIMES[slot]
            end_text = (day_text + _SLOT_TIMES[slot + 1]) if slot + 1 < SLOTS_PER_DAY else next_text + _SLOT_TIMES[0]
            if gap_first <= slot < gap_end:
                items.append({
                    "start_time": start_text, "end_time": end_text, "net_kwh": None, "consumption_kwh": None,
                    "generation_kwh": None, "is_null_kwh": True, "kwh": None,
                })
                continue
            consumption = readings.consumption[slot]
            generation = readings.generation[slot]
            net = _kwh(consumption - generation)
            items.append({
                "start_time": start_text,
                "end_time": end_text,
                "net_kwh": net,
                "consumption_kwh": _kwh(consumption),
                "generation_kwh": _kwh(generation) if profile.solar else None,
                "is_null_kwh": False,
                "kwh": net,
            })
        day += timedelta(days=1)
    return items


# ---------------------------------------------------------------------------------------------
# Records
# ---------------------------------------------------------------------------------------------


@dataclass
class UserRecord:
    index: int
    client_user_id: str
    name: str
    created: datetime
    updated: datetime
    credential_ids: list[int] = field(default_factory=list)

    @property
    def id(self) -> str:
        return self.client_user_id

    def payload(self) -> dict:
        """The user without its nested credentials (the server nests them when rendering)."""
        return {
            "client_user_id": self.client_user_id,
            "created_at": iso_z(self.created),
            "updated_at": iso_z(self.updated),
            "sandboxed": True,
        }


@dataclass
class CredentialRecord:
    key: tuple[int, int]  # (user index, credential index)
    client_user_id: str
    utility: Utility
    username: str
    status: str
    created: datetime
    updated: datetime
    verification_updated: datetime | None
    id: int = 0
    account_ids: list[int] = field(default_factory=list)

    def payload(self) -> dict:
        return {
            "id": self.id,
            "client_user_id": self.client_user_id,
            "utility_name": self.utility.name,
            "utility_long_name": self.utility.long_name,
            "username": self.username,
            "verification_status": self.status,
            "accounts_load_in_progress": False,
            "verification_updated_at": iso_z(self.verification_updated) if self.verification_updated else None,
            "created_at": iso_z(self.created),
            "updated_at": iso_z(self.updated),
            "sandboxed": True,
        }


@dataclass
class MeterRecord:
    key: tuple[int, int, int]  # (user index, account index, meter index)
    service_type: str
    meter_number: str
    created: datetime
    updated: datetime
    profile: MeterProfile | None = None  # electric meters only
    available_start: datetime | None = None
    available_end: datetime | None = None
    id: int = 0
    account: AccountRecord | None = None

    def payload(self) -> dict:
        assert self.account is not None
        return {
            "id": self.id,
            "client_user_id": self.account.client_user_id,
            "utility_credential_id": self.account.credential.id,
            "utility_account_id": self.account.id,
            "meter_number": self.meter_number,
            "service_type": self.service_type,
            "created_at": iso_z(self.created),
            "updated_at": iso_z(self.updated),
            "sandboxed": True,
        }


@dataclass
class StatementRecord:
    key: tuple[int, int, int, int]  # (user, account, period index, 1 for a rebill)
    account: AccountRecord
    service_start: date
    service_end: date  # as printed (exclusive when the utility's windows are)
    window_last_day: date  # last UTC day inside the service window
    statement_date: date
    tariff: Tariff
    supplier: str | None
    kwh: int
    therms: float | None
    past_due: bool
    final_bill: bool
    rebill: bool
    created: datetime
    updated: datetime
    id: int = 0

    @property
    def utility(self) -> Utility:
        return self.account.utility

    def charges(self) -> tuple[float, float | None, float | None]:
        """(utility_charge, supplier_charge, gas_charge)."""
        utility = self.utility
        billable = max(self.kwh, 0)
        gas_charge = None
        if self.therms is not None:
            gas_charge = _money(utility.gas_fixed + self.therms * utility.gas_per_therm)
        electric = utility.electric_fixed + billable * utility.delivery_per_kwh
        supplier_charge = None
        if self.supplier is not None:
            supplier_charge = _money(billable * utility.supply_per_kwh)
        else:
            electric += billable * utility.supply_per_kwh
        utility_charge = _money(_money(electric) + (gas_charge or 0.0))
        return utility_charge, supplier_charge, gas_charge

    def payload(self) -> dict:
        """`pdf_url` is None here: the server renders it on its own clock."""
        utility_charge, supplier_charge, gas_charge = self.charges()
        return {
            "id": self.id,
            "client_user_id": self.account.client_user_id,
            "utility_account_id": self.account.id,
            "utility_name": self.utility.name,
            "tariff": tariff_object(self.utility, self.tariff, self.supplier),
            "statement_date": self.statement_date.isoformat(),
            "due_date": (self.statement_date + timedelta(days=21)).isoformat(),
            "service_start_date": self.service_start.isoformat(),
            "service_end_date": self.service_end.isoformat(),
            "kwh": self.kwh,
            "utility_charge": utility_charge,
            "supplier_charge": supplier_charge,
            "gas_charge": gas_charge,
            "past_due": self.past_due,
            "final_bill": self.final_bill,
            "service_window_inclusive_of_end_date": self.utility.inclusive_end,
            "pdf_url": None,
            "billing_flags": ["possible_rebill"] if self.rebill else [],
            "created_at": iso_z(self.created),
            "updated_at": iso_z(self.updated),
            "sandboxed": True,
        }


def tariff_object(utility: Utility, tariff: Tariff, supplier: str | None) -> dict:
    return {
        "main_tariff_id": tariff.main_tariff_id,
        "supplier_name": supplier,
        "tariff_code": tariff.tariff_code,
        "tariff_name": tariff.tariff_name,
        "utility_name": utility.tariff_utility_name,
    }


@dataclass
class AccountRecord:
    key: tuple[int, int]  # (user index, account index)
    client_user_id: str
    credential: CredentialRecord
    utility: Utility
    account_number: str
    street_one: str
    street_two: str | None
    city: str
    state: str
    zip_code: str
    customer_name: str
    supplier: str | None
    supplier_account_id: str | None
    solar: bool
    gas_base_therms: float
    read_day: int
    base_tariff: Tariff
    tou_switch: date | None  # switched to the utility's TOU tariff on this date
    closed: bool
    created: datetime
    seed: int = 0
    updated: datetime = field(default_factory=lambda: datetime.min.replace(tzinfo=UTC))
    id: int = 0
    meters: list[MeterRecord] = field(default_factory=list)
    statements: list[StatementRecord] = field(default_factory=list)

    @property
    def electric_meter(self) -> MeterRecord | None:
        return next((m for m in self.meters if m.service_type == "electric"), None)

    @property
    def gas_meter(self) -> MeterRecord | None:
        return next((m for m in self.meters if m.service_type == "gas"), None)

    def tariff_on(self, day: date) -> Tariff:
        if self.solar:
            return self.utility.solar_tariff
        if self.tou_switch is not None and day >= self.tou_switch:
            return self.utility.tariffs[1]
        return self.base_tariff

    def newest_statement(self) -> StatementRecord | None:
        return max(self.statements, key=lambda s: (s.statement_date, s.id), default=None)

    def payload(self) -> dict:
        """The account without `utility_meters` and `sandboxed` (the server appends both)."""
        newest = self.newest_statement()
        tariff_as_of = newest.statement_date if newest else None
        tariff = newest.tariff if newest else self.tariff_on(self.created.date())
        return account_payload(self, tariff, tariff_as_of, bool(newest and newest.past_due))


def account_payload(account: AccountRecord, tariff: Tariff, tariff_as_of: date | None, past_due: bool) -> dict:
    services = sorted({m.service_type for m in account.meters}, key=("electric", "gas", "water").index)
    electric = account.electric_meter
    intervals = "AVAILABLE" if electric is not None and electric.profile is not None else "NOT_AVAILABLE"
    active = not account.closed
    return {
        "id": account.id,
        "client_user_id": account.client_user_id,
        "utility_name": account.utility.name,
        "utility_long_name": account.utility.long_name,
        "utility_credential_id": account.credential.id,
        "account_number": account.account_number,
        "service_address_street_one": account.street_one,
        "service_address_street_two": account.street_two,
        "service_address_city": account.city,
        "service_address_state": account.state,
        "service_address_zip": account.zip_code,
        "service_customer_name": account.customer_name,
        "supplier_account_id": account.supplier_account_id,
        "status": "closed" if account.closed else "active",
        "most_recent_tariff": {
            **tariff_object(account.utility, tariff, account.supplier),
            "tariff_as_of_date": tariff_as_of.isoformat() if tariff_as_of else None,
        },
        "flags": ["utility_statement_past_due"] if past_due else [],
        "services": services,
        "created_at": iso_z(account.created),
        "updated_at": iso_z(account.updated),
        "feature_availability": {
            "charge_cost": "AVAILABLE" if active else "NOT_AVAILABLE",
            "smart_charge": "AVAILABLE" if active and intervals == "AVAILABLE" else "NOT_AVAILABLE",
            "utility_intervals": intervals,
            "utility_statements": "AVAILABLE",
            "hosted_payments": "AVAILABLE" if active and account.utility.hosted_payments else "NOT_AVAILABLE",
            "utility_remittance": "NOT_AVAILABLE",
        },
    }


# ---------------------------------------------------------------------------------------------
# Statements (also used by the server to bill a new period)
# ---------------------------------------------------------------------------------------------


def period_after(account: AccountRecord, start: date, period: int) -> tuple[date, date, date, date]:
    """(service_start, printed service_end, last day in the window, statement_date) of a period."""
    rng = _rng(account.seed, 21, account.key[0], account.key[1], period)
    length = rng.randint(28, 33)
    last_day = start + timedelta(days=length - 1)
    printed_end = last_day if account.utility.inclusive_end else last_day + timedelta(days=1)
    statement_date = last_day + timedelta(days=rng.randint(2, 5))
    return start, printed_end, last_day, statement_date


def next_period_start(account: AccountRecord, statement: StatementRecord) -> date:
    return statement.window_last_day + timedelta(days=1)


def therms_between(account: AccountRecord, first: date, last: date, period: int) -> float:
    rng = _rng(account.seed, 22, account.key[0], account.key[1], period)
    total = 0.0
    day = first
    while day <= last:
        total += account.gas_base_therms * (0.25 + 2.0 * _heating(day.timetuple().tm_yday))
        day += timedelta(days=1)
    return round(total * rng.uniform(0.9, 1.1), 1)


def build_statement(account: AccountRecord, period: int, start: date, *, created: datetime,
                    past_due: bool = False, final_bill: bool = False) -> StatementRecord:
    service_start, printed_end, last_day, statement_date = period_after(account, start, period)
    electric = account.electric_meter
    kwh = 0
    if electric is not None and electric.profile is not None:
        kwh = int(math.floor(net_wh_between(electric.profile, service_start, last_day) / 1000 + 0.5))
    gas = account.gas_meter
    therms = therms_between(account, service_start, last_day, period) if gas is not None else None
    return StatementRecord(
        key=(account.key[0], account.key[1], period, 0), account=account, service_start=service_start,
        service_end=printed_end, window_last_day=last_day, statement_date=statement_date,
        tariff=account.tariff_on(service_start), supplier=account.supplier, kwh=kwh, therms=therms,
        past_due=past_due, final_bill=final_bill, rebill=False, created=created, updated=created,
    )


# ---------------------------------------------------------------------------------------------
# The dataset
# ---------------------------------------------------------------------------------------------


@dataclass
class ArcadiaDataset:
    seed: int
    user_count: int
    months: int
    as_of: date
    users: list[UserRecord] = field(default_factory=list)
    credentials: list[CredentialRecord] = field(default_factory=list)
    accounts: list[AccountRecord] = field(default_factory=list)
    meters: list[MeterRecord] = field(default_factory=list)
    statements: list[StatementRecord] = field(default_factory=list)

    @property
    def anchor(self) -> date:
        return self.as_of.replace(day=1)

    @property
    def history_start(self) -> date:
        return add_months(self.anchor, -self.months)

    @property
    def now(self) -> datetime:
        return datetime.combine(self.as_of, SANDBOX_CLOCK, tzinfo=UTC)

    @property
    def interval_end(self) -> datetime:
        """Exclusive end of the newest readings of active accounts."""
        return midnight(self.as_of - timedelta(days=INTERVAL_LAG_DAYS))

    def _index(self) -> None:
        self.users_by_id = {u.client_user_id: u for u in self.users}
        self.credentials_by_id = {c.id: c for c in self.credentials}
        self.accounts_by_id = {a.id: a for a in self.accounts}
        self.meters_by_id = {m.id: m for m in self.meters}
        self.statements_by_id = {s.id: s for s in self.statements}

    def user(self, client_user_id: str) -> UserRecord | None:
        return self.users_by_id.get(client_user_id)

    def credential(self, credential_id: int) -> CredentialRecord | None:
        return self.credentials_by_id.get(credential_id)

    def account(self, account_id: int) -> AccountRecord | None:
        return self.accounts_by_id.get(account_id)

    def meter(self, meter_id: int) -> MeterRecord | None:
        return self.meters_by_id.get(meter_id)

    def statement(self, statement_id: int) -> StatementRecord | None:
        return self.statements_by_id.get(statement_id)

    def intervals(self, meter_id: int, start: datetime, end: datetime) -> list[dict]:
        meter = self.meters_by_id[meter_id]
        if meter.profile is None:
            return []
        return interval_items(meter.profile, start, end)

    def summary(self) -> dict:
        return {
            "seed": self.seed,
            "users": self.user_count,
            "months": self.months,
            "as_of": self.as_of.isoformat(),
            "now": iso_z(self.now),
            "history_start": self.history_start.isoformat(),
            "interval_end": iso_z(self.interval_end),
            "credentials": len(self.credentials),
            "accounts": len(self.accounts),
            "meters": len(self.meters),
            "statements": len(self.statements),
            "solar_account_ids": [a.id for a in self.accounts if a.solar],
            "closed_account_ids": [a.id for a in self.accounts if a.closed],
            "gas_meter_ids": [m.id for m in self.meters if m.service_type == "gas"],
            "possible_rebill_statement_ids": [s.id for s in self.statements if s.rebill],
            "past_due_statement_ids": [s.id for s in self.statements if s.past_due],
            "final_bill_statement_ids": [s.id for s in self.statements if s.final_bill],
        }


class _Builder:
    def __init__(self, dataset: ArcadiaDataset) -> None:
        self.ds = dataset
        self.seed = dataset.seed
        self.latest = dataset.now - GENERATED_BEFORE_NOW
        self.meter_numbers: set[str] = set()

    def _later(self, moment: datetime) -> datetime:
        return min(moment, self.latest)

    def build(self) -> None:
        for index in range(self.ds.user_count):
            self._user(index)
        self._assign_ids()
        for records in (self.ds.users, self.ds.credentials, self.ds.accounts, self.ds.meters, self.ds.statements):
            _unique_updated(records)
        self.ds._index()

    # -- users and credentials ------------------------------------------------------------------

    def _user(self, index: int) -> None:
        ds, seed = self.ds, self.seed
        rng = _rng(seed, 1, index)
        utility = UTILITIES[(index + seed) % len(UTILITIES)]
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        name = f"{first} {last}"
        history = midnight(ds.history_start)
        link_window = max(1, min(MAX_LINK_DAYS, ds.months * 30 // 4))
        link = history + timedelta(days=rng.randrange(link_window), hours=rng.randint(13, 22),
                                   minutes=rng.randrange(60), seconds=rng.randrange(60))
        client_user_id = _uuid(seed, "user", index)
        user = UserRecord(index, client_user_id, name, link - timedelta(minutes=rng.randint(2, 30)), link)
        email = f"{first.lower()}.{last.lower()}{index}@example.com"

        verified_at = link + timedelta(seconds=rng.randint(40, 240))
        verified = CredentialRecord(
            key=(index, 0), client_user_id=client_user_id, utility=utility, username=email, status="verified",
            created=link, updated=verified_at + timedelta(seconds=rng.randint(60, 600)),
            verification_updated=verified_at,
        )
        credentials = [verified]
        span_days = max(1, (self.latest - link).days - 1)
        for k in range(1, 2 + index % 3):
            status = CREDENTIAL_STATUSES[(index + k - 1) % len(CREDENTIAL_STATUSES)]
            other = UTILITIES[(index + seed + k) % len(UTILITIES)]
            created = self._later(link + timedelta(days=rng.randint(1, span_days), seconds=rng.randrange(86400)))
            checked = None if status == "pending" else self._later(created + timedelta(seconds=rng.randint(30, 300)))
            credentials.append(CredentialRecord(
                key=(index, k), client_user_id=client_user_id, utility=other,
                username=f"{first.lower()}{index}{k}@example.net", status=status, created=created,
                updated=checked or created, verification_updated=checked,
            ))
        user.updated = max(c.created for c in credentials)
        ds.users.append(user)
        ds.credentials.extend(credentials)

        account_count = 2 + rng.randint(0, 1)
        for j in range(account_count):
            self._account(user, verified, j, account_count)

    # -- accounts, meters, statements -----------------------------------------------------------

    def _account(self, user: UserRecord, credential: CredentialRecord, j: int, count: int) -> None:
        ds, seed, i = self.ds, self.seed, user.index
        utility = credential.utility
        rng = _rng(seed, 2, i, j)
        city, state, zip_prefix = rng.choice(utility.places)
        supplier = rng.choice(utility.suppliers)
        solar = j == 1 and i % 2 == 0
        created = credential.verification_updated + timedelta(seconds=rng.randint(60, 900) + 7 * j)  # type: ignore[operator]
        account = AccountRecord(
            key=(i, j), client_user_id=user.client_user_id, credential=credential, utility=utility,
            account_number=_fill(utility.account_number_format, rng),
            street_one=f"{rng.randint(10, 4999)} {rng.choice(STREETS)}", street_two=rng.choice(UNITS),
            city=city, state=state, zip_code=zip_prefix + f"{rng.randint(0, 99):02d}",
            customer_name=user.name.upper() if utility.name == "ConEd" else user.name,
            supplier=supplier, supplier_account_id=_fill("#########", rng) if supplier else None,
            solar=solar, gas_base_therms=round(rng.uniform(0.8, 2.6), 2), read_day=rng.randint(1, 28),
            base_tariff=utility.tariffs[0],
            tou_switch=(add_months(ds.history_start, ds.months // 2) if not solar and (i + j) % 3 == 0 else None),
            closed=False, created=created, seed=seed,
        )

        # Meters.
        electric_number = self._meter_number(rng, "electric")
        profile = MeterProfile(
            seed=seed, key=i * 64 + j, base_wh=rng.randint(9_000, 26_000), cooling=round(rng.uniform(0.2, 0.9), 3),
            heating=round(rng.uniform(0.0, 0.5), 3), solar_kw=round(rng.uniform(4.0, 8.5), 1) if solar else 0.0,
            utc_offset_hours=utility.utc_offset_hours,
        )
        electric = MeterRecord(key=(i, j, 0), service_type="electric", meter_number=electric_number,
                               created=created + timedelta(seconds=1), updated=created + timedelta(seconds=1),
                               profile=profile, account=account)
        account.meters.append(electric)
        if utility.gas and j % 2 == 0:
            gas = MeterRecord(key=(i, j, 1), service_type="gas", meter_number=self._meter_number(rng, "gas"),
                              created=created + timedelta(seconds=2), updated=created + timedelta(seconds=2),
                              account=account)
            account.meters.append(gas)
        for meter in account.meters:
            if rng.random() < 0.25:  # meter details corrected later
                meter.updated = self._later(meter.created + timedelta(days=rng.randint(3, 200),
                                                                      seconds=rng.randrange(86400)))

        # Statements.
        closes = j == count - 1 and i % 3 == 1
        close_after = max(1, int(ds.months * 0.6))
        start = ds.history_start.replace(day=account.read_day)
        if start < ds.history_start:
            start = add_months(start, 1)
        period = 0
        statements: list[StatementRecord] = []
        while True:
            service_start, printed_end, last_day, statement_date = period_after(account, start, period)
            if statement_date > ds.as_of:
                break
            made = midnight(statement_date) + timedelta(hours=rng.randint(6, 30), seconds=rng.randrange(3600))
            if made < created:
                made = created + timedelta(seconds=13 * (period + 1))  # historical statements, pulled at link
            if made > self.latest:
                break
            final = closes and period == close_after
            statement = build_statement(account, period, start, created=made, final_bill=final,
                                        past_due=period > 0 and rng.random() < PAST_DUE_RATE)
            if rng.random() < 0.15:  # re-parsed later
                statement.updated = max(made, self._later(made + timedelta(hours=rng.randint(24, 240))))
            statements.append(statement)
            start = last_day + timedelta(days=1)
            period += 1
            if final:
                account.closed = True
                break
        if i == 0 and j == 0 and statements:
            statements[-1].past_due = True
        if j == 0 and i % 2 == 0 and len(statements) >= 3:
            statements.append(self._rebill(statements[len(statements) // 2], rng))
        account.statements = statements

        # Interval availability.
        first_start = statements[0].service_start if statements else start
        available_start = midnight(first_start)
        if (i + j) % 4 == 3:
            available_start += timedelta(days=LATE_SMART_METER_DAYS)
        available_end = ds.interval_end
        if account.closed:
            available_end = min(available_end, midnight(statements[-1].window_last_day + timedelta(days=1)))
        if available_start >= available_end:
            available_start = available_end - timedelta(days=1)
        electric.available_start, electric.available_end = available_start, available_end

        # The account changed whenever a statement updated its tariff, and when it closed.
        newest = account.newest_statement()
        account.updated = max(created, newest.created) if newest else created
        if account.closed and newest is not None:
            account.updated = self._later(newest.created + timedelta(hours=rng.randint(1, 48)))

        ds.accounts.append(account)
        ds.meters.extend(account.meters)
        ds.statements.extend(statements)

    def _rebill(self, original: StatementRecord, rng: random.Random) -> StatementRecord:
        statement_date = original.statement_date + timedelta(days=rng.randint(8, 14))
        made = max(original.created + timedelta(hours=2),
                   midnight(statement_date) + timedelta(hours=rng.randint(6, 30)))
        kwh = int(round(original.kwh * rng.uniform(0.96, 1.04))) + rng.choice((-3, 2, 5))
        therms = None if original.therms is None else round(original.therms * rng.uniform(0.95, 1.05), 1)
        return StatementRecord(
            key=(*original.key[:3], 1), account=original.account, service_start=original.service_start,
            service_end=original.service_end, window_last_day=original.window_last_day,
            statement_date=statement_date, tariff=original.tariff, supplier=original.supplier, kwh=kwh,
            therms=therms, past_due=False, final_bill=False, rebill=True, created=self._later(made),
            updated=self._later(made),
        )

    def _meter_number(self, rng: random.Random, kind: str) -> str:
        pattern = "###########" + " ##" if kind == "electric" else "G#########"
        while True:
            number = _fill(pattern, rng)
            if number not in self.meter_numbers:
                self.meter_numbers.add(number)
                return number

    # -- ids ------------------------------------------------------------------------------------

    def _assign_ids(self) -> None:
        ds = self.ds
        for next_id, credential in enumerate(sorted(ds.credentials, key=lambda c: (c.created, c.key)),
                                             start=CREDENTIAL_IDS_FROM):
            credential.id = next_id
        ds.credentials.sort(key=lambda c: c.id)
        for next_id, account in enumerate(sorted(ds.accounts, key=lambda a: (a.created, a.key)),
                                          start=ACCOUNT_IDS_FROM):
            account.id = next_id
        ds.accounts.sort(key=lambda a: a.id)
        for next_id, meter in enumerate(sorted(ds.meters, key=lambda m: (m.created, m.key)), start=METER_IDS_FROM):
            meter.id = next_id
        ds.meters.sort(key=lambda m: m.id)
        for next_id, statement in enumerate(sorted(ds.statements, key=lambda s: (s.created, s.key)),
                                            start=STATEMENT_IDS_FROM):
            statement.id = next_id
        ds.statements.sort(key=lambda s: s.id)
        by_user: dict[str, list[int]] = {}
        for credential in ds.credentials:
            by_user.setdefault(credential.client_user_id, []).append(credential.id)
            credential.account_ids = []
        for account in ds.accounts:
            account.credential.account_ids.append(account.id)
            account.meters.sort(key=lambda m: m.id)
            account.statements.sort(key=lambda s: s.id)
        for user in ds.users:
            user.credential_ids = by_user.get(user.client_user_id, [])


def _unique_updated(records: list[Any]) -> None:
    """Push colliding `updated` values one second later, keeping (updated, id) order."""
    previous: datetime | None = None
    for record in sorted(records, key=lambda r: (r.updated, r.id)):
        if previous is not None and record.updated <= previous:
            record.updated = previous + timedelta(seconds=1)
        previous = record.updated


def generate_dataset(seed: int = 7, users: int = 4, months: int = 24, as_of: date | None = None) -> ArcadiaDataset:
    if users < 0 or users > 2000:
        raise ValueError("users must be between 0 and 2000")
    if months < 1 or months > 120:
        raise ValueError("months must be between 1 and 120")
    if as_of is None:
        as_of = datetime.now(UTC).date()
    dataset = ArcadiaDataset(seed=seed, user_count=users, months=months, as_of=as_of)
    _Builder(dataset).build()
    return dataset


# ---------------------------------------------------------------------------------------------
# Settings from the environment
# ---------------------------------------------------------------------------------------------


def sandbox_settings_from_env(environ: Mapping[str, str] | None = None) -> SandboxSettings:
    """Generator settings from ARCADIA_SANDBOX_SEED, _USERS, _MONTHS, _AS_OF."""
    return settings_from_env(environ, "arcadia", {"seed": 7, "users": 4, "months": 24})

"""Deterministic synthetic data for the Bayou Energy sandbox.

`generate_dataset(seed=7, customers=8, months=24, as_of=None)` returns a `BayouDataset`: the
customers and bills fully built (they are small), and interval readings produced lazily for
any requested window, so 200 customers x 24 months costs a few MB, not millions of objects.

Same seed, scale and `as_of` give byte-identical API responses. Every number comes from
`random.Random` instances seeded with integers derived from (seed, customer index, meter,
month or day); nothing depends on hash randomisation, the wall clock or generation order
across customers.

Time model (fixed assumptions, all UTC)
* `as_of` (default: today, UTC) is the sandbox's today. Its clock reads `as_of 12:00Z`
  (`dataset.now`); readings exist up to `as_of 11:00Z` (`dataset.interval_end`), the end of the
  last complete 15-minute interval after an hourly refresh with a one-hour lag.
* Customer histories (link times, first bills, first intervals) are laid out relative to
  `dataset.anchor`, the first day of `as_of`'s month; `as_of` itself only cuts. So moving
  `as_of` forward within a month only appends: new bills, new readings, and newly parsed bills.
* Link time is `has_filled_credentials_on`. Bills go back to the later of `anchor - months` and
  `link - 24 months`. Readings start at the later of `anchor - months` and 13 months before the
  link (or at the link day for some customers) and are kept for meters with interval data.
* Billing periods are inclusive date ranges of 28-33 days; the next one starts the day after the
  previous `billing_period_to`; `billed_on` is the period end plus 0-3 days.
* A bill's electric consumption (Wh, integer) equals the sum of that meter's readings whose
  start lies in [billing_period_from 00:00Z, billing_period_to + 1 day 00:00Z). Gas: therms,
  exactly the reading sum, as readings are whole thousandths of a therm (ccf utilities divide
  by 1.037 and round to 3 decimals, so they do not reconcile exactly). When a reading field is
  an array (conflicting readings), its LAST element is the one that adds up.

Unlock state (Bayou's dashboard settings, which have no API): company default history of 6
months and continuous fetching on. A bill is `unlocked` when `billed_on >= link date - 6 months`,
`locked` otherwise, except `dataset.dashboard_unlocked_bill_ids` (one older bill for every third
customer with locked bills, unlocked by hand). Bills billed on `as_of` or the day before are
still `unparsed` (parsing lag), and one bill of some customers stays `unparsed` for good.

Locked bills carry exactly the fields of the seed's example (no `status` key, meters with
`tariff: "Unspecified"`); unparsed bills carry those fields plus `"status": "unparsed"` and no
meters.

Quirks reproduced in a deterministic minority of records: consumption as decimal strings
(`"50000.000"`), purely numeric `account_number` sent as an integer, interval fields that become
`[older, newer]` arrays (about 1 reading in 2,000, mostly `electricity_consumption`), and unknown
extra keys (`enrollment_channel` on customers, `carbon_footprint_kg` on bills,
`carbon_intensity` on readings).

Planted data faults (off by default; nothing changes unless asked): `generate_dataset(...,
planted=PlantedFaults(...))`, or the environment variable `BAYOU_SANDBOX_PLANTED` (JSON, read by
`generate_dataset` when `planted` is not given), for testing data-quality checks:
`{"interval_gaps": [{"meter_id": "...", "start": "2026-06-10T10:00:00Z", "readings": 7}],
"billed_usage": [{"meter_id": "...", "day": "2026-06-15", "factor": 1.1}]}`. An interval gap drops
that many consecutive 15-minute readings of the meter from every response (a real gap: the
bills still count them). A billed-usage factor multiplies the meter's billed consumption (Wh
rounded; the bill's total consumption and amounts follow) on the bill whose period contains
`day`, so the bill no longer adds up to the readings. Faults naming a meter or day the dataset
does not have do nothing, and no random draw depends on them.
"""

from __future__ import annotations

import hashlib
import math
import operator
import random
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from itertools import accumulate

import orjson

from ...core.sandbox_kit import SandboxSettings, settings_from_env

GRANULARITY_MINUTES = 15
SLOTS_PER_DAY = 24 * 60 // GRANULARITY_MINUTES
COMPANY_HISTORY_MONTHS = 6
CONFLICT_RATE = 1 / 2000
CCF_PER_THERM = 1 / 1.037
SANDBOX_CLOCK = time(12, 0)
INTERVAL_LAG = timedelta(hours=1)
# Gas readings are whole thousandths of a therm: sums are exact at the bill's 3 decimals, no ties.
GAS_UNITS_PER_THERM = 1_000

PLANTED_ENV = "BAYOU_SANDBOX_PLANTED"

_CLOCK = [f"T{h:02d}:{m:02d}:00Z" for h in range(24) for m in range(0, 60, GRANULARITY_MINUTES)]
_MIDNIGHT = "T00:00:00Z"


# ---------------------------------------------------------------------------------------------
# Planted data faults (off by default)
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlantedFaults:
    """Data-quality faults planted on purpose; empty (the default) changes nothing.

    interval_gaps: (meter_id, start of the first missing reading (UTC), number of readings).
    billed_usage: (meter_id, a day of the billing period, factor on the meter's billed usage).
    """

    interval_gaps: tuple[tuple[str, datetime, int], ...] = ()
    billed_usage: tuple[tuple[str, date, float], ...] = ()

    def __bool__(self) -> bool:
        return bool(self.interval_gaps or self.billed_usage)

    @classmethod
    def from_json(cls, text: str | None) -> PlantedFaults:
        """From `BAYOU_SANDBOX_PLANTED`'s JSON (see the module docstring); empty text -> none."""
        if not text or not text.strip():
            return cls()
        spec = orjson.loads(text)
        gaps = tuple(
            (str(g["meter_id"]), datetime.fromisoformat(g["start"].replace("Z", "+00:00")).astimezone(UTC),
             int(g["readings"]))
            for g in spec.get("interval_gaps", ())
        )
        billed = tuple(
            (str(b["meter_id"]), date.fromisoformat(b["day"]), float(b["factor"]))
            for b in spec.get("billed_usage", ())
        )
        return cls(gaps, billed)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> PlantedFaults:
        import os

        return cls.from_json((os.environ if environ is None else environ).get(PLANTED_ENV))

    def to_json(self) -> str:
        return orjson.dumps({
            "interval_gaps": [{"meter_id": m, "start": iso_z(start), "readings": n} for m, start, n in self.interval_gaps],
            "billed_usage": [{"meter_id": m, "day": day.isoformat(), "factor": f} for m, day, f in self.billed_usage],
        }).decode()

    def missing_slots(self, meter_id: str) -> frozenset[int]:
        return frozenset(
            slot
            for m, start, n in self.interval_gaps if m == meter_id
            for slot in range(_slot_number(start), _slot_number(start) + n)
        )

    def billed_factors(self, meter_id: str) -> tuple[tuple[date, float], ...]:
        return tuple((day, factor) for m, day, factor in self.billed_usage if m == meter_id)


# ---------------------------------------------------------------------------------------------
# Utilities
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Utility:
    """A utility as `GET /utilities` shows it, plus what the generator needs to fake it.

    Assumed public shape (Bayou does not publish it): `{"id", "name", "supports_intervals",
    "interval_granularities", "service_types", "states"}`.
    """

    id: str
    name: str
    supports_intervals: bool
    gas_service: bool
    gas_intervals: bool
    gas_unit: str  # therms | ccf, as printed on the bill
    account_number_format: str  # "#" is a digit, anything else is literal
    utc_offset_hours: int  # standard time; daily shapes follow local clocks
    places: tuple[tuple[str, str, str], ...]  # (city, state, zip prefix)
    electric_tariffs: tuple[str, ...]
    gas_tariffs: tuple[str, ...]
    delivery_cents_per_kwh: float
    supply_cents_per_kwh: float
    fixed_cents: int
    gas_cents_per_therm: float

    @property
    def account_numbers_are_numeric(self) -> bool:
        return set(self.account_number_format) == {"#"}

    def public(self) -> dict:
        return {
            "id": self.id,
            "name": self.name,
            "supports_intervals": self.supports_intervals,
            "interval_granularities": [GRANULARITY_MINUTES] if self.supports_intervals else [],
            "service_types": ["electric", "gas"] if self.gas_service else ["electric"],
            "states": sorted({state for _, state, _ in self.places}),
        }


UTILITIES: dict[str, Utility] = {
    u.id: u
    for u in (
        Utility(
            "speculoos_power", "Speculoos Power", True, True, True, "therms", "##########", -5,
            (("Lotusville", "NY", "120"), ("Biscoff Falls", "NY", "121")),
            ("SP-RES-1", "SP-TOU-2"), ("SP-GAS-1",), 11.5, 8.9, 1200, 142.0,
        ),
        Utility(
            "pacific_gas_and_electric", "Pacific Gas and Electric", True, True, False, "therms",
            "##########-#", -8,
            (("San Francisco", "CA", "941"), ("Oakland", "CA", "946"), ("Sacramento", "CA", "958")),
            ("E-1", "E-TOU-C", "E-ELEC"), ("G-1",), 21.0, 12.5, 1000, 210.0,
        ),
        Utility(
            "con_edison", "Con Edison", True, True, False, "ccf", "###############", -5,
            (("New York", "NY", "100"), ("Brooklyn", "NY", "112"), ("Bronx", "NY", "104")),
            ("EL1", "EL1-TOU"), ("SC1-GAS", "SC3-HEAT"), 16.0, 11.0, 1850, 165.0,
        ),
        Utility(
            "seattle_city_light", "Seattle City Light", True, False, False, "therms", "##############", -8,
            (("Seattle", "WA", "981"),), ("RSC", "RSC-TOD"), (), 9.0, 4.5, 650, 0.0,
        ),
        Utility(
            "national_grid", "National Grid", False, True, False, "therms", "NG-#####-#####", -5,
            (("Syracuse", "NY", "132"), ("Worcester", "MA", "016")),
            ("SC1",), ("SC1-HEAT",), 10.5, 9.5, 1700, 150.0,
        ),
    )
}


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


def _rng(*parts: int) -> random.Random:
    """A Random seeded from integers only, so streams are stable across processes and runs."""
    key = 0
    for part in parts:
        key = (key * 1_000_003 + part) % (1 << 61)
    return random.Random(key)


def _spread(total: int, weights: list[float]) -> list[int]:
    """Integers proportional to `weights` that add up to exactly `total`."""
    cumulative = list(accumulate(weights))
    scale = total / cumulative[-1]
    rounded = [int(c * scale + 0.5) for c in cumulative]
    rounded[-1] = total
    return list(map(operator.sub, rounded, [0, *rounded[:-1]]))


def _fill(pattern: str, rng: random.Random) -> str:
    out = []
    for i, ch in enumerate(pattern):
        if ch == "#":
            out.append(str(rng.randint(1, 9) if i == 0 else rng.randint(0, 9)))
        else:
            out.append(ch)
    return "".join(out)


def _cooling(doy: int) -> float:
    return max(0.0, math.cos(2 * math.pi * (doy - 205) / 365.25))


def _heating(doy: int) -> float:
    return max(0.0, math.cos(2 * math.pi * (doy - 20) / 365.25))


@lru_cache(maxsize=256)
def _slot_shape(hourly: tuple[float, ...], utc_offset_hours: int) -> list[float]:
    """Local-hour shape -> 96 weights indexed by UTC slot, interpolated between hour centres.

    Cached and shared: callers must not mutate the list.
    """
    slots = []
    for utc_slot in range(SLOTS_PER_DAY):
        local_hour = ((utc_slot + 0.5) / 4 + utc_offset_hours) % 24
        h0 = int(local_hour - 0.5) % 24
        frac = (local_hour - 0.5) % 1
        slots.append(hourly[h0] * (1 - frac) + hourly[(h0 + 1) % 24] * frac)
    return slots


@lru_cache(maxsize=8192)
def _solar_shape(doy: int, utc_offset_hours: int) -> list[float]:
    """Clear-sky generation weights per UTC slot; callers must not mutate the list."""
    daylight = 12 + 3.2 * math.cos(2 * math.pi * (doy - 172) / 365.25)
    sunrise = 12.5 - daylight / 2
    weights = []
    for utc_slot in range(SLOTS_PER_DAY):
        local_hour = ((utc_slot + 0.5) / 4 + utc_offset_hours) % 24
        x = (local_hour - sunrise) / daylight
        weights.append(math.sin(math.pi * x) ** 1.5 if 0 < x < 1 else 0.0)
    return weights


# Shapes over the local day, hour by hour.
_BASE_SHAPE = (0.55, 0.5, 0.48, 0.47, 0.48, 0.55, 0.8, 1.1, 1.05, 0.85, 0.75, 0.72,
               0.72, 0.7, 0.72, 0.8, 0.95, 1.25, 1.5, 1.55, 1.45, 1.25, 0.95, 0.7)
_COOLING_SHAPE = (0.2, 0.15, 0.1, 0.1, 0.1, 0.1, 0.1, 0.15, 0.2, 0.3, 0.45, 0.6,
                  0.8, 1.0, 1.2, 1.35, 1.45, 1.5, 1.4, 1.2, 0.9, 0.6, 0.4, 0.3)
_GAS_SHAPE = (0.5, 0.45, 0.45, 0.5, 0.7, 1.2, 1.8, 1.7, 1.2, 0.9, 0.7, 0.6,
              0.6, 0.6, 0.6, 0.7, 0.9, 1.3, 1.6, 1.5, 1.3, 1.1, 0.8, 0.6)
_CARBON_SHAPE = (290, 280, 275, 270, 275, 300, 340, 360, 340, 300, 260, 230,
                 220, 215, 225, 250, 300, 370, 410, 420, 400, 370, 330, 305)  # gCO2/kWh


@lru_cache(maxsize=64)
def _carbon_extras(utc_offset_hours: int) -> list[str]:
    """The unknown `carbon_intensity` key some readings carry, as JSON text per UTC slot."""
    return [f',"carbon_intensity":{int(v)}' for v in _slot_shape(_CARBON_SHAPE, utc_offset_hours)]


@lru_cache(maxsize=64)
def _created_suffixes(refresh_minute: int) -> list[tuple[int, str]]:
    """(day offset, time) of each slot's `created_at`: the first hourly refresh after its end."""
    suffixes = []
    for slot in range(SLOTS_PER_DAY):
        hour = -(-(slot + 1) * GRANULARITY_MINUTES // 60)
        suffixes.append((hour // 24, f"T{hour % 24:02d}:{refresh_minute:02d}:{refresh_minute * 7 % 60:02d}Z"))
    return suffixes


# ---------------------------------------------------------------------------------------------
# Meters: usage model and reading rendering
# ---------------------------------------------------------------------------------------------


@dataclass
class Meter:
    """One meter: its identity, and the deterministic usage model behind bills and readings."""

    id: str
    type: str  # electric | gas
    customer_id: int
    account_number: str
    address: str
    tariffs: list[dict]
    additional_attributes: dict
    seed_key: int
    utc_offset_hours: int
    base_daily: float  # Wh/day (electric) or therm units/day (gas) before seasonality
    seasonal_amplitude: float
    solar_kw: float = 0.0
    intervals_from: datetime | None = None  # None: no interval data for this meter
    linked_at: datetime | None = None
    carbon_from: date | None = None  # readings on or after this day carry `carbon_intensity`
    refresh_minute: int = 5
    # Planted faults (PlantedFaults), empty by default: absolute slots (_slot_number) left out of
    # every response, and (day, factor) pairs for the billed usage of the period containing day.
    missing_slots: frozenset[int] = frozenset()
    billed_factors: tuple[tuple[date, float], ...] = ()
    _month_cache: dict = field(default_factory=dict, repr=False)
    _backfill_templates: dict = field(default_factory=dict, repr=False)

    @property
    def has_intervals(self) -> bool:
        return self.intervals_from is not None

    def public(self) -> dict:
        return {
            "id": self.id,
            "type": self.type,
            "tariffs": self.tariffs,
            "address": self.address,
            "additional_attributes": self.additional_attributes,
        }

    def tariff_on(self, day: date) -> str:
        for entry in reversed(self.tariffs):
            if entry["period_from"] <= day.isoformat():
                return entry["tariff"]
        return self.tariffs[0]["tariff"]

    # -- daily totals ----------------------------------------------------------------------------

    def _month_totals(self, year: int, month: int) -> tuple[list[int], list[int]]:
        """Per-day (consumption, generation) for one calendar month, from one Random per month."""
        key = (year, month)
        cached = self._month_cache.get(key)
        if cached is not None:
            return cached
        rng = _rng(self.seed_key, year, month)
        first = date(year, month, 1)
        days = (add_months(first, 1) - first).days
        consumption, generation = [], []
        for offset in range(days):
            day = first + timedelta(days=offset)
            doy = day.timetuple().tm_yday
            noise = rng.uniform(0.85, 1.15)
            cloud = rng.uniform(0.35, 1.0)
            if self.type == "electric":
                season = 1 + self.seasonal_amplitude * _cooling(doy) ** 1.5 + 0.2 * _heating(doy)
                weekend = 1.12 if day.weekday() >= 5 else 1.0
                consumption.append(int(self.base_daily * season * weekend * noise))
                if self.solar_kw:
                    sun_hours = 3.4 + 2.4 * math.cos(2 * math.pi * (doy - 172) / 365.25)
                    generation.append(int(self.solar_kw * 1000 * sun_hours * cloud))
                else:
                    generation.append(0)
            else:
                season = 0.18 + self.seasonal_amplitude * _heating(doy) ** 1.3
                consumption.append(int(self.base_daily * season * noise) + 4)
                generation.append(0)
        self._month_cache[key] = cached = (consumption, generation)
        return cached

    def day_totals(self, day: date) -> tuple[int, int]:
        consumption, generation = self._month_totals(day.year, day.month)
        return consumption[day.day - 1], generation[day.day - 1]

    def consumption_between(self, first: date, last: date) -> int:
        """Sum of daily consumption over an inclusive date range (Wh or therm units)."""
        total, day = 0, first
        while day <= last:
            consumption, _ = self._month_totals(day.year, day.month)
            month_last = min(last, add_months(date(day.year, day.month, 1), 1) - timedelta(days=1))
            total += sum(consumption[day.day - 1 : month_last.day])
            day = month_last + timedelta(days=1)
        return total

    def billed_consumption(self, first: date, last: date) -> int:
        """What a bill for [first, last] charges: consumption_between, unless a planted
        billed-usage factor names a day of the period (then multiplied and rounded)."""
        total = self.consumption_between(first, last)
        for day, factor in self.billed_factors:
            if first <= day <= last:
                total = int(round(total * factor))
        return total

    # -- 15-minute readings --------------------------------------------------------------------

    def _solar_weights(self, day: date) -> list[float]:
        return _solar_shape(day.timetuple().tm_yday, self.utc_offset_hours)

    def readings_for_day(self, day: date) -> tuple[list[int], list[int], random.Random]:
        """The day's 96 consumption and generation values; they add up to the day's totals."""
        total, generated = self.day_totals(day)
        rng = _rng(self.seed_key, day.toordinal())
        rand = rng.random
        if self.type == "electric":
            cooling = _cooling(day.timetuple().tm_yday)
            base = _slot_shape(_BASE_SHAPE, self.utc_offset_hours)
            ac = _slot_shape(_COOLING_SHAPE, self.utc_offset_hours)
            weights = [(b + cooling * a) * (0.8 + 0.4 * rand()) for b, a in zip(base, ac)]
        else:
            weights = [g * (0.7 + 0.6 * rand()) for g in _slot_shape(_GAS_SHAPE, self.utc_offset_hours)]
        consumption = _spread(total, weights)
        if generated:
            solar = [w * (0.75 + 0.25 * rand()) for w in self._solar_weights(day)]
            generation = _spread(generated, solar)
        else:
            generation = [0] * SLOTS_PER_DAY
        return consumption, generation, rng

    def _created_at(self, day: date, day_str: str, next_str: str) -> list[str]:
        suffixes = _created_suffixes(self.refresh_minute)
        hourly = [(next_str if offset else day_str) + suffix for offset, suffix in suffixes]
        if self.linked_at is None:
            return hourly
        backfill = self._backfill_created()
        if midnight(day) + timedelta(days=1) <= self.linked_at:
            return [backfill] * SLOTS_PER_DAY
        if midnight(day) >= self.linked_at:
            return hourly
        return [max(backfill, created) for created in hourly]

    def render_day(self, day: date, first_slot: int, end_slot: int, conflicts_allowed: bool) -> str:
        """Readings [first_slot, end_slot) of one UTC day as comma-separated JSON objects."""
        consumption, generation, rng = self.readings_for_day(day)
        # Drawn after the readings so that a conflict never changes the values that add up.
        conflict = None
        if conflicts_allowed and rng.random() < CONFLICT_RATE * SLOTS_PER_DAY:
            conflict = (rng.randrange(SLOTS_PER_DAY), rng.random(), rng.uniform(1.08, 1.6))
            if not consumption[conflict[0]]:
                conflict = None  # Bayou only reports conflicts between two non-zero readings
        day_start = midnight(day)
        if self.linked_at is None or day_start >= self.linked_at:
            created_mode = "hourly"
        elif day_start + timedelta(days=1) <= self.linked_at:
            created_mode = "backfill"
        else:
            created_mode = "mixed"
        skip = frozenset()
        if self.missing_slots:
            base = day.toordinal() * SLOTS_PER_DAY
            skip = frozenset(slot - base for slot in self.missing_slots if base <= slot < base + SLOTS_PER_DAY)
        if (first_slot == 0 and end_slot == SLOTS_PER_DAY and conflict is None and created_mode != "mixed"
                and not skip):
            return self._render_full_day(day, consumption, generation, created_mode)
        return self._render_slots(day, first_slot, end_slot, consumption, generation, conflict, skip)

    def _render_full_day(self, day: date, consumption: list[int], generation: list[int], created_mode: str) -> str:
        """The common case, with the per-reading work in C: a cached template and one % format."""
        carbon = self.carbon_from is not None and day >= self.carbon_from
        key = (self.type, created_mode, self.refresh_minute if created_mode == "hourly" else None,
               self.utc_offset_hours if carbon else None)
        if created_mode == "backfill":
            # The backfill time is this meter's own, so its templates live on the meter.
            template = self._backfill_templates.get(key)
            if template is None:
                text = _day_template(*key).replace("@B", self._backfill_created())
                template = self._backfill_templates[key] = _DayTemplate(text)
        else:
            template = _DAY_TEMPLATES.get(key)
            if template is None:
                template = _DAY_TEMPLATES[key] = _DayTemplate(_day_template(*key))
        if self.type == "electric":
            values = [0] * (4 * SLOTS_PER_DAY)
            values[0::4] = consumption
            values[1::4] = map(operator.sub, consumption, generation)
            values[2::4] = generation
            values[3::4] = [c * 4 for c in consumption]
        else:
            values = [_gas_text(c) for c in consumption]
        return template.fill(day.isoformat(), (day + timedelta(days=1)).isoformat()) % tuple(values)

    def _backfill_created(self) -> str:
        # History that existed before the link was fetched in one go, right after the link.
        return iso_z(self.linked_at + timedelta(minutes=3 + self.refresh_minute))

    def _render_slots(self, day, s, e, consumption, generation, conflict, skip=frozenset()) -> str:
        """Any slot range, conflicts and the link day (whose readings mix backfill and hourly);
        the slots of `skip` (planted gaps) are left out, so the text may be empty."""
        day_str = day.isoformat()
        next_str = (day + timedelta(days=1)).isoformat()
        times = [day_str + clock for clock in _CLOCK]
        times.append(next_str + _MIDNIGHT)
        created = self._created_at(day, day_str, next_str)
        if self.carbon_from is not None and day >= self.carbon_from:
            extra = _carbon_extras(self.utc_offset_hours)
        else:
            extra = [""] * SLOTS_PER_DAY
        if self.type == "electric":
            rows = [
                f'{{"start":"{a}","end":"{b}","electricity_consumption":{c},'
                f'"net_electricity_consumption":{c - g},"generated_electricity":{g},'
                f'"electricity_demand":{c * 4},"gas_consumption":null,'
                f'"created_at":"{t}","updated_at":"{t}"{x}}}'
                for a, b, c, g, t, x in zip(
                    times[s:e], times[s + 1 : e + 1], consumption[s:e], generation[s:e], created[s:e], extra[s:e]
                )
            ]
        else:
            rows = [
                f'{{"start":"{a}","end":"{b}","electricity_consumption":null,'
                f'"net_electricity_consumption":null,"generated_electricity":null,'
                f'"electricity_demand":null,"gas_consumption":{_gas_text(c)},'
                f'"created_at":"{t}","updated_at":"{t}"{x}}}'
                for a, b, c, t, x in zip(times[s:e], times[s + 1 : e + 1], consumption[s:e], created[s:e], extra[s:e])
            ]
        if conflict is not None and s <= conflict[0] < e:
            slot, pick, bump = conflict
            rows[slot - s] = self._conflict_row(slot, pick, bump, times, consumption, generation, created, extra)
        if skip:
            rows = [row for offset, row in enumerate(rows) if s + offset not in skip]
        return ",".join(rows)

    def _conflict_row(self, slot, pick, bump, times, consumption, generation, created, extra) -> str:
        c, g = consumption[slot], generation[slot]
        updated = iso_z(datetime.fromisoformat(created[slot].replace("Z", "+00:00")) + timedelta(days=1))
        row: dict = {"start": times[slot], "end": times[slot + 1]}
        if self.type == "electric":
            row |= {
                "electricity_consumption": c,
                "net_electricity_consumption": c - g,
                "generated_electricity": g,
                "electricity_demand": c * 4,
                "gas_consumption": None,
            }
            if pick < 0.8 or (pick < 0.9 and not g):
                name = "electricity_consumption"
            elif pick < 0.9:
                name = "generated_electricity"
            else:
                name = "electricity_demand"
            current = row[name]
            row[name] = [int(current * bump) + 1, current]
        else:
            row |= {
                "electricity_consumption": None,
                "net_electricity_consumption": None,
                "generated_electricity": None,
                "electricity_demand": None,
                "gas_consumption": [(int(c * bump) + 1) / GAS_UNITS_PER_THERM, c / GAS_UNITS_PER_THERM],
            }
        row["created_at"] = created[slot]
        row["updated_at"] = updated
        text = orjson.dumps(row).decode()
        return text[:-1] + extra[slot] + "}"


# Therms as the shortest float text, from a table: repr() per reading is slow.
_GAS_TEXTS = [repr(i / GAS_UNITS_PER_THERM) for i in range(4_000)]


def _gas_text(units: int) -> str:
    return _GAS_TEXTS[units] if units < 4_000 else repr(units / GAS_UNITS_PER_THERM)


class _DayTemplate:
    """A day of readings with %-placeholders for values, split at the @D (day) markers.

    str.replace over a day is slow (hundreds of markers); joining the pieces with the date
    costs a few microseconds. The few pieces with an @N (next day) marker are patched first.
    """

    __slots__ = ("pieces", "next_day_pieces")

    def __init__(self, text: str) -> None:
        self.pieces = text.split("@D")
        self.next_day_pieces = [i for i, piece in enumerate(self.pieces) if "@N" in piece]

    def fill(self, day: str, next_day: str) -> str:
        pieces = self.pieces
        if self.next_day_pieces:
            pieces = pieces.copy()
            for i in self.next_day_pieces:
                pieces[i] = pieces[i].replace("@N", next_day)
        return day.join(pieces)


_DAY_TEMPLATES: dict[tuple, _DayTemplate] = {}


def _day_template(kind: str, created_mode: str, refresh_minute: int | None, carbon_offset: int | None) -> str:
    """The text of a whole day of readings: %-placeholders for values, @D/@N/@B for dates.

    Hourly templates are shared by every meter with the same kind, refresh minute and carbon
    shape, so their cache stays small whatever the number of customers.
    """
    extras = _carbon_extras(carbon_offset) if carbon_offset is not None else [""] * SLOTS_PER_DAY
    rows = []
    for slot in range(SLOTS_PER_DAY):
        start = "@D" + _CLOCK[slot]
        end = "@D" + _CLOCK[slot + 1] if slot + 1 < SLOTS_PER_DAY else "@N" + _MIDNIGHT
        if created_mode == "backfill":
            created = "@B"
        else:
            offset, suffix = _created_suffixes(refresh_minute)[slot]
            created = ("@N" if offset else "@D") + suffix
        if kind == "electric":
            values = ('"electricity_consumption":%d,"net_electricity_consumption":%d,'
                      '"generated_electricity":%d,"electricity_demand":%d,"gas_consumption":null')
        else:
            values = ('"electricity_consumption":null,"net_electricity_consumption":null,'
                      '"generated_electricity":null,"electricity_demand":null,"gas_consumption":%s')
        rows.append(f'{{"start":"{start}","end":"{end}",{values},"created_at":"{created}",'
                    f'"updated_at":"{created}"{extras[slot]}}}')
    return ",".join(rows)


# ---------------------------------------------------------------------------------------------
# Customers and bills
# ---------------------------------------------------------------------------------------------


@dataclass
class BillRecord:
    id: int
    customer_id: int
    account_number: str
    meter_ids: tuple[str, ...]
    billed_on: date | None
    billing_period_from: date | None
    billing_period_to: date | None
    default_status: str  # unlocked | locked | unparsed, before any API unlock
    unlocked: dict  # the bill as Bayou returns it once unlocked
    locked: dict  # the seed's locked fields only
    unparsed: dict  # locked fields + status "unparsed", no meters
    dashboard_unlocked: bool = False


@dataclass
class CustomerRecord:
    id: int
    index: int
    payload: dict
    meters: list[Meter]
    bills: list[BillRecord]
    linked_at: datetime | None

    @property
    def interval_meters(self) -> list[Meter]:
        return [m for m in self.meters if m.has_intervals]


# (utility, link window in days before anchor or None, gas, accounts, solar, first intervals at link)
_PATTERNS = (
    ("speculoos_power", (790, 910), True, 1, False, False),
    ("pacific_gas_and_electric", (30, 90), True, 1, True, False),
    ("con_edison", (240, 425), True, 1, False, True),
    ("seattle_city_light", (610, 790), False, 2, False, False),
    (None, None, False, 0, False, False),  # never finished linking
    ("national_grid", (30, 90), True, 1, False, False),
    ("pacific_gas_and_electric", (180, 365), False, 1, False, False),
    ("speculoos_power", (610, 910), True, 2, True, False),
)
_NO_INTERVALS_PATTERN = 6  # an interval utility, but this account has no interval data
_FIRST_NAMES = ("Ada", "Bruno", "Chloe", "Dmitri", "Elena", "Farid", "Grace", "Hiro", "Ines", "Jamal",
                "Keiko", "Luis", "Maya", "Noah", "Olga", "Priya", "Quinn", "Rosa", "Sami", "Tess")
_LAST_NAMES = ("Alvarez", "Baker", "Chen", "Dubois", "Eriksen", "Fischer", "Garcia", "Hassan", "Ito",
               "Jensen", "Kowalski", "Lopez", "Moreau", "Nguyen", "Okafor", "Patel", "Rossi", "Silva")
_STREETS = ("Maple Ave", "Oak St", "Elm St", "Cedar Ln", "Pine Rd", "Harbor Way", "Hillside Dr", "Mill St")


def _usage(value: float, text_format: str, as_text: bool) -> float | str:
    return text_format.format(value) if as_text else value


def _signature(seed: int, bill_id: int) -> str:
    return hashlib.sha256(f"bayou-sandbox:{seed}:{bill_id}".encode()).hexdigest()


def _file_url(seed: int, bill_id: int) -> str:
    return (
        f"https://bayou-sandbox.s3.amazonaws.com/bills/{bill_id}.pdf"
        f"?X-Amz-Expires=900&X-Amz-Signature={_signature(seed, bill_id)}"
    )


class _CustomerBuilder:
    def __init__(self, dataset: BayouDataset, index: int, meter_ids: set[str]) -> None:
        self.ds = dataset
        self.index = index
        self.rng = _rng(dataset.seed, 7919, index)
        self.customer_id = 1001 + index
        self.pattern = index % len(_PATTERNS)
        self.meter_ids = meter_ids

    def _unique_meter_id(self, digits: int) -> str:
        while True:
            candidate = str(self.rng.randrange(10 ** (digits - 1), 10**digits))
            if candidate not in self.meter_ids:
                self.meter_ids.add(candidate)
                return candidate

    def build(self) -> CustomerRecord:
        ds, rng, index = self.ds, self.rng, self.index
        utility_id, link_window, has_gas, accounts, solar, intervals_at_link = _PATTERNS[self.pattern]
        later_block = index >= len(_PATTERNS)
        if utility_id is None:
            utility_id = ("speculoos_power", "pacific_gas_and_electric")[(index // len(_PATTERNS)) % 2]
        utility = UTILITIES[utility_id]
        if later_block and link_window is not None:
            # Beyond the first block, vary the optional features so large datasets are not clones.
            solar = rng.random() < 0.3
            accounts = 2 if rng.random() < 0.25 else 1
            has_gas = utility.gas_service and rng.random() < 0.7
        has_gas = has_gas and utility.gas_service

        first, last = rng.choice(_FIRST_NAMES), rng.choice(_LAST_NAMES)
        city, state, zip_prefix = rng.choice(utility.places)
        street = f"{rng.randint(10, 4999)} {rng.choice(_STREETS)}"
        line_2 = f"Apt {rng.randint(1, 40)}" if rng.random() < 0.3 else None
        zipcode = f"{zip_prefix}{rng.randint(0, 99):02d}"
        address = f"{street}{', ' + line_2 if line_2 else ''}, {city}, {state} {zipcode}"
        token = hashlib.sha256(f"onboarding:{ds.seed}:{index}".encode()).hexdigest()[:32]
        terms_offset = timedelta(minutes=rng.randint(2, 30))

        linked_at = None
        if link_window is not None:
            days_before = rng.randint(*link_window)
            seconds = rng.randint(8 * 3600, 22 * 3600)
            linked_at = midnight(ds.anchor - timedelta(days=days_before)) + timedelta(seconds=seconds)
        accepted_terms = linked_at - terms_offset if linked_at else (
            midnight(ds.anchor - timedelta(days=rng.randint(5, 60))) + timedelta(hours=15) if index % 16 == 4 else None
        )

        tags = ["sandbox"] if utility_id == "speculoos_power" else []
        if solar:
            tags.append("solar")
        community_solar = (self.pattern == 6) or (later_block and rng.random() < 0.15)
        if community_solar:
            tags.append("community_solar")

        meters: list[Meter] = []
        account_numbers: list[dict] = []
        has_intervals = linked_at is not None and utility.supports_intervals and self.pattern != _NO_INTERVALS_PATTERN
        if linked_at is not None:
            link_day = linked_at.date()
            intervals_from_day = link_day if intervals_at_link else add_months(link_day, -13)
            intervals_from_day = max(intervals_from_day, add_months(ds.anchor, -ds.months))
            service_start = add_months(min(link_day, add_months(ds.anchor, -ds.months)), -rng.randint(26, 60))
            refresh_minute = rng.randint(1, 14)
            carbon_from = link_day if self.pattern in (1, 7) else None
            for account_index in range(accounts):
                number = _fill(utility.account_number_format, rng)
                primary = account_index == 0  # the home; a second account is a smaller extra service
                account_address = address if primary else (
                    f"{rng.randint(10, 4999)} {rng.choice(_STREETS)}, {city}, {state} {zipcode}"
                )
                kinds = ["electric"] + (["gas"] if has_gas and primary else [])
                account_meters = []
                for kind in kinds:
                    electric = kind == "electric"
                    meter_solar = solar and electric and primary
                    if meter_solar:
                        attributes = {"net_metering": True}
                    elif rng.random() < 0.4:
                        attributes = {"service_point_id": f"SP{rng.randint(10**7, 10**8 - 1)}"}
                    else:
                        attributes = {}
                    if electric:
                        base_daily = rng.uniform(14_000, 32_000) if primary else rng.uniform(3_000, 8_000)
                        amplitude = rng.uniform(0.4, 0.9)
                    else:
                        base_daily, amplitude = rng.uniform(2_800, 5_200), rng.uniform(0.9, 1.3)
                    meter = Meter(
                        id=self._unique_meter_id(12 if electric else 10),
                        type=kind,
                        customer_id=self.customer_id,
                        account_number=number,
                        address=account_address,
                        tariffs=self._tariffs(utility, kind, service_start),
                        additional_attributes=attributes,
                        seed_key=(ds.seed * 100_003 + index) * 7 + len(meters),
                        utc_offset_hours=utility.utc_offset_hours,
                        base_daily=base_daily,
                        seasonal_amplitude=amplitude,
                        solar_kw=round(rng.uniform(3.5, 8.0), 1) if meter_solar else 0.0,
                        intervals_from=(
                            midnight(intervals_from_day)
                            if has_intervals and (electric or utility.gas_intervals) else None
                        ),
                        linked_at=linked_at,
                        carbon_from=carbon_from,
                        refresh_minute=refresh_minute,
                    )
                    if ds.planted:
                        meter.missing_slots = ds.planted.missing_slots(meter.id)
                        meter.billed_factors = ds.planted.billed_factors(meter.id)
                    meters.append(meter)
                    account_meters.append(meter.public())
                account_numbers.append({"id": number, "meters": account_meters})

        interval_meters = [m for m in meters if m.has_intervals]
        first_interval = min((m.intervals_from for m in interval_meters), default=None)
        payload = {
            "id": self.customer_id,
            "external_id": None if self.pattern == 3 else f"cust-{index + 1:04d}",
            "email": f"{first.lower()}.{last.lower()}{index + 1}@example.com",
            "first_name": first,
            "last_name": last,
            "address_line_1": street,
            "address_line_2": line_2,
            "city": city,
            "state": state,
            "zipcode": zipcode,
            "utility": utility_id,
            "onboarding_link": f"https://sandbox.bayou.energy/onboard/{token}",
            "onboarding_token": token,
            "tags": tags,
            "has_accepted_terms_on": iso_z(accepted_terms) if accepted_terms else None,
            "has_filled_credentials": linked_at is not None,
            "has_filled_credentials_on": iso_z(linked_at) if linked_at else None,
            "bills_are_ready": linked_at is not None,
            "utility_has_intervals": utility.supports_intervals,
            "account_has_intervals": bool(interval_meters),
            "intervals_are_ready": bool(interval_meters),
            "first_interval_discovered": iso_z(first_interval) if first_interval else None,
            "last_interval_discovered": iso_z(ds.interval_end) if interval_meters else None,
            "account_numbers": account_numbers,
        }
        if self.pattern in (2, 5):
            payload["enrollment_channel"] = "partner_portal" if self.pattern == 2 else "web"
        customer = CustomerRecord(self.customer_id, index, payload, meters, [], linked_at)
        if linked_at is not None:
            customer.bills = self._bills(customer, utility, community_solar)
        return customer

    def _tariffs(self, utility: Utility, kind: str, service_start: date) -> list[dict]:
        names = utility.electric_tariffs if kind == "electric" else utility.gas_tariffs
        if len(names) > 1 and self.rng.random() < 0.45:
            changed = add_months(self.ds.anchor, -self.rng.randint(3, 20))
            return [
                {"tariff": names[0], "period_from": service_start.isoformat(),
                 "period_to": (changed - timedelta(days=1)).isoformat()},
                {"tariff": names[1], "period_from": changed.isoformat(), "period_to": None},
            ]
        return [{"tariff": names[0], "period_from": service_start.isoformat(), "period_to": None}]

    def _periods(self, history_start: date, read_day: int, rng: random.Random) -> Iterator[tuple[date, date, date]]:
        """(from, to, billed_on) of consecutive monthly periods, from just before history_start."""
        anchor = date(history_start.year, history_start.month, read_day)
        previous_to = add_months(anchor, -2)
        n = -1
        while True:
            target = add_months(anchor, n) + timedelta(days=rng.randint(-1, 1))
            length = min(33, max(28, (target - previous_to).days))
            period_to = previous_to + timedelta(days=length)
            yield previous_to + timedelta(days=1), period_to, period_to + timedelta(days=rng.randint(0, 3))
            previous_to = period_to
            n += 1

    def _bills(self, customer: CustomerRecord, utility: Utility, community_solar: bool) -> list[BillRecord]:
        ds, rng, index = self.ds, self.rng, self.index
        link_day = customer.linked_at.date()
        history_start = max(add_months(ds.anchor, -ds.months), add_months(link_day, -24))
        unlocked_from = add_months(link_day, -COMPANY_HISTORY_MONTHS)
        late_payer = rng.random() < 0.3
        drafts = []
        for account_index, account in enumerate(customer.payload["account_numbers"]):
            meters = [m for m in customer.meters if m.account_number == account["id"]]
            account_rng = _rng(ds.seed, 104_729, index, account_index)
            read_day = account_rng.randint(1, 28)
            for period_from, period_to, billed_on in self._periods(history_start, read_day, account_rng):
                if billed_on > ds.as_of:
                    break
                roll = (account_rng.random(), account_rng.random(), account_rng.random())
                if billed_on < history_start:
                    continue
                drafts.append((billed_on, account_index, account["id"], meters, period_from, period_to, roll))
        drafts.sort(key=lambda d: (d[0], d[1]))

        bills = []
        carried_balance = 0
        for sequence, (billed_on, account_index, number, meters, period_from, period_to, roll) in enumerate(drafts):
            bill_id = 10_000 + customer.index * 1_000 + sequence
            as_text = roll[0] < 0.08 or (self.pattern == 2 and sequence % 3 == 0)  # "50000.000" quirk
            int_account_quirk = utility.account_numbers_are_numeric and (
                roll[1] < 0.1 or (self.pattern == 0 and sequence % 4 == 1)
            )
            electric_wh = sum(m.billed_consumption(period_from, period_to) for m in meters if m.type == "electric")
            gas_units = sum(m.billed_consumption(period_from, period_to) for m in meters if m.type == "gas")
            has_gas = any(m.type == "gas" for m in meters)
            therms = gas_units / GAS_UNITS_PER_THERM
            gas_quantity = round(therms * CCF_PER_THERM, 3) if utility.gas_unit == "ccf" else therms
            inflation = 1 + 0.035 * (period_to.year - 2020 + period_to.month / 12)
            kwh = electric_wh / 1000
            delivery = round((utility.fixed_cents + kwh * utility.delivery_cents_per_kwh) * inflation)
            supply = round(kwh * utility.supply_cents_per_kwh * inflation)
            electricity_amount = delivery + supply
            gas_amount = round(therms * utility.gas_cents_per_therm * inflation) + (900 if has_gas else 0)
            credit = -round(electricity_amount * 0.12) if community_solar else 0
            total = electricity_amount + gas_amount + credit
            outstanding = total + carried_balance
            carried_balance = total if late_payer and roll[2] < 0.25 else 0

            account_value = int(number) if int_account_quirk else number
            bill_meters = []
            for meter in meters:
                if meter.type == "electric":
                    meter_consumption = _usage(meter.billed_consumption(period_from, period_to), "{}.000", as_text)
                else:
                    meter_therms = meter.billed_consumption(period_from, period_to) / GAS_UNITS_PER_THERM
                    meter_quantity = (
                        round(meter_therms * CCF_PER_THERM, 3) if utility.gas_unit == "ccf" else meter_therms
                    )
                    meter_consumption = _usage(meter_quantity, "{:.3f}", as_text)
                bill_meters.append({
                    "id": meter.id,
                    "status": "unlocked",
                    "type": meter.type,
                    "billing_period_from": period_from.isoformat(),
                    "billing_period_to": period_to.isoformat(),
                    "consumption": meter_consumption,
                    "address": meter.address,
                    "tariff": meter.tariff_on(period_to),
                    "additional_attributes": meter.additional_attributes,
                })
            external_id = None
            customer_external_id = customer.payload["external_id"]
            unlocked = {
                "id": bill_id,
                "external_id": external_id,
                "status": "unlocked",
                "customer_id": customer.id,
                "customer_external_id": customer_external_id,
                "billed_on": billed_on.isoformat(),
                "utility": utility.id,
                "account_number": account_value,
                "billing_period_from": period_from.isoformat(),
                "billing_period_to": period_to.isoformat(),
                "outstanding_balance": outstanding,
                "electricity_consumption": _usage(electric_wh, "{}.000", as_text),
                "electricity_amount": electricity_amount,
                "delivery_charge": delivery,
                "supply_charge": supply,
                "community_solar_bill_credit": credit,
                "gas_amount": gas_amount,
                "gas_consumption": _usage(gas_quantity, "{:.3f}", as_text) if has_gas else None,
                "gas_consumption_unit": utility.gas_unit if has_gas else None,
                "total_amount": total,
                "file_url": _file_url(ds.seed, bill_id),
                "meters": bill_meters,
            }
            if self.pattern == 3 and billed_on >= link_day:
                unlocked["carbon_footprint_kg"] = round(kwh * 0.21, 1)
            locked = {
                "external_id": external_id,
                "id": bill_id,
                "customer_id": customer.id,
                "customer_external_id": customer_external_id,
                "billed_on": billed_on.isoformat(),
                "utility": utility.id,
                "account_number": account_value,
                "billing_period_from": period_from.isoformat(),
                "billing_period_to": period_to.isoformat(),
                "meters": [
                    {"id": m["id"], "type": m["type"], "tariff": "Unspecified",
                     "billing_period_to": m["billing_period_to"], "billing_period_from": m["billing_period_from"]}
                    for m in bill_meters
                ],
            }
            unparsed = {"status": "unparsed", **locked, "meters": []}
            status = "unlocked" if billed_on >= unlocked_from else "locked"
            if billed_on >= ds.as_of - timedelta(days=1):
                status = "unparsed"
            bills.append(BillRecord(
                bill_id, customer.id, number, tuple(m.id for m in meters), billed_on, period_from, period_to,
                status, unlocked, locked, unparsed,
            ))
        if self.pattern == 5 and len(bills) >= 3:
            # A statement Bayou never managed to parse; it stays unparsed whatever as_of is.
            bills[2].default_status = "unparsed"
        return bills


# ---------------------------------------------------------------------------------------------
# The dataset
# ---------------------------------------------------------------------------------------------


@dataclass
class IntervalSelection:
    """What one `GET /customers/{id}/intervals` returns, rendered on demand."""

    dataset: BayouDataset
    customer: CustomerRecord
    meters: list[Meter]
    start: datetime | None
    end: datetime | None

    def _slot_range(self, meter: Meter) -> tuple[int, int]:
        first = _slot_number(meter.intervals_from)
        stop = _slot_number(self.dataset.interval_end)
        if self.start is not None:
            first = max(first, _slot_ceil(self.start))
        if self.end is not None:
            stop = min(stop, _slot_ceil(self.end))
        return first, max(first, stop)

    @property
    def reading_count(self) -> int:
        return sum(stop - first for first, stop in map(self._slot_range, self.meters))

    def header(self) -> bytes:
        payload = self.customer.payload
        return (
            b'{"first_interval_discovered":' + orjson.dumps(payload["first_interval_discovered"])
            + b',"last_interval_discovered":' + orjson.dumps(payload["last_interval_discovered"])
            + b',"granularities":[' + str(GRANULARITY_MINUTES).encode() + b'],"meters":['
        )

    def iter_json(self, chunk_readings: int = 4 * SLOTS_PER_DAY) -> Iterator[bytes]:
        """The response body in chunks of about `chunk_readings` readings."""
        conflict_until = self.dataset.as_of - timedelta(days=2)
        yield self.header()
        for meter_number, meter in enumerate(self.meters):
            opening = b'{"id":' + orjson.dumps(meter.id) + b',"granularities":[15],"intervals":['
            yield (b"," + opening) if meter_number else opening
            first, stop = self._slot_range(meter)
            pending: list[str] = []
            pending_readings = 0
            wrote_any = False
            slot = first
            while slot < stop:
                ordinal, first_in_day = divmod(slot, SLOTS_PER_DAY)
                end_in_day = min(SLOTS_PER_DAY, stop - ordinal * SLOTS_PER_DAY)
                day = date.fromordinal(ordinal)
                text = meter.render_day(day, first_in_day, end_in_day, day <= conflict_until)
                if text:  # empty only when a planted gap covers every slot asked for
                    pending.append(text)
                pending_readings += end_in_day - first_in_day
                slot = (ordinal + 1) * SLOTS_PER_DAY
                if pending_readings >= chunk_readings:
                    text = ",".join(pending)
                    yield (("," + text) if wrote_any else text).encode()
                    wrote_any, pending, pending_readings = True, [], 0
            if pending:
                text = ",".join(pending)
                yield (("," + text) if wrote_any else text).encode()
            yield b"]}"
        yield b"]}"

    def to_bytes(self) -> bytes:
        return b"".join(self.iter_json(chunk_readings=1 << 62))


def _slot_number(moment: datetime) -> int:
    """Index of the 15-minute slot containing `moment`, counted from 0001-01-01 00:00Z."""
    moment = moment.astimezone(UTC)
    return moment.toordinal() * SLOTS_PER_DAY + (moment.hour * 60 + moment.minute) // GRANULARITY_MINUTES


def _slot_ceil(moment: datetime) -> int:
    """First slot starting at or after `moment`."""
    moment = moment.astimezone(UTC)
    slot = _slot_number(moment)
    on_boundary = moment.minute % GRANULARITY_MINUTES == 0 and moment.second == 0 and moment.microsecond == 0
    return slot if on_boundary else slot + 1


@dataclass
class BayouDataset:
    seed: int
    customer_count: int
    months: int
    as_of: date
    utilities: list[Utility] = field(default_factory=lambda: list(UTILITIES.values()))
    customers: list[CustomerRecord] = field(default_factory=list)
    bills: list[BillRecord] = field(default_factory=list)
    planted: PlantedFaults = field(default_factory=PlantedFaults)

    @property
    def anchor(self) -> date:
        return self.as_of.replace(day=1)

    @property
    def now(self) -> datetime:
        return datetime.combine(self.as_of, SANDBOX_CLOCK, tzinfo=UTC)

    @property
    def interval_end(self) -> datetime:
        """End of the newest reading (exclusive bound on reading starts)."""
        return self.now - INTERVAL_LAG

    def _index(self) -> None:
        self._customers_by_id = {c.id: c for c in self.customers}
        self._bills_by_id = {b.id: b for b in self.bills}
        self._meters = {m.id: m for c in self.customers for m in c.meters}

    def customer(self, customer_id: int) -> CustomerRecord | None:
        return self._customers_by_id.get(customer_id)

    def bill(self, bill_id: int) -> BillRecord | None:
        return self._bills_by_id.get(bill_id)

    def meter(self, meter_id: str) -> Meter | None:
        return self._meters.get(meter_id)

    @property
    def default_unlocked_bill_ids(self) -> frozenset[int]:
        """Bills that come back unlocked before any API unlock (dashboard defaults and hand unlocks)."""
        return frozenset(b.id for b in self.bills if b.default_status == "unlocked")

    @property
    def dashboard_unlocked_bill_ids(self) -> frozenset[int]:
        return frozenset(b.id for b in self.bills if b.dashboard_unlocked)

    def intervals(
        self, customer: CustomerRecord, start: datetime | None = None, end: datetime | None = None,
        meter_id: str | None = None,
    ) -> IntervalSelection:
        meters = customer.interval_meters
        if meter_id is not None:
            meters = [m for m in meters if m.id == meter_id]
        return IntervalSelection(self, customer, meters, start, end)

    def summary(self) -> dict:
        return {
            "seed": self.seed,
            "customers": self.customer_count,
            "months": self.months,
            "as_of": self.as_of.isoformat(),
            "now": iso_z(self.now),
            "interval_end": iso_z(self.interval_end),
            "bills": len(self.bills),
            "meters": len(self._meters),
            "interval_meters": sum(len(c.interval_meters) for c in self.customers),
            "default_unlocked_bills": len(self.default_unlocked_bill_ids),
            "dashboard_unlocked_bill_ids": sorted(self.dashboard_unlocked_bill_ids),
        }


def generate_dataset(seed: int = 7, customers: int = 8, months: int = 24, as_of: date | None = None,
                     planted: PlantedFaults | None = None) -> BayouDataset:
    """The dataset; `planted` data faults (default: `BAYOU_SANDBOX_PLANTED`, unset = none)."""
    if customers < 0 or customers > 900:
        raise ValueError("customers must be between 0 and 900")
    if months < 1 or months > 120:
        raise ValueError("months must be between 1 and 120")
    if as_of is None:
        as_of = datetime.now(UTC).date()
    if planted is None:
        planted = PlantedFaults.from_env()
    dataset = BayouDataset(seed=seed, customer_count=customers, months=months, as_of=as_of, planted=planted)
    meter_ids: set[str] = set()
    hand_unlock_candidates = 0
    for index in range(customers):
        customer = _CustomerBuilder(dataset, index, meter_ids).build()
        locked = [b for b in customer.bills if b.default_status == "locked"]
        if locked:
            # Every third customer with locked history had one old bill unlocked in the dashboard.
            if hand_unlock_candidates % 3 == 0:
                chosen = _rng(seed, 31, index).choice(locked)
                chosen.default_status = "unlocked"
                chosen.dashboard_unlocked = True
            hand_unlock_candidates += 1
        dataset.customers.append(customer)
        dataset.bills.extend(customer.bills)
    dataset._index()
    return dataset


# ---------------------------------------------------------------------------------------------
# Settings from the environment
# ---------------------------------------------------------------------------------------------


def sandbox_settings_from_env(environ: Mapping[str, str] | None = None) -> SandboxSettings:
    """Generator settings from BAYOU_SANDBOX_SEED, _CUSTOMERS, _MONTHS, _AS_OF."""
    return settings_from_env(environ, "bayou", {"seed": 7, "customers": 8, "months": 24})

"""Deterministic synthetic data for the WattzOn Link API 4.0 sandbox.

`generate_dataset(seed=7, profiles=6, months=24, as_of=None)` returns a `WattzonDataset`: ZIP
codes, utility providers, pre-existing profiles with credentials, bill statements and the job
history that extracted them. Interval readings are never stored: a month file is computed when
asked for, so 200 profiles x 24 months costs a few MB.

Same seed, scale and `as_of` give byte-identical API responses. Every number comes from
`random.Random` instances seeded with integers derived from (seed, profile id, meter, month or
day); nothing depends on hash randomisation, the wall clock or generation order.

Time model (fixed assumptions)
* `as_of` (default: today, UTC) is the sandbox's today; its clock reads `as_of 12:00Z`
  (`dataset.now`). Runtime events (created profiles, jobs) are stamped on a virtual clock that
  starts there (see app.py), so a scripted sequence of calls always gives the same answers.
* History window: statements whose period starts on or after `dataset.history_start`
  (`months` months before the first day of `as_of`'s month, plus 0-9 days) and whose bill was
  issued on or before `as_of`.
* Profiles were created between about 3 years and 2 days before `as_of` (the first few spread
  deliberately: ~3 years, 2 years, 13 months, 5 months, 6 weeks, a few days). A bill job ran at
  creation, then monthly (same day of month, profile-specific time); a bill job extracts every
  statement issued on or before its day. Statements issued after the last monthly job are not
  extracted yet: the next bill job started through the API finds them.
* Interval data (15-minute electric readings) is extracted by daily interval jobs at a
  profile-specific time between 11:00 and 11:29 UTC; a job sees readings up to one hour before it
  started, floored to 15 minutes. Only the jobs that matter are materialised: the one that
  completed each month (the first daily job after the month's local end, or the creation-time
  job) and the latest one (on `as_of`), which extracted the current, incomplete month.

Bills (`GET data/bills/{profile_id}`)
* One statement per billing period (28-33 local days, consecutive). It yields one record per
  meter (`electricity`, `gas`, `water`) plus one `billing` record, all with the statement's
  `account_number` and `bill_date`: group records into a bill by (profile, account_number,
  bill_date). Each record has its own 24-hex `bill_id` (a Mongo ObjectId-like value whose first
  8 hex digits are a unix time shortly after the bill date); every `pdf` of a statement serves the
  same PDF.
* Dates are ISO 8601 UTC strings without offset, as in the seed: `start_date` =
  `<first day>T00:00:00`, `end_date` = `<last day>T23:59:59`, `bill_date` / `due_date` /
  `payment_date` / `date` = `<day>T00:00:00`.
* Money is in USD with 2 decimals (computed in integer cents): `cost` per commodity record;
  billing `current_charges` = sum of the statement's commodity costs and `total_amount_due` =
  `previous_balance - payment_received + current_charges` exactly (in cents);
  `past_due_balance` = `max(0, previous_balance - payment_received)`; `previous_balance` is the
  previous statement's `total_amount_due`. `payment_date` is null when nothing was paid.
* Units: electricity `KWh` (spelled as in the seed), gas `therms`, water `ccf`. Electricity
  `usage` is exactly the sum of that meter's interval readings over the period's local days
  (interval meters only; for Mock providers the interval `meter_id` is `__mock_meter__<profile
  id>` as in the seed, while bills carry a numeric `meter_number`). Solar profiles (tag
  `solar`) have `exported_energy` (KWh) on electricity records; intervals carry only
  consumption delivered from the grid.
* Optional fields are left out when unknown (e.g. `retail_energy_provider`).
* Older agent: for Consolidated Edison (id 1377) the statements issued more than 12 months
  before `as_of`'s month have `date`-only commodity records (an interpolated mid-period day, no
  `start_date`/`end_date`) and no PDF, and their interval months have no normalized csv/json
  (404 "Normalized data not available"; `source` works). PDFs are also missing ("pdf": "") for
  every statement issued more than 18 months before `as_of`'s month.

Intervals (`GET data/intervals/...`)
* Periods are per meter and local calendar month of the provider's time zone:
  `first_interval` = local midnight of the 1st (as a unix timestamp), `last_interval` = start of
  the last extracted 15-minute reading. DST months have 4 readings fewer (spring) or more (fall).
  Months before the current one are `complete: true`; the current month is `complete: false` and
  extends up to the latest interval job's cutoff. History: from the later of the history window's
  month and 12 months before the profile's creation month.
* Month files, `format=json` (normalized):
  `{"meter_id", "month_id", "timezone", "interval_minutes": 15, "unit": "kWh", "complete",
  "first_interval", "last_interval", "readings": [{"start": unix, "end": unix, "start_local":
  "2025-03-09T03:00:00-07:00", "value": kWh}]}`; readings ordered by `start`, `end` = `start` + 900.
* `format=csv` (normalized): header `start,end,start_local,value`, one row per reading, same
  meaning as the JSON fields (`value` in kWh with 3 decimals), `\n` line ends.
* `format=source` (default): the utility's own CSV export ("Download my data" style) with local
  wall-clock times and no offsets, so the repeated hour of a fall-back day is ambiguous:
  four `Key,Value` lines (Name, Address, Account Number, Service), a blank line, then
  `TYPE,DATE,START TIME,END TIME,USAGE,UNITS,NOTES` and rows like
  `Electric usage,2025-03-01,00:00,00:14,0.412,kWh,`. `source_file_size` is its size in bytes.
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
from zoneinfo import ZoneInfo

import orjson

from ...core.sandbox_kit import SandboxSettings, settings_from_env

API_PREFIX = "/link/4.0"
INTERVAL_MINUTES = 15
INTERVAL_SECONDS = INTERVAL_MINUTES * 60
SANDBOX_CLOCK = time(12, 0)
INTERVAL_LAG = timedelta(hours=1)
PDF_MONTHS = 18
RECORD_TYPE_ORDER = {"electricity": 0, "gas": 1, "water": 2, "billing": 3}


# ---------------------------------------------------------------------------------------------
# Reference data: ZIP codes and providers
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ZipInfo:
    zipcode: str
    city: str
    county: str
    state: str
    latitude: float
    longitude: float

    def public(self) -> dict:
        return {
            "zipcode": self.zipcode,
            "city": self.city,
            "county": self.county,
            "state": self.state,
            "latitude": self.latitude,
            "longitude": self.longitude,
        }


ZIPS: dict[str, ZipInfo] = {
    z.zipcode: z
    for z in (
        ZipInfo("00007", "Randomtown", "Mock County", "RI", 41.824, -71.4128),
        ZipInfo("94110", "San Francisco", "San Francisco County", "CA", 37.7486, -122.4184),
        ZipInfo("94612", "Oakland", "Alameda County", "CA", 37.8085, -122.2705),
        ZipInfo("10001", "New York", "New York County", "NY", 40.7506, -73.9972),
        ZipInfo("11201", "Brooklyn", "Kings County", "NY", 40.6939, -73.9894),
        ZipInfo("98101", "Seattle", "King County", "WA", 47.6114, -122.3305),
        ZipInfo("78701", "Austin", "Travis County", "TX", 30.2711, -97.7437),
    )
}


@dataclass(frozen=True)
class Provider:
    """A utility provider as `GET utilities/{id}` shows it, plus what the generator needs."""

    id: int
    name: str
    types: tuple[str, ...]  # electricity | gas | water
    lseid: str | None
    homepage_url: str
    timezone: str
    zipcodes: tuple[str, ...]
    has_agent: bool = True
    intervals: bool = False
    mock: bool = False
    legacy_months: int | None = None  # statements issued before anchor - N months: older agent
    account_format: str = "##########"
    electric_plans: tuple[str, ...] = ()
    gas_plans: tuple[str, ...] = ()
    water_plans: tuple[str, ...] = ()
    retail_providers: tuple[str, ...] = ()
    electric_cents: float = 15.0  # per KWh
    gas_cents: float = 150.0  # per therm
    water_cents: float = 600.0  # per ccf
    fixed_cents: int = 1000

    @property
    def tz(self) -> ZoneInfo:
        return _zone(self.timezone)

    def public(self) -> dict:
        return {
            "name": self.name,
            "type": ",".join(self.types),
            "lseid": self.lseid,
            "homepage_url": self.homepage_url,
        }


PROVIDERS: dict[int, Provider] = {
    p.id: p
    for p in (
        Provider(
            3149, "Mock Utility Provider (electric+gas)", ("electricity", "gas"), None,
            "https://www.wattzon.com/", "America/Los_Angeles", ("00007",), intervals=True, mock=True,
            account_format="########-#", electric_plans=("MOCK-E1", "MOCK-TOU"), gas_plans=("MOCK-G1",),
            electric_cents=18.0, gas_cents=155.0,
        ),
        Provider(
            3150, "Mock Utility (electric only)", ("electricity",), None,
            "https://www.wattzon.com/", "America/Los_Angeles", ("00007",), intervals=True, mock=True,
            account_format="########-#", electric_plans=("MOCK-E1",), electric_cents=16.5,
        ),
        Provider(
            1201, "Pacific Gas and Electric Company", ("electricity", "gas"), "14328",
            "https://www.pge.com/", "America/Los_Angeles", ("94110", "94612"), intervals=True,
            account_format="##########-#", electric_plans=("E-1", "E-TOU-C", "EV2-A"), gas_plans=("G-1",),
            retail_providers=("CleanPowerSF", "East Bay Community Energy"), electric_cents=31.0, gas_cents=210.0,
        ),
        Provider(
            1377, "Consolidated Edison Company of New York", ("electricity", "gas"), "4226",
            "https://www.coned.com/", "America/New_York", ("10001", "11201"), intervals=True, legacy_months=12,
            account_format="###############", electric_plans=("EL1", "EL1-TOU"), gas_plans=("SC1", "SC3"),
            electric_cents=26.0, gas_cents=175.0, fixed_cents=1800,
        ),
        Provider(
            2210, "Seattle Public Utilities", ("water",), None,
            "https://www.seattle.gov/utilities", "America/Los_Angeles", ("98101",),
            account_format="#######-######", water_plans=("RES-WATER",), water_cents=620.0, fixed_cents=1650,
        ),
        Provider(
            1950, "Seattle City Light", ("electricity",), "16868",
            "https://www.seattle.gov/city-light", "America/Los_Angeles", ("98101",),
            account_format="##########", electric_plans=("RSC",), electric_cents=12.5, fixed_cents=650,
        ),
        Provider(
            5012, "Hill Country Electric Cooperative", ("electricity",), None,
            "https://www.hillcountry.coop/", "America/Chicago", ("78701",), has_agent=False,
            account_format="######", electric_plans=("RES-1",), electric_cents=11.0,
        ),
    )
}

# Providers of the pre-existing profiles, in turn: with 6 profiles every record type, the
# interval-less provider, the older agent and the unknown-status profile are all present.
PROFILE_ROTATION = (3149, 1201, 1377, 3150, 2210, 1950)
UNKNOWN_STATUS_SLOT = 3  # profiles at rotation slot 3 pass through AgentState.captcha_wait
TWO_METER_SLOT = 1  # PG&E profiles have a second electric meter (an EV charger)
CREATED_DAYS_AGO = (1100, 730, 400, 160, 42, 3)

FIRST_NAMES = ("Jordan", "Avery", "Morgan", "Riley", "Casey", "Quinn", "Harper", "Rowan", "Emerson", "Sage",
               "Dakota", "Reese", "Skyler", "Finley", "Parker", "Hayden")
LAST_NAMES = ("Rivera", "Nguyen", "Okafor", "Lindqvist", "Patel", "Moreau", "Kowalski", "Tanaka", "Haddad",
              "Fitzgerald", "Alvarez", "Chen", "Brennan", "Osei", "Novak", "Sorensen")
STREETS = ("Random Road", "Maple Avenue", "Cedar Street", "Harbor View Drive", "Mission Street", "Elm Court",
           "Sunset Boulevard", "Lakeshore Drive", "Pine Street", "Orchard Lane")
TAG_SETS = ((), ("residential",), ("residential", "budget billing"), ("commercial",), ("residential", "pilot"))


# ---------------------------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------------------------


@lru_cache(maxsize=None)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def add_months(day: date, months: int) -> date:
    month_index = day.year * 12 + day.month - 1 + months
    year, month = divmod(month_index, 12)
    month += 1
    last = (date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)).day
    return date(year, month, min(day.day, last))


def month_id(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def parse_month_id(value: str) -> date | None:
    if len(value) != 7 or value[4] != "-" or not (value[:4] + value[5:]).isdigit():
        return None
    year, month = int(value[:4]), int(value[5:])
    return date(year, month, 1) if 1 <= month <= 12 and year >= 1970 else None


def iso_utc(moment: datetime) -> str:
    """`2016-10-31T23:59:59`: ISO 8601 in UTC without offset, as in the seed's bill example."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")


def iso_day(day: date) -> str:
    return f"{day.isoformat()}T00:00:00"


def unix(moment: datetime) -> int:
    return int(moment.timestamp())


def local_midnight(day: date, tz: ZoneInfo) -> datetime:
    """Local midnight of `day` in `tz`, as an aware UTC datetime (US zones switch at 2 a.m.)."""
    return datetime(day.year, day.month, day.day, tzinfo=tz).astimezone(UTC)


def _rng(*parts: int) -> random.Random:
    """A Random seeded from integers only, so streams are stable across processes and runs."""
    key = 0
    for part in parts:
        key = (key * 1_000_003 + part) % (1 << 61)
    return random.Random(key)


def _digest(*parts: object) -> bytes:
    return hashlib.sha256(":".join(map(str, parts)).encode()).digest()


def stable_uuid(*parts: object) -> str:
    """A version-4-shaped UUID derived from `parts` (job ids)."""
    return str(uuid.UUID(bytes=_digest("uuid", *parts)[:16], version=4))


def object_id(moment: datetime, *parts: object) -> str:
    """A 24-hex Mongo ObjectId-like id: 4 bytes of unix time, then 8 derived bytes."""
    return f"{unix(moment) & 0xFFFFFFFF:08x}" + _digest("oid", *parts)[:8].hex()


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


def _money(cents: int) -> float:
    return round(cents / 100, 2)


# Shapes over the local day, hour by hour.
_BASE_SHAPE = (0.55, 0.5, 0.48, 0.47, 0.48, 0.55, 0.8, 1.1, 1.05, 0.85, 0.75, 0.72,
               0.72, 0.7, 0.72, 0.8, 0.95, 1.25, 1.5, 1.55, 1.45, 1.25, 0.95, 0.7)
_COOLING_SHAPE = (0.2, 0.15, 0.1, 0.1, 0.1, 0.1, 0.1, 0.15, 0.2, 0.3, 0.45, 0.6,
                  0.8, 1.0, 1.2, 1.35, 1.45, 1.5, 1.4, 1.2, 0.9, 0.6, 0.4, 0.3)


@lru_cache(maxsize=32)
def _quarter_shape(cooling_step: int) -> tuple[float, ...]:
    """Weights for the 96 local quarter-hours of a day, interpolated between hour centres."""
    cooling = cooling_step / 20
    weights = []
    for quarter in range(96):
        hour = (quarter + 0.5) / 4
        h0 = int(hour - 0.5) % 24
        frac = (hour - 0.5) % 1
        base = _BASE_SHAPE[h0] * (1 - frac) + _BASE_SHAPE[(h0 + 1) % 24] * frac
        ac = _COOLING_SHAPE[h0] * (1 - frac) + _COOLING_SHAPE[(h0 + 1) % 24] * frac
        weights.append(base + cooling * ac)
    return tuple(weights)


# ---------------------------------------------------------------------------------------------
# Meters
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Meter:
    """One meter of a profile: its identity and its deterministic daily usage model.

    Daily totals are integers in Wh (electricity), hundredths of a therm (gas) or hundredths of
    a ccf (water), per local day of the provider's time zone.
    """

    kind: str  # electricity | gas | water
    meter_number: str
    service_id: str
    interval_meter_id: str | None  # None: no interval data
    seed_key: int
    base_daily: float
    seasonal: float
    timezone: str

    @property
    def tz(self) -> ZoneInfo:
        return _zone(self.timezone)

    def day_total(self, day: date) -> int:
        return _month_totals(self.kind, self.seed_key, self.base_daily, self.seasonal, day.year, day.month)[day.day - 1]

    def total_between(self, first: date, last: date) -> int:
        total, day = 0, first
        while day <= last:
            totals = _month_totals(self.kind, self.seed_key, self.base_daily, self.seasonal, day.year, day.month)
            month_last = min(last, add_months(day.replace(day=1), 1) - timedelta(days=1))
            total += sum(totals[day.day - 1 : month_last.day])
            day = month_last + timedelta(days=1)
        return total

    # -- 15-minute readings (electricity) ------------------------------------------------------

    def day_readings(self, day: date) -> tuple[int, list[int], list[int]]:
        """(first slot start as unix time, local quarter-hour index of each slot, Wh per slot).

        The local day has 92, 96 or 100 quarter-hours; values add up to `day_total(day)`.
        """
        tz = self.tz
        start = local_midnight(day, tz)
        end = local_midnight(day + timedelta(days=1), tz)
        count = int((end - start).total_seconds()) // INTERVAL_SECONDS
        start_ts = unix(start)
        if count == 96:
            quarters = list(range(96))
        else:
            quarters = []
            for i in range(count):
                local = datetime.fromtimestamp(start_ts + i * INTERVAL_SECONDS, tz)
                quarters.append(local.hour * 4 + local.minute // INTERVAL_MINUTES)
        cooling_step = round(_cooling(day.timetuple().tm_yday) * 20)
        shape = _quarter_shape(cooling_step)
        rand = _rng(self.seed_key, 77, day.toordinal()).random
        weights = [shape[q] * (0.8 + 0.4 * rand()) for q in quarters]
        return start_ts, quarters, _spread(self.day_total(day), weights)


@lru_cache(maxsize=8192)
def _month_totals(kind: str, seed_key: int, base: float, seasonal: float, year: int, month: int) -> tuple[int, ...]:
    rng = _rng(seed_key, year, month)
    first = date(year, month, 1)
    days = (add_months(first, 1) - first).days
    totals = []
    for offset in range(days):
        day = first + timedelta(days=offset)
        doy = day.timetuple().tm_yday
        noise = rng.uniform(0.85, 1.15)
        if kind == "electricity":
            season = 1 + seasonal * _cooling(doy) ** 1.5 + 0.2 * _heating(doy)
            weekend = 1.12 if day.weekday() >= 5 else 1.0
            totals.append(int(base * season * weekend * noise))
        elif kind == "gas":
            totals.append(int(base * (0.2 + seasonal * _heating(doy) ** 1.3) * noise) + 3)
        else:
            totals.append(int(base * (1 + 0.35 * _cooling(doy)) * noise) + 1)
    return tuple(totals)


# ---------------------------------------------------------------------------------------------
# Profiles, statements and the job history
# ---------------------------------------------------------------------------------------------


@dataclass
class Statement:
    """One bill: its records (without `cached` / `cached_job_id`, added when served)."""

    index: int
    bill_date: date
    period_from: date
    period_to: date
    account_number: str
    records: list[dict]

    @property
    def bill_ids(self) -> list[str]:
        return [r["bill_id"] for r in self.records]

    @property
    def has_pdf(self) -> bool:
        return bool(self.records[0]["pdf"])


@dataclass(frozen=True)
class HistoricalJob:
    job_id: str
    profile_id: int
    mode: str  # bill | interval
    started_at: datetime
    finished_at: datetime
    new_records: int = 0
    existing_records: int = 0

    @property
    def cutoff(self) -> datetime:
        """Readings whose start is before this moment were visible to the job (interval mode)."""
        return floor_interval(self.started_at - INTERVAL_LAG)


def floor_interval(moment: datetime) -> datetime:
    ts = unix(moment)
    return datetime.fromtimestamp(ts - ts % INTERVAL_SECONDS, UTC)


@dataclass
class ProfileData:
    """A profile's fixed data: identity, credentials, meters, statements and extraction history.

    `statement_jobs[i]` is the id of the historical bill job that extracted `statements[i]`, or
    None when no job has extracted it yet. `interval_months` maps each complete month's first day
    to the job that completed it; `interval_current` is the job that extracted the current month.
    Profiles created through the API get the same kind of data, with no history.
    """

    id: int
    provider_id: int
    zipcode: str
    label: str
    tags: tuple[str, ...]
    created: datetime
    modified: datetime
    username: str | None
    password: str | None
    name: str
    service_address: str
    account_number: str
    meters: list[Meter]
    solar: bool
    unknown_status: bool
    statements: list[Statement] = field(default_factory=list)
    statement_jobs: list[str | None] = field(default_factory=list)
    bill_jobs: list[HistoricalJob] = field(default_factory=list)
    interval_first_month: date | None = None
    interval_months: dict[date, HistoricalJob] = field(default_factory=dict)
    interval_current: HistoricalJob | None = None

    @property
    def provider(self) -> Provider:
        return PROVIDERS[self.provider_id]

    @property
    def interval_meters(self) -> list[Meter]:
        return [m for m in self.meters if m.interval_meter_id is not None]

    def interval_meter(self, meter_id: str) -> Meter | None:
        return next((m for m in self.meters if m.interval_meter_id == meter_id), None)

    def statement_of_bill(self, bill_id: str) -> Statement | None:
        for statement in self.statements:
            if bill_id in statement.bill_ids:
                return statement
        return None

    @property
    def historical_jobs(self) -> list[HistoricalJob]:
        jobs = {j.job_id: j for j in self.bill_jobs}
        for job in self.interval_months.values():
            jobs[job.job_id] = job
        if self.interval_current is not None:
            jobs[self.interval_current.job_id] = self.interval_current
        return sorted(jobs.values(), key=lambda j: (j.started_at, j.job_id))


class _ProfileBuilder:
    def __init__(self, dataset: WattzonDataset, profile_id: int, provider: Provider, slot: int,
                 created: datetime, zipcode: str | None) -> None:
        self.ds = dataset
        self.id = profile_id
        self.provider = provider
        self.slot = slot
        self.created = created
        self.zipcode = zipcode
        self.rng = _rng(dataset.seed, 11, profile_id)

    def identity(self, with_credentials: bool) -> ProfileData:
        rng, provider = self.rng, self.provider
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        zipcode = self.zipcode if self.zipcode is not None else rng.choice(provider.zipcodes)
        place = ZIPS.get(zipcode) or ZIPS[provider.zipcodes[0]]
        address = f"{rng.randint(10, 9899)} {rng.choice(STREETS)}, {place.city}, {place.state} {place.zipcode}"
        tags = list(TAG_SETS[rng.randrange(len(TAG_SETS))])
        solar = "electricity" in provider.types and (self.slot == TWO_METER_SLOT or rng.random() < 0.15)
        if solar:
            tags.append("solar")
        label = "" if rng.random() < 0.2 else f"CASE-{rng.randint(100000, 999999)}"
        modified = self.created + timedelta(minutes=rng.randint(1, 30))
        if with_credentials and rng.random() < 0.4:
            modified = min(self.ds.now - timedelta(days=1), self.created + timedelta(days=rng.randint(5, 300)))
        username = f"{first.lower()}.{last.lower()}{rng.randint(1, 99)}" if with_credentials else None
        password = "".join(rng.choice("abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789!#%")
                           for _ in range(14)) if with_credentials else None
        meters = self._meters(rng, solar)
        return ProfileData(
            id=self.id, provider_id=provider.id, zipcode=zipcode, label=label, tags=tuple(tags),
            created=self.created, modified=max(modified, self.created), username=username, password=password,
            name=f"{first} {last}", service_address=address, account_number=_fill(provider.account_format, rng),
            meters=meters, solar=solar, unknown_status=self.slot == UNKNOWN_STATUS_SLOT,
        )

    def _meters(self, rng: random.Random, solar: bool) -> list[Meter]:
        provider = self.provider
        meters = []
        kinds = list(provider.types)
        if self.slot == TWO_METER_SLOT and "electricity" in kinds:
            kinds.insert(1, "electricity")
        electric_count = 0
        for index, kind in enumerate(kinds):
            number = _fill("########", rng)
            interval_id = None
            if kind == "electricity" and provider.intervals:
                electric_count += 1
                if provider.mock:
                    suffix = "" if electric_count == 1 else f"_{electric_count}"
                    interval_id = f"__mock_meter__{self.id}{suffix}"
                else:
                    interval_id = number
            if kind == "electricity":
                base = rng.uniform(9_000, 24_000) * (0.45 if index and electric_count > 1 else 1.0)
                seasonal = rng.uniform(0.3, 1.1)
            elif kind == "gas":
                base, seasonal = rng.uniform(90, 260), rng.uniform(2.5, 5.0)
            else:
                base, seasonal = rng.uniform(6, 14), 0.0
            meters.append(Meter(
                kind=kind, meter_number=number, service_id=_fill("############", rng), interval_meter_id=interval_id,
                seed_key=_rng(self.ds.seed, 13, self.id, index).getrandbits(48), base_daily=base, seasonal=seasonal,
                timezone=provider.timezone,
            ))
        return meters

    # -- statements ------------------------------------------------------------------------------

    def statements(self, profile: ProfileData) -> list[Statement]:
        ds, provider = self.ds, self.provider
        rng = _rng(ds.seed, 17, self.id)
        period_from = ds.history_start + timedelta(days=rng.randint(0, 9))
        legacy_before = add_months(ds.anchor, -provider.legacy_months) if provider.legacy_months else None
        pdf_before = add_months(ds.anchor, -PDF_MONTHS)
        plans = {
            "electricity": rng.choice(provider.electric_plans) if provider.electric_plans else None,
            "gas": rng.choice(provider.gas_plans) if provider.gas_plans else None,
            "water": rng.choice(provider.water_plans) if provider.water_plans else None,
        }
        retail = rng.choice(provider.retail_providers) if provider.retail_providers and rng.random() < 0.6 else None
        late_payer = rng.random() < 0.3
        balance = rng.randint(4_000, 20_000)
        statements: list[Statement] = []
        index = 0
        while True:
            period_to = period_from + timedelta(days=rng.randint(27, 32))
            bill_date = period_to + timedelta(days=rng.randint(1, 4))
            if bill_date > ds.as_of:
                break
            roll = rng.random()
            records = self._statement_records(
                profile, index, period_from, period_to, bill_date, plans, retail,
                legacy=legacy_before is not None and bill_date < legacy_before,
                pdf=bill_date >= pdf_before and not (legacy_before is not None and bill_date < legacy_before),
            )
            current = sum(round(r["cost"] * 100) for r in records)
            # Payment of the previous balance: in full, partly (late payers), or not at all.
            if late_payer and roll < 0.25:
                paid = balance // 2
            elif late_payer and roll < 0.35:
                paid = 0
            else:
                paid = balance
            payment_date = bill_date - timedelta(days=rng.randint(3, 12)) if paid else None
            total = balance - paid + current
            billing = self._base_record(profile, "billing", bill_date, index, len(records), records[0]["pdf"] != "")
            billing.update({
                "previous_balance": _money(balance),
                "payment_received": _money(paid),
                "past_due_balance": _money(max(0, balance - paid)),
                "due_date": iso_day(bill_date + timedelta(days=21)),
                "current_charges": _money(current),
                "total_amount_due": _money(total),
                "payment_date": iso_day(payment_date) if payment_date else None,
            })
            records.append(billing)
            statements.append(Statement(index, bill_date, period_from, period_to, profile.account_number, records))
            balance = total
            period_from = period_to + timedelta(days=1)
            index += 1
        return statements

    def _base_record(self, profile: ProfileData, kind: str, bill_date: date, statement: int, position: int,
                     pdf: bool) -> dict:
        issued = datetime.combine(bill_date + timedelta(days=1), time(6), tzinfo=UTC)
        issued += timedelta(seconds=_rng(self.ds.seed, 19, self.id, statement).randint(0, 7200) + position)
        bill_id = object_id(issued, self.ds.seed, self.id, statement, position)
        return {
            "name": profile.name,
            "service_address": profile.service_address,
            "account_number": profile.account_number,
            "bill_date": iso_day(bill_date),
            "type": kind,
            "pdf": f"{API_PREFIX}/data/bills/{self.id}/{bill_id}/pdf" if pdf else "",
            "bill_id": bill_id,
            "currency": "USD",
        }

    def _statement_records(self, profile: ProfileData, index: int, period_from: date, period_to: date,
                           bill_date: date, plans: dict, retail: str | None, *, legacy: bool, pdf: bool) -> list[dict]:
        provider = self.provider
        inflation = 1 + 0.03 * ((period_to.year - 2020) + period_to.month / 12)
        rng = _rng(self.ds.seed, 23, self.id, index)
        records = []
        for position, meter in enumerate(profile.meters):
            total = meter.total_between(period_from, period_to)
            record = self._base_record(profile, meter.kind, bill_date, index, position, pdf)
            if meter.kind == "electricity":
                usage = round(total / 1000, 3)
                cents = round((provider.fixed_cents + usage * provider.electric_cents) * inflation)
                units = "KWh"
            elif meter.kind == "gas":
                usage = round(total / 100, 2)
                cents = round((800 + usage * provider.gas_cents) * inflation)
                units = "therms"
            else:
                usage = round(total / 100, 2)
                cents = round((provider.fixed_cents + usage * provider.water_cents) * inflation)
                units = "ccf"
            exported = None
            if meter.kind == "electricity" and profile.solar and position == 0:
                doy = period_to.timetuple().tm_yday
                sun = 0.4 + 0.6 * max(0.0, math.cos(2 * math.pi * (doy - 172) / 365.25))
                exported = round(((period_to - period_from).days + 1) * 9.5 * sun * rng.uniform(0.7, 1.1), 3)
                cents -= round(exported * provider.electric_cents * 0.6)
            record["service_id"] = meter.service_id
            record["meter_number"] = meter.meter_number
            if legacy:
                record["date"] = iso_day(period_from + (period_to - period_from) / 2)
            else:
                record["start_date"] = iso_day(period_from)
                record["end_date"] = f"{period_to.isoformat()}T23:59:59"
            record["cost"] = _money(cents)
            record["usage"] = usage
            record["units"] = units
            if meter.kind == "electricity" and retail:
                record["retail_energy_provider"] = retail
            if plans.get(meter.kind):
                record["rate_plan"] = plans[meter.kind]
            if exported is not None:
                record["exported_energy"] = exported
            records.append(record)
        return records

    # -- history ---------------------------------------------------------------------------------

    def history(self, profile: ProfileData) -> None:
        """The bill and interval jobs that ran between the profile's creation and now."""
        ds = self.ds
        rng = _rng(ds.seed, 29, self.id)
        first_job = self.created + timedelta(minutes=rng.randint(2, 25), seconds=rng.randint(0, 59))
        monthly_time = time(rng.randint(1, 22), rng.randint(0, 59), rng.randint(0, 59))
        day_of_month = rng.randint(1, 28)
        times = [first_job]
        k = 1
        while True:
            day = add_months(self.created.date().replace(day=day_of_month), k)
            moment = datetime.combine(day, monthly_time, tzinfo=UTC)
            if moment >= ds.now:
                break
            if moment > first_job:
                times.append(moment)
            k += 1
        jobs: list[HistoricalJob] = []
        statement_jobs: list[str | None] = [None] * len(profile.statements)
        pending = 0
        existing = 0
        for number, started in enumerate(times):
            extracted = []
            while pending < len(profile.statements) and profile.statements[pending].bill_date <= started.date():
                extracted.append(pending)
                pending += 1
            new = sum(len(profile.statements[i].records) for i in extracted)
            if number == 0 or extracted or number == len(times) - 1:
                job = HistoricalJob(
                    stable_uuid(ds.seed, self.id, "bill", number), self.id, "bill", started,
                    started + timedelta(seconds=140 + rng.randint(0, 200)), new, existing,
                )
                jobs.append(job)
                for i in extracted:
                    statement_jobs[i] = job.job_id
            existing += new
        profile.bill_jobs = jobs
        profile.statement_jobs = statement_jobs
        if not profile.interval_meters:
            return
        profile.interval_first_month = max(add_months(ds.history_start.replace(day=1), 0),
                                           add_months(self.created.date().replace(day=1), -12))
        interval_first = first_job + timedelta(minutes=30)
        daily = time(11, rng.randint(0, 29), rng.randint(0, 59))
        periods = len(profile.interval_meters)

        def interval_job(started: datetime, months_before: int) -> HistoricalJob:
            return HistoricalJob(
                stable_uuid(ds.seed, self.id, "interval", started.isoformat()), self.id, "interval", started,
                started + timedelta(seconds=200 + rng.randint(0, 300)),
                periods * max(1, months_before), 0,
            )

        first_interval_job: HistoricalJob | None = None
        month = profile.interval_first_month
        while month < ds.anchor:
            next_month = add_months(month, 1)
            started = datetime.combine(next_month, daily, tzinfo=UTC)
            if started <= interval_first:
                if first_interval_job is None:
                    count = (ds.anchor.year - month.year) * 12 + ds.anchor.month - month.month + 1
                    first_interval_job = interval_job(interval_first, count)
                job = first_interval_job
            else:
                job = interval_job(started, 1)
            profile.interval_months[month] = job
            month = next_month
        latest = datetime.combine(ds.as_of, daily, tzinfo=UTC)
        if latest <= interval_first:
            if first_interval_job is None:
                first_interval_job = interval_job(interval_first, 1)
            profile.interval_current = first_interval_job
        else:
            profile.interval_current = interval_job(latest, 1)


# ---------------------------------------------------------------------------------------------
# Interval month files
# ---------------------------------------------------------------------------------------------

SOURCE_COLUMNS = "TYPE,DATE,START TIME,END TIME,USAGE,UNITS,NOTES\n"
CSV_COLUMNS = "start,end,start_local,value\n"


def month_bounds(month: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """[local midnight of the 1st, local midnight of the next 1st) as UTC datetimes."""
    return local_midnight(month, tz), local_midnight(add_months(month, 1), tz)


def _source_header(profile: ProfileData, meter: Meter) -> str:
    address = profile.service_address.replace('"', "'")
    return (
        f"Name,{profile.name}\n"
        f'Address,"{address}"\n'
        f"Account Number,{profile.account_number}\n"
        f"Service,Electric Meter {meter.meter_number}\n"
        "\n" + SOURCE_COLUMNS
    )


_SOURCE_ROW_BYTES = len("Electric usage,2025-01-01,00:00,00:14,0.000,kWh,\n")


@dataclass(frozen=True)
class IntervalMonth:
    """One interval period: a meter's readings for one local month, up to `end` (exclusive)."""

    profile: ProfileData
    meter: Meter
    month: date
    end: datetime
    complete: bool
    job_id: str
    extraction_time: datetime
    anchor: date  # first day of as_of's month

    @property
    def start(self) -> datetime:
        return local_midnight(self.month, self.meter.tz)

    @property
    def reading_count(self) -> int:
        return max(0, int((self.end - self.start).total_seconds()) // INTERVAL_SECONDS)

    @property
    def source_file_size(self) -> int:
        # Every source row has the same width (usage < 10 kWh per quarter-hour, "%.3f").
        return len(_source_header(self.profile, self.meter).encode()) + self.reading_count * _SOURCE_ROW_BYTES

    @property
    def normalized_available(self) -> bool:
        """False for months extracted by an older agent (only the source file exists)."""
        legacy_months = self.profile.provider.legacy_months
        return legacy_months is None or self.month >= add_months(self.anchor, -legacy_months)

    def period(self) -> dict:
        return {
            "meter_id": self.meter.interval_meter_id,
            "month_id": month_id(self.month),
            "first_interval": unix(self.start),
            "last_interval": unix(self.end) - INTERVAL_SECONDS,
            "complete": self.complete,
            "extraction_time": unix(self.extraction_time),
            "source_file_size": self.source_file_size,
            "job_id_extracted": self.job_id,
        }

    def readings(self) -> list[tuple[int, int, str, int]]:
        """(start, end, start_local ISO, Wh) for every reading of the period."""
        tz = self.meter.tz
        end_ts = unix(self.end)
        out = []
        day = self.month
        last_day = add_months(self.month, 1)
        while day < last_day:
            start_ts, _, values = self.meter.day_readings(day)
            if start_ts >= end_ts:
                break
            for i, value in enumerate(values):
                ts = start_ts + i * INTERVAL_SECONDS
                if ts >= end_ts:
                    break
                out.append((ts, ts + INTERVAL_SECONDS, datetime.fromtimestamp(ts, tz).isoformat(), value))
            day += timedelta(days=1)
        return out

    def render(self, fmt: str) -> bytes:
        readings = self.readings()
        if fmt == "json":
            return orjson.dumps({
                "meter_id": self.meter.interval_meter_id,
                "month_id": month_id(self.month),
                "timezone": self.meter.timezone,
                "interval_minutes": INTERVAL_MINUTES,
                "unit": "kWh",
                "complete": self.complete,
                "first_interval": unix(self.start),
                "last_interval": unix(self.end) - INTERVAL_SECONDS,
                "readings": [
                    {"start": s, "end": e, "start_local": local, "value": wh / 1000} for s, e, local, wh in readings
                ],
            })
        if fmt == "csv":
            rows = [CSV_COLUMNS]
            rows.extend(f"{s},{e},{local},{wh / 1000:.3f}\n" for s, e, local, wh in readings)
            return "".join(rows).encode()
        rows = [_source_header(self.profile, self.meter)]
        for s, _, local, wh in readings:
            end_local = datetime.fromisoformat(local) + timedelta(minutes=INTERVAL_MINUTES - 1)
            rows.append(f"Electric usage,{local[:10]},{local[11:16]},{end_local:%H:%M},{min(wh, 9999) / 1000:.3f},kWh,\n")
        return "".join(rows).encode()


# ---------------------------------------------------------------------------------------------
# The dataset
# ---------------------------------------------------------------------------------------------


@dataclass
class WattzonDataset:
    seed: int
    profile_count: int
    months: int
    as_of: date
    zips: dict[str, ZipInfo] = field(default_factory=lambda: dict(ZIPS))
    providers: dict[int, Provider] = field(default_factory=lambda: dict(PROVIDERS))
    profiles: list[ProfileData] = field(default_factory=list)

    @property
    def anchor(self) -> date:
        return self.as_of.replace(day=1)

    @property
    def now(self) -> datetime:
        return datetime.combine(self.as_of, SANDBOX_CLOCK, tzinfo=UTC)

    @property
    def history_start(self) -> date:
        return add_months(self.anchor, -self.months)

    def _index(self) -> None:
        self._profiles = {p.id: p for p in self.profiles}
        self._jobs = {j.job_id: j for p in self.profiles for j in p.historical_jobs}

    def profile(self, profile_id: int) -> ProfileData | None:
        return self._profiles.get(profile_id)

    def job(self, job_id: str) -> HistoricalJob | None:
        return self._jobs.get(job_id)

    @property
    def first_new_profile_id(self) -> int:
        return max([500, *self._profiles]) + 1

    def build_profile(self, profile_id: int, provider_id: int, created: datetime, zipcode: str | None,
                      label: str = "") -> ProfileData:
        """Data for a profile created through the API: no credentials, tags or extraction history."""
        provider = self.providers[provider_id]
        builder = _ProfileBuilder(self, profile_id, provider, slot=-1, created=created, zipcode=zipcode)
        profile = builder.identity(with_credentials=False)
        profile.label, profile.tags, profile.modified = label, (), created
        profile.statements = builder.statements(profile) if provider.has_agent else []
        profile.statement_jobs = [None] * len(profile.statements)
        if profile.interval_meters:
            profile.interval_first_month = max(self.history_start.replace(day=1),
                                               add_months(created.date().replace(day=1), -12))
        return profile

    def interval_months(
        self, profile: ProfileData, completed: Mapping[date, tuple[str, datetime]] | None = None,
        current: tuple[str, datetime, datetime] | None = None, *, history: bool = True,
    ) -> list[IntervalMonth]:
        """Every extracted interval period of `profile`, by meter then month.

        With `history` (the default) the dataset's extraction history is used; otherwise
        `completed` (month -> (job id, extraction time)) and `current` ((job id, extraction time,
        cutoff) of the current month, or None) say what was extracted, as the app does after jobs.
        """
        if history:
            completed = {m: (j.job_id, j.finished_at) for m, j in profile.interval_months.items()}
            job = profile.interval_current
            current = (job.job_id, job.finished_at, job.cutoff) if job is not None else None
        completed = completed or {}
        out = []
        for meter in profile.interval_meters:
            tz = meter.tz
            for month, (job_id, extracted) in sorted(completed.items()):
                out.append(IntervalMonth(profile, meter, month, month_bounds(month, tz)[1], True, job_id,
                                         extracted, self.anchor))
            if current is not None:
                start, end = month_bounds(self.anchor, tz)
                cut = min(current[2], end)
                if cut > start:
                    out.append(IntervalMonth(profile, meter, self.anchor, cut, cut >= end, current[0],
                                             current[1], self.anchor))
        return out

    def summary(self) -> dict:
        return {
            "seed": self.seed,
            "profiles": self.profile_count,
            "months": self.months,
            "as_of": self.as_of.isoformat(),
            "now": iso_utc(self.now),
            "history_start": self.history_start.isoformat(),
            "profile_ids": [p.id for p in self.profiles],
            "statements": sum(len(p.statements) for p in self.profiles),
            "bill_records": sum(len(s.records) for p in self.profiles for s in p.statements),
            "interval_meters": sum(len(p.interval_meters) for p in self.profiles),
            "unknown_status_profile_ids": [p.id for p in self.profiles if p.unknown_status],
        }


def generate_dataset(seed: int = 7, profiles: int = 6, months: int = 24, as_of: date | None = None) -> WattzonDataset:
    if profiles < 0 or profiles > 5000:
        raise ValueError("profiles must be between 0 and 5000")
    if months < 1 or months > 120:
        raise ValueError("months must be between 1 and 120")
    if as_of is None:
        as_of = datetime.now(UTC).date()
    dataset = WattzonDataset(seed=seed, profile_count=profiles, months=months, as_of=as_of)
    for index in range(profiles):
        slot = index % len(PROFILE_ROTATION)
        provider = PROVIDERS[PROFILE_ROTATION[slot]]
        rng = _rng(seed, 7, index)
        days_ago = CREATED_DAYS_AGO[slot]
        if index >= len(PROFILE_ROTATION):
            days_ago = max(2, int(days_ago * rng.uniform(0.4, 1.6)))
        else:
            days_ago += rng.randint(0, 3)
        created = datetime.combine(as_of - timedelta(days=days_ago), time(rng.randint(0, 23), rng.randint(0, 59),
                                                                         rng.randint(0, 59)), tzinfo=UTC)
        builder = _ProfileBuilder(dataset, 101 + index, provider, slot, created, None)
        profile = builder.identity(with_credentials=True)
        profile.statements = builder.statements(profile)
        builder.history(profile)
        dataset.profiles.append(profile)
    dataset._index()
    return dataset


# ---------------------------------------------------------------------------------------------
# Settings from the environment
# ---------------------------------------------------------------------------------------------


def sandbox_settings_from_env(environ: Mapping[str, str] | None = None) -> SandboxSettings:
    """Generator settings from WATTZON_SANDBOX_SEED, _PROFILES, _MONTHS, _AS_OF."""
    return settings_from_env(environ, "wattzon", {"seed": 7, "profiles": 6, "months": 24})

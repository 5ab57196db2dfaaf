"""Project settings from environment variables (documented in README).

UTILITY_DATA_DIR     where the lake (lake/) and the warehouse (warehouse.duckdb) live; default data/
UTILITY_LAKE_URI     the lake root: s3://bucket/prefix (AWS credentials, region and endpoint from the
                     standard AWS variables) or a local folder; default $UTILITY_DATA_DIR/lake
UTILITY_POLICY_FILE  the unlock/history policy; default policy.yml at the project root
UTILITY_VENDORS      comma list of vendors to run; default every registered vendor
UTILITY_INTERVAL_START  first month of the interval partitions (YYYY-MM or YYYY-MM-DD); default 2020-01
UTILITY_RESYNC_MONTHS   how many trailing months the daily sync fetches again; default 3
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from urllib.parse import unquote, urlsplit

from .core.errors import ConfigurationError
from .objectstore import LAKE_URI_ENV, is_object_store_uri, normalized_lake_uri

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    policy_file: Path
    vendors: tuple[str, ...]
    interval_start: date = date(2020, 1, 1)
    resync_months: int = 3
    # UTILITY_LAKE_URI, normalized: "s3://bucket/prefix", an absolute local path, or "" (the default
    # folder $UTILITY_DATA_DIR/lake). Never holds a credential (they stay in the AWS variables).
    lake_uri: str = ""

    @property
    def lake_is_local(self) -> bool:
        return not is_object_store_uri(self.lake_uri)

    @property
    def lake_dir(self) -> Path | str:
        """The lake root, what `Lake(...)` takes: a local folder (a Path: $UTILITY_DATA_DIR/lake
        unless UTILITY_LAKE_URI names another), or the `s3://bucket/prefix` URI (a str)."""
        if not self.lake_uri:
            return self.data_dir / "lake"
        return self.lake_uri if not self.lake_is_local else Path(self.lake_uri)

    @property
    def lake_root_uri(self) -> str:
        """The lake root as dbt's sources read it (UTILITY_LAKE_URI's value, no trailing slash)."""
        return str(self.lake_dir)

    @property
    def warehouse_path(self) -> Path:
        return self.data_dir / "warehouse.duckdb"

    def dbt_env(self) -> dict[str, str]:
        """What dbt needs to find the lake and the warehouse (absolute paths only). The lake root
        is passed as UTILITY_LAKE_URI when one is configured; without it dbt's sources read
        $UTILITY_DATA_DIR/lake, the default. (The AWS variables an s3:// lake needs are not
        settings: the dbt process inherits them, see orchestration/dbt.py.)"""
        env = {"UTILITY_DATA_DIR": str(self.data_dir)}
        if self.lake_uri:
            env[LAKE_URI_ENV] = self.lake_root_uri
        return env


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    from .registry import VENDORS  # late: the registry imports vendor modules

    env = os.environ if env is None else env
    data_dir = _absolute(env.get("UTILITY_DATA_DIR") or "data")
    policy_file = _absolute(env.get("UTILITY_POLICY_FILE") or "policy.yml")
    raw_vendors = env.get("UTILITY_VENDORS", "").strip()
    if raw_vendors:
        vendors = tuple(dict.fromkeys(v.strip().lower() for v in raw_vendors.split(",") if v.strip()))
        unknown = [v for v in vendors if v not in VENDORS]
        if unknown:
            raise ConfigurationError(
                f"UTILITY_VENDORS names unknown vendor {unknown[0]!r}; known: {', '.join(sorted(VENDORS))}"
            )
    else:
        vendors = tuple(VENDORS)
    return Settings(data_dir=data_dir, policy_file=policy_file, vendors=vendors,
                    interval_start=_month(env.get("UTILITY_INTERVAL_START", "").strip() or "2020-01"),
                    resync_months=_positive(env.get("UTILITY_RESYNC_MONTHS", "").strip() or "3",
                                            "UTILITY_RESYNC_MONTHS"),
                    lake_uri=_lake_uri(env.get(LAKE_URI_ENV, "").strip()))


def _lake_uri(value: str) -> str:
    """'' (the default folder), a normalized s3:// URI, or an absolute local path (a relative one
    is resolved against the project root, a file:// URI is taken as its path)."""
    if not value:
        return ""
    if is_object_store_uri(value):
        return normalized_lake_uri(value)
    split = urlsplit(value)
    if split.scheme == "file":
        return str(_absolute(unquote(split.path)))
    if split.scheme and len(split.scheme) > 1:  # not a Windows drive letter
        raise ConfigurationError(f"{LAKE_URI_ENV}: unsupported scheme {split.scheme!r}; "
                                 "use s3://bucket/prefix or a local folder")
    return str(_absolute(value))


def _month(value: str) -> date:
    try:
        day = date.fromisoformat(value if len(value) > 7 else f"{value}-01")
    except ValueError:
        raise ConfigurationError(f"UTILITY_INTERVAL_START must be a month like 2020-01, got {value!r}") from None
    return day.replace(day=1)


def _positive(value: str, name: str) -> int:
    if not value.isdigit() or int(value) < 1:
        raise ConfigurationError(f"{name} must be a whole number of months, 1 or more; got {value!r}")
    return int(value)


def _absolute(value: str) -> Path:
    path = Path(value).expanduser()
    return (path if path.is_absolute() else PROJECT_ROOT / path).resolve()

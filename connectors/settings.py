"""Project settings from environment variables (documented in README).

UTILITY_DATA_DIR     where the lake (lake/) and the warehouse (warehouse.duckdb) live; default data/
UTILITY_POLICY_FILE  the unlock/history policy; default policy.yml at the project root
UTILITY_VENDORS      comma list of vendors to run; default every registered vendor
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from .core.errors import ConfigurationError

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    policy_file: Path
    vendors: tuple[str, ...]

    @property
    def lake_dir(self) -> Path:
        return self.data_dir / "lake"

    @property
    def warehouse_path(self) -> Path:
        return self.data_dir / "warehouse.duckdb"

    def dbt_env(self) -> dict[str, str]:
        """What dbt needs to find the lake and the warehouse (absolute paths only)."""
        return {"UTILITY_DATA_DIR": str(self.data_dir)}


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
    return Settings(data_dir=data_dir, policy_file=policy_file, vendors=vendors)


def _absolute(value: str) -> Path:
    path = Path(value).expanduser()
    return (path if path.is_absolute() else PROJECT_ROOT / path).resolve()

from __future__ import annotations

import pytest

from connectors.core.errors import ConfigurationError
from connectors.settings import PROJECT_ROOT, load_settings


def test_defaults_are_project_relative():
    settings = load_settings({})
    assert settings.data_dir == PROJECT_ROOT / "data"
    assert settings.lake_dir == PROJECT_ROOT / "data" / "lake"
    assert settings.warehouse_path == PROJECT_ROOT / "data" / "warehouse.duckdb"
    assert settings.policy_file == PROJECT_ROOT / "policy.yml"
    assert "bayou" in settings.vendors


def test_env_overrides(tmp_path):
    settings = load_settings({"UTILITY_DATA_DIR": str(tmp_path), "UTILITY_VENDORS": " Bayou ,bayou",
                              "UTILITY_POLICY_FILE": "other.yml"})
    assert settings.data_dir == tmp_path and settings.vendors == ("bayou",)
    assert settings.policy_file == PROJECT_ROOT / "other.yml"
    assert settings.dbt_env() == {"UTILITY_DATA_DIR": str(tmp_path)}


def test_unknown_vendor_is_named():
    with pytest.raises(ConfigurationError, match="unknown vendor 'bayu'"):
        load_settings({"UTILITY_VENDORS": "bayu"})

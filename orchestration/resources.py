"""Dagster resources. Built from environment variables; none of them holds a secret in its
config (credentials are read from the environment when a connection opens), so nothing
sensitive can show up in the Dagster UI or the run's config."""

from __future__ import annotations

import os

from dagster import ConfigurableResource

from connectors.lake import Lake
from connectors.registry import VENDORS
from connectors.settings import Settings, load_settings


class UtilityDataResource(ConfigurableResource):
    """Where the lake, the warehouse and the policy are (UTILITY_DATA_DIR, UTILITY_POLICY_FILE)."""

    data_dir: str | None = None
    policy_file: str | None = None

    def settings(self) -> Settings:
        env = dict(os.environ)
        if self.data_dir:
            env["UTILITY_DATA_DIR"] = self.data_dir
        if self.policy_file:
            env["UTILITY_POLICY_FILE"] = self.policy_file
        return load_settings(env)

    def lake(self) -> Lake:
        return Lake(self.settings().lake_dir)


class VendorResource(ConfigurableResource):
    """Opens a connection to one vendor: the real API when its credentials are set, else its sandbox."""

    vendor: str

    def connect(self):
        return VENDORS[self.vendor].connect(os.environ)

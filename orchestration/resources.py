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
    """Where the lake, the warehouse and the policy are (UTILITY_DATA_DIR, UTILITY_LAKE_URI,
    UTILITY_POLICY_FILE). An s3:// lake takes its credentials from the AWS environment when the
    lake is opened: they are never part of this resource's config."""

    data_dir: str | None = None
    policy_file: str | None = None
    lake_uri: str | None = None  # s3://bucket/prefix or a folder; default: UTILITY_LAKE_URI, else data_dir/lake

    def settings(self) -> Settings:
        env = dict(os.environ)
        if self.data_dir:
            env["UTILITY_DATA_DIR"] = self.data_dir
        if self.policy_file:
            env["UTILITY_POLICY_FILE"] = self.policy_file
        if self.lake_uri:
            env["UTILITY_LAKE_URI"] = self.lake_uri
        return load_settings(env)

    def lake(self) -> Lake:
        return Lake(self.settings().lake_dir)


class VendorResource(ConfigurableResource):
    """Opens a connection to one vendor: the real API when its credentials are set, else its sandbox."""

    vendor: str

    def connect(self):
        return VENDORS[self.vendor].connect(os.environ)

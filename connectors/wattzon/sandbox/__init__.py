"""WattzOn Link API 4.0 sandbox: a deterministic local simulator over HTTPS with client certificates.

    from connectors.wattzon.sandbox import start_wattzon_sandbox
    server, base_url, pki = start_wattzon_sandbox(profiles=6, months=24)
    with server:
        httpx.get(base_url + "/echo/?string=hi", verify=pki.client_ssl_context())

See generator.py for the data and its fixed assumptions (including the interval csv/json
layouts), app.py for the API, its choices where the seed is silent, and the ops hooks.
"""

from .app import SandboxState, create_app, start_wattzon_sandbox
from .generator import (
    API_PREFIX,
    PROVIDERS,
    ZIPS,
    IntervalMonth,
    Meter,
    ProfileData,
    Provider,
    SandboxSettings,
    Statement,
    WattzonDataset,
    ZipInfo,
    generate_dataset,
    sandbox_settings_from_env,
)

__all__ = [
    "API_PREFIX",
    "PROVIDERS",
    "ZIPS",
    "IntervalMonth",
    "Meter",
    "ProfileData",
    "Provider",
    "SandboxSettings",
    "SandboxState",
    "Statement",
    "WattzonDataset",
    "ZipInfo",
    "create_app",
    "generate_dataset",
    "sandbox_settings_from_env",
    "start_wattzon_sandbox",
]

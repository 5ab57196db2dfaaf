"""Bayou Energy sandbox: a deterministic local simulator of the Bayou API v2 over real HTTP.

    from connectors.bayou.sandbox import start_bayou_sandbox
    server, base_url = start_bayou_sandbox(api_key="sandbox-key", customers=4, months=6)
    with server:
        ...  # BayouClient("sandbox-key", base_url)

See generator.py for the data and its fixed assumptions, app.py for the API and ops hooks.
"""

from .app import SandboxState, create_app, start_bayou_sandbox
from .generator import (
    UTILITIES,
    BayouDataset,
    BillRecord,
    CustomerRecord,
    Meter,
    SandboxSettings,
    Utility,
    generate_dataset,
    sandbox_settings_from_env,
)

__all__ = [
    "UTILITIES",
    "BayouDataset",
    "BillRecord",
    "CustomerRecord",
    "Meter",
    "SandboxSettings",
    "SandboxState",
    "Utility",
    "create_app",
    "generate_dataset",
    "sandbox_settings_from_env",
    "start_bayou_sandbox",
]

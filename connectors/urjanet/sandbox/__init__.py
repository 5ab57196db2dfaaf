"""Urjanet Utility Data API sandbox: a deterministic local simulator over real HTTP.

    from connectors.urjanet.sandbox import start_urjanet_sandbox
    server, base_url = start_urjanet_sandbox(username="sandbox-user", password="sandbox-password", accounts=30)
    with server:
        ...  # POST {base_url}/auth/login {"username", "password"} -> {"token"}, then
             # POST {base_url}/api/v1/account/search with Authorization: Bearer <token>

See generator.py for the data and its fixed assumptions, app.py for the API and the ops hooks.
"""

from .app import API_PREFIX, LOGIN_PATH, ApiError, SandboxState, create_app, start_urjanet_sandbox
from .generator import (
    CUSTOMER_ID,
    PROVIDERS,
    SERVICE_TYPES,
    SandboxSettings,
    UrjanetDataset,
    generate_dataset,
    sandbox_settings_from_env,
)

__all__ = [
    "API_PREFIX",
    "CUSTOMER_ID",
    "LOGIN_PATH",
    "PROVIDERS",
    "SERVICE_TYPES",
    "ApiError",
    "SandboxSettings",
    "SandboxState",
    "UrjanetDataset",
    "create_app",
    "generate_dataset",
    "sandbox_settings_from_env",
    "start_urjanet_sandbox",
]

"""Arcadia Arc sandbox: a deterministic local simulator of the legacy Arc API over real HTTP.

    from connectors.arcadia.sandbox import start_arcadia_sandbox
    server, base_url = start_arcadia_sandbox(client_id="sandbox-client", client_secret="sandbox-secret",
                                             users=4, months=24)
    with server:
        ...  # POST {base_url}/auth/access_token, then GET {base_url}/utility_accounts with
             # Arcadia-Version: 2022-10-13 and Authorization: Bearer <token>

See generator.py for the data and its fixed assumptions, app.py for the API, the ops hooks and
the webhook triggers.
"""

from .app import (
    API_VERSION,
    ApiError,
    IssuedToken,
    SandboxState,
    WebhookTarget,
    create_app,
    sign_webhook,
    start_arcadia_sandbox,
)
from .generator import (
    UTILITIES,
    AccountRecord,
    ArcadiaDataset,
    CredentialRecord,
    MeterProfile,
    MeterRecord,
    SandboxSettings,
    StatementRecord,
    UserRecord,
    Utility,
    generate_dataset,
    sandbox_settings_from_env,
)

__all__ = [
    "API_VERSION",
    "UTILITIES",
    "AccountRecord",
    "ApiError",
    "ArcadiaDataset",
    "CredentialRecord",
    "IssuedToken",
    "MeterProfile",
    "MeterRecord",
    "SandboxSettings",
    "SandboxState",
    "StatementRecord",
    "UserRecord",
    "Utility",
    "WebhookTarget",
    "create_app",
    "generate_dataset",
    "sandbox_settings_from_env",
    "sign_webhook",
    "start_arcadia_sandbox",
]

"""Arcadia Arc (legacy Arc API): users, utility credentials, accounts, meters, statements and
intervals; signed webhooks through the shared receiver.

Real API: ARCADIA_CLIENT_ID, ARCADIA_CLIENT_SECRET, ARCADIA_BASE_URL (default
https://api.arcadia.com), ARCADIA_WEBHOOK_SIGNING_KEY. Without a client id the Arcadia sandbox is
used: the one at ARCADIA_SANDBOX_URL if set, else an embedded one on a free loopback port.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from ..core.embedded import embedded_sandbox
from ..core.vendor import VendorConnection, SyncSpec, VendorSpec
from .client import DEFAULT_BASE_URL, ArcadiaClient
from .entities import ENTITIES
from .sync import VENDOR as NAME
from .sync import (
    customer_links,
    sync_accounts_and_meters,
    sync_intervals,
    sync_statements,
    sync_users_and_credentials,
)
from ..webhooks import arc_webhook_spec, inbox_notification_source
from .webhooks import event_to_notification

SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET = "sandbox-client", "sandbox-secret"  # the sandbox's own: not secrets
SANDBOX_URL_ENV = "ARCADIA_SANDBOX_URL"


class _EmbeddedSandbox:
    def __init__(self) -> None:
        from .sandbox import start_arcadia_sandbox

        self.server, self.base_url = start_arcadia_sandbox(client_id=SANDBOX_CLIENT_ID,
                                                           client_secret=SANDBOX_CLIENT_SECRET)
        self.url = self.server.url

    def stop(self) -> None:
        self.server.stop()

    def env(self) -> dict[str, str]:
        return {SANDBOX_URL_ENV: self.base_url}


def connect(env: Mapping[str, str] | None = None) -> VendorConnection:
    env = os.environ if env is None else env
    client_id = env.get("ARCADIA_CLIENT_ID", "").strip()
    if client_id:
        base_url = env.get("ARCADIA_BASE_URL", "").strip() or DEFAULT_BASE_URL
        client = ArcadiaClient(client_id, env.get("ARCADIA_CLIENT_SECRET", "").strip(), base_url)
        return VendorConnection(NAME, client, is_sandbox=False, base_url=base_url)
    base_url = env.get(SANDBOX_URL_ENV, "").strip() or embedded_sandbox(NAME, _EmbeddedSandbox).base_url
    return VendorConnection(NAME, ArcadiaClient(SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, base_url),
                             is_sandbox=True, base_url=base_url)


WEBHOOK = arc_webhook_spec(event_to_notification)


VENDOR = VendorSpec(
    name=NAME,
    display_name="Arcadia Arc",
    entities=ENTITIES,
    syncs=(
        SyncSpec("credentials", produces=("users", "credentials"), run=sync_users_and_credentials,
                 description="GET /users and /utility_credentials, incremental on updated_at."),
        SyncSpec("accounts", produces=("accounts", "meters"), run=sync_accounts_and_meters,
                 depends_on=("credentials",),
                 description="GET /utility_accounts and /utility_meters (or the accounts carried by a webhook)."),
        SyncSpec("statements", produces=("statements",), run=sync_statements, depends_on=("accounts",),
                 uses_policy=True, shard_key="credential_id",
                 description="GET /plug/utility_statements per account; statements outside policy keep ids and dates."),
        SyncSpec("intervals", produces=("intervals", "interval_loads"), run=sync_intervals,
                 depends_on=("accounts",), uses_policy=True, partitioned_by_month=True, shard_key="credential_id",
                 description="GET /plug/utility_intervals per electric meter in requests of at most a year, "
                             "bounded by the metadata endpoint and the policy windows."),
    ),
    connect=connect,
    customer_links=customer_links,
    customer_entity="credentials",
    credential_env_vars=("ARCADIA_CLIENT_ID",),
    start_sandbox=_EmbeddedSandbox,
    sandbox_url_env=SANDBOX_URL_ENV,
    sandbox_env=lambda sandbox: sandbox.env(),
    notifications=inbox_notification_source(WEBHOOK),
    notification_syncs=("accounts", "statements", "intervals"),
    webhook=WEBHOOK,
)

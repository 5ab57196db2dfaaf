"""Bayou Energy (https://bayou.energy): customers, bills (locked and unlocked), unlocks,
15-minute intervals and utilities.

Credentials: BAYOU_API_KEY (and BAYOU_BASE_URL, default https://bayou.energy/api/v2).
Without a key the connector uses the Bayou sandbox: the one at BAYOU_SANDBOX_URL if set
(`make run` / `make ui` start a shared one), else an embedded one on a free loopback port.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from ..core.embedded import embedded_sandbox
from ..core.vendor import VendorConnection, SyncSpec, VendorSpec
from .client import DEFAULT_BASE_URL, VENDOR as NAME, BayouClient
from .entities import ENTITIES
from .sync import customer_links, sync_bills, sync_customers, sync_intervals, sync_utilities
from .webhooks import NOTIFICATION_SYNCS, WEBHOOK, notification_source

SANDBOX_API_KEY = "sandbox-key"  # the sandbox's own key: not a secret
SANDBOX_URL_ENV = "BAYOU_SANDBOX_URL"
SANDBOX_API_PATH = "/api/v2"


def _start_embedded_sandbox():
    from .sandbox import start_bayou_sandbox

    server, _ = start_bayou_sandbox(api_key=SANDBOX_API_KEY)
    return server


def connect(env: Mapping[str, str] | None = None) -> VendorConnection:
    env = os.environ if env is None else env
    api_key = env.get("BAYOU_API_KEY", "").strip()
    if api_key:
        base_url = env.get("BAYOU_BASE_URL", "").strip() or DEFAULT_BASE_URL
        return VendorConnection(NAME, BayouClient(api_key, base_url), is_sandbox=False, base_url=base_url)
    base_url = env.get(SANDBOX_URL_ENV, "").strip()
    if not base_url:
        base_url = embedded_sandbox(NAME, _start_embedded_sandbox).url + SANDBOX_API_PATH
    return VendorConnection(NAME, BayouClient(SANDBOX_API_KEY, base_url), is_sandbox=True, base_url=base_url)


VENDOR = VendorSpec(
    name=NAME,
    display_name="Bayou Energy",
    entities=ENTITIES,
    syncs=(
        SyncSpec("customers", produces=("customers", "customer_meters"), run=sync_customers,
                 description="GET /customers: customers and the meters of their utility accounts."),
        SyncSpec("utilities", produces=("utilities",), run=sync_utilities, description="GET /utilities."),
        SyncSpec("bills", produces=("bills", "bill_meters"), run=sync_bills, depends_on=("customers",),
                 uses_policy=True, shard_key="customer_id",
                 description="GET /customers/{id}/bills; in-policy locked bills are unlocked and re-fetched, "
                             "out-of-policy bills keep only their locked fields."),
        SyncSpec("intervals", produces=("intervals", "interval_loads"), run=sync_intervals,
                 depends_on=("customers",), uses_policy=True, partitioned_by_month=True, shard_key="customer_id",
                 description="GET /customers/{id}/intervals within the policy windows, incremental with a "
                             "3-day lookback; readings outside policy are never written."),
    ),
    connect=connect,
    customer_links=customer_links,
    credential_env_vars=("BAYOU_API_KEY",),
    start_sandbox=_start_embedded_sandbox,
    sandbox_url_env=SANDBOX_URL_ENV,
    sandbox_env=lambda server: {SANDBOX_URL_ENV: server.url + SANDBOX_API_PATH},
    # Webhook events (connectors/bayou/webhooks.py) land in lake/inbox/bayou/; the sensor reads them.
    webhook=WEBHOOK,
    notifications=notification_source,
    notification_syncs=NOTIFICATION_SYNCS,
)

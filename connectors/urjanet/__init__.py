"""Urjanet: the Utility Data API (enrollment and status of accounts, meters and credentials, the
change log) and the statement deliveries (bills, meters, usages and charges delivered as files).

Real API: URJANET_USERNAME, URJANET_PASSWORD, URJANET_CUSTOMER_ID (optional), URJANET_BASE_URL
(default https://api.urjanet.net). Deliveries: URJANET_DELIVERY_S3_URI (s3://bucket/prefix, AWS
credentials from the usual environment) or URJANET_DELIVERY_DIR (a folder). Without a username the
Urjanet sandbox is used: the one at URJANET_SANDBOX_URL if set, else an embedded one on a free
loopback port, which also writes its deliveries to a temporary folder.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..core.embedded import embedded_sandbox
from ..core.vendor import SyncSpec, VendorConnection, VendorSpec
from .client import DEFAULT_BASE_URL, UrjanetClient
from .entities import ENTITIES
from .sync import VENDOR as NAME
from .sync import customer_links, sync_accounts, sync_statements

SANDBOX_USERNAME, SANDBOX_PASSWORD = "sandbox-user", "sandbox-password"  # the sandbox's own: not secrets
SANDBOX_URL_ENV = "URJANET_SANDBOX_URL"
DELIVERY_DIR_ENV = "URJANET_DELIVERY_DIR"
DELIVERY_S3_ENV = "URJANET_DELIVERY_S3_URI"


@dataclass
class UrjanetConnection(VendorConnection):
    deliveries: Any = None  # a deliveries.DeliverySource, or None when no location is configured
    env: Mapping[str, str] = field(default_factory=dict)


class _EmbeddedSandbox:
    """The API sandbox plus its statement deliveries in a temporary folder."""

    def __init__(self) -> None:
        from .sandbox import start_urjanet_sandbox
        from .sandbox.deliveries import write_deliveries

        self.server, self.base_url = start_urjanet_sandbox(username=SANDBOX_USERNAME, password=SANDBOX_PASSWORD)
        self.url = self.server.url
        self.delivery_dir = Path(tempfile.mkdtemp(prefix="urjanet-deliveries-"))
        write_deliveries(self.server.app.state.sandbox.dataset, self.delivery_dir)

    def stop(self) -> None:
        self.server.stop()
        shutil.rmtree(self.delivery_dir, ignore_errors=True)

    def env(self) -> dict[str, str]:
        return {SANDBOX_URL_ENV: self.base_url, DELIVERY_DIR_ENV: str(self.delivery_dir)}


def connect(env: Mapping[str, str] | None = None) -> UrjanetConnection:
    from .deliveries import FolderSource, source_from_env

    env = dict(os.environ if env is None else env)
    username = env.get("URJANET_USERNAME", "").strip()
    if username:
        base_url = env.get("URJANET_BASE_URL", "").strip() or DEFAULT_BASE_URL
        client = UrjanetClient(username, env.get("URJANET_PASSWORD", "").strip(), base_url,
                               customer_id=env.get("URJANET_CUSTOMER_ID", "").strip() or None)
        return UrjanetConnection(NAME, client, is_sandbox=False, base_url=base_url,
                                 deliveries=source_from_env(env), env=env)
    deliveries = source_from_env(env)
    base_url = env.get(SANDBOX_URL_ENV, "").strip()
    if not base_url:
        sandbox = embedded_sandbox(NAME, _EmbeddedSandbox)
        base_url = sandbox.base_url
        deliveries = deliveries or FolderSource(sandbox.delivery_dir)
    client = UrjanetClient(SANDBOX_USERNAME, SANDBOX_PASSWORD, base_url)
    return UrjanetConnection(NAME, client, is_sandbox=True, base_url=base_url, deliveries=deliveries, env=env)


VENDOR = VendorSpec(
    name=NAME,
    display_name="Urjanet",
    entities=ENTITIES,
    syncs=(
        SyncSpec("accounts", produces=("accounts", "meters", "credentials", "providers", "change_events",
                                       "account_id_changes", "status_refreshes"),
                 run=sync_accounts,
                 description="POST /api/v1/*/search: the change log incrementally; accounts, meters, credentials "
                             "and providers by a full search (daily) or from the change log and modified dates; "
                             "account id changes matched on provider + normalized account number."),
        SyncSpec("statements", produces=("statements", "statement_meters", "usages", "charges", "delivery_files"),
                 run=sync_statements, depends_on=("accounts",), uses_policy=True, shard_key="file_name",
                 description="Statement delivery files (URJANET_DELIVERY_DIR or URJANET_DELIVERY_S3_URI): bills and "
                             "adjustments with meters, usages and charges; statements outside policy keep ids and "
                             "dates only."),
    ),
    connect=connect,
    customer_links=customer_links,
    customer_entity="accounts",
    credential_env_vars=("URJANET_USERNAME",),
    start_sandbox=_EmbeddedSandbox,
    sandbox_url_env=SANDBOX_URL_ENV,
    sandbox_env=lambda sandbox: sandbox.env(),
)

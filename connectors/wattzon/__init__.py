"""WattzOn Link 4.0 (https://api.wattzon.com/link/4.0): profiles, extraction jobs, bills and
PDFs, monthly interval files; client-certificate auth.

Real API: WATTZON_CERT_FILE and WATTZON_KEY_FILE (the client certificate WattzOn signed),
WATTZON_BASE_URL (default https://api.wattzon.com/link/4.0), WATTZON_CA_FILE (an extra CA to
trust, optional), WATTZON_SQS_QUEUE_URL (job notifications, optional). With none of the first
three set, the WattzOn sandbox is used: the one at WATTZON_SANDBOX_URL (with
WATTZON_SANDBOX_CA_FILE, _CERT_FILE, _KEY_FILE) if set, else an embedded one over HTTPS with a
throwaway CA.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from ..core.embedded import embedded_sandbox
from ..core.vendor import VendorConnection, RefreshSpec, SyncSpec, VendorSpec
from .client import DEFAULT_BASE_URL, WattzonClient
from .entities import ENTITIES
from .sync import VENDOR as NAME
from .sync import customer_links, refresh_profiles, sync_bills, sync_intervals, sync_profiles

REAL_ENV = ("WATTZON_CERT_FILE", "WATTZON_KEY_FILE", "WATTZON_BASE_URL")
SANDBOX_URL_ENV = "WATTZON_SANDBOX_URL"
SANDBOX_TLS_ENV = ("WATTZON_SANDBOX_CA_FILE", "WATTZON_SANDBOX_CERT_FILE", "WATTZON_SANDBOX_KEY_FILE")


class _EmbeddedSandbox:
    """The sandbox server plus the throwaway PKI its clients need."""

    def __init__(self) -> None:
        from .sandbox import start_wattzon_sandbox

        self.server, self.base_url, self.pki = start_wattzon_sandbox(tls=True)
        self.url = self.server.url

    def stop(self) -> None:
        self.server.stop()

    def env(self) -> dict[str, str]:
        return {
            SANDBOX_URL_ENV: self.base_url,
            "WATTZON_SANDBOX_CA_FILE": str(self.pki.ca_file),
            "WATTZON_SANDBOX_CERT_FILE": str(self.pki.client_cert_file),
            "WATTZON_SANDBOX_KEY_FILE": str(self.pki.client_key_file),
        }


def connect(env: Mapping[str, str] | None = None) -> VendorConnection:
    env = os.environ if env is None else env
    value = lambda name: env.get(name, "").strip() or None  # noqa: E731
    if any(value(name) for name in REAL_ENV):
        base_url = value("WATTZON_BASE_URL") or DEFAULT_BASE_URL
        client = WattzonClient(base_url, cert_file=value("WATTZON_CERT_FILE"), key_file=value("WATTZON_KEY_FILE"),
                               ca_file=value("WATTZON_CA_FILE"))
        return VendorConnection(NAME, client, is_sandbox=False, base_url=base_url)
    sandbox_env = {k: value(k) for k in (SANDBOX_URL_ENV, *SANDBOX_TLS_ENV)}
    if not sandbox_env[SANDBOX_URL_ENV]:
        sandbox_env = embedded_sandbox(NAME, _EmbeddedSandbox).env()
    client = WattzonClient(sandbox_env[SANDBOX_URL_ENV], cert_file=sandbox_env["WATTZON_SANDBOX_CERT_FILE"],
                           key_file=sandbox_env["WATTZON_SANDBOX_KEY_FILE"],
                           ca_file=sandbox_env["WATTZON_SANDBOX_CA_FILE"])
    return VendorConnection(NAME, client, is_sandbox=True, base_url=sandbox_env[SANDBOX_URL_ENV])


def _notifications(env: Mapping[str, str]):
    from .notifications import notification_source

    return notification_source(env)


VENDOR = VendorSpec(
    name=NAME,
    display_name="WattzOn Link",
    entities=ENTITIES,
    syncs=(
        SyncSpec("profiles", produces=("profiles", "jobs"), run=sync_profiles,
                 description="GET /profiles/ and each profile, with its last extraction job."),
        SyncSpec("bills", produces=("bills", "bill_pdfs"), run=sync_bills, depends_on=("profiles",),
                 uses_policy=True, shard_key="profile_id",
                 description="GET /data/bills/{profile}/ per profile; PDFs of in-policy statements stored by "
                             "content; statements outside policy keep ids and dates only."),
        SyncSpec("intervals", produces=("interval_periods", "intervals", "interval_loads"), run=sync_intervals,
                 depends_on=("profiles",), uses_policy=True, partitioned_by_month=True, shard_key="profile_id",
                 description="GET /data/intervals/{profile}/ and the monthly JSON files that are new, not "
                             "complete when last fetched, or re-extracted; readings outside policy dropped."),
    ),
    connect=connect,
    customer_links=customer_links,
    credential_env_vars=REAL_ENV,
    start_sandbox=_EmbeddedSandbox,
    sandbox_url_env=SANDBOX_URL_ENV,
    sandbox_env=lambda sandbox: sandbox.env(),
    notifications=_notifications,
    notification_syncs=("profiles", "bills", "intervals"),
    refresh=RefreshSpec(
        name="refresh_jobs",
        run=refresh_profiles,
        cron_env="WATTZON_REFRESH_CRON",
        default_cron="0 4 * * *",
        description="Starts a bill and an interval extraction job for every WattzOn profile and follows them "
                    "to the end; their notifications then trigger syncs of those profiles.",
    ),
)

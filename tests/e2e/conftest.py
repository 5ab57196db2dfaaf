"""One real pipeline run (Dagster + sandbox over HTTP + Parquet lake + dbt build + DuckDB),
shared by the end-to-end tests of this folder."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb
import pytest
import yaml

from connectors.arcadia.sandbox import generate_dataset as generate_arcadia_dataset
from connectors.arcadia.sandbox import start_arcadia_sandbox
from connectors.bayou.sandbox import generate_dataset, start_bayou_sandbox
from connectors.urjanet.sandbox import generate_dataset as generate_urjanet_dataset
from connectors.urjanet.sandbox import start_urjanet_sandbox
from connectors.urjanet.sandbox.deliveries import upload_deliveries
from connectors.wattzon.sandbox import generate_dataset as generate_wattzon_dataset
from connectors.wattzon.sandbox import start_wattzon_sandbox

AS_OF = date(2026, 11, 1)
API_KEY = "bayou-e2e-SECRET-4f9c2a7e1d"  # talks to the sandbox in "real vendor" mode
ARCADIA_SECRET = "arcadia-e2e-SECRET-9d8e7f6a5b"
ARCADIA_SIGNING_KEY = "arcadia-e2e-SIGNING-1a2b3c4d5e"
URJANET_PASSWORD = "urjanet-e2e-SECRET-7c6b5a4d3e"
URJANET_DELIVERIES = "s3://urjanet-e2e-deliveries/acme/"


@dataclass
class PipelineRun:
    data_dir: Path
    policy_file: Path
    state: object  # the Bayou sandbox's SandboxState
    dataset: object
    wattzon_state: object = None
    wattzon_dataset: object = None
    arcadia_state: object = None
    urjanet_state: object = None
    secrets: dict[str, str] = field(default_factory=dict)
    logs: list[str] = field(default_factory=list)
    event_text: list[str] = field(default_factory=list)

    @property
    def warehouse(self) -> Path:
        return self.data_dir / "warehouse.duckdb"

    def sql(self, query: str, params: list | None = None) -> list[tuple]:
        with duckdb.connect(str(self.warehouse), read_only=True) as con:
            return con.execute(query, params or []).fetchall()

    def lake_sql(self, query: str) -> list[tuple]:
        with duckdb.connect() as con:
            return con.execute(query.replace("LAKE", str(self.data_dir / "lake"))).fetchall()

    def write_policy(self, policy: dict) -> None:
        self.policy_file.write_text(yaml.safe_dump(policy, sort_keys=False))

    def materialize(self) -> None:
        """Materialize every asset in process with a real (temporary) Dagster instance."""
        from dagster import DagsterInstance

        from orchestration.definitions import defs
        from orchestration.partitions import full_range, range_tags

        handler = _ListHandler(self.logs)
        logging.getLogger().addHandler(handler)
        try:
            with DagsterInstance.ephemeral() as instance:
                result = defs.resolve_job_def("sync_everything").execute_in_process(
                    instance=instance, raise_on_error=True, tags=range_tags(*full_range()))
                assert result.success
                for record in instance.all_logs(result.run_id):
                    self.event_text.append(repr(record))
        finally:
            logging.getLogger().removeHandler(handler)


class _ListHandler(logging.Handler):
    def __init__(self, sink: list[str]) -> None:
        super().__init__(logging.DEBUG)
        self.sink = sink

    def emit(self, record: logging.LogRecord) -> None:
        self.sink.append(self.format(record))


def old_locked_bill(dataset) -> int:
    """A bill far before its customer's link: outside the 12-month default."""
    for customer in dataset.customers:
        if customer.linked_at is None:
            continue
        for bill in customer.bills:
            if bill.billed_on and (customer.linked_at.date() - bill.billed_on).days > 500 \
                    and bill.default_status == "locked":
                return bill.id
    raise AssertionError("the sandbox data has no bill older than 500 days before linking")


@pytest.fixture(scope="package")
def pipeline(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("utility-data")
    policy_file = data_dir / "policy.yml"
    dataset = generate_dataset(seed=7, customers=8, months=30, as_of=AS_OF)
    server, base_url = start_bayou_sandbox(api_key=API_KEY, dataset=dataset)
    # WattzOn in "real vendor" mode too: its sandbox over HTTPS, our client certificate and CA.
    wattzon_dataset = generate_wattzon_dataset(seed=7, profiles=5, months=18, as_of=AS_OF)
    wattzon_server, wattzon_url, pki = start_wattzon_sandbox(
        dataset=wattzon_dataset, tls=True, directory=tmp_path_factory.mktemp("wattzon-pki"))
    # Arcadia in "real vendor" mode against its sandbox as well.
    arcadia_server, arcadia_url = start_arcadia_sandbox(
        dataset=generate_arcadia_dataset(seed=7, users=2, months=14, as_of=AS_OF),
        client_id="e2e-client", client_secret=ARCADIA_SECRET)
    # Urjanet in "real vendor" mode: its sandbox with our login, statement deliveries in S3 (moto).
    urjanet_server, urjanet_url = start_urjanet_sandbox(
        dataset=generate_urjanet_dataset(seed=7, accounts=12, months=14, as_of=AS_OF),
        username="e2e-urjanet", password=URJANET_PASSWORD)
    saved = dict(os.environ)
    s3_mock = _start_s3(urjanet_server.app.state.sandbox.dataset)
    os.environ.update({
        "UTILITY_DATA_DIR": str(data_dir),
        "UTILITY_POLICY_FILE": str(policy_file),
        "BAYOU_API_KEY": API_KEY,
        "BAYOU_BASE_URL": base_url,
        "WATTZON_BASE_URL": wattzon_url,
        "WATTZON_CERT_FILE": str(pki.client_cert_file),
        "WATTZON_KEY_FILE": str(pki.client_key_file),
        "WATTZON_CA_FILE": str(pki.ca_file),
        "ARCADIA_CLIENT_ID": "e2e-client",
        "ARCADIA_CLIENT_SECRET": ARCADIA_SECRET,
        "ARCADIA_BASE_URL": arcadia_url,
        "ARCADIA_WEBHOOK_SIGNING_KEY": ARCADIA_SIGNING_KEY,
        "URJANET_USERNAME": "e2e-urjanet",
        "URJANET_PASSWORD": URJANET_PASSWORD,
        "URJANET_BASE_URL": urjanet_url,
        "URJANET_DELIVERY_S3_URI": URJANET_DELIVERIES,
    })
    os.environ.pop("UTILITY_VENDORS", None)
    run = PipelineRun(data_dir, policy_file, server.app.state.sandbox, dataset,
                      wattzon_state=wattzon_server.app.state.sandbox, wattzon_dataset=wattzon_dataset,
                      arcadia_state=arcadia_server.app.state.sandbox,
                      urjanet_state=urjanet_server.app.state.sandbox)
    private_key = pki.client_key_file.read_text()
    run.secrets = {
        "bayou api key": API_KEY,
        "arcadia client secret": ARCADIA_SECRET,
        "arcadia webhook signing key": ARCADIA_SIGNING_KEY,
        "urjanet password": URJANET_PASSWORD,
        # every base64 line of the client's private key (the BEGIN/END armour is public text; a
        # tail line under 16 characters would match random bytes of a large file by chance)
        **{f"wattzon private key line {i}": line for i, line in enumerate(private_key.splitlines())
           if len(line.strip()) >= 16 and not line.startswith("-----")},
    }
    run.write_policy({
        "default": {"history": 12, "continuous": True},
        "customers": [],
        "unlocked_bills": [{"vendor": "bayou", "bill_id": str(old_locked_bill(dataset))}],
    })
    try:
        run.materialize()
        yield run
    finally:
        server.stop()
        wattzon_server.stop()
        arcadia_server.stop()
        urjanet_server.stop()
        s3_mock.stop()
        os.environ.clear()
        os.environ.update(saved)


def _start_s3(urjanet_dataset):
    """An in-process S3 (moto) holding the Urjanet sandbox's statement deliveries."""
    import boto3
    from moto import mock_aws

    os.environ.update({"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                       "AWS_DEFAULT_REGION": "us-east-1"})
    mock = mock_aws()
    mock.start()
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket=URJANET_DELIVERIES.split("/")[2])
    upload_deliveries(urjanet_dataset, URJANET_DELIVERIES, client=s3)
    return mock

from __future__ import annotations

from datetime import date

import pytest

from connectors.bayou.sandbox import generate_dataset, start_bayou_sandbox

AS_OF = date(2026, 11, 1)


@pytest.fixture(scope="module")
def bayou_dataset():
    return generate_dataset(seed=11, customers=6, months=18, as_of=AS_OF)


@pytest.fixture()
def bayou(bayou_dataset):
    """A fresh Bayou sandbox per test: (server, base_url, state)."""
    server, base_url = start_bayou_sandbox(api_key="test-key", dataset=bayou_dataset)
    try:
        yield server, base_url, server.app.state.sandbox
    finally:
        server.stop()


WATTZON_AS_OF = date(2026, 3, 15)
_WATTZON_DATASETS: dict = {}  # generated once per session: the sandbox never mutates its dataset


@pytest.fixture()
def wattzon(tmp_path_factory):
    """A fresh WattzOn sandbox over HTTPS with client-certificate verification: (server, base_url,
    pki, state). The throwaway PKI lives in the session's tmp dir, made once and then reused."""
    from connectors.wattzon.sandbox import generate_dataset as generate_wattzon_dataset
    from connectors.wattzon.sandbox import start_wattzon_sandbox

    if "dataset" not in _WATTZON_DATASETS:
        _WATTZON_DATASETS["dataset"] = generate_wattzon_dataset(seed=5, profiles=6, months=24, as_of=WATTZON_AS_OF)
    server, base_url, pki = start_wattzon_sandbox(
        dataset=_WATTZON_DATASETS["dataset"], tls=True, directory=tmp_path_factory.getbasetemp() / "wattzon-pki"
    )
    try:
        yield server, base_url, pki, server.app.state.sandbox
    finally:
        server.stop()

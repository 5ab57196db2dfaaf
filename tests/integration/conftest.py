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

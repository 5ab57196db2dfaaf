from __future__ import annotations

import logging
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def project_root() -> Path:
    return PROJECT_ROOT


@pytest.fixture(autouse=True)
def _quiet_third_party_logs():
    logging.getLogger("uvicorn").setLevel(logging.WARNING)
    yield


@pytest.hookimpl(tryfirst=True)  # before xdist's own hook turns the marks into groups
def pytest_collection_modifyitems(config, items):
    """`make test` runs the tests on two workers (pytest-xdist, `--dist loadgroup`). The end-to-end
    modules share expensive module- and package-scoped runs (the `pipeline` fixture materializes
    every vendor once), so each such run stays on one worker: every test of tests/e2e that uses
    `pipeline` is one group, every other e2e module a group of its own. Unit and integration
    tests are spread freely."""
    for item in items:
        path = Path(str(item.fspath))
        if "e2e" not in path.parts:
            continue
        group = "e2e-pipeline" if "pipeline" in getattr(item, "fixturenames", ()) else f"e2e-{path.stem}"
        item.add_marker(pytest.mark.xdist_group(group))

"""`python -m connectors.urjanet.enroll` against the Urjanet sandbox over real HTTP: shared and
reused credentials, custom attributes, existing accounts, invalid rows, dry run, results CSV,
and no password anywhere in the output."""

from __future__ import annotations

import csv
import io
import logging
import subprocess
import sys
from datetime import date
from pathlib import Path

import httpx
import pytest

from connectors.urjanet import enroll
from connectors.urjanet.client import UrjanetClient
from connectors.urjanet.query import Query
from connectors.urjanet.sandbox import start_urjanet_sandbox

API_USER, API_PASSWORD = "enroll-user", "enroll-API-pass-1"
PASSWORDS = ("pw-Alpha-111", "pw-Bravo-222", "pw-Charlie-333", "pw-Echo-555", "pw-Other-999", "pw-Reuse-777",
             "pw-Fox-666", "answer-Golf-888", API_PASSWORD)
SCALE = {"seed": 7, "accounts": 20, "months": 6, "as_of": date(2026, 1, 1)}


@pytest.fixture()
def sandbox():
    server, base_url = start_urjanet_sandbox(username=API_USER, password=API_PASSWORD, **SCALE)
    try:
        yield base_url, server.app.state.sandbox
    finally:
        server.stop()


def env_for(base_url: str) -> dict[str, str]:
    return {"URJANET_USERNAME": API_USER, "URJANET_PASSWORD": API_PASSWORD, "URJANET_BASE_URL": base_url,
            "URJANET_CUSTOMER_ID": "SandboxCustomer"}


def client_for(base_url: str) -> UrjanetClient:
    return UrjanetClient(API_USER, API_PASSWORD, base_url, "SandboxCustomer", transport_sleep=lambda s: None)


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(header)
        writer.writerows(rows)
    return path


HEADER = ["provider", "account_number", "username", "password", "attr:FacilityId", "attr:CostCenter", "attr:Nope"]


def mixed_rows(state) -> list[list[str]]:
    """Rows 2..11 (the header is row 1)."""
    existing = next(iter(state.dataset.accounts.values()))
    credential = next(iter(state.dataset.credentials.values()))
    return [
        ["GeorgiaPower", "NEW-1001", "alice", "pw-Alpha-111", "F-1", "CC-1", ""],       # 2 created, new credential
        ["GeorgiaPower", "NEW-1002", "alice", "pw-Alpha-111", "F-2", "", ""],           # 3 created, shares row 2's
        ["DukeEnergy", "NEW-2001", "bob", "pw-Bravo-222", "", "", ""],                   # 4 created
        [existing["utilityProvider"]["naturalKey"], existing["accountNumber"], "carol", "pw-Charlie-333", "", "", ""],
        ["DukeEnergy", "NEW-2002", "dave", "", "", "", ""],                              # 6 missing password
        ["NoSuchUtility", "NEW-3001", "erin", "pw-Echo-555", "", "", ""],                # 7 unknown provider
        ["DukeEnergy", "NEW-2003", "frank", "pw-Fox-666", "", "", "x"],                  # 8 unknown attribute
        ["DukeEnergy", "NEW 2001", "bob", "pw-Bravo-222", "", "", ""],                   # 9 duplicate of row 4
        ["GeorgiaPower", "NEW-1003", "alice", "pw-Other-999", "", "", ""],               # 10 password differs
        [credential["utilityProvider"]["naturalKey"], "NEW-4001", credential["username"], "pw-Reuse-777", "", "",
         ""],                                                                            # 11 ALREADY_EXISTS -> reuse
    ]


EXPECTED = {2: "created", 3: "created", 4: "created", 5: "exists", 6: "invalid", 7: "invalid", 8: "invalid",
            9: "invalid", 10: "invalid", 11: "created"}


def read_results(path: Path) -> dict[int, dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as source:
        return {int(r["row"]): r for r in csv.DictReader(source)}


def assert_no_password(*texts: str) -> None:
    for text in texts:
        for password in PASSWORDS:
            assert password not in text


def test_enroll_creates_good_rows_and_reports_bad_ones(sandbox, tmp_path, capsys, caplog):
    base_url, state = sandbox
    caplog.set_level(logging.DEBUG)
    credentials_before = len(state.records["credential"])
    existing_credential = next(iter(state.dataset.credentials.values()))
    accounts_csv = write_csv(tmp_path / "accounts.csv", HEADER, mixed_rows(state))
    results_csv = tmp_path / "results.csv"

    code = enroll.main([str(accounts_csv), "--results", str(results_csv)], env_for(base_url))

    out, err = capsys.readouterr()
    assert code == 1
    results = read_results(results_csv)
    assert {n: r["outcome"] for n, r in results.items()} == EXPECTED
    assert list(next(csv.reader(io.StringIO(results_csv.read_text())))) == list(enroll.RESULT_COLUMNS)
    assert "password is required" in results[6]["reason"]
    assert results[7]["reason"].startswith("provider:") and "NoSuchUtility" in results[7]["reason"]
    assert results[8]["reason"].startswith("attr:Nope:")
    assert "duplicate of row 4" in results[9]["reason"]
    assert results[10]["reason"].startswith("password:") and "row 2" in results[10]["reason"]
    assert results[5]["account_id"] == next(iter(state.dataset.accounts))
    # One credential shared by rows 2 and 3; row 11 reuses the sandbox's own after ALREADY_EXISTS.
    assert results[2]["credential_id"] == results[3]["credential_id"] != results[4]["credential_id"]
    assert results[11]["credential_id"] == existing_credential["id"]
    assert "reused existing credential" in results[11]["reason"] and "password differs" in results[11]["reason"]
    assert len(state.records["credential"]) == credentials_before + 2  # alice and bob only
    with client_for(base_url) as client:
        for row in (2, 3, 4, 11):
            account = client.account(results[row]["account_id"])
            assert account.account_number == results[row]["account_number"]
            assert account.extraction_channels[0].id == results[row]["credential_id"]
        assert client.account(results[2]["account_id"]).custom_attributes == {"FacilityId": "F-1", "CostCenter": "CC-1"}
        assert client.account(results[3]["account_id"]).custom_attributes == {"FacilityId": "F-2"}
        created = {a.account_number for a in client.search_accounts(Query().startswith("accountNumber", "NEW"))}
        assert created == {"NEW-1001", "NEW-1002", "NEW-2001", "NEW-4001"}
        alice = list(client.search_credentials(Query().eq("username", "alice").eq("password", "pw-Alpha-111")))
        assert [c.id for c in alice] == [results[2]["credential_id"]]
    assert "NEW-1001" in out and "4 created, 1 exists, 5 invalid" in out
    assert_no_password(out, err, results_csv.read_text(), caplog.text)


def test_dry_run_changes_nothing(sandbox, tmp_path, capsys, caplog):
    base_url, state = sandbox
    caplog.set_level(logging.DEBUG)
    before = httpx.get(base_url + "/_sandbox/state").json()
    httpx.post(base_url + "/_sandbox/reset-calls")
    accounts_csv = write_csv(tmp_path / "accounts.csv", HEADER, mixed_rows(state))
    results_csv = tmp_path / "dry.csv"

    code = enroll.main([str(accounts_csv), "--dry-run", "--results", str(results_csv)], env_for(base_url))

    out, err = capsys.readouterr()
    assert code == 1
    calls = httpx.get(base_url + "/_sandbox/calls").json()
    assert calls and not [c for c in calls if c["path"].endswith(("/create", "/update", "/enrollCandidate"))]
    after = httpx.get(base_url + "/_sandbox/state").json()
    assert {k: after[k] for k in ("accounts", "credentials", "changelog")} == \
        {k: before[k] for k in ("accounts", "credentials", "changelog")}
    outcomes = {n: r["outcome"] for n, r in read_results(results_csv).items()}
    assert outcomes == {**EXPECTED, 2: "would_create", 3: "would_create", 4: "would_create",
                        11: "would_reuse_credential"}
    assert "would share the new credential of row 2" in read_results(results_csv)[3]["reason"]
    assert "dry run: nothing was changed" in out
    assert_no_password(out, err, results_csv.read_text(), caplog.text)


def test_all_good_rows_exit_0_with_optional_columns(sandbox, tmp_path, capsys):
    base_url, state = sandbox
    header = ["Provider", "Account_Number", "username", "password", "username2", "password2", "url",
              "interval_data_enabled", "attr:FacilityId"]
    accounts_csv = write_csv(tmp_path / "accounts.csv", header, [
        ["PacificGasElectric", "PGE-1", "gina", "pw-Fox-666", "Favourite colour?", "answer-Golf-888",
         "https://login.example.com", "yes", "F-7"],
        ["PacificGasElectric", "PGE-2", "gina", "pw-Fox-666", "Favourite colour?", "answer-Golf-888", "", "", ""],
        ["", "", "", "", "", "", "", "", ""],  # a trailing blank line is skipped
    ])
    code = enroll.main([str(accounts_csv)], env_for(base_url))
    out, err = capsys.readouterr()
    assert code == 0, out + err
    assert "2 created" in out
    with client_for(base_url) as client:
        query = Query().eq("username", "gina").eq("password2", "answer-Golf-888")
        (credential,) = list(client.search_credentials(query))
        assert credential.username2 == "Favourite colour?" and credential.url == "https://login.example.com"
        assert credential.interval_data_enabled is True
        accounts = list(client.search_accounts(Query().eq("extractionChannelId", credential.extraction_channel_id)))
        assert sorted(a.account_number for a in accounts) == ["PGE-1", "PGE-2"]
    assert_no_password(out, err)


def test_a_failed_credential_fails_only_its_rows_without_leaking_the_password(sandbox, caplog):
    base_url, state = sandbox
    caplog.set_level(logging.DEBUG)
    echo = {"data": None, "status": "FAILURE", "messageCode": "CREDENTIAL_CREATE_FAILURE",
            "message": [{"messageCode": "CREDENTIAL_CREATE_FAILURE", "message": "could not store pw-Alpha-111"}]}
    state.inject_faults("/credential/create", [{"status": 500, "body": echo}] * 6)
    rows = [{"provider": "GeorgiaPower", "account_number": "F-1", "username": "alice", "password": "pw-Alpha-111"},
            {"provider": "GeorgiaPower", "account_number": "F-2", "username": "alice", "password": "pw-Alpha-111"},
            {"provider": "DukeEnergy", "account_number": "F-3", "username": "bob", "password": "pw-Bravo-222"}]
    with client_for(base_url) as client:
        results = enroll.enroll_rows(client, rows, dry_run=False)
    assert [r.outcome for r in results] == ["failed", "failed", "created"]
    assert "CREDENTIAL_CREATE_FAILURE" in results[0].reason and "pw-Alpha-111" not in results[0].reason
    assert enroll.exit_code(results) == 1
    assert_no_password(repr(results), caplog.text)


@pytest.mark.parametrize("header, message", [
    (["provider", "account_number", "username"], "missing column(s): password"),
    (["provider", "acount_number", "account_number", "username", "password"], "unknown column(s): 'acount_number'"),
    ([], "empty"),
])
def test_unusable_files_exit_2(tmp_path, capsys, header, message):
    path = tmp_path / "bad.csv"
    path.write_text(",".join(header) + ("\n" if header else ""))
    assert enroll.main([str(path)], {}) == 2
    assert message in capsys.readouterr().err


def test_missing_file_and_half_settings_exit_2(tmp_path, capsys):
    assert enroll.main([str(tmp_path / "nope.csv")], {}) == 2
    assert "cannot read" in capsys.readouterr().err
    path = write_csv(tmp_path / "ok.csv", ["provider", "account_number", "username", "password"], [])
    assert enroll.main([str(path)], {"URJANET_USERNAME": "someone"}) == 2
    assert "URJANET_PASSWORD" in capsys.readouterr().err


def test_sandbox_url_fallback_and_module_entry_point(tmp_path):
    server, base_url = start_urjanet_sandbox(**SCALE)  # the sandbox's default login
    try:
        path = write_csv(tmp_path / "accounts.csv", ["provider", "account_number", "username", "password"],
                         [["DukeEnergy", "CLI-1", "henry", "pw-Bravo-222"]])
        env = {"PATH": "", "URJANET_SANDBOX_URL": base_url}  # no URJANET_USERNAME: connect() picks the sandbox
        done = subprocess.run([sys.executable, "-m", "connectors.urjanet.enroll", str(path), "--dry-run"],
                              env=env, cwd=Path(__file__).resolve().parents[2], capture_output=True, text=True,
                              timeout=60)
        assert done.returncode == 0, done.stdout + done.stderr
        assert "would_create" in done.stdout and "pw-Bravo-222" not in done.stdout + done.stderr
        assert f"using the Urjanet sandbox at {base_url}" in done.stderr
    finally:
        server.stop()

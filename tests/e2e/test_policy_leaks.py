"""No amount, usage or document link of a bill outside policy exists anywhere in the lake or the
warehouse, for every vendor.

Two proofs per vendor:
* column level: every row of every lake dataset of the vendor (all Parquet files, every version
  ever landed) and of every warehouse table and view (all schemas) that names an out-of-policy bill
  (bill, statement or record id) has NULL in every amount-, usage- or document-like column;
* value level: the sandbox knows each out-of-policy bill's true document link and amounts; the
  links, and the amounts that no in-policy bill shares, appear nowhere (every file byte for byte,
  every Parquet file and warehouse relation decoded for links; every numeric column for amounts).

The shared fixture's policy (12 months of history, continuous) leaves some Bayou, WattzOn and
Urjanet bills outside policy, but no Arcadia statement (the Arcadia sandbox has no statement
before a credential's link). So Arcadia also gets a run of its own here, with `continuous: false`
for one credential from its first sync.

The lake is append-only: a bill fetched while in policy keeps that landing after a policy change
narrowed it out (docs/policy.md, "Changing the policy"). When another module changed the shared
fixture's policy first (test_policy_change), the bills checked are those outside every policy the
fixture applied, i.e. never fetchable; the policy-applied layers (intermediate, marts) are checked
against the current policy as well.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import duckdb
import orjson
import pytest

from connectors.lake import Lake
from connectors.pipeline import compile_current_policy
from connectors.policy import CompiledPolicy, compile_policy, parse_policy
from connectors.registry import VENDORS
from connectors.settings import load_settings

from .conftest import AS_OF, PipelineRun, old_locked_bill

VENDOR_NAMES = ("bayou", "wattzon", "arcadia", "urjanet")
# The fewest out-of-policy bills a vendor must have for the proof to mean something.
MIN_OUT_OF_POLICY = {"bayou": 20, "wattzon": 3, "arcadia": 10, "urjanet": 10}

# Columns that name a bill: the bill/statement id, a WattzOn record id, a quarantined record's id.
BILL_ID_COLUMNS = {"bill_id", "statement_id", "vendor_bill_id", "adjusted_vendor_bill_id", "bill_record_id",
                   "record_id"}
# Amount-, usage- and document-like column names (lake and warehouse spellings, vendor-specific
# ones from docs/lake.md: WattzOn's cost/current_charges/payment_received/exported_energy/pdf,
# Urjanet's charge_*/usage_amount, Arcadia's kwh/utility_charge, Bayou's *_cents/consumption/file_url).
AMOUNT_LIKE = re.compile(
    r"amount|total|cost|charge|usage|consumption|kwh|(^|_)wh($|_)|therm|balance|url|link|pdf|file|document"
    r"|payment|past_due|(^|_)kw($|_)|demand|generation|exported|credit|rate_per_unit|units_used|raw_record"
    r"|rate_plan|retail_energy_provider|service_address|account_holder_name|(^|_)name$")
# Matched by name but not amounts, usage or documents of the bill (why, for each):
NOT_A_LEAK = {
    "delivery_file": "the Urjanet delivery file the statement arrived in (an id of the delivery)",
    "utility_name": "the utility, kept on locked rows like the account",
    "charge_name": "checked through the charge rows themselves: there must be none (see below)",
}
UNIT_COLUMN = re.compile(r"(^|_)units?$")  # a unit of measure says nothing about the amount


@dataclass
class VendorTruth:
    vendor: str
    out_of_policy: set[str] = field(default_factory=set)  # bill ids (and WattzOn record ids)
    out_of_policy_bills: set[str] = field(default_factory=set)  # bill/statement ids only
    in_policy_bills: set[str] = field(default_factory=set)
    links: dict[str, str] = field(default_factory=dict)  # distinctive link text -> bill id
    amounts: dict[Decimal, str] = field(default_factory=dict)  # distinctive amount (currency) -> bill id
    amounts_raw: dict[Decimal, str] = field(default_factory=dict)  # in the lake's unit when it differs


# -- which bills are outside policy ---------------------------------------------------------------


def original_policy(pipeline) -> dict:
    """The policy the package fixture starts with (tests/e2e/conftest.py)."""
    return {"default": {"history": 12, "continuous": True}, "customers": [],
            "unlocked_bills": [{"vendor": "bayou", "bill_id": str(old_locked_bill(pipeline.dataset))}]}


def policies_applied(pipeline) -> list[CompiledPolicy]:
    """[the current policy, the fixture's original one], over the customers of the fixture's lake."""
    settings = load_settings({"UTILITY_DATA_DIR": str(pipeline.data_dir),
                              "UTILITY_POLICY_FILE": str(pipeline.policy_file)})
    lake = Lake(settings.lake_dir)
    links = [link for spec in VENDORS.values() for link in spec.customer_links(lake)]
    return [compile_current_policy(settings, lake), compile_policy(parse_policy(original_policy(pipeline)), links)]


def classify_bills(run: PipelineRun, vendor: str, policies: list[CompiledPolicy]) -> tuple[set[str], set[str], set[str]]:
    """(outside every policy, outside the current one, inside the current one), cross-checked with
    the warehouse's own verdict (fct_bills / fct_bill_adjustments.is_in_policy)."""
    rows = run.sql("select vendor_bill_id, vendor_customer_id, statement_date, is_in_policy from marts.fct_bills "
                   "where vendor = ? union all select vendor_bill_id, vendor_customer_id, statement_date, is_in_policy "
                   "from marts.fct_bill_adjustments where vendor = ?", [vendor, vendor])
    never, now_out, now_in = set(), set(), set()
    for bill_id, customer_id, statement_date, is_in_policy in rows:
        decisions = [p.bill_decision(vendor, customer_id, bill_id, statement_date).in_policy for p in policies]
        assert decisions[0] == is_in_policy, (vendor, bill_id, "the warehouse disagrees with the compiled policy")
        (now_in if decisions[0] else now_out).add(bill_id)
        if not any(decisions):
            never.add(bill_id)
    return never, now_out, now_in


# -- what the sandboxes know about each bill --------------------------------------------------------


def _distinct(candidates: dict[str, list[Decimal]], out: set[str], in_policy: set[str],
              taken_by_bill: dict[str, list[Decimal]] | None = None) -> dict[Decimal, str]:
    """Amounts of out-of-policy bills that no in-policy bill of the vendor carries in any of its
    numbers (a next bill's previous balance repeats the last total; a usage can equal a charge)."""
    taken_by_bill = candidates if taken_by_bill is None else taken_by_bill
    taken = {v for bill in in_policy for v in taken_by_bill.get(bill, [])}
    return {v: bill for bill in sorted(out) for v in candidates.get(bill, []) if v and v not in taken}


def _numbers(value) -> list[Decimal]:
    """Every number in a JSON document (numbers and numeric strings), to the cent."""
    if isinstance(value, dict):
        return [n for v in value.values() for n in _numbers(v)]
    if isinstance(value, list):
        return [n for v in value for n in _numbers(v)]
    if isinstance(value, bool) or value is None:
        return []
    try:
        return [Decimal(str(value)).quantize(Decimal("0.01"))]
    except ArithmeticError:
        return []


def bayou_truth(pipeline, truth: VendorTruth) -> None:
    amounts: dict[str, list[Decimal]] = {}
    numbers: dict[str, list[Decimal]] = {}
    for bill in pipeline.dataset.bills:
        unlocked = bill.unlocked
        cents = [unlocked.get(k) for k in ("total_amount", "electricity_amount", "gas_amount", "outstanding_balance")]
        amounts[str(bill.id)] = [Decimal(c) for c in cents if isinstance(c, int) and abs(c) >= 1000]
        numbers[str(bill.id)] = _numbers(unlocked)
        if str(bill.id) in truth.out_of_policy_bills:
            url = unlocked["file_url"]
            truth.links[url.split("?")[0]] = str(bill.id)
            truth.links[url.split("X-Amz-Signature=")[1]] = str(bill.id)
    raw = _distinct(amounts, truth.out_of_policy_bills, truth.in_policy_bills, numbers)
    truth.amounts_raw = raw
    truth.amounts = {v / 100: bill for v, bill in raw.items()}


def wattzon_truth(pipeline, truth: VendorTruth) -> None:
    records = {r["bill_id"]: r for p in pipeline.wattzon_dataset.profiles for s in p.statements for r in s.records}
    # statement ids come from the lake (profile:account:bill date); the records carry the money
    statement_of = dict(pipeline.lake_sql("select distinct bill_id, statement_id from "
                                          "read_parquet('LAKE/wattzon/bills/[!.]*.parquet')"))
    amounts: dict[str, list[Decimal]] = {}
    numbers: dict[str, list[Decimal]] = {}
    for record_id, statement_id in statement_of.items():
        record = records[record_id]
        numbers.setdefault(statement_id, []).extend(_numbers(record))
        values = [record.get(k) for k in ("cost", "current_charges", "total_amount_due", "previous_balance")]
        amounts.setdefault(statement_id, []).extend(
            Decimal(str(v)).quantize(Decimal("0.01")) for v in values if isinstance(v, (int, float)) and abs(v) >= 10)
        if statement_id in truth.out_of_policy_bills:
            truth.out_of_policy.add(record_id)
            if record["pdf"]:
                truth.links[record["pdf"]] = statement_id
    truth.amounts = _distinct(amounts, truth.out_of_policy_bills, truth.in_policy_bills, numbers)


def arcadia_truth(dataset, truth: VendorTruth) -> None:
    amounts: dict[str, list[Decimal]] = {}
    numbers: dict[str, list[Decimal]] = {}
    for statement in dataset.statements:
        statement_id = str(statement.id)
        numbers[statement_id] = _numbers(statement.payload())
        amounts[statement_id] = [Decimal(str(v)).quantize(Decimal("0.01")) for v in statement.charges()
                                 if v is not None and abs(v) >= 10]
        if statement_id in truth.out_of_policy_bills:
            # the presigned pdf_url is signed at request time; its path is fixed
            truth.links[f"utility_statements/{statement_id}.pdf"] = statement_id
    truth.amounts = _distinct(amounts, truth.out_of_policy_bills, truth.in_policy_bills, numbers)


def urjanet_truth(pipeline, truth: VendorTruth) -> None:
    from connectors.urjanet.sandbox.deliveries import generate_deliveries

    amounts: dict[str, list[Decimal]] = {}
    numbers: dict[str, list[Decimal]] = {}
    for _, content in generate_deliveries(pipeline.urjanet_state.dataset):
        for statement in orjson.loads(content)["statements"]:
            account = statement["Account"]
            values = [Decimal(account[k]) for k in ("TotalBillAmount", "NewCharges")]
            values += [Decimal(str(c["ChargeAmount"])) for m in statement["Meters"] for c in m["Charges"]]
            values += [Decimal(str(c["ChargeAmount"])) for c in statement["Charges"]]
            amounts[statement["StatementId"]] = [v.quantize(Decimal("0.01")) for v in values if abs(v) >= 10]
            numbers[statement["StatementId"]] = _numbers(statement)
    truth.amounts = _distinct(amounts, truth.out_of_policy_bills, truth.in_policy_bills, numbers)


# -- scanning ---------------------------------------------------------------------------------------


def lake_relations(data_dir: Path, vendor: str) -> dict[str, str]:
    """{dataset name: SQL relation over every Parquet file of it, every version ever landed}."""
    relations = {}
    for directory in sorted(p for p in (data_dir / "lake" / vendor).iterdir() if p.is_dir()):
        if any(directory.rglob("[!.]*.parquet")):
            relations[f"lake/{vendor}/{directory.name}"] = (
                f"read_parquet('{directory}/**/[!.]*.parquet', union_by_name = true, hive_partitioning = false)")
    return relations


def leaking_columns(columns: list[str]) -> list[str]:
    return [c for c in columns if AMOUNT_LIKE.search(c) and c not in NOT_A_LEAK and not UNIT_COLUMN.search(c)
            and not c.endswith(("_id", "_key"))]


def check_rows_of_bills(con, relation: str, vendor_filter: str, bills: set[str]) -> tuple[int, list[str]]:
    """(rows naming one of `bills`, the amount-like columns holding a value on such a row)."""
    columns = [d[0] for d in con.execute(f"select * from {relation} limit 0").description]
    id_columns = [c for c in columns if c in BILL_ID_COLUMNS]
    if not id_columns or not bills:
        return 0, []
    names = " or ".join(f'"{c}"::varchar in (select unnest($bills))' for c in id_columns)
    where = f"({names}){vendor_filter}"
    (rows,) = con.execute(f"select count(*) from {relation} where {where}", {"bills": sorted(bills)}).fetchone()
    held = []
    for column in leaking_columns(columns):
        # a boolean flag (has_pdf, past_due) leaks only when true
        (count,) = con.execute(f'select count(*) from {relation} where {where} and "{column}" is not null '
                               f'and "{column}"::varchar <> \'false\'', {"bills": sorted(bills)}).fetchone()
        if count:
            held.append(f"{column} ({count} rows)")
    return rows, held


def find_amounts(con, relation: str, vendor_filter: str, amounts: list[Decimal]) -> list[str]:
    """Numeric columns holding one of `amounts` (compared as exact decimals, to the cent)."""
    if not amounts:
        return []
    found = []
    description = con.execute(f"select * from {relation} limit 0").description
    for name, kind, *_ in description:
        if str(kind).split("(")[0] not in ("DECIMAL", "DOUBLE", "FLOAT", "BIGINT", "INTEGER", "HUGEINT", "NUMBER"):
            continue
        hits = con.execute(
            f'select distinct round("{name}"::decimal(38,4), 2) from {relation} where '
            f'round("{name}"::decimal(38,4), 2) in (select unnest($amounts::decimal(38,2)[])){vendor_filter}',
            {"amounts": [str(a) for a in amounts]}).fetchall()
        found += [f"{name} = {value}" for (value,) in hits]
    return found


def find_text(con, relation: str, needles: list[str]) -> list[str]:
    """The needles found in the text form of any row (one regular-expression pass first)."""
    if not needles:
        return []
    pattern = "|".join(re.escape(n) for n in needles)
    (hits,) = con.execute(f"select count(*) from {relation} as t where regexp_matches(t::varchar, $pattern)",
                          {"pattern": pattern}).fetchone()
    if not hits:
        return []
    return [n for (n,) in con.execute(
        f"select distinct s.needle from (select t::varchar as row_text from {relation} as t) as r, "
        "(select unnest($needles::varchar[]) as needle) as s where contains(r.row_text, s.needle)",
        {"needles": needles}).fetchall()]


def warehouse_relations(con) -> list[tuple[str, str]]:
    return [(f"{s}.{t}", f'"{s}"."{t}"') for s, t in con.execute(
        "select table_schema, table_name from information_schema.tables order by 1, 2").fetchall()]


@dataclass
class Findings:
    checked_rows: dict[str, int] = field(default_factory=dict)  # relation -> rows of out-of-policy bills
    leaks: list[str] = field(default_factory=list)
    relations_scanned: int = 0
    files_scanned: int = 0
    columns_checked: set[str] = field(default_factory=set)


def prove_nothing_leaks(data_dir: Path, warehouse: Path, truth: VendorTruth, current_out: set[str]) -> Findings:
    findings = Findings()
    vendor = truth.vendor
    needles = list(truth.links)
    with duckdb.connect() as con:
        for name, relation in lake_relations(data_dir, vendor).items():
            findings.relations_scanned += 1
            rows, held = check_rows_of_bills(con, relation, "", truth.out_of_policy)
            findings.checked_rows[name] = rows
            findings.columns_checked |= {f"{name}.{c}" for c in
                                         leaking_columns([d[0] for d in con.execute(f"select * from {relation} limit 0").description])}
            findings.leaks += [f"{name}: {c} of an out-of-policy bill" for c in held]
            raw = {**truth.amounts, **truth.amounts_raw}
            if "interval" not in name:  # readings carry no money; an equal number there is chance
                findings.leaks += [f"{name}: {hit} (an out-of-policy bill's amount)"
                                   for hit in find_amounts(con, relation, "", list(raw))]
        # links in the vendor's lake, decoded (only its connector ever saw them; the byte scan
        # below covers every file of the data dir)
        for path in sorted((data_dir / "lake" / vendor).rglob("[!.]*.parquet")):
            findings.leaks += [f"{path}: link {n}" for n in find_text(con, f"read_parquet('{path}')", needles)]
    for path in sorted(data_dir.rglob("*")):
        if path.is_file():
            findings.files_scanned += 1
            data = path.read_bytes()
            findings.leaks += [f"{path}: link {n} (bytes)" for n in needles if n.encode() in data]
    with duckdb.connect(str(warehouse), read_only=True) as con:
        for name, relation in warehouse_relations(con):
            findings.relations_scanned += 1
            columns = [d[0] for d in con.execute(f"select * from {relation} limit 0").description]
            vendor_filter = f" and vendor = '{vendor}'" if "vendor" in columns else ""
            policy_applied = name.startswith(("marts.", "intermediate."))
            bills = truth.out_of_policy | (current_out if policy_applied else set())
            rows, held = check_rows_of_bills(con, relation, vendor_filter, bills)
            findings.checked_rows[name] = rows
            findings.columns_checked |= {f"{name}.{c}" for c in leaking_columns(columns)}
            findings.leaks += [f"{name}: {c} of an out-of-policy bill" for c in held]
            if "interval" not in name:
                findings.leaks += [f"{name}: {hit} (an out-of-policy bill's amount)"
                                   for hit in find_amounts(con, relation, vendor_filter, list(truth.amounts))]
            findings.leaks += [f"{name}: link {n}" for n in find_text(con, relation, needles)]
    return findings


# -- the runs ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def arcadia_narrow_run(pipeline, tmp_path_factory):
    """Arcadia alone, on its own sandbox and lake, with one credential `continuous: false` from the
    first sync: its statements (all after the link) are outside policy and never fetchable."""
    from connectors.arcadia.sandbox import generate_dataset, start_arcadia_sandbox

    dataset = generate_dataset(seed=7, users=2, months=14, as_of=AS_OF)
    per_credential: dict[int, int] = {}
    for statement in dataset.statements:
        per_credential[statement.account.credential.id] = per_credential.get(statement.account.credential.id, 0) + 1
    assert len(per_credential) >= 2, "need one credential in policy and one out"
    kept, narrowed = sorted(per_credential, key=lambda c: (-per_credential[c], c))[:2]
    server, base_url = start_arcadia_sandbox(dataset=dataset, client_id="leaks-client",
                                             client_secret="arcadia-leaks-SECRET-3e1f0a9b7c")
    data_dir = tmp_path_factory.mktemp("arcadia-narrow")
    saved = dict(os.environ)
    os.environ.update({"UTILITY_DATA_DIR": str(data_dir), "UTILITY_POLICY_FILE": str(data_dir / "policy.yml"),
                       "ARCADIA_BASE_URL": base_url, "ARCADIA_CLIENT_ID": "leaks-client",
                       "ARCADIA_CLIENT_SECRET": "arcadia-leaks-SECRET-3e1f0a9b7c"})
    run = PipelineRun(data_dir, data_dir / "policy.yml", state=None, dataset=dataset,
                      arcadia_state=server.app.state.sandbox)
    run.write_policy({"default": {"history": 12, "continuous": True},
                      "customers": [{"vendor": "arcadia", "customer_id": str(narrowed), "continuous": False}],
                      "unlocked_bills": []})
    try:
        _materialize_arcadia_only(run)
        settings = load_settings()
        policy = compile_current_policy(settings, Lake(settings.lake_dir))
    finally:
        # the package fixture's environment back before any other test runs
        server.stop()
        os.environ.clear()
        os.environ.update(saved)
    return run, dataset, policy, str(narrowed), str(kept)


def _materialize_arcadia_only(run: PipelineRun) -> None:
    """The shared job, subset to Arcadia's syncs, the policy and the warehouse (the other vendors'
    sandboxes belong to the package fixture and must not see these calls)."""
    from dagster import DagsterInstance

    from orchestration.definitions import defs
    from orchestration.partitions import full_range, range_tags

    job = defs.resolve_job_def("sync_everything")
    others = {"bayou", "wattzon", "urjanet"}
    keys = [key for key in job.asset_layer.asset_graph.materializable_asset_keys if key.path[0] not in others]
    with DagsterInstance.ephemeral() as instance:
        result = job.execute_in_process(instance=instance, raise_on_error=True, tags=range_tags(*full_range()),
                                        asset_selection=keys)
        assert result.success


@pytest.fixture(scope="module")
def truths(pipeline, arcadia_narrow_run) -> dict[str, tuple[VendorTruth, set[str], PipelineRun]]:
    policies = policies_applied(pipeline)
    result = {}
    for vendor in ("bayou", "wattzon", "urjanet"):
        never, now_out, now_in = classify_bills(pipeline, vendor, policies)
        truth = VendorTruth(vendor, out_of_policy=set(never), out_of_policy_bills=set(never), in_policy_bills=now_in)
        {"bayou": bayou_truth, "wattzon": wattzon_truth, "urjanet": urjanet_truth}[vendor](pipeline, truth)
        result[vendor] = (truth, now_out, pipeline)
    run, dataset, policy, _, _ = arcadia_narrow_run
    never, now_out, now_in = classify_bills(run, "arcadia", [policy])
    truth = VendorTruth("arcadia", out_of_policy=set(never), out_of_policy_bills=set(never), in_policy_bills=now_in)
    arcadia_truth(dataset, truth)
    result["arcadia"] = (truth, now_out, run)
    return result


@pytest.mark.parametrize("vendor", VENDOR_NAMES)
def test_out_of_policy_bills_leak_nothing(truths, vendor, record_property):
    truth, current_out, run = truths[vendor]
    assert len(truth.out_of_policy_bills) >= MIN_OUT_OF_POLICY[vendor], \
        f"{vendor}: only {len(truth.out_of_policy_bills)} bills outside policy: the proof would be empty"
    assert truth.in_policy_bills, f"{vendor}: no bill in policy to contrast with"
    findings = prove_nothing_leaks(run.data_dir, run.warehouse, truth, current_out)
    assert not findings.leaks, f"{vendor}: {findings.leaks[:30]}"
    # the scan saw those bills where they must be (masked rows), and their lines nowhere
    rows = findings.checked_rows
    assert rows["marts.fct_bills"] >= len(truth.out_of_policy_bills & current_out) > 0
    assert rows["marts.fct_bill_charges"] == 0
    lake_bills = {"bayou": "lake/bayou/bills", "wattzon": "lake/wattzon/bills", "arcadia": "lake/arcadia/statements",
                  "urjanet": "lake/urjanet/statements"}[vendor]
    assert rows[lake_bills] >= len(truth.out_of_policy_bills) - 1  # (an Urjanet adjustment may have no row)
    if vendor == "bayou":
        assert rows["lake/bayou/bill_meters"] > 0 and rows["marts.fct_bill_meters"] > 0  # masked meter rows
    if vendor == "urjanet":
        assert rows["lake/urjanet/charges"] == 0 and rows["lake/urjanet/usages"] == 0  # never landed
        assert rows["lake/urjanet/statement_meters"] > 0
    if vendor == "wattzon":
        assert rows.get("lake/wattzon/bill_pdfs", 0) == 0
    assert truth.links or vendor == "urjanet", f"{vendor}: no document link to look for"
    assert truth.amounts, f"{vendor}: no distinctive amount to look for"
    summary = {"out_of_policy_bills": len(truth.out_of_policy_bills), "ids": len(truth.out_of_policy),
               "in_policy_bills": len(truth.in_policy_bills), "links": len(truth.links),
               "amounts": len(truth.amounts) + len(truth.amounts_raw), "relations": findings.relations_scanned,
               "files": findings.files_scanned, "columns_checked": len(findings.columns_checked),
               "rows_checked": sum(rows.values())}
    print(f"\n{vendor}: {summary}")
    record_property("policy_leaks", summary)


def test_the_scan_finds_a_planted_leak(truths, tmp_path):
    """The scan is not blind: a copy of the Bayou lake and warehouse with one out-of-policy bill's
    total and PDF link put back is reported, in all three ways."""
    import shutil

    truth, current_out, run = truths["bayou"]
    copy = tmp_path / "copy"
    shutil.copytree(run.data_dir / "lake" / "bayou", copy / "lake" / "bayou")
    shutil.copy(run.warehouse, copy / "warehouse.duckdb")
    bill_id, cents = next((b, v) for v, b in truth.amounts_raw.items())
    link = next(n for n, b in truth.links.items() if n.startswith("https://"))
    with duckdb.connect(str(copy / "warehouse.duckdb")) as con:
        con.execute("update marts.fct_bills set total_amount = ? where vendor = 'bayou' and vendor_bill_id = ?",
                    [str(Decimal(cents) / 100), bill_id])
        con.execute("create table marts.planted as select ? as note", [f"see {link}"])
    findings = prove_nothing_leaks(copy, copy / "warehouse.duckdb", truth, current_out)
    assert any(f.startswith("marts.fct_bills: total_amount") for f in findings.leaks), findings.leaks
    assert any("(an out-of-policy bill's amount)" in f and f.startswith("marts.fct_bills") for f in findings.leaks)
    assert any(f.startswith("marts.planted: link") for f in findings.leaks)

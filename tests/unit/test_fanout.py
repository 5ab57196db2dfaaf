"""Fan-out: the pure shard helper, merging shard results, and how orchestration wires shards
(the same assets as one step, vendor tags, per-vendor executor limits). The end-to-end proof that a
fanned-out run builds the same marts is tests/e2e/test_fanout.py."""

from __future__ import annotations

import zlib

import pytest
from dagster import AssetKey

from connectors.core.vendor import EntityResult, Shard, SyncResult, in_shard, merge_results, shard_of
from connectors.registry import VENDORS

VENDOR_TAG = "utility_data/vendor"
CUSTOMERS = [f"cus_{i:04d}" for i in range(500)] + ["", "ünïcode-ö", "42", "e2e-1a2b"]


def test_shard_of_is_crc32_modulo_the_count():
    for key in CUSTOMERS:
        for count in (1, 2, 3, 4, 7):
            assert shard_of(key, count) == zlib.crc32(key.encode("utf-8")) % count
    assert shard_of(None, 4) == shard_of("", 4) == 0
    # fixed values: the same on every machine, process and Python version (no salted hash())
    assert zlib.crc32(b"123456789") == 0xCBF43926  # the CRC-32 check value
    assert shard_of("123456789", 1000) == 0xCBF43926 % 1000


@pytest.mark.parametrize("count", [1, 2, 3, 4, 8])
def test_every_customer_is_in_exactly_one_shard(count):
    parts = [in_shard(Shard(i, count), CUSTOMERS, lambda c: c) for i in range(count)]
    flat = [c for part in parts for c in part]
    assert sorted(flat) == sorted(CUSTOMERS)  # none lost, none twice
    assert all(Shard(i, count).owns(c) for i, part in enumerate(parts) for c in part)
    if count > 1:
        assert all(parts), "500 customers leave no shard empty"
        assert max(map(len, parts)) < 2 * len(CUSTOMERS) / count  # roughly even


def test_in_shard_keeps_order_and_without_a_shard_everything():
    rows = [{"id": c} for c in CUSTOMERS]
    assert in_shard(None, rows, lambda r: r["id"]) == rows
    part = in_shard(Shard(1, 3), rows, lambda r: r["id"])
    assert part == [r for r in rows if shard_of(r["id"], 3) == 1]


def test_a_shard_that_does_not_exist_is_refused():
    for index, count in ((0, 0), (3, 3), (-1, 2)):
        with pytest.raises(ValueError):
            Shard(index, count)
    with pytest.raises(ValueError):
        shard_of("x", 0)


def test_merged_results_sum_the_shards():
    a = SyncResult(entities={"bills": EntityResult(rows=3, files=1, preview=[{"id": i} for i in range(4)],
                                                   duplicates_dropped=1)},
                   quarantined=1, quarantine_reasons={"bills: id": 1}, counters={"bills_seen": 3, "unlock_calls": 1},
                   http={"requests": 5, "retries": 1, "by_status": {"200": 5}})
    b = SyncResult(entities={"bills": EntityResult(rows=2, files=1, preview=[{"id": 9}, {"id": 10}]),
                             "bill_meters": EntityResult(rows=7, files=1)},
                   quarantined=2, quarantine_reasons={"bills: id": 1, "bills: total": 1},
                   counters={"bills_seen": 2, "bills_masked": 2},
                   http={"requests": 4, "retries": 0, "by_status": {"200": 3, "429": 1}})
    merged = merge_results([a, b])
    assert merged.entities["bills"].rows == 5 and merged.entities["bills"].files == 2
    assert merged.entities["bills"].duplicates_dropped == 1
    assert merged.entities["bills"].preview == [{"id": 0}, {"id": 1}, {"id": 2}, {"id": 3}, {"id": 9}]
    assert merged.entities["bill_meters"].rows == 7
    assert merged.quarantined == 3 and merged.quarantine_reasons == {"bills: id": 2, "bills: total": 1}
    assert merged.counters == {"bills_seen": 5, "unlock_calls": 1, "bills_masked": 2}
    assert merged.http == {"requests": 9, "retries": 1, "by_status": {"200": 8, "429": 1}}
    assert merge_results([a]).counters == a.counters and merge_results([]).quarantined == 0


def test_syncs_that_fan_out():
    sharded = {(v, s.name): s.shard_key for v, spec in VENDORS.items() for s in spec.syncs if s.shard_key}
    assert sharded == {
        ("bayou", "bills"): "customer_id", ("bayou", "intervals"): "customer_id",
        ("wattzon", "bills"): "profile_id", ("wattzon", "intervals"): "profile_id",
        ("arcadia", "statements"): "credential_id", ("arcadia", "intervals"): "credential_id",
        ("urjanet", "statements"): "file_name",
    }
    # lists of shared entities (customers, utilities, change logs) are fetched once, in one step
    assert all(s.uses_policy for v, spec in VENDORS.items() for s in spec.syncs if s.shard_key)


def _graph_view(defs) -> dict:
    graph = defs.resolve_asset_graph()
    view = {}
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        view[key] = (sorted(node.parent_keys), sorted(node.child_keys), node.group_name, node.description,
                     dict(node.metadata), sorted(node.kinds), node.partitions_def, node.backfill_policy,
                     sorted(node.check_keys))
    return view


def test_fanned_out_definitions_have_the_same_assets_lineage_partitions_and_checks():
    from orchestration.definitions import build_definitions

    one, fanned = build_definitions(shards=1), build_definitions(shards=3)
    assert _graph_view(one) == _graph_view(fanned)
    assert one.resolve_asset_graph().asset_check_keys == fanned.resolve_asset_graph().asset_check_keys
    job = fanned.resolve_job_def("sync_everything")
    bills = job.graph.node_named("bayou__bills").definition
    assert sorted(n.name for n in bills.nodes) == ["bayou__bills__report", *(f"bayou__bills__shard_{i}" for i in range(3))]
    # shards=1: today's one step per sync
    assert not hasattr(one.resolve_job_def("sync_everything").graph.node_named("bayou__bills").definition, "nodes")
    assert AssetKey(["bayou", "bills"]) in _graph_view(fanned)


def test_every_vendor_step_is_tagged_and_the_executor_bounds_each_vendor(monkeypatch):
    from orchestration.definitions import build_definitions
    from orchestration.ingestion import executor_config, sync_shards

    monkeypatch.setenv("UTILITY_BAYOU_MAX_PARALLEL", "3")
    monkeypatch.setenv("UTILITY_MAX_CONCURRENT", "5")
    config = executor_config(list(VENDORS))
    assert config["max_concurrent"] == 5
    assert {(t["key"], t["value"], t["limit"]) for t in config["tag_concurrency_limits"]} == {
        (VENDOR_TAG, name, 3 if name == "bayou" else 2) for name in VENDORS}
    assert executor_config(list(VENDORS), max_concurrent=2)["max_concurrent"] == 2
    for name, value, message in (("UTILITY_BAYOU_MAX_PARALLEL", "0", "at least 1"),
                                 ("UTILITY_BAYOU_MAX_PARALLEL", "two", "whole number"),
                                 ("UTILITY_MAX_CONCURRENT", "-1", "at least 0")):
        monkeypatch.setenv(name, value)
        with pytest.raises(ValueError, match=f"{name} must be.*{message}"):
            executor_config(list(VENDORS))
        monkeypatch.delenv(name)
    monkeypatch.delenv("UTILITY_SYNC_SHARDS", raising=False)
    assert sync_shards() == 2
    monkeypatch.setenv("UTILITY_SYNC_SHARDS", "1")
    assert sync_shards() == 1

    job = build_definitions(shards=3, max_concurrent=2).resolve_job_def("sync_everything")
    assert job.executor_def.name == "multiprocess_bounded_per_vendor"
    tags = {}
    for node in job.graph.nodes:
        inner = node.definition
        for op_def in ([n.definition for n in inner.nodes] if hasattr(inner, "nodes") else [inner]):
            tags[op_def.name] = op_def.tags.get(VENDOR_TAG)
    for vendor, spec in VENDORS.items():
        for sync in spec.syncs:
            name = f"{vendor}__{sync.name}"
            if sync.shard_key:
                assert all(tags[f"{name}__shard_{i}"] == vendor for i in range(3)), name
                assert tags[f"{name}__report"] is None  # calls no vendor: never waits for a vendor slot
            else:
                assert tags[name] == vendor
    assert not [name for name, vendor in tags.items() if vendor and not name.startswith(vendor)]
    assert tags["policy"] is None and not [n for n in tags if n.startswith("warehouse") and tags[n]]

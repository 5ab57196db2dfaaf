"""The Dagster code location loads, validates and wires vendors, policy and dbt together."""

from __future__ import annotations

from dagster import AssetKey, Definitions


def test_definitions_validate_and_connect_sources_to_ingestion():
    from orchestration.definitions import defs

    Definitions.validate_loadable(defs)
    graph = defs.resolve_asset_graph()
    # dbt sources are the ingestion assets themselves: the graph runs from endpoints to marts
    assert AssetKey(["bayou", "bills"]) in graph.get(AssetKey(["staging", "stg_bayou__bills"])).parent_keys
    assert AssetKey(["wattzon", "bills"]) in graph.get(AssetKey(["staging", "stg_wattzon__bill_records"])).parent_keys
    assert graph.get(AssetKey(["policy", "policy_windows"])).is_materializable
    policy_parents = graph.get(AssetKey(["bayou", "bills"])).parent_keys
    assert AssetKey(["policy", "policy_windows"]) in policy_parents
    names = {s.name for s in defs.schedules} | {s.name for s in defs.sensors}
    assert {"daily_sync", "wattzon_notifications", "wattzon_refresh_jobs_schedule"} <= names

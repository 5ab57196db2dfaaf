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


def test_an_event_of_one_vendor_never_selects_another_vendors_syncs():
    from connectors.registry import VENDORS
    from orchestration.automation import event_selection
    from orchestration.definitions import defs

    graph = defs.resolve_asset_graph()
    keys = event_selection(VENDORS["bayou"], ("customers",)).resolve(graph)
    vendors = {k.path[0] for k in keys if k.path[0] in VENDORS}
    assert vendors == {"bayou"}
    assert AssetKey(["bayou", "bills"]) in keys and AssetKey(["marts", "fct_bills"]) in keys

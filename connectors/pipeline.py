"""Glue between vendors, the policy and the lake that is not specific to one vendor."""

from __future__ import annotations

from .lake import Lake
from .policy import POLICY_SCHEMAS, CompiledPolicy, compile_policy, load_policy
from .registry import VENDORS
from .settings import Settings

POLICY_NAMESPACE = "policy"


def compile_current_policy(settings: Settings, lake: Lake) -> CompiledPolicy:
    """policy.yml applied to every customer in the lake (every registered vendor: a vendor that
    is switched off still has marts, and they must stay masked)."""
    policy = load_policy(settings.policy_file, known_vendors=VENDORS)
    links = [link for spec in VENDORS.values() for link in spec.customer_links(lake)]
    return compile_policy(policy, links)


def write_compiled_policy(lake: Lake, compiled: CompiledPolicy) -> dict[str, int]:
    counts = {}
    for name, table in compiled.to_tables().items():
        lake.replace_snapshot(POLICY_NAMESPACE, name, table)
        counts[name] = table.num_rows
    return counts


def ensure_lake_layout(lake: Lake) -> None:
    """Every dataset dbt reads exists (as its schema files at least, Lake.ensure_schema_files)."""
    for spec in VENDORS.values():
        for entity in spec.entities.values():
            lake.ensure_dataset(spec.name, entity)
    for name, schema in POLICY_SCHEMAS.items():
        lake.ensure_schema_files(POLICY_NAMESPACE, name, schema)
    lake.cleanup_temp_files()

{#-
    Month-partitioned (see macros/partitions.sql): an incremental run replaces the rows of the
    window Dagster passes (a month, or a backfill's range), a run without one replaces all.
-#}
{{ config(
    materialized='incremental',
    tags=['month_partitioned'],
    incremental_strategy='append',
    pre_hook="{{ delete_interval_window('interval_start') }}",
    on_schema_change='fail',
) }}

with

intervals as (

    select * from {{ ref('int_intervals__policy_applied') }}

),

final as (

    select
        {{ surrogate_key(['vendor', 'vendor_customer_id', 'vendor_meter_id']) }} as meter_key,
        vendor,
        vendor_customer_id,
        vendor_meter_id,
        commodity,
        interval_start,
        interval_end,
        time_zone,
        usage,
        unit,
        generation_kwh,
        net_usage_kwh,
        demand_kw,
        has_conflict,
        conflicting_fields,
        load_id,
        extracted_at
    from intervals
    {% if is_incremental() %}
    {{ interval_window_filter('interval_start') }}
    {% endif %}

)

select * from final

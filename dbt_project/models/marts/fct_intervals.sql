{#-
    Month-partitioned (see macros/partitions.sql): an incremental run replaces the rows of the
    window Dagster passes (a month, or a backfill's range), a run without one replaces all.
-#}
{{ config(
    tags=['month_partitioned'],
    on_schema_change='fail',
    **month_partitioned_config('interval_start', 'interval_month'),
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
        extracted_at,
        {#- The partition (Spark partitions the table by it; last, where Spark puts it). -#}
        cast({{ dbt.date_trunc('month', 'interval_start') }} as date) as interval_month
    from intervals
    {% if is_incremental() %}
    {{ interval_window_filter('interval_start') }}
    {% endif %}

)

select * from final

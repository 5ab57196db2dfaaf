{#-
    One row per interval meter, UTC month, reading length and zone: how many in-policy readings
    fct_intervals holds and their first and last start. Small (a few rows per meter and month),
    month-partitioned and incremental like fct_intervals: a month run replaces exactly its months
    (Dagster's windows are whole UTC months). fct_interval_coverage reads each meter's profile
    (first and last reading, granularity, zone) from it instead of from every reading.
-#}
{{ config(
    tags=['month_partitioned'],
    on_schema_change='fail',
    **month_partitioned_config('month_start', 'month_start'),
) }}

with

intervals as (

    select
        meter_key,
        vendor,
        vendor_customer_id,
        vendor_meter_id,
        commodity,
        unit,
        time_zone,
        interval_start,
        {{ minutes_between('interval_start', 'interval_end') }} as length_minutes
    from {{ ref('fct_intervals') }}
    {% if is_incremental() %}
    {{ interval_window_filter('interval_start') }}
    {% endif %}

),

final as (

    select
        meter_key,
        vendor,
        vendor_customer_id,
        vendor_meter_id,
        commodity,
        unit,
        time_zone,
        cast({{ dbt.date_trunc('month', 'interval_start') }} as {{ type_timestamp_tz() }}) as month_start,
        length_minutes,
        count(*) as n_readings,
        min(interval_start) as first_reading_start,
        max(interval_start) as last_reading_start
    from intervals
    group by
        meter_key, vendor, vendor_customer_id, vendor_meter_id, commodity, unit, time_zone,
        cast({{ dbt.date_trunc('month', 'interval_start') }} as {{ type_timestamp_tz() }}), length_minutes

)

select * from final

{#-
    One row per interval meter and local day, from its first to its last in-policy reading:
    readings expected versus present, so gaps are visible, and the conflicts the vendor reported.

    * Time zone: the meter's local zone when the vendor gives one (fct_intervals.time_zone, the
      zone of the meter's most recent reading; today WattzOn), else UTC. Days are local calendar
      days [local midnight, next local midnight).
    * Granularity: the mode of the readings' length (interval_end - interval_start, minutes) per
      meter; ties go to the shortest.
    * expected_readings: the day's length / granularity (15 minutes: 96, 92 on a spring-forward
      day, 100 on a fall-back day in a US zone), counted only over the part of the day between the
      meter's first reading start and last reading end (first and last days may be partial).
    * present_readings: readings with a value; readings the vendor sent without one (Arcadia
      `is_null_kwh`) are null_readings and count as missing.
    Reads fct_intervals (the in-policy readings, deduplicated once). A customer's policy windows
    are contiguous ([link - N months, link) and [link, open)), so every day between a meter's
    first and last reading is in policy.

    Incremental like fct_intervals (macros/partitions.sql), by day: a run given a window rebuilds
    the local days that overlap it (from the readings of the window widened by a day, enough for
    any zone), and every day of the meters whose profile (first reading, last reading end,
    granularity, zone: the columns every row carries) changed, which the pre-hook finds by
    comparing the stored profile with the one fct_interval_meter_months gives (macros/coverage.sql). A run without
    a window, and --full-refresh, rebuild every day: the same rows.
-#}
{{ config(
    tags=['month_partitioned'],
    on_schema_change='fail',
    **month_partitioned_config('day_starts_at', none, pre_hook="{{ delete_coverage_days() }}"),
) }}
with

intervals as (

    select
        meter_key,
        interval_start,
        usage,
        net_usage_kwh,
        has_conflict
    from {{ ref('fct_intervals') }}

),

meter_profiles as (

    {{ coverage_meter_profiles(ref('fct_interval_meter_months')) }}

),

{% if is_incremental() %}
{#- After the pre-hook: the meters with no stored day are rebuilt whole (new or changed). -#}
stored_meters as (

    select distinct meter_key from {{ this }}

),

rebuilt_meters as (

    select meter_key
    from meter_profiles
    where meter_key not in (select meter_key from stored_meters)

),
{% endif %}

meter_days as (

    select
        meter_key,
        time_zone,
        {{ day_series('first_local_date', 'last_local_date') }} as local_date
    from meter_profiles

),

day_bounds as (

    select
        meter_days.meter_key,
        meter_days.local_date,
        {{ local_midnight('meter_days.local_date', 'meter_days.time_zone') }} as day_starts_at,
        {{ local_midnight(next_day('meter_days.local_date'), 'meter_days.time_zone') }} as day_ends_at
    from meter_days

),

rebuilt_days as (

    select *
    from day_bounds
    {% if is_incremental() %}
    where {{ interval_window_overlaps('day_starts_at', 'day_ends_at') }}
        or meter_key in (select meter_key from rebuilt_meters)
    {% endif %}

),

rebuilt_readings as (

    select intervals.*
    from intervals
    {% if is_incremental() %}
    where {{ interval_window_condition('interval_start', margin_days=1) }}
        or meter_key in (select meter_key from rebuilt_meters)
    {% endif %}

),

daily_readings as (

    select
        rebuilt_readings.meter_key,
        {{ local_date('rebuilt_readings.interval_start', 'meter_profiles.time_zone') }} as local_date,
        count(rebuilt_readings.usage) as present_readings,
        count(*) - count(rebuilt_readings.usage) as null_readings,
        count(case when rebuilt_readings.has_conflict then 1 end) as conflicting_readings,
        {{ exact_sum("rebuilt_readings.usage") }} as usage,
        {{ exact_sum("rebuilt_readings.net_usage_kwh") }} as net_usage_kwh
    from rebuilt_readings
    inner join meter_profiles
        on rebuilt_readings.meter_key = meter_profiles.meter_key
    group by
        rebuilt_readings.meter_key,
        {{ local_date('rebuilt_readings.interval_start', 'meter_profiles.time_zone') }}

),

days as (

    select
        meter_profiles.meter_key,
        meter_profiles.vendor,
        meter_profiles.vendor_customer_id,
        meter_profiles.vendor_meter_id,
        meter_profiles.commodity,
        meter_profiles.unit,
        meter_profiles.time_zone,
        meter_profiles.is_local_time_zone,
        meter_profiles.granularity_minutes,
        meter_profiles.first_reading_start,
        meter_profiles.last_reading_end,
        rebuilt_days.local_date,
        rebuilt_days.day_starts_at,
        rebuilt_days.day_ends_at,
        meter_profiles.first_reading_start > rebuilt_days.day_starts_at
            or meter_profiles.last_reading_end < rebuilt_days.day_ends_at as is_partial_day,
        {{ expected_readings(
            'greatest(rebuilt_days.day_starts_at, meter_profiles.first_reading_start)',
            'least(rebuilt_days.day_ends_at, meter_profiles.last_reading_end)',
            'meter_profiles.granularity_minutes') }} as expected_readings,
        coalesce(daily_readings.present_readings, 0) as present_readings,
        coalesce(daily_readings.null_readings, 0) as null_readings,
        coalesce(daily_readings.conflicting_readings, 0) as conflicting_readings,
        daily_readings.usage,
        daily_readings.net_usage_kwh
    from rebuilt_days
    inner join meter_profiles
        on rebuilt_days.meter_key = meter_profiles.meter_key
    left join daily_readings
        on rebuilt_days.meter_key = daily_readings.meter_key
        and rebuilt_days.local_date = daily_readings.local_date

),

final as (

    select
        {{ surrogate_key(['vendor', 'vendor_customer_id', 'vendor_meter_id', 'local_date']) }} as meter_day_key,
        meter_key,
        vendor,
        vendor_customer_id,
        vendor_meter_id,
        commodity,
        local_date,
        time_zone,
        is_local_time_zone,
        granularity_minutes,
        first_reading_start,
        last_reading_end,
        day_starts_at,
        day_ends_at,
        is_partial_day,
        expected_readings,
        present_readings,
        null_readings,
        {{ missing_readings('expected_readings', 'present_readings') }} as missing_readings,
        present_readings >= expected_readings as is_complete,
        conflicting_readings,
        unit,
        usage,
        net_usage_kwh
    from days

)

select * from final

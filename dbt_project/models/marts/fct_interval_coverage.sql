{#-
    One row per interval meter and local day, from its first to its last in-policy reading:
    readings expected versus present, so gaps are visible, and the conflicts the vendor reported.

    * Time zone: the meter's local zone when the vendor gives one (int_interval_meter_time_zones,
      today WattzOn), else UTC. Days are local calendar days [local midnight, next local midnight).
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
-#}
with

intervals as (

    select
        meter_key,
        vendor,
        vendor_customer_id,
        vendor_meter_id,
        commodity,
        unit,
        interval_start,
        interval_end,
        usage,
        net_usage_kwh,
        has_conflict
    from {{ ref('fct_intervals') }}

),

time_zones as (

    select * from {{ ref('int_interval_meter_time_zones') }}

),

interval_lengths as (

    select
        meter_key,
        {{ minutes_between('interval_start', 'interval_end') }} as length_minutes,
        count(*) as n_readings
    from intervals
    where interval_end > interval_start
    group by meter_key, {{ minutes_between('interval_start', 'interval_end') }}

),

granularities as (

    {{ dedupe_latest('interval_lengths', ['meter_key'], ['n_readings desc', 'length_minutes asc']) }}

),

meters as (

    select
        meter_key,
        vendor,
        vendor_customer_id,
        vendor_meter_id,
        max(commodity) as commodity,
        max(unit) as unit,
        min(interval_start) as first_reading_start,
        max(interval_start) as last_reading_start
    from intervals
    group by meter_key, vendor, vendor_customer_id, vendor_meter_id

),

meter_profiles as (

    select
        meters.meter_key,
        meters.vendor,
        meters.vendor_customer_id,
        meters.vendor_meter_id,
        meters.commodity,
        meters.unit,
        coalesce(time_zones.time_zone, 'UTC') as time_zone,
        time_zones.time_zone is not null as is_local_time_zone,
        granularities.length_minutes as granularity_minutes,
        meters.first_reading_start,
        {{ dbt.dateadd('minute', 'coalesce(granularities.length_minutes, 0)', 'meters.last_reading_start') }}
            as last_reading_end,
        {{ local_date('meters.first_reading_start', "coalesce(time_zones.time_zone, 'UTC')") }} as first_local_date,
        {{ local_date('meters.last_reading_start', "coalesce(time_zones.time_zone, 'UTC')") }} as last_local_date
    from meters
    left join time_zones
        on meters.vendor = time_zones.vendor
        and meters.vendor_customer_id = time_zones.vendor_customer_id
        and meters.vendor_meter_id = time_zones.vendor_meter_id
    left join granularities
        on meters.meter_key = granularities.meter_key

),

meter_days as (

    select
        meter_key,
        time_zone,
        cast({{ day_series('first_local_date', 'last_local_date') }} as date) as local_date
    from meter_profiles

),

day_bounds as (

    select
        meter_key,
        local_date,
        {{ local_midnight('local_date', 'time_zone') }} as day_starts_at,
        {{ local_midnight(next_day('local_date'), 'time_zone') }} as day_ends_at
    from meter_days

),

daily_readings as (

    select
        intervals.meter_key,
        {{ local_date('intervals.interval_start', 'meter_profiles.time_zone') }} as local_date,
        count(intervals.usage) as present_readings,
        count(*) - count(intervals.usage) as null_readings,
        count(case when intervals.has_conflict then 1 end) as conflicting_readings,
        sum(intervals.usage) as usage,
        sum(intervals.net_usage_kwh) as net_usage_kwh
    from intervals
    inner join meter_profiles
        on intervals.meter_key = meter_profiles.meter_key
    group by
        intervals.meter_key,
        {{ local_date('intervals.interval_start', 'meter_profiles.time_zone') }}

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
        day_bounds.local_date,
        day_bounds.day_starts_at,
        day_bounds.day_ends_at,
        meter_profiles.first_reading_start > day_bounds.day_starts_at
            or meter_profiles.last_reading_end < day_bounds.day_ends_at as is_partial_day,
        {{ expected_readings(
            'greatest(day_bounds.day_starts_at, meter_profiles.first_reading_start)',
            'least(day_bounds.day_ends_at, meter_profiles.last_reading_end)',
            'meter_profiles.granularity_minutes') }} as expected_readings,
        coalesce(daily_readings.present_readings, 0) as present_readings,
        coalesce(daily_readings.null_readings, 0) as null_readings,
        coalesce(daily_readings.conflicting_readings, 0) as conflicting_readings,
        daily_readings.usage,
        daily_readings.net_usage_kwh
    from day_bounds
    inner join meter_profiles
        on day_bounds.meter_key = meter_profiles.meter_key
    left join daily_readings
        on day_bounds.meter_key = daily_readings.meter_key
        and day_bounds.local_date = daily_readings.local_date

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
        day_starts_at,
        day_ends_at,
        is_partial_day,
        expected_readings,
        present_readings,
        null_readings,
        case
            when expected_readings > present_readings then expected_readings - present_readings
            when expected_readings is not null then 0
        end as missing_readings,
        present_readings >= expected_readings as is_complete,
        conflicting_readings,
        unit,
        usage,
        net_usage_kwh
    from days

)

select * from final

{#-
    The per-meter profile fct_interval_coverage counts days with, as one SELECT (no CTE, so the
    model and its pre-hook can both embed it): meter_key, vendor ids, commodity, unit, time_zone
    (the zone of the meter's most recent reading, else 'UTC'), is_local_time_zone,
    granularity_minutes (the mode of the readings' length, ties to the shortest),
    first_reading_start, last_reading_end (last reading start + granularity), and the local dates
    of the first and last reading. `reading_groups`: fct_interval_meter_months (readings counted
    per meter, month, length and zone), a few rows per meter and month.
-#}
{% macro coverage_meter_profiles(reading_groups) -%}
    select
        spans.meter_key,
        spans.vendor,
        spans.vendor_customer_id,
        spans.vendor_meter_id,
        spans.commodity,
        spans.unit,
        coalesce(zones.time_zone, 'UTC') as time_zone,
        zones.time_zone is not null as is_local_time_zone,
        lengths.length_minutes as granularity_minutes,
        spans.first_reading_start,
        {{ dbt.dateadd('minute', 'coalesce(lengths.length_minutes, 0)', 'spans.last_reading_start') }} as last_reading_end,
        {{ local_date('spans.first_reading_start', "coalesce(zones.time_zone, 'UTC')") }} as first_local_date,
        {{ local_date('spans.last_reading_start', "coalesce(zones.time_zone, 'UTC')") }} as last_local_date
    from (
        select
            meter_key,
            vendor,
            vendor_customer_id,
            vendor_meter_id,
            max(commodity) as commodity,
            max(unit) as unit,
            min(first_reading_start) as first_reading_start,
            max(last_reading_start) as last_reading_start
        from {{ reading_groups }} as reading_group
        group by meter_key, vendor, vendor_customer_id, vendor_meter_id
    ) as spans
    left join (
        {{ dedupe_latest(
            '(select meter_key, length_minutes, sum(n_readings) as n_readings from '
                ~ reading_groups ~ ' as reading_group where length_minutes > 0 group by meter_key, length_minutes)',
            ['meter_key'], ['n_readings desc', 'length_minutes asc']) }}
    ) as lengths
        on spans.meter_key = lengths.meter_key
    left join (
        {{ dedupe_latest(
            '(select meter_key, time_zone, max(last_reading_start) as last_reading_start from '
                ~ reading_groups ~ ' as reading_group where time_zone is not null group by meter_key, time_zone)',
            ['meter_key'], ['last_reading_start desc', 'time_zone asc']) }}
    ) as zones
        on spans.meter_key = zones.meter_key
{%- endmacro %}

{#-
    Pre-hook of fct_interval_coverage: on an incremental run, delete the days the run rebuilds:
    the local days overlapping the window, and every day of the meters whose stored profile no
    longer matches fct_intervals (new first or last reading, granularity or zone; or gone).
-#}
{% macro delete_coverage_days() -%}
    {%- if is_incremental() -%}
        delete from {{ this }}
        where {{ interval_window_overlaps('day_starts_at', 'day_ends_at') }}
            or meter_key not in (
                select profiles.meter_key
                from ({{ coverage_meter_profiles(ref('fct_interval_meter_months')) }}) as profiles
                inner join (
                    select distinct meter_key, first_reading_start, last_reading_end, granularity_minutes, time_zone
                    from {{ this }}
                ) as stored
                    on profiles.meter_key = stored.meter_key
                    and profiles.first_reading_start = stored.first_reading_start
                    and profiles.last_reading_end = stored.last_reading_end
                    and coalesce(profiles.granularity_minutes, -1) = coalesce(stored.granularity_minutes, -1)
                    and profiles.time_zone = stored.time_zone
            )
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}

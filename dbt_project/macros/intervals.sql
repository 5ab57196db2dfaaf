{#-
    Interval data quality (fct_interval_coverage, fct_interval_reconciliation): time zone
    conversions, a day series and the rules the two marts share. DuckDB specifics live here,
    behind adapter.dispatch; the default__ implementations are Spark SQL.

    Time zones are IANA names (`America/New_York`) held in a column or a quoted literal.
    Timestamps are instants (type_timestamp_tz(), rendered in UTC, see profiles.yml).
-#}

{#- The local wall-clock time (TIMESTAMP without zone) of the instant `ts` in `time_zone`. -#}
{% macro utc_to_local(ts, time_zone) -%}
    {{ return(adapter.dispatch('utc_to_local', 'utility_data')(ts, time_zone)) }}
{%- endmacro %}

{% macro default__utc_to_local(ts, time_zone) -%}
    from_utc_timestamp({{ ts }}, {{ time_zone }})
{%- endmacro %}

{% macro duckdb__utc_to_local(ts, time_zone) -%}
    timezone({{ time_zone }}, {{ ts }})
{%- endmacro %}

{#- The local calendar date of the instant `ts` in `time_zone`. -#}
{% macro local_date(ts, time_zone) -%}
    cast({{ utc_to_local(ts, time_zone) }} as date)
{%- endmacro %}

{#-
    The instant (type_timestamp_tz()) at which the local day `day` (a DATE) starts in
    `time_zone`: its local midnight. US zones switch at 2 a.m., so midnight always exists once.
-#}
{% macro local_midnight(day, time_zone) -%}
    {{ return(adapter.dispatch('local_midnight', 'utility_data')(day, time_zone)) }}
{%- endmacro %}

{% macro default__local_midnight(day, time_zone) -%}
    to_utc_timestamp(cast({{ day }} as timestamp), {{ time_zone }})
{%- endmacro %}

{% macro duckdb__local_midnight(day, time_zone) -%}
    timezone({{ time_zone }}, cast({{ day }} as timestamp))
{%- endmacro %}

{#- The day after `day`, as a DATE. -#}
{% macro next_day(day) -%}
    cast({{ dbt.dateadd('day', 1, day) }} as date)
{%- endmacro %}

{#-
    Set-returning expression for a select list: one row per DATE from `first_day` to `last_day`
    (both included; no row when last_day < first_day), typed DATE. Spark admits the generator
    only at the top of a select item (no cast around it), so each engine types it inside.
-#}
{% macro day_series(first_day, last_day) -%}
    {{ return(adapter.dispatch('day_series', 'utility_data')(first_day, last_day)) }}
{%- endmacro %}

{% macro default__day_series(first_day, last_day) -%}
    explode(sequence(cast({{ first_day }} as date), cast({{ last_day }} as date), interval 1 day))
{%- endmacro %}

{% macro duckdb__day_series(first_day, last_day) -%}
    cast(unnest(generate_series(cast({{ first_day }} as date), cast({{ last_day }} as date), interval 1 day)) as date)
{%- endmacro %}

{#- Whole minutes from the instant `start_ts` to the instant `end_ts`. -#}
{% macro minutes_between(start_ts, end_ts) -%}
    {{ dbt.datediff(start_ts, end_ts, 'minute') }}
{%- endmacro %}

{#-
    Readings of `granularity_minutes` that fit between two instants: the expected readings of a
    local day (96 for 15 minutes; 92 on a spring-forward day, 100 on a fall-back day in US zones)
    or of any span of whole intervals. NULL when the granularity is unknown.
-#}
{% macro expected_readings(start_ts, end_ts, granularity_minutes) -%}
    cast(floor({{ minutes_between(start_ts, end_ts) }} / nullif({{ granularity_minutes }}, 0)) as integer)
{%- endmacro %}

{#-
    True for the vendors whose billed electricity is the NET consumption (consumption minus
    generation): their bill meters are reconciled with the readings' net_usage_kwh; the others'
    with usage. Arcadia: a statement's `kwh` is the meter's net consumption (Arc docs; see
    stg_arcadia__bill_meters). Bayou and WattzOn bill the consumption.
-#}
{% macro bills_net_usage(vendor) -%}
    {{ vendor }} in ('arcadia')
{%- endmacro %}

{#- Readings expected but not present (never negative); NULL when the expectation is unknown. -#}
{% macro missing_readings(expected, present) -%}
    case
        when {{ expected }} > {{ present }} then {{ expected }} - {{ present }}
        when {{ expected }} is not null then 0
    end
{%- endmacro %}

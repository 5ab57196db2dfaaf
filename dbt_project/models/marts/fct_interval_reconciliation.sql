{#-
    One row per bill and electric meter billed in kWh (fct_bill_meters with a usage, joined to
    fct_bills), of the vendors that provide interval data: the billed usage against the sum of
    the meter's readings over the bill period.

    * Period: the bill meter's period_start..period_end (else the bill's) as LOCAL calendar days
      of the meter's zone (fct_interval_coverage.time_zone; UTC when the vendor gives none), end
      date included unless the vendor says otherwise (int_interval_bill_periods: Arcadia
      statements with service_window_inclusive_of_end_date = false end the day before
      period_end). So the period is [local midnight of the first day, local midnight after the
      last day), and readings belong to it by interval_start; summed from the meter's
      fct_interval_coverage days. Bills without a service period are left out (no dates, or
      WattzOn older agents' interpolated mid-period day, see int_interval_bill_periods).
    * Compared usage: usage, or net_usage_kwh (else usage) for vendors that bill the net
      (macro bills_net_usage: Arcadia).
    * Status, first match wins: `no_intervals` (no reading with a value in the period),
      `incomplete_intervals` (fewer readings with a value than expected over the whole period,
      e.g. a gap, readings starting or stopping inside the period, or days outside the policy),
      `match` (|difference| <= tolerance_kwh = max(relative tolerance x |billed|, absolute
      floor); vars interval_reconciliation_relative_tolerance, default 0.02, and
      interval_reconciliation_absolute_tolerance_kwh, default 1.0 for the vendors' whole-kWh
      rounding), else `mismatch`.
-#}
{%- set relative_tolerance = var('interval_reconciliation_relative_tolerance', 0.02) %}
{%- set absolute_tolerance = var('interval_reconciliation_absolute_tolerance_kwh', 1.0) %}
{%- set interval_vendors = vendors_for_entity('intervals') %}

with

bill_meters as (

    select * from {{ ref('fct_bill_meters') }}
    where commodity = 'electric'
        and usage_unit = 'kWh'
        and usage is not null
        {% if interval_vendors %}
        and vendor in ('{{ interval_vendors | join("', '") }}')
        {% else %}
        and 1 = 0
        {% endif %}

),

bills as (

    select * from {{ ref('fct_bills') }}

),

bill_periods as (

    select * from {{ ref('int_interval_bill_periods') }}

),

coverage as (

    select * from {{ ref('fct_interval_coverage') }}

),

meter_profiles as (

    select
        meter_key,
        max(time_zone) as time_zone,
        max(granularity_minutes) as granularity_minutes
    from coverage
    group by meter_key

),

periods as (

    select
        bill_meters.bill_meter_key,
        bill_meters.bill_key,
        bill_meters.meter_key,
        bill_meters.vendor,
        bill_meters.vendor_bill_id,
        bill_meters.vendor_meter_id,
        bill_meters.vendor_customer_id,
        bill_meters.vendor_account_id,
        bills.statement_date,
        coalesce(bill_meters.period_start, bills.period_start) as period_start,
        coalesce(bill_meters.period_end, bills.period_end) as period_end,
        coalesce(bill_periods.is_period_end_inclusive, true) as is_period_end_inclusive,
        coalesce(meter_profiles.time_zone, 'UTC') as time_zone,
        meter_profiles.granularity_minutes,
        bill_meters.usage as billed_usage_kwh
    from bill_meters
    inner join bills
        on bill_meters.bill_key = bills.bill_key
    left join bill_periods
        on bill_meters.vendor = bill_periods.vendor
        and bill_meters.vendor_bill_id = bill_periods.vendor_bill_id
    left join meter_profiles
        on bill_meters.meter_key = meter_profiles.meter_key
    where coalesce(bill_periods.has_service_period, true)

),

period_days as (

    select
        periods.*,
        period_start as first_day,
        case
            when is_period_end_inclusive then period_end
            else cast({{ dbt.dateadd('day', -1, 'period_end') }} as date)
        end as last_day
    from periods
    where period_start is not null
        and period_end is not null

),

period_bounds as (

    select
        period_days.*,
        {{ local_midnight('first_day', 'time_zone') }} as period_starts_at,
        {{ local_midnight(next_day('last_day'), 'time_zone') }} as period_ends_at
    from period_days
    where last_day >= first_day

),

period_readings as (

    select
        period_bounds.bill_meter_key,
        sum(coverage.present_readings) as present_readings,
        sum(coverage.null_readings) as null_readings,
        sum(coverage.conflicting_readings) as conflicting_readings,
        {{ exact_sum("coverage.usage") }} as interval_usage_kwh,
        {{ exact_sum("coverage.net_usage_kwh") }} as interval_net_usage_kwh
    from period_bounds
    inner join coverage
        on period_bounds.meter_key = coverage.meter_key
        and coverage.local_date >= period_bounds.first_day
        and coverage.local_date <= period_bounds.last_day
    group by period_bounds.bill_meter_key

),

compared as (

    select
        period_bounds.*,
        {{ expected_readings('period_bounds.period_starts_at', 'period_bounds.period_ends_at',
                             'period_bounds.granularity_minutes') }} as expected_readings,
        coalesce(period_readings.present_readings, 0) as present_readings,
        coalesce(period_readings.null_readings, 0) as null_readings,
        coalesce(period_readings.conflicting_readings, 0) as conflicting_readings,
        case
            when {{ bills_net_usage('period_bounds.vendor') }} then 'net_usage_kwh'
            else 'usage'
        end as interval_usage_basis,
        case
            when {{ bills_net_usage('period_bounds.vendor') }}
                then coalesce(period_readings.interval_net_usage_kwh, period_readings.interval_usage_kwh)
            else period_readings.interval_usage_kwh
        end as interval_usage_kwh,
        greatest(
            {{ relative_tolerance }} * abs(cast(period_bounds.billed_usage_kwh as {{ type_double() }})),
            {{ absolute_tolerance }}) as tolerance_kwh
    from period_bounds
    left join period_readings
        on period_bounds.bill_meter_key = period_readings.bill_meter_key

),

final as (

    select
        bill_meter_key,
        bill_key,
        meter_key,
        vendor,
        vendor_bill_id,
        vendor_meter_id,
        vendor_customer_id,
        vendor_account_id,
        statement_date,
        period_start,
        period_end,
        is_period_end_inclusive,
        time_zone,
        period_starts_at,
        period_ends_at,
        granularity_minutes,
        expected_readings,
        present_readings,
        null_readings,
        {{ missing_readings('expected_readings', 'present_readings') }} as missing_readings,
        conflicting_readings,
        cast(billed_usage_kwh as {{ type_double() }}) as billed_usage_kwh,
        interval_usage_basis,
        interval_usage_kwh,
        interval_usage_kwh - cast(billed_usage_kwh as {{ type_double() }}) as usage_difference_kwh,
        (interval_usage_kwh - cast(billed_usage_kwh as {{ type_double() }}))
            / nullif(abs(cast(billed_usage_kwh as {{ type_double() }})), 0) as relative_difference,
        tolerance_kwh,
        case
            when present_readings = 0 then 'no_intervals'
            when expected_readings is null or present_readings < expected_readings then 'incomplete_intervals'
            when abs(interval_usage_kwh - cast(billed_usage_kwh as {{ type_double() }})) <= tolerance_kwh then 'match'
            else 'mismatch'
        end as status
    from compared

)

select * from final

{#-
    What a vendor says about a bill's period beyond its dates, one row per vendor and bill whose
    vendor says something (fct_interval_reconciliation reads the others as: the period is a service
    period, end date included):

    * is_period_end_inclusive: Arcadia statements' `service_window_inclusive_of_end_date`
      (Pepco and PG&E: true, the window is [start, end]; ConEd and ComEd: false, [start, end),
      the next period starting on the end date). The other vendors' periods are inclusive date
      ranges (Bayou `billing_period_to`, WattzOn the records' `end_date` at 23:59:59).
    * has_service_period: false for WattzOn statements of an older agent, whose commodity
      records carry only an interpolated mid-period `date` (no start_date / end_date): their
      period_start = period_end = that day, not the service period.
-#}
{%- set bill_vendors = vendors_for_entity('bills') %}
{%- set parts = [] %}

with

{% if 'arcadia' in bill_vendors %}
{%- do parts.append('arcadia_periods') %}
arcadia_periods as (

    select
        vendor,
        vendor_bill_id,
        is_period_end_inclusive,
        cast(null as boolean) as has_service_period
    from {{ ref('stg_arcadia__statements') }}
    where is_period_end_inclusive is not null

),
{% endif %}

{% if 'wattzon' in bill_vendors %}
{%- do parts.append('wattzon_periods') %}
wattzon_records as (

    select
        vendor_bill_id,
        count(*) as n_records,
        count(case when start_at is not null and end_at is not null then 1 end) as n_with_period
    from {{ ref('stg_wattzon__bill_records') }}
    where commodity is not null
        and vendor_bill_id is not null
    group by vendor_bill_id

),

wattzon_periods as (

    select
        cast('wattzon' as {{ type_text() }}) as vendor,
        vendor_bill_id,
        cast(null as boolean) as is_period_end_inclusive,
        false as has_service_period
    from wattzon_records
    where n_with_period < n_records

),
{% endif %}

final as (

    {% for part in parts %}
    select vendor, vendor_bill_id, is_period_end_inclusive, has_service_period from {{ part }}
    {% if not loop.last %}union all{% endif %}
    {% else %}
    select
        cast(null as {{ type_text() }}) as vendor,
        cast(null as {{ type_text() }}) as vendor_bill_id,
        cast(null as boolean) as is_period_end_inclusive,
        cast(null as boolean) as has_service_period
    where 1 = 0
    {% endfor %}

)

select * from final

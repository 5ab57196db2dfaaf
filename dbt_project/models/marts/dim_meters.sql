{#-
    One row per vendor, customer and meter: the vendors' conformed meters, plus meters only
    seen in (in-policy) interval data, whose commodity comes from the readings. Reads the
    intermediate view, not fct_intervals: the month-partitioned interval marts are built after
    the rest of the warehouse (orchestration/dbt.py) and may hold only some months.
-#}
with

meters as (

    {{ union_vendor_entity('meters') }}

),

interval_meters as (

    select
        vendor,
        vendor_customer_id,
        vendor_meter_id,
        max(commodity) as commodity
    from {{ ref('int_intervals__policy_applied') }}
    group by vendor, vendor_customer_id, vendor_meter_id

),

interval_only_meters as (

    select
        interval_meters.vendor,
        interval_meters.vendor_meter_id,
        interval_meters.vendor_customer_id,
        cast(null as {{ type_text() }}) as vendor_account_id,
        interval_meters.vendor_meter_id as meter_number,
        interval_meters.commodity,
        cast(null as {{ type_text() }}) as meter_type,
        cast(null as {{ type_text() }}) as tariff,
        cast(null as {{ type_text() }}) as address,
        cast('intervals' as {{ type_text() }}) as meter_source
    from interval_meters
    left join meters
        on interval_meters.vendor = meters.vendor
        and interval_meters.vendor_customer_id = meters.vendor_customer_id
        and interval_meters.vendor_meter_id = meters.vendor_meter_id
    where meters.vendor_meter_id is null

),

all_meters as (

    select {{ conformed_columns('meters') | join(', ') }} from meters
    union all
    select {{ conformed_columns('meters') | join(', ') }} from interval_only_meters

),

final as (

    select
        {{ surrogate_key(['vendor', 'vendor_customer_id', 'vendor_meter_id']) }} as meter_key,
        case
            when vendor_account_id is not null
                then {{ surrogate_key(['vendor', 'vendor_customer_id', 'vendor_account_id']) }}
        end as account_key,
        {{ surrogate_key(['vendor', 'vendor_customer_id']) }} as customer_key,
        vendor,
        vendor_meter_id,
        vendor_account_id,
        vendor_customer_id,
        meter_number,
        commodity,
        meter_type,
        tariff,
        address,
        meter_source
    from all_meters

)

select * from final

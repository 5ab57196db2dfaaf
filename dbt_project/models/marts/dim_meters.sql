{#-
    One row per vendor, customer and meter: the vendors' conformed meters, plus meters only
    seen in (in-policy) interval data, whose commodity comes from the readings, and the local
    time zone of the meters whose vendor gives one. Reads int_interval_meters (an aggregate per
    meter), not fct_intervals: the month-partitioned interval marts are built after the rest of
    the warehouse (orchestration/dbt.py) and may hold only some months.
-#}
with

meters as (

    {{ union_vendor_entity('meters') }}

),

interval_meters as (

    select * from {{ ref('int_interval_meters') }}

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

time_zones as (

    select vendor, vendor_customer_id, vendor_meter_id, time_zone
    from interval_meters
    where time_zone is not null

),

final as (

    select
        {{ surrogate_key(['all_meters.vendor', 'all_meters.vendor_customer_id', 'all_meters.vendor_meter_id']) }} as meter_key,
        case
            when all_meters.vendor_account_id is not null
                then {{ surrogate_key(['all_meters.vendor', 'all_meters.vendor_customer_id', 'all_meters.vendor_account_id']) }}
        end as account_key,
        {{ surrogate_key(['all_meters.vendor', 'all_meters.vendor_customer_id']) }} as customer_key,
        all_meters.vendor,
        all_meters.vendor_meter_id,
        all_meters.vendor_account_id,
        all_meters.vendor_customer_id,
        all_meters.meter_number,
        all_meters.commodity,
        all_meters.meter_type,
        all_meters.tariff,
        all_meters.address,
        all_meters.meter_source,
        time_zones.time_zone
    from all_meters
    left join time_zones
        on all_meters.vendor = time_zones.vendor
        and all_meters.vendor_customer_id = time_zones.vendor_customer_id
        and all_meters.vendor_meter_id = time_zones.vendor_meter_id

)

select * from final

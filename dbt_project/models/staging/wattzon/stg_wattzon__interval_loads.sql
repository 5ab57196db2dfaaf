{#- What each interval request covered (conformed entity `interval_loads`); every row is an event. -#}
with

source as (

    select * from {{ source('wattzon', 'interval_loads') }}

),

renamed as (

    select
        cast('wattzon' as {{ type_text() }}) as vendor,
        cast(customer_id as {{ type_text() }}) as vendor_customer_id,
        cast(meter_id as {{ type_text() }}) as vendor_meter_id,
        cast(covers_start as {{ type_timestamp_tz() }}) as covers_start,
        cast(covers_end as {{ type_timestamp_tz() }}) as covers_end,
        readings,
        _load_id as load_id,
        cast(_extracted_at as {{ type_timestamp_tz() }}) as extracted_at

    from source

)

select * from renamed

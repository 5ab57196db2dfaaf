{#- The meters of Urjanet delivered statements (lake dataset `statement_meters`), latest read of each (statement_id, normalized_meter_number); commodity as in stg_urjanet__utility_meters. -#}
with

source as (

    {{ dedupe_latest(source('urjanet', 'statement_meters'), ['statement_id', 'normalized_meter_number']) }}

),

renamed as (

    select
        cast('urjanet' as {{ type_text() }}) as vendor,
        cast(statement_id as {{ type_text() }}) as vendor_bill_id,
        cast(meter_number as {{ type_text() }}) as meter_number,
        normalized_meter_number,
        service_type,
        {{ urjanet_commodity('service_type') }} as commodity,
        tariff,
        pod_id,
        cast(interval_start as date) as period_start,
        cast(interval_end as date) as period_end,
        _load_id as load_id,
        cast(_extracted_at as {{ type_timestamp_tz() }}) as extracted_at

    from source

)

select * from renamed

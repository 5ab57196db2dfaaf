{#-
    Arc utility meters (lake dataset `meters`), latest version of each meter_id.
    commodity = service_type (`electric|gas|water`; other values NULL, kept in service_type).
    Named after Arc's `utility_meters` because stg_arcadia__meters is the conformed model.
-#}
with

source as (

    {{ dedupe_latest(source('arcadia', 'meters'), ['meter_id']) }}

),

renamed as (

    select
        cast('arcadia' as {{ type_text() }}) as vendor,
        cast(meter_id as {{ type_text() }}) as vendor_meter_id,
        cast(credential_id as {{ type_text() }}) as vendor_customer_id,
        cast(client_user_id as {{ type_text() }}) as client_user_id,
        cast(account_id as {{ type_text() }}) as vendor_account_id,
        cast(meter_number as {{ type_text() }}) as meter_number,
        service_type,
        case
            when lower(service_type) in ('electric', 'gas', 'water') then lower(service_type)
        end as commodity,
        cast(created_at as {{ type_timestamp_tz() }}) as created_at,
        cast(updated_at as {{ type_timestamp_tz() }}) as updated_at,
        sandboxed as is_sandboxed,
        source as meter_source,
        _load_id as load_id,
        cast(_extracted_at as {{ type_timestamp_tz() }}) as extracted_at

    from source

)

select * from renamed

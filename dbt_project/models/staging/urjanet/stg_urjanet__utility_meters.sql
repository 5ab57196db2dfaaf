{#-
    Urjanet meters (lake dataset `meters`), latest version of each meter_id. vendor_account_id
    is the account id as landed (it may be an id that changed since: the conformed
    stg_urjanet__meters resolves the current one). commodity from service_type: `ELECTRIC` ->
    `electric`, `GAS` -> `gas`, `WATER` -> `water`, `SEWER` -> `sewer`, any other type
    lower-cased (service_type kept as sent). Named after the API's meter because
    stg_urjanet__meters is the conformed model.
-#}
with

source as (

    {{ dedupe_latest(source('urjanet', 'meters'), ['meter_id']) }}

),

renamed as (

    select
        cast('urjanet' as {{ type_text() }}) as vendor,
        cast(meter_id as {{ type_text() }}) as vendor_meter_id,
        cast(account_id as {{ type_text() }}) as vendor_account_id,
        cast(meter_number as {{ type_text() }}) as meter_number,
        normalized_meter_number,
        service_type,
        {{ urjanet_commodity('service_type') }} as commodity,
        tariff,
        service_address,
        pod_number,
        previous_meter_number,
        coalesce(deactivated, false) as is_deactivated,
        custom_attributes,
        cast(created as {{ type_timestamp_tz() }}) as created_at,
        cast(modified as {{ type_timestamp_tz() }}) as modified_at,
        _load_id as load_id,
        cast(_extracted_at as {{ type_timestamp_tz() }}) as extracted_at

    from source

)

select * from renamed

with

source as (

    {{ dedupe_latest(source('bayou', 'customer_meters'), ['customer_id', 'account_number', 'meter_id']) }}

),

renamed as (

    select
        cast('bayou' as {{ type_text() }}) as vendor,
        cast(customer_id as {{ type_text() }}) as vendor_customer_id,
        cast(account_number as {{ type_text() }}) as vendor_account_id,
        cast(account_number as {{ type_text() }}) as account_number,
        cast(meter_id as {{ type_text() }}) as vendor_meter_id,
        meter_type,
        {{ normalize_commodity('meter_type') }} as commodity,
        tariff,
        tariffs_json,
        address,
        _load_id as load_id,
        cast(_extracted_at as {{ type_timestamp_tz() }}) as extracted_at

    from source

)

select * from renamed

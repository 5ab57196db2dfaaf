{#- WattzOn profiles (one per utility login): the customers. Latest version of each profile_id. -#}
with

source as (

    {{ dedupe_latest(source('wattzon', 'profiles'), ['profile_id']) }}

),

renamed as (

    select
        cast('wattzon' as {{ type_text() }}) as vendor,
        cast(profile_id as {{ type_text() }}) as vendor_customer_id,
        label,
        cast(utility_provider_id as {{ type_text() }}) as utility_provider_id,
        utility_provider,
        tags as tags_json,
        zipcode,
        cast(created as {{ type_timestamp_tz() }}) as created_at,
        cast(modified as {{ type_timestamp_tz() }}) as modified_at,
        _load_id as load_id,
        cast(_extracted_at as {{ type_timestamp_tz() }}) as extracted_at

    from source

)

select * from renamed

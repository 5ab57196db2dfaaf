{#- Urjanet utility providers (lake dataset `providers`), latest version of each provider_id. -#}
with

source as (

    {{ dedupe_latest(source('urjanet', 'providers'), ['provider_id']) }}

),

renamed as (

    select
        cast('urjanet' as {{ type_text() }}) as vendor,
        cast(provider_id as {{ type_text() }}) as provider_id,
        provider_alias,
        provider_name,
        classification,
        service_types,
        parent_provider_alias,
        cast(created as {{ type_timestamp_tz() }}) as created_at,
        cast(modified as {{ type_timestamp_tz() }}) as modified_at,
        _load_id as load_id,
        cast(_extracted_at as {{ type_timestamp_tz() }}) as extracted_at

    from source

)

select * from renamed

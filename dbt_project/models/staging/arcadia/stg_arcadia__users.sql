{#- Arc users (the caller's end customers, by client_user_id), latest version of each. Not a conformed entity: the policy's customer is the credential. -#}
with

source as (

    {{ dedupe_latest(source('arcadia', 'users'), ['client_user_id']) }}

),

renamed as (

    select
        cast('arcadia' as {{ type_text() }}) as vendor,
        cast(client_user_id as {{ type_text() }}) as client_user_id,
        cast(created_at as {{ type_timestamp_tz() }}) as created_at,
        cast(updated_at as {{ type_timestamp_tz() }}) as updated_at,
        sandboxed as is_sandboxed,
        _load_id as load_id,
        cast(_extracted_at as {{ type_timestamp_tz() }}) as extracted_at

    from source

)

select * from renamed

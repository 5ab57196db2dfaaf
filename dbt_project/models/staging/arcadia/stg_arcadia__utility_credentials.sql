{#-
    Arc utility credentials (lake dataset `credentials`), latest version of each credential_id.
    A credential is one utility login and the policy's customer: vendor_customer_id = credential_id.
    Named after Arc's `utility_credentials` because stg_arcadia__credentials is the conformed model.
-#}
with

source as (

    {{ dedupe_latest(source('arcadia', 'credentials'), ['credential_id']) }}

),

renamed as (

    select
        cast('arcadia' as {{ type_text() }}) as vendor,
        cast(credential_id as {{ type_text() }}) as vendor_credential_id,
        cast(credential_id as {{ type_text() }}) as vendor_customer_id,
        cast(client_user_id as {{ type_text() }}) as client_user_id,
        utility_name,
        utility_long_name,
        lower(verification_status) as verification_status,
        accounts_load_in_progress,
        cast(verification_updated_at as {{ type_timestamp_tz() }}) as verification_updated_at,
        cast(created_at as {{ type_timestamp_tz() }}) as created_at,
        cast(updated_at as {{ type_timestamp_tz() }}) as updated_at,
        sandboxed as is_sandboxed,
        _load_id as load_id,
        cast(_extracted_at as {{ type_timestamp_tz() }}) as extracted_at

    from source

)

select * from renamed

{#-
    Conformed credentials for Urjanet (entity `credentials`; feeds dim_credentials): one row per
    credential (Urjanet extraction channel). A credential serves many accounts and is NOT the
    policy's customer (the account is): vendor_customer_id and client_user_id are NULL.
    utility_name = the provider's name (else its alias); verification_status,
    verification_updated_at and accounts_load_in_progress NULL (Urjanet has no such states);
    created_at / updated_at = created / modified. Fills the Urjanet optional credential columns:
    extraction_channel_id, provider_alias, acquisition_type, is_enabled, message,
    last_attempted_at, last_success_at. No username, password or S3 key id is landed.
-#}
with

channels as (

    select * from {{ ref('stg_urjanet__extraction_channels') }}

),

providers as (

    select provider_id, provider_alias, provider_name
    from {{ ref('stg_urjanet__providers') }}

),

final as (

    select
        channels.vendor,
        channels.vendor_credential_id,
        cast(null as {{ type_text() }}) as vendor_customer_id,
        cast(null as {{ type_text() }}) as client_user_id,
        coalesce(providers.provider_name, channels.provider_alias) as utility_name,
        cast(null as {{ type_text() }}) as verification_status,
        cast(null as {{ type_timestamp_tz() }}) as verification_updated_at,
        cast(null as boolean) as accounts_load_in_progress,
        channels.created_at,
        channels.modified_at as updated_at,
        channels.extraction_channel_id,
        channels.provider_alias,
        channels.acquisition_type,
        channels.is_enabled,
        channels.message,
        channels.last_attempted_at,
        channels.last_success_at,
        channels.load_id,
        channels.extracted_at
    from channels
    left join providers
        on channels.provider_id = providers.provider_id

)

select * from final

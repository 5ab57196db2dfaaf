{#-
    Urjanet credentials (lake dataset `credentials`; Urjanet calls them extraction channels),
    latest version of each credential_id. No usernames, passwords or S3 key ids are landed.
    Named `extraction_channels` because stg_urjanet__credentials is the conformed model.
-#}
with

source as (

    {{ dedupe_latest(source('urjanet', 'credentials'), ['credential_id']) }}

),

renamed as (

    select
        cast('urjanet' as {{ type_text() }}) as vendor,
        cast(credential_id as {{ type_text() }}) as vendor_credential_id,
        extraction_channel_id,
        cast(provider_id as {{ type_text() }}) as provider_id,
        provider_alias,
        cast(template_id as {{ type_text() }}) as template_id,
        template_name,
        acquisition_type,
        url,
        enabled as is_enabled,
        interval_data_enabled as is_interval_data_enabled,
        message,
        cast(last_attempted as {{ type_timestamp_tz() }}) as last_attempted_at,
        cast(last_success as {{ type_timestamp_tz() }}) as last_success_at,
        s3_bucket_name,
        s3_file_prefix,
        cast(created as {{ type_timestamp_tz() }}) as created_at,
        cast(modified as {{ type_timestamp_tz() }}) as modified_at,
        _load_id as load_id,
        cast(_extracted_at as {{ type_timestamp_tz() }}) as extracted_at

    from source

)

select * from renamed

{#- Urjanet statement delivery files read (lake dataset `delivery_files`), latest read of each (file_name, fingerprint, policy_sha256). -#}
with

source as (

    {{ dedupe_latest(source('urjanet', 'delivery_files'), ['file_name', 'fingerprint', 'policy_sha256']) }}

),

renamed as (

    select
        cast('urjanet' as {{ type_text() }}) as vendor,
        file_name,
        location,
        fingerprint,
        size_bytes,
        cast(delivery_id as {{ type_text() }}) as delivery_id,
        cast(delivered_at as {{ type_timestamp_tz() }}) as delivered_at,
        statements as statements_read,
        rejected as statements_rejected,
        unmatched as statements_unmatched,
        policy_sha256,
        error,
        _load_id as load_id,
        cast(_extracted_at as {{ type_timestamp_tz() }}) as extracted_at

    from source

)

select * from renamed

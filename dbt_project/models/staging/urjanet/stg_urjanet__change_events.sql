{#-
    The Urjanet change log (lake dataset `change_events`), one row per event_key (a hash of the
    whole event; the latest landing wins). account_key is derived from the event's provider alias
    and account number like the ingestion derives it (macro urjanet_account_key); customer_id is
    renamed urjanet_customer_id (the API tenant, not the policy's customer).
-#}
with

source as (

    {{ dedupe_latest(source('urjanet', 'change_events'), ['event_key']) }}

),

renamed as (

    select
        cast('urjanet' as {{ type_text() }}) as vendor,
        cast(event_key as {{ type_text() }}) as vendor_event_id,
        cast(event_time as {{ type_timestamp_tz() }}) as event_time,
        event_name,
        username,
        cast(customer_id as {{ type_text() }}) as urjanet_customer_id,
        cast(account_number as {{ type_text() }}) as account_number,
        provider_alias,
        {{ urjanet_account_key('provider_alias', 'account_number') }} as account_key,
        old_status,
        new_status,
        cast(old_account_id as {{ type_text() }}) as old_account_id,
        cast(new_account_id as {{ type_text() }}) as new_account_id,
        event_fields,
        _load_id as load_id,
        cast(_extracted_at as {{ type_timestamp_tz() }}) as extracted_at

    from source

)

select * from renamed

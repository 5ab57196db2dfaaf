{#- Urjanet account id changes (old -> new id of one account_key), latest version of each (old_account_id, new_account_id). -#}
with

source as (

    {{ dedupe_latest(source('urjanet', 'account_id_changes'), ['old_account_id', 'new_account_id']) }}

),

renamed as (

    select
        cast('urjanet' as {{ type_text() }}) as vendor,
        cast(old_account_id as {{ type_text() }}) as old_account_id,
        cast(new_account_id as {{ type_text() }}) as new_account_id,
        account_key,
        cast(changed_at as {{ type_timestamp_tz() }}) as changed_at,
        detected_by,
        _load_id as load_id,
        cast(_extracted_at as {{ type_timestamp_tz() }}) as extracted_at

    from source

)

select * from renamed

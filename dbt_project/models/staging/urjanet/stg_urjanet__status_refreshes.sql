{#- Urjanet status syncs (lake dataset `status_refreshes`), one row per sync (`_load_id`). -#}
with

source as (

    {{ dedupe_latest(source('urjanet', 'status_refreshes'), ['_load_id']) }}

),

renamed as (

    select
        cast('urjanet' as {{ type_text() }}) as vendor,
        cast(refreshed_at as {{ type_timestamp_tz() }}) as refreshed_at,
        mode as refresh_mode,
        reason,
        accounts as accounts_read,
        meters as meters_read,
        credentials as credentials_read,
        events as events_read,
        _load_id as load_id,
        cast(_extracted_at as {{ type_timestamp_tz() }}) as extracted_at

    from source

)

select * from renamed

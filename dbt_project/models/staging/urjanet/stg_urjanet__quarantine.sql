{#- Every quarantined record is an event: no dedupe. -#}
with

source as (

    select * from {{ source('urjanet', 'quarantine') }}

),

renamed as (

    select
        cast('urjanet' as {{ type_text() }}) as vendor,
        entity,
        cast(record_id as {{ type_text() }}) as record_id,
        raw_record,
        reason,
        _load_id as load_id,
        cast(_extracted_at as {{ type_timestamp_tz() }}) as extracted_at

    from source

)

select * from renamed

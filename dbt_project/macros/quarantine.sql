{#-
    The staging model of a vendor's quarantine dataset: the same shape for every vendor (written
    by connectors/core/quarantine.py). Every quarantined record is an event: no dedupe.
-#}
{% macro staging_quarantine(vendor) %}
with

source as (

    select * from {{ source(vendor, 'quarantine') }}

),

renamed as (

    select
        cast('{{ vendor }}' as {{ type_text() }}) as vendor,
        entity,
        cast(record_id as {{ type_text() }}) as record_id,
        raw_record,
        reason,
        _load_id as load_id,
        cast(_extracted_at as {{ type_timestamp_tz() }}) as extracted_at

    from source

)

select * from renamed
{% endmacro %}

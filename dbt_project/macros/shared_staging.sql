{#-
    Staging models whose source has the same shape for every vendor (written by shared code in
    connectors/core/): one macro each, so each vendor's model is a single call.

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

{#-
    The staging model of a vendor's `interval_loads` dataset (connectors/core/interval_loads.py),
    conformed entity `interval_loads`: what each interval request covered. Every row is an event.
-#}
{% macro staging_interval_loads(vendor) %}
with

source as (

    select * from {{ source(vendor, 'interval_loads') }}

),

renamed as (

    select
        cast('{{ vendor }}' as {{ type_text() }}) as vendor,
        cast(customer_id as {{ type_text() }}) as vendor_customer_id,
        cast(meter_id as {{ type_text() }}) as vendor_meter_id,
        cast(covers_start as {{ type_timestamp_tz() }}) as covers_start,
        cast(covers_end as {{ type_timestamp_tz() }}) as covers_end,
        readings,
        _load_id as load_id,
        cast(_extracted_at as {{ type_timestamp_tz() }}) as extracted_at

    from source

)

select * from renamed
{% endmacro %}

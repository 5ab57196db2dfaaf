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

{#-
    The staging model of a vendor's conformed entity `interval_meters`: one row per customer and
    meter seen in the vendor's landed interval readings, from a cheap aggregate over the lake (no
    dedupe, no policy: dim_meters and int_interval_meters need only which meters exist, their
    commodity, zone and reading span, not the 35,040 readings a year of each).

    readings: a SELECT of the vendor's readings with the columns vendor_customer_id,
    vendor_meter_id, commodity, time_zone (NULL when the vendor gives none) and interval_start.
    The meter's commodity is the greatest one of its readings; its zone is the zone of its most
    recent reading (by interval_start), readings without one ignored.
-#}
{% macro staging_interval_meters(vendor, readings) %}
with

readings as (

    {{ readings }}

),

spans as (

    select
        vendor_customer_id,
        vendor_meter_id,
        max(commodity) as commodity,
        min(interval_start) as first_reading_start,
        max(interval_start) as last_reading_start
    from readings
    group by vendor_customer_id, vendor_meter_id

),

zones as (

    select
        vendor_customer_id,
        vendor_meter_id,
        time_zone,
        max(interval_start) as last_reading_start
    from readings
    where time_zone is not null
        and time_zone <> ''
    group by vendor_customer_id, vendor_meter_id, time_zone

),

latest_zones as (

    {{ dedupe_latest('zones', ['vendor_customer_id', 'vendor_meter_id'], ['last_reading_start desc', 'time_zone']) }}

),

final as (

    select
        cast('{{ vendor }}' as {{ type_text() }}) as vendor,
        cast(spans.vendor_customer_id as {{ type_text() }}) as vendor_customer_id,
        cast(spans.vendor_meter_id as {{ type_text() }}) as vendor_meter_id,
        cast(spans.commodity as {{ type_text() }}) as commodity,
        cast(latest_zones.time_zone as {{ type_text() }}) as time_zone,
        cast(spans.first_reading_start as {{ type_timestamp_tz() }}) as first_reading_start,
        cast(spans.last_reading_start as {{ type_timestamp_tz() }}) as last_reading_start
    from spans
    left join latest_zones
        on spans.vendor_customer_id = latest_zones.vendor_customer_id
        and spans.vendor_meter_id = latest_zones.vendor_meter_id

)

select * from final
{% endmacro %}

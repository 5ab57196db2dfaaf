{#-
    The local time zone of the interval meters whose vendor gives one, one row per vendor,
    customer and meter: the IANA zone of the meter's latest landed readings. Only WattzOn does
    today: its monthly interval files carry the provider's `timezone`, which the lake keeps on
    every reading (lake/wattzon/intervals) but the conformed staging model does not, so it is read
    from the source here. Bayou and Arcadia give no zone (their readings are on UTC boundaries):
    they have no row, and the coverage marts count their days in UTC.
    Aggregated per meter and zone first, so only a few rows per meter are ranked.
-#}
{%- set interval_vendors = vendors_for_entity('intervals') %}

with

{% if 'wattzon' in interval_vendors %}
wattzon_zones as (

    select
        cast('wattzon' as {{ type_text() }}) as vendor,
        cast(profile_id as {{ type_text() }}) as vendor_customer_id,
        cast(meter_id as {{ type_text() }}) as vendor_meter_id,
        cast(timezone as {{ type_text() }}) as time_zone,
        max(_extracted_at) as _extracted_at,
        max(_load_id) as _load_id
    from {{ source('wattzon', 'intervals') }}
    where timezone is not null
        and timezone <> ''
    group by profile_id, meter_id, timezone

),

latest_wattzon_zone as (

    {{ dedupe_latest('wattzon_zones', ['vendor', 'vendor_customer_id', 'vendor_meter_id']) }}

),
{% endif %}

final as (

    {% if 'wattzon' in interval_vendors %}
    select
        vendor,
        vendor_customer_id,
        vendor_meter_id,
        time_zone
    from latest_wattzon_zone
    {% else %}
    select
        cast(null as {{ type_text() }}) as vendor,
        cast(null as {{ type_text() }}) as vendor_customer_id,
        cast(null as {{ type_text() }}) as vendor_meter_id,
        cast(null as {{ type_text() }}) as time_zone
    where 1 = 0
    {% endif %}

)

select * from final

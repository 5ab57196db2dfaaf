{#- Conformed `interval_meters` of WattzOn: its interval files carry the provider's IANA `timezone`. -#}
{% set readings %}
    select
        profile_id as vendor_customer_id,
        meter_id as vendor_meter_id,
        'electric' as commodity,
        timezone as time_zone,
        interval_start
    from {{ source('wattzon', 'intervals') }}
{% endset %}
{{ staging_interval_meters('wattzon', readings) }}

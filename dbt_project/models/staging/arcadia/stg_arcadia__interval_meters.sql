{#- Conformed `interval_meters` of Arcadia (electric meters; Arc gives no zone: UTC boundaries). -#}
{% set readings %}
    select
        credential_id as vendor_customer_id,
        meter_id as vendor_meter_id,
        'electric' as commodity,
        cast(null as {{ type_text() }}) as time_zone,
        interval_start
    from {{ source('arcadia', 'intervals') }}
{% endset %}
{{ staging_interval_meters('arcadia', readings) }}

{#-
    Conformed `interval_meters` of Bayou (no zone: readings on UTC boundaries). The commodity, as in
    stg_bayou__intervals: the customer's meter's, else inferred from which readings are present.
-#}
{% set readings %}
    select
        cast(intervals.customer_id as {{ type_text() }}) as vendor_customer_id,
        cast(intervals.meter_id as {{ type_text() }}) as vendor_meter_id,
        coalesce(meters.commodity,
            case
                when intervals.electricity_consumption_wh is not null
                    or intervals.net_electricity_consumption_wh is not null
                    or intervals.generated_electricity_wh is not null
                    or intervals.electricity_demand_w is not null
                    then 'electric'
                when intervals.gas_consumption_therms is not null
                    then 'gas'
            end) as commodity,
        cast(null as {{ type_text() }}) as time_zone,
        intervals.interval_start
    from {{ source('bayou', 'intervals') }} as intervals
    left join {{ ref('stg_bayou__meters') }} as meters
        on cast(intervals.customer_id as {{ type_text() }}) = meters.vendor_customer_id
        and cast(intervals.meter_id as {{ type_text() }}) = meters.vendor_meter_id
{% endset %}
{{ staging_interval_meters('bayou', readings) }}

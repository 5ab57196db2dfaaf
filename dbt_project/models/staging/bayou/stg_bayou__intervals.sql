{#-
    Bayou interval meters carry no type: the commodity comes from the customer's meters
    (stg_bayou__meters); for a meter Bayou does not list, it is inferred from which readings
    are present (electricity fields -> electric, else gas reading -> gas).
-#}
with

source as (

    {{ dedupe_latest(source('bayou', 'intervals'), ['customer_id', 'meter_id', 'interval_start']) }}

),

meters as (

    select
        vendor_customer_id,
        vendor_meter_id,
        commodity
    from {{ ref('stg_bayou__meters') }}

),

renamed as (

    select
        cast(customer_id as {{ type_text() }}) as vendor_customer_id,
        cast(meter_id as {{ type_text() }}) as vendor_meter_id,
        cast(interval_start as {{ type_timestamp_tz() }}) as interval_start,
        cast(interval_end as {{ type_timestamp_tz() }}) as interval_end,
        {{ wh_to_kwh('electricity_consumption_wh') }} as electricity_usage_kwh,
        {{ wh_to_kwh('net_electricity_consumption_wh') }} as net_usage_kwh,
        {{ wh_to_kwh('generated_electricity_wh') }} as generation_kwh,
        {{ w_to_kw('electricity_demand_w') }} as demand_kw,
        cast(gas_consumption_therms as {{ type_double() }}) as gas_usage_therm,
        case
            when electricity_consumption_wh is not null
                or net_electricity_consumption_wh is not null
                or generated_electricity_wh is not null
                or electricity_demand_w is not null
                then 'electric'
            when gas_consumption_therms is not null
                then 'gas'
        end as inferred_commodity,
        conflicting_fields,
        conflict_values_json,
        cast(created_at as {{ type_timestamp_tz() }}) as vendor_created_at,
        cast(updated_at as {{ type_timestamp_tz() }}) as vendor_updated_at,
        _load_id as load_id,
        cast(_extracted_at as {{ type_timestamp_tz() }}) as extracted_at

    from source

),

with_commodity as (

    select
        renamed.*,
        coalesce(meters.commodity, renamed.inferred_commodity) as commodity,
        meters.commodity is null as is_commodity_inferred
    from renamed
    left join meters
        on renamed.vendor_customer_id = meters.vendor_customer_id
        and renamed.vendor_meter_id = meters.vendor_meter_id

),

final as (

    select
        cast('bayou' as {{ type_text() }}) as vendor,
        vendor_customer_id,
        vendor_meter_id,
        commodity,
        is_commodity_inferred,
        interval_start,
        interval_end,
        cast(null as {{ type_text() }}) as time_zone,
        case commodity
            when 'electric' then electricity_usage_kwh
            when 'gas' then gas_usage_therm
        end as usage,
        case commodity
            when 'electric' then 'kWh'
            when 'gas' then 'therm'
        end as unit,
        electricity_usage_kwh,
        gas_usage_therm,
        generation_kwh,
        net_usage_kwh,
        demand_kw,
        conflicting_fields is not null as has_conflict,
        conflicting_fields,
        conflict_values_json,
        vendor_created_at,
        vendor_updated_at,
        load_id,
        extracted_at
    from with_commodity

)

select * from final

with

intervals as (

    select * from {{ ref('int_intervals__policy_applied') }}

),

final as (

    select
        {{ surrogate_key(['vendor', 'vendor_customer_id', 'vendor_meter_id']) }} as meter_key,
        vendor,
        vendor_customer_id,
        vendor_meter_id,
        commodity,
        interval_start,
        interval_end,
        usage,
        unit,
        generation_kwh,
        net_usage_kwh,
        demand_kw,
        has_conflict,
        conflicting_fields,
        load_id,
        extracted_at
    from intervals

)

select * from final

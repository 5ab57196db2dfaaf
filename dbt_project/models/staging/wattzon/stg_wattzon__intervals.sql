{#-
    Conformed interval readings for WattzOn: electricity only (usage_kwh), one row per meter and
    interval start. Key (meter_id, interval_start) per docs/lake.md: the latest extraction wins
    (WattzOn `extraction_time` desc, then `_extracted_at`, then `_load_id`). WattzOn gives no
    generation, net usage, demand nor conflicts. No policy is applied here (see
    int_intervals__policy_applied).
-#}
with

source as (

    {{ dedupe_latest(source('wattzon', 'intervals'), ['meter_id', 'interval_start'],
                     ['extraction_time desc nulls last', '_extracted_at desc nulls last', '_load_id desc nulls last']) }}

),

final as (

    select
        cast('wattzon' as {{ type_text() }}) as vendor,
        cast(profile_id as {{ type_text() }}) as vendor_customer_id,
        cast(meter_id as {{ type_text() }}) as vendor_meter_id,
        cast('electric' as {{ type_text() }}) as commodity,
        cast(interval_start as {{ type_timestamp_tz() }}) as interval_start,
        cast(interval_end as {{ type_timestamp_tz() }}) as interval_end,
        cast(nullif(timezone, '') as {{ type_text() }}) as time_zone,
        cast(usage_kwh as {{ type_double() }}) as usage,
        cast('kWh' as {{ type_text() }}) as unit,
        cast(null as {{ type_double() }}) as generation_kwh,
        cast(null as {{ type_double() }}) as net_usage_kwh,
        cast(null as {{ type_double() }}) as demand_kw,
        false as has_conflict,
        cast(null as {{ type_text() }}) as conflicting_fields,
        _load_id as load_id,
        cast(_extracted_at as {{ type_timestamp_tz() }}) as extracted_at

    from source

)

select * from final

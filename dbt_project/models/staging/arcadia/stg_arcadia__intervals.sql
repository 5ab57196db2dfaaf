{#-
    Conformed interval readings for Arcadia: electricity (Arc serves intervals of electric
    meters only), one row per meter and interval start, the latest `_extracted_at` (then
    `_load_id`) winning. vendor_customer_id = credential_id.

    usage = consumption_kwh; when Arc sends no consumption and no generation (older payloads
    give only the net, or the deprecated `kwh` landed as net_kwh) usage falls back to net_kwh,
    which then is the consumption. generation_kwh as sent, net_usage_kwh = net_kwh.
    Readings flagged `is_null_kwh` (Arc has no value for the interval) are kept, with usage,
    generation and net NULL, so gaps stay visible. No demand, no conflicts. No policy is applied
    here (see int_intervals__policy_applied).
-#}
with

source as (

    {{ dedupe_latest(source('arcadia', 'intervals'), ['meter_id', 'interval_start']) }}

),

final as (

    select
        cast('arcadia' as {{ type_text() }}) as vendor,
        cast(credential_id as {{ type_text() }}) as vendor_customer_id,
        cast(meter_id as {{ type_text() }}) as vendor_meter_id,
        cast('electric' as {{ type_text() }}) as commodity,
        cast(interval_start as {{ type_timestamp_tz() }}) as interval_start,
        cast(interval_end as {{ type_timestamp_tz() }}) as interval_end,
        cast(null as {{ type_text() }}) as time_zone,
        cast(
            case
                when coalesce(is_null_kwh, false) then null
                when consumption_kwh is not null then consumption_kwh
                when generation_kwh is null then net_kwh
            end
            as {{ type_double() }}) as usage,
        cast('kWh' as {{ type_text() }}) as unit,
        cast(case when not coalesce(is_null_kwh, false) then generation_kwh end as {{ type_double() }}) as generation_kwh,
        cast(case when not coalesce(is_null_kwh, false) then net_kwh end as {{ type_double() }}) as net_usage_kwh,
        cast(null as {{ type_double() }}) as demand_kw,
        false as has_conflict,
        cast(null as {{ type_text() }}) as conflicting_fields,
        _load_id as load_id,
        cast(_extracted_at as {{ type_timestamp_tz() }}) as extracted_at

    from source

)

select * from final

{#-
    Usage lines of Urjanet delivered statements (lake dataset `usages`), latest read of each
    (statement_id, line_number). measurement_type lower-cased; usage_unit / usage in the
    conformed unit (`kWh` with Wh and MWh converted, `therms` -> `therm`, other units kept
    lower-cased); energy_unit and usage_amount kept as sent. Not landed outside the policy.
-#}
with

source as (

    {{ dedupe_latest(source('urjanet', 'usages'), ['statement_id', 'line_number']) }}

),

renamed as (

    select
        cast('urjanet' as {{ type_text() }}) as vendor,
        cast(statement_id as {{ type_text() }}) as vendor_bill_id,
        line_number,
        cast(meter_number as {{ type_text() }}) as meter_number,
        normalized_meter_number,
        lower(trim(measurement_type)) as measurement_type,
        energy_unit,
        usage_amount,
        {{ normalize_usage_unit('energy_unit') }} as usage_unit,
        {{ usage_in_normalized_unit('usage_amount', 'energy_unit') }} as usage,
        rate_component,
        cast(interval_start as date) as period_start,
        cast(interval_end as date) as period_end,
        _load_id as load_id,
        cast(_extracted_at as {{ type_timestamp_tz() }}) as extracted_at

    from source

)

select * from renamed

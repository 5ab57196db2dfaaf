{#-
    Charge lines of Urjanet delivered statements (lake dataset `charges`), latest read of each
    (statement_id, line_number). Account-level charges have no meter (meter_number NULL). Money
    DECIMAL(18,4) as sent. Not landed outside the policy.
-#}
with

source as (

    {{ dedupe_latest(source('urjanet', 'charges'), ['statement_id', 'line_number']) }}

),

renamed as (

    select
        cast('urjanet' as {{ type_text() }}) as vendor,
        cast(statement_id as {{ type_text() }}) as vendor_bill_id,
        line_number,
        cast(meter_number as {{ type_text() }}) as meter_number,
        normalized_meter_number,
        meter_number is null as is_account_level,
        charge_actual_name as charge_name,
        cast(charge_amount as decimal(18, 4)) as charge_amount,
        charge_units_used as units_used,
        charge_rate_per_unit as rate_per_unit,
        usage_unit,
        cast(interval_start as date) as period_start,
        cast(interval_end as date) as period_end,
        _load_id as load_id,
        cast(_extracted_at as {{ type_timestamp_tz() }}) as extracted_at

    from source

)

select * from renamed

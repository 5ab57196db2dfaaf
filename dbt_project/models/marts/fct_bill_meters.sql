with

bill_meters as (

    select * from {{ ref('int_bill_meters__policy_applied') }}

),

final as (

    select
        {{ surrogate_key(['vendor', 'vendor_bill_id', 'vendor_meter_id']) }} as bill_meter_key,
        {{ surrogate_key(['vendor', 'vendor_bill_id']) }} as bill_key,
        case
            when vendor_customer_id is not null
                then {{ surrogate_key(['vendor', 'vendor_customer_id', 'vendor_meter_id']) }}
        end as meter_key,
        vendor,
        vendor_bill_id,
        vendor_meter_id,
        vendor_customer_id,
        vendor_account_id,
        commodity,
        meter_type,
        status,
        statement_date,
        period_start,
        period_end,
        is_locked,
        lock_reason,
        usage,
        usage_unit,
        amount,
        amount_source,
        tariff,
        load_id,
        extracted_at
    from bill_meters

)

select * from final

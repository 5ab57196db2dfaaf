{#-
    One row per charge line of a vendor bill or bill adjustment (conformed entity `bill_charges`;
    today Urjanet only) with the policy of its bill applied (int_bill_charges__policy_applied).
    Account-level charges (no meter) keep vendor_meter_id and meter_key NULL.
-#}
with

charges as (

    select * from {{ ref('int_bill_charges__policy_applied') }}

),

final as (

    select
        {{ surrogate_key(['vendor', 'vendor_bill_id', 'line_number']) }} as bill_charge_key,
        {{ surrogate_key(['vendor', 'vendor_bill_id']) }} as bill_key,
        case
            when vendor_customer_id is not null and vendor_meter_id is not null
                then {{ surrogate_key(['vendor', 'vendor_customer_id', 'vendor_meter_id']) }}
        end as meter_key,
        vendor,
        vendor_bill_id,
        line_number,
        vendor_meter_id,
        vendor_customer_id,
        vendor_account_id,
        bill_type,
        commodity,
        charge_name,
        statement_date,
        period_start,
        period_end,
        is_locked,
        lock_reason,
        amount,
        units_used,
        rate_per_unit,
        usage_unit,
        load_id,
        extracted_at
    from charges

)

select * from final

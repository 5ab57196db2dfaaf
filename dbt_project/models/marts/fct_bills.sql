{#-
    One row per vendor bill with the policy applied. Urjanet adjustment statements
    (bill_type `adjustment`) are not bills: they are in fct_bill_adjustments, so a bill's usage
    is never counted twice. The other vendors have no bill_type (NULL): every row is a bill.
-#}
with

bills as (

    select * from {{ ref('int_bills__policy_applied') }}
    where coalesce(bill_type, 'bill') = 'bill'

),

final as (

    select
        {{ surrogate_key(['vendor', 'vendor_bill_id']) }} as bill_key,
        {{ surrogate_key(['vendor', 'vendor_customer_id']) }} as customer_key,
        case
            when vendor_account_id is not null
                then {{ surrogate_key(['vendor', 'vendor_customer_id', 'vendor_account_id']) }}
        end as account_key,
        vendor,
        vendor_bill_id,
        external_id,
        vendor_customer_id,
        customer_external_id,
        vendor_account_id,
        account_number,
        utility,
        statement_date,
        period_start,
        period_end,
        due_date,
        status,
        is_locked,
        lock_reason,
        is_in_policy,
        is_unlocked_bill,
        is_masked,
        currency,
        total_amount,
        outstanding_balance,
        electricity_amount,
        delivery_charge,
        supply_charge,
        community_solar_bill_credit,
        gas_amount,
        electricity_usage_kwh,
        gas_usage,
        gas_usage_unit,
        has_pdf,
        is_past_due,
        is_final_bill,
        billing_flags,
        amount_due,
        new_charges,
        previous_balance,
        load_id,
        extracted_at
    from bills

)

select * from final

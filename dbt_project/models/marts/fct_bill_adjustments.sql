{#-
    One row per bill adjustment (Urjanet statements of type `adjustment`: a correction of an
    earlier bill's charges and usage) with the policy applied exactly as to bills
    (int_bills__policy_applied). Kept apart from fct_bills so usage is not counted twice: the
    usage correction is electricity_usage_kwh / gas_usage here, never in fct_bills or
    fct_bill_meters. adjusted_vendor_bill_id: the bill of the same vendor and account whose
    service period is the adjustment's (the latest statement date when several; NULL when none).
-#}
with

bills as (

    select * from {{ ref('int_bills__policy_applied') }}

),

adjustments as (

    select * from bills
    where bill_type = 'adjustment'

),

candidate_bills as (

    select
        adjustments.vendor,
        adjustments.vendor_bill_id,
        bills.vendor_bill_id as adjusted_vendor_bill_id,
        bills.statement_date
    from adjustments
    inner join bills
        on adjustments.vendor = bills.vendor
        and adjustments.vendor_account_id = bills.vendor_account_id
        and adjustments.period_start = bills.period_start
        and adjustments.period_end = bills.period_end
    where coalesce(bills.bill_type, 'bill') = 'bill'

),

adjusted_bill as (

    {{ dedupe_latest('candidate_bills', ['vendor', 'vendor_bill_id'],
                     ['statement_date desc nulls last', 'adjusted_vendor_bill_id desc']) }}

),

final as (

    select
        {{ surrogate_key(['adjustments.vendor', 'adjustments.vendor_bill_id']) }} as bill_key,
        case
            when adjusted_bill.adjusted_vendor_bill_id is not null
                then {{ surrogate_key(['adjustments.vendor', 'adjusted_bill.adjusted_vendor_bill_id']) }}
        end as adjusted_bill_key,
        {{ surrogate_key(['adjustments.vendor', 'adjustments.vendor_customer_id']) }} as customer_key,
        case
            when adjustments.vendor_account_id is not null
                then {{ surrogate_key(['adjustments.vendor', 'adjustments.vendor_customer_id', 'adjustments.vendor_account_id']) }}
        end as account_key,
        adjustments.vendor,
        adjustments.vendor_bill_id,
        adjusted_bill.adjusted_vendor_bill_id,
        adjustments.vendor_customer_id,
        adjustments.vendor_account_id,
        adjustments.account_number,
        adjustments.utility,
        adjustments.statement_date,
        adjustments.period_start,
        adjustments.period_end,
        adjustments.due_date,
        adjustments.status,
        adjustments.is_locked,
        adjustments.lock_reason,
        adjustments.is_in_policy,
        adjustments.is_unlocked_bill,
        adjustments.is_masked,
        adjustments.currency,
        adjustments.total_amount,
        adjustments.amount_due,
        adjustments.new_charges,
        adjustments.outstanding_balance,
        adjustments.previous_balance,
        adjustments.electricity_amount,
        adjustments.gas_amount,
        adjustments.electricity_usage_kwh,
        adjustments.gas_usage,
        adjustments.gas_usage_unit,
        adjustments.load_id,
        adjustments.extracted_at
    from adjustments
    left join adjusted_bill
        on adjustments.vendor = adjusted_bill.vendor
        and adjustments.vendor_bill_id = adjusted_bill.vendor_bill_id

)

select * from final

{#-
    Every vendor's bill charge lines (conformed entity `bill_charges`; today Urjanet only) with
    the policy of their bill applied, like int_bill_meters__policy_applied: a line is locked when
    its bill (a bill or an adjustment of int_bills__policy_applied) is locked, when the bill is
    unknown, or when the line was masked at ingestion; locked lines have amount, units_used and
    rate_per_unit NULL. bill_type comes from the bill (`bill` or `adjustment`).
-#}
with

bill_charges as (

    {{ union_vendor_entity('bill_charges') }}

),

bills as (

    select
        vendor,
        vendor_bill_id,
        bill_type,
        statement_date,
        lock_reason
    from {{ ref('int_bills__policy_applied') }}

),

classified as (

    select
        bill_charges.*,
        bills.bill_type,
        bills.statement_date,
        case
            when bills.vendor_bill_id is null then 'bill_not_found'
            when bills.lock_reason is not null then bills.lock_reason
            when bill_charges.is_masked then 'masked_at_ingestion'
        end as lock_reason
    from bill_charges
    left join bills
        on bill_charges.vendor = bills.vendor
        and bill_charges.vendor_bill_id = bills.vendor_bill_id

),

final as (

    select
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
        lock_reason is not null as is_locked,
        lock_reason,
        is_masked,
        case when lock_reason is null then amount end as amount,
        case when lock_reason is null then units_used end as units_used,
        case when lock_reason is null then rate_per_unit end as rate_per_unit,
        usage_unit,
        load_id,
        extracted_at
    from classified

)

select * from final

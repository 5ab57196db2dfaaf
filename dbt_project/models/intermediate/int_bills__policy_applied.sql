{#-
    Every vendor's bills (latest version) with the compiled policy applied.

    A bill is in policy when
      * a row of policy.unlocked_bills matches (vendor, vendor_bill_id), or
      * its statement_date falls in one of its customer's policy.policy_windows rows
        (starts_on inclusive, ends_on exclusive, NULL = unbounded).
    The rules that produce those rows (history months, continuous, link date) live in
    connectors/policy.py only; this model just joins.

    A bill is locked (is_locked, every amount and usage, the due date, the Arcadia statement
    flags is_past_due / is_final_bill / billing_flags and the Urjanet balances amount_due /
    new_charges / previous_balance NULL) when it is out of policy, when its raw row was masked
    at ingestion, or when the vendor does not report it unlocked.

    Urjanet adjustment statements (bill_type `adjustment`) go through here too, so the policy
    applies to them exactly as to bills; the marts keep them apart (fct_bills holds bills only,
    fct_bill_adjustments the adjustments).
-#}
{%- set masked_columns = [
    'total_amount', 'outstanding_balance', 'electricity_amount', 'delivery_charge',
    'supply_charge', 'community_solar_bill_credit', 'gas_amount', 'electricity_usage_kwh',
    'gas_usage', 'gas_usage_unit', 'is_past_due', 'is_final_bill', 'billing_flags',
    'amount_due', 'new_charges', 'previous_balance'] -%}

with

bills as (

    {{ union_vendor_entity('bills') }}

),

policy_windows as (

    select * from {{ ref('stg_policy__policy_windows') }}

),

unlocked_bills as (

    select * from {{ ref('stg_policy__unlocked_bills') }}

),

bills_in_window as (

    select distinct
        bills.vendor,
        bills.vendor_bill_id
    from bills
    inner join policy_windows
        on bills.vendor = policy_windows.vendor
        and bills.vendor_customer_id = policy_windows.vendor_customer_id
        and (policy_windows.starts_on is null or bills.statement_date >= policy_windows.starts_on)
        and (policy_windows.ends_on is null or bills.statement_date < policy_windows.ends_on)

),

flagged as (

    select
        bills.*,
        bills_in_window.vendor_bill_id is not null as is_in_policy_window,
        unlocked_bills.vendor_bill_id is not null as is_unlocked_bill
    from bills
    left join bills_in_window
        on bills.vendor = bills_in_window.vendor
        and bills.vendor_bill_id = bills_in_window.vendor_bill_id
    left join unlocked_bills
        on bills.vendor = unlocked_bills.vendor
        and bills.vendor_bill_id = unlocked_bills.vendor_bill_id

),

classified as (

    select
        flagged.*,
        is_in_policy_window or is_unlocked_bill as is_in_policy,
        case
            when not (is_in_policy_window or is_unlocked_bill) then 'out_of_policy'
            when is_masked then 'masked_at_ingestion'
            when not is_vendor_unlocked then 'vendor_not_unlocked'
        end as lock_reason
    from flagged

),

final as (

    select
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
        case when lock_reason is null then due_date end as due_date,
        status,
        lock_reason is not null as is_locked,
        lock_reason,
        is_in_policy,
        is_in_policy_window,
        is_unlocked_bill,
        is_masked,
        is_vendor_unlocked,
        bill_type,
        currency,
        {%- for column in masked_columns %}
        case when lock_reason is null then {{ column }} end as {{ column }},
        {%- endfor %}
        case when lock_reason is null then has_pdf else false end as has_pdf,
        load_id,
        extracted_at
    from classified

)

select * from final

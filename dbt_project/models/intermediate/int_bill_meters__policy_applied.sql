{#-
    Every vendor's bill meters with the policy of their bill applied.

    A meter row is locked when its bill is locked (see int_bills__policy_applied), when the
    bill is unknown, or when the meter row itself was masked at ingestion; locked rows have
    usage, amount and tariff NULL.

    amount: the vendor's per-meter amount when it gives one; otherwise (Bayou has none) the
    bill's electricity_amount for the only electric meter of the bill, or the bill's gas_amount
    for the only gas meter of the bill; NULL when the bill has several meters of that commodity.
-#}
with

bill_meters as (

    {{ union_vendor_entity('bill_meters') }}

),

bills as (

    select
        vendor,
        vendor_bill_id,
        statement_date,
        lock_reason,
        electricity_amount,
        gas_amount
    from {{ ref('int_bills__policy_applied') }}

),

joined as (

    select
        bill_meters.*,
        bills.vendor_bill_id is not null as is_bill_known,
        bills.statement_date,
        bills.lock_reason as bill_lock_reason,
        bills.electricity_amount as bill_electricity_amount,
        bills.gas_amount as bill_gas_amount,
        count(*) over (
            partition by bill_meters.vendor, bill_meters.vendor_bill_id, bill_meters.commodity
        ) as n_bill_meters_of_commodity
    from bill_meters
    left join bills
        on bill_meters.vendor = bills.vendor
        and bill_meters.vendor_bill_id = bills.vendor_bill_id

),

classified as (

    select
        joined.*,
        case
            when not is_bill_known then 'bill_not_found'
            when bill_lock_reason is not null then bill_lock_reason
            when is_masked then 'masked_at_ingestion'
        end as lock_reason,
        case
            when amount is not null then amount
            when commodity = 'electric' and n_bill_meters_of_commodity = 1 then bill_electricity_amount
            when commodity = 'gas' and n_bill_meters_of_commodity = 1 then bill_gas_amount
        end as derived_amount,
        case
            when amount is not null then 'vendor'
            when commodity = 'electric' and n_bill_meters_of_commodity = 1
                and bill_electricity_amount is not null then 'bill_electricity_amount'
            when commodity = 'gas' and n_bill_meters_of_commodity = 1
                and bill_gas_amount is not null then 'bill_gas_amount'
        end as derived_amount_source
    from joined

),

final as (

    select
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
        lock_reason is not null as is_locked,
        lock_reason,
        is_masked,
        case when lock_reason is null then usage end as usage,
        usage_unit,
        case when lock_reason is null then derived_amount end as amount,
        case when lock_reason is null then derived_amount_source end as amount_source,
        case when lock_reason is null then tariff end as tariff,
        load_id,
        extracted_at
    from classified

)

select * from final

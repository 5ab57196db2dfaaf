{#-
    Conformed bill charges (entity `bill_charges`, provided by Urjanet only; feeds
    fct_bill_charges): one row per charge line of a kept statement (stg_urjanet__bills: bills
    and adjustments, re-published versions left out).

    * Meter charges: vendor_meter_id = the account's meter with the line's normalized meter
      number (as stg_urjanet__bill_meters), commodity from the statement meter.
    * Account-level charges (e.g. a customer charge or a late fee) belong to no meter:
      vendor_meter_id and commodity NULL. They are part of the bill's total_amount.
    * charge_name as printed; amount rounded to cents; units_used, rate_per_unit, usage_unit as
      sent; period = the line's (else its meter's, else the statement's).
    * customer / account / is_masked from the statement. Lines are only landed for statements in
      policy; lines of a statement masked since (re-read under a narrower policy) keep their
      name but have amount, units and rate NULL. The policy of the bill is re-applied in
      int_bill_charges__policy_applied.
-#}
with

bills as (

    select vendor_bill_id, vendor_customer_id, vendor_account_id, is_masked
    from {{ ref('stg_urjanet__bills') }}

),

statement_meters as (

    select vendor_bill_id, normalized_meter_number, commodity
    from {{ ref('stg_urjanet__statement_meters') }}

),

meters as (

    select vendor_account_id, normalized_meter_number, vendor_meter_id
    from {{ ref('stg_urjanet__meters') }}

),

meter_ids as (

    {{ dedupe_latest('meters', ['vendor_account_id', 'normalized_meter_number'], ['vendor_meter_id']) }}

),

final as (

    select
        charges.vendor,
        charges.vendor_bill_id,
        charges.line_number,
        case
            when charges.normalized_meter_number is not null
                then coalesce(meter_ids.vendor_meter_id, charges.normalized_meter_number)
        end as vendor_meter_id,
        bills.vendor_customer_id,
        bills.vendor_account_id,
        statement_meters.commodity,
        charges.charge_name,
        cast(case when not bills.is_masked then charges.charge_amount end as decimal(18, 2)) as amount,
        cast(case when not bills.is_masked then charges.units_used end as decimal(20, 6)) as units_used,
        cast(case when not bills.is_masked then charges.rate_per_unit end as decimal(20, 6)) as rate_per_unit,
        charges.usage_unit,
        charges.period_start,
        charges.period_end,
        bills.is_masked,
        charges.load_id,
        charges.extracted_at
    from {{ ref('stg_urjanet__charges') }} as charges
    inner join bills
        on charges.vendor_bill_id = bills.vendor_bill_id
    left join statement_meters
        on charges.vendor_bill_id = statement_meters.vendor_bill_id
        and charges.normalized_meter_number = statement_meters.normalized_meter_number
    left join meter_ids
        on bills.vendor_account_id = meter_ids.vendor_account_id
        and charges.normalized_meter_number = meter_ids.normalized_meter_number

)

select * from final

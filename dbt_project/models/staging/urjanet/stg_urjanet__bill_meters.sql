{#-
    Conformed bill meters for Urjanet: one row per meter of a kept statement of type `bill`
    (stg_urjanet__bills; adjustments have none here, so their usage corrections are not added to
    the bills' usage: they are in fct_bill_adjustments).

    * vendor_meter_id: the account's meter with the same normalized number (stg_urjanet__meters:
      the API meter, else the statement-only meter, whose id is the normalized number; also the
      normalized number when the statement's account is unknown).
    * commodity from the statement meter's service_type (as stg_urjanet__meters), meter_type =
      service_type as sent, tariff = the statement's tariff, period = the meter's service period.
    * usage / usage_unit: the sum of the meter's `general_consumption` lines in the conformed
      unit (`kWh`, `therm`, other units such as `gallons` kept); NULL when the lines mix units.
    * amount = the sum of the meter's charge lines, rounded to cents (amount_source `vendor`
      downstream); NULL when it has none. Account-level charges belong to no meter: they are in
      the bill's total_amount and in fct_bill_charges.
    * status / is_masked / customer / account from the bill; a masked statement's meters have
      usage and amount NULL (lines landed by an earlier read under a wider policy are ignored).
-#}
with

bills as (

    select * from {{ ref('stg_urjanet__bills') }}
    where bill_type = 'bill'

),

statement_meters as (

    select * from {{ ref('stg_urjanet__statement_meters') }}

),

meters as (

    select vendor_account_id, normalized_meter_number, vendor_meter_id
    from {{ ref('stg_urjanet__meters') }}

),

meter_ids as (

    {{ dedupe_latest('meters', ['vendor_account_id', 'normalized_meter_number'], ['vendor_meter_id']) }}

),

usage_totals as (

    select
        vendor_bill_id,
        normalized_meter_number,
        sum(usage) as usage_sum,
        count(distinct case when usage is not null then coalesce(usage_unit, '?') end) as n_units,
        max(case when usage is not null then usage_unit end) as usage_unit_of_usage,
        max(usage_unit) as any_usage_unit
    from {{ ref('stg_urjanet__usages') }}
    where measurement_type = 'general_consumption'
    group by vendor_bill_id, normalized_meter_number

),

charge_totals as (

    select
        vendor_bill_id,
        normalized_meter_number,
        sum(charge_amount) as amount
    from {{ ref('stg_urjanet__charges') }}
    where normalized_meter_number is not null
    group by vendor_bill_id, normalized_meter_number

),

final as (

    select
        bills.vendor,
        bills.vendor_bill_id,
        coalesce(meter_ids.vendor_meter_id, statement_meters.normalized_meter_number) as vendor_meter_id,
        bills.vendor_customer_id,
        bills.vendor_account_id,
        statement_meters.commodity,
        statement_meters.service_type as meter_type,
        bills.status,
        statement_meters.period_start,
        statement_meters.period_end,
        cast(case when usage_totals.n_units <= 1 then usage_totals.usage_sum end as decimal(20, 6)) as usage,
        case
            when usage_totals.n_units = 1 then usage_totals.usage_unit_of_usage
            when usage_totals.n_units = 0 then usage_totals.any_usage_unit
        end as usage_unit,
        cast(charge_totals.amount as decimal(18, 2)) as amount,
        statement_meters.tariff,
        bills.is_masked,
        statement_meters.load_id,
        statement_meters.extracted_at
    from bills
    inner join statement_meters
        on bills.vendor_bill_id = statement_meters.vendor_bill_id
    left join meter_ids
        on bills.vendor_account_id = meter_ids.vendor_account_id
        and statement_meters.normalized_meter_number = meter_ids.normalized_meter_number
    left join usage_totals
        on statement_meters.vendor_bill_id = usage_totals.vendor_bill_id
        and statement_meters.normalized_meter_number = usage_totals.normalized_meter_number
        and not bills.is_masked
    left join charge_totals
        on statement_meters.vendor_bill_id = charge_totals.vendor_bill_id
        and statement_meters.normalized_meter_number = charge_totals.normalized_meter_number
        and not bills.is_masked

)

select * from final

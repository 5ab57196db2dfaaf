{#-
    Conformed bill meters for WattzOn: one row per statement and meter, from the electricity,
    gas and water records (normally one record each; records of the same meter on one
    statement are added up). Billing records and record types that are not a commodity are
    left out (they stay in stg_wattzon__bill_records).

    * vendor_bill_id = statement_id; vendor_meter_id = meter_number, else service_id (else the
      pseudo meter `<account_number>:<record_type>`); commodity electricity -> electric, gas, water;
      meter_type = the record type as sent.
    * usage in usage_unit: `KWh` -> `kWh` (Wh/MWh converted), `therms` -> `therm`, water units
      kept (`ccf`, `gallons`, ...); NULL when the meter's records mix units.
    * amount = cost (WattzOn gives a per-meter amount), rounded to cents; tariff = rate_plan.
    * status `unlocked`, or `masked` when the statement was outside the policy at ingestion.
-#}
with

records as (

    select * from {{ ref('stg_wattzon__bill_records') }}
    where commodity is not null
        and vendor_bill_id is not null

),

grouped as (

    select
        vendor_bill_id,
        vendor_meter_id,
        max(vendor_customer_id) as vendor_customer_id,
        max(vendor_account_id) as vendor_account_id,
        max(commodity) as commodity,
        max(record_type) as meter_type,
        min(period_start) as period_start,
        max(period_end) as period_end,
        sum(usage) as usage_sum,
        count(distinct case when usage is not null then coalesce(usage_unit, '?') end) as n_units,
        max(case when usage is not null then usage_unit end) as usage_unit_of_usage,
        max(usage_unit) as any_usage_unit,
        sum(cost) as cost,
        max(rate_plan) as tariff,
        {{ dbt.bool_or('is_masked') }} as is_masked,
        max(load_id) as load_id,
        max(extracted_at) as extracted_at
    from records
    group by vendor_bill_id, vendor_meter_id

),

final as (

    select
        cast('wattzon' as {{ type_text() }}) as vendor,
        vendor_bill_id,
        vendor_meter_id,
        vendor_customer_id,
        vendor_account_id,
        commodity,
        meter_type,
        case when is_masked then 'masked' else 'unlocked' end as status,
        period_start,
        period_end,
        cast(case when n_units <= 1 then usage_sum end as decimal(20, 6)) as usage,
        case
            when n_units = 1 then usage_unit_of_usage
            when n_units = 0 then any_usage_unit
        end as usage_unit,
        cast(cost as decimal(18, 2)) as amount,
        tariff,
        is_masked,
        load_id,
        extracted_at
    from grouped

)

select * from final

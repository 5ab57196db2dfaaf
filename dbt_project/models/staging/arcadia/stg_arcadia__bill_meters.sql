{#-
    Conformed bill meters for Arcadia. Arc statements are per account, not per meter, so a
    statement gets a meter row only when its account's meter of that commodity is unambiguous:

    * the account has exactly one electric meter: one row for it, usage = the statement's kwh
      (`kWh`), tariff = the statement's tariff code;
    * the account has exactly one gas meter: one row for it, usage NULL (Arc gives no gas
      usage), tariff NULL;
    * otherwise (no meter, or several of that commodity; water meters) no row.

    amount is NULL here: Arc gives no per-meter amount. int_bill_meters__policy_applied derives
    it from the bill for the only meter of a commodity, so fct_bill_meters.amount =
    electricity_amount (utility_charge + supplier_charge) for the electric row and gas_amount
    (gas_charge) for the gas row (amount_source `bill_electricity_amount` / `bill_gas_amount`).
    status / is_masked / period from the statement.
-#}
with

statements as (

    select * from {{ ref('stg_arcadia__statements') }}

),

accounts as (

    select vendor_account_id, vendor_customer_id
    from {{ ref('stg_arcadia__utility_accounts') }}

),

meters as (

    select
        vendor_account_id,
        commodity,
        max(vendor_meter_id) as vendor_meter_id,
        max(service_type) as meter_type,
        count(*) as n_meters
    from {{ ref('stg_arcadia__utility_meters') }}
    where vendor_account_id is not null
        and commodity in ('electric', 'gas')
    group by vendor_account_id, commodity

),

final as (

    select
        statements.vendor,
        statements.vendor_bill_id,
        meters.vendor_meter_id,
        coalesce(statements.vendor_customer_id, accounts.vendor_customer_id) as vendor_customer_id,
        statements.vendor_account_id,
        meters.commodity,
        meters.meter_type,
        case when statements.is_masked then 'masked' else 'unlocked' end as status,
        statements.period_start,
        statements.period_end,
        case when meters.commodity = 'electric' then statements.usage_kwh end as usage,
        case when meters.commodity = 'electric' then 'kWh' end as usage_unit,
        cast(null as decimal(18, 2)) as amount,
        case when meters.commodity = 'electric' then statements.tariff_code end as tariff,
        statements.is_masked,
        statements.load_id,
        statements.extracted_at
    from statements
    inner join meters
        on statements.vendor_account_id = meters.vendor_account_id
        and meters.n_meters = 1
    left join accounts
        on statements.vendor_account_id = accounts.vendor_account_id

)

select * from final

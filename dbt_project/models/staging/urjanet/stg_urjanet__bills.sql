{#-
    Conformed bills for Urjanet: one row per delivered statement that is the latest of its kind.

    * Re-published statements: Urjanet re-publishes a statement under a new StatementId. Per
      statement type, provider (alias, case-insensitive), normalized account number and statement
      date only the latest is kept: latest delivery (delivered_at), then the latest read
      (extracted_at), then the highest statement id.
    * bill_type = the statement type, `bill` or `adjustment` (an optional conformed bill column,
      NULL for the other vendors). Adjustments (corrections of an earlier bill's charges and
      usage) are carried through int_bills__policy_applied so the policy applies to them exactly
      as to bills, and kept apart in the marts: fct_bills and fct_bill_meters hold bills only,
      fct_bill_adjustments the adjustments, so usage is never counted twice.
    * The account: the policy's customer is the current account id. The statement's account_id
      (matched at ingestion, possibly an id that changed since) resolves to the current id
      (stg_urjanet__account_ids); a statement without one (unmatched at ingestion) resolves by
      account_key to the earliest created current account of that key. vendor_customer_id =
      vendor_account_id = that id; NULL when no account is known (then out of policy).
    * utility = provider_alias; account_number as printed; period_start / period_end = the
      statement's interval start / end; due_date; currency (`USD` when missing).
    * Money (rounded to cents): total_amount = total_bill_amount, outstanding_balance,
      and the Urjanet optional columns amount_due, new_charges, previous_balance;
      electricity_amount / gas_amount = the sum of the charges of the statement's ELECTRIC / GAS
      meters (account-level charges are in the total only; see stg_urjanet__bill_charges);
      delivery_charge, supply_charge, community_solar_bill_credit NULL.
    * Usage, from the `general_consumption` usage lines: electricity_usage_kwh = the sum on the
      ELECTRIC meters (Wh / MWh converted; NULL when a line is in another unit); gas_usage /
      gas_usage_unit = the sum on the GAS meters in `therm` (`therms`) or `ccf`, NULL when the
      lines mix units or use another one. Demand lines are not usage.
    * No vendor-side lock: is_vendor_unlocked true; status `delivered`, or `masked` when the
      statement was outside the policy at ingestion (ids and dates only; its lines were not
      landed, and lines landed by an earlier read under a wider policy are ignored).
      has_pdf false: deliveries carry no document.
    * Extra columns (not conformed): account_key, provider_alias, normalized_account_number,
      delivered_at.
-#}
with

statements as (

    select
        statements.*,
        coalesce(statement_type, 'bill') as bill_type,
        lower(trim(provider_alias)) as provider_alias_key
    from {{ ref('stg_urjanet__statements') }} as statements

),

latest as (

    {{ dedupe_latest('statements',
                     ['bill_type', 'provider_alias_key', 'normalized_account_number', 'statement_date'],
                     ['delivered_at desc nulls last', 'extracted_at desc nulls last', 'vendor_bill_id desc']) }}

),

account_ids as (

    select * from {{ ref('stg_urjanet__account_ids') }}

),

key_accounts as (

    {{ dedupe_latest('(select * from account_ids where is_current)', ['account_key'],
                     ['created_at asc nulls last', 'current_account_id']) }}

),

statement_meters as (

    select vendor_bill_id, normalized_meter_number, commodity
    from {{ ref('stg_urjanet__statement_meters') }}

),

usage_totals as (

    select
        usages.vendor_bill_id,
        sum(case when statement_meters.commodity = 'electric' then usages.usage end) as electricity_usage,
        sum(case when statement_meters.commodity = 'electric' and usages.usage is not null
                  and (usages.usage_unit is null or usages.usage_unit <> 'kWh') then 1 else 0 end) as n_electricity_not_kwh,
        sum(case when statement_meters.commodity = 'gas' then usages.usage end) as gas_usage_sum,
        count(distinct case when statement_meters.commodity = 'gas' and usages.usage is not null
                            then coalesce(usages.usage_unit, '?') end) as n_gas_units,
        max(case when statement_meters.commodity = 'gas' and usages.usage is not null
                 then usages.usage_unit end) as gas_unit
    from {{ ref('stg_urjanet__usages') }} as usages
    left join statement_meters
        on usages.vendor_bill_id = statement_meters.vendor_bill_id
        and usages.normalized_meter_number = statement_meters.normalized_meter_number
    where usages.measurement_type = 'general_consumption'
    group by usages.vendor_bill_id

),

charge_totals as (

    select
        charges.vendor_bill_id,
        sum(case when statement_meters.commodity = 'electric' then charges.charge_amount end) as electricity_amount,
        sum(case when statement_meters.commodity = 'gas' then charges.charge_amount end) as gas_amount
    from {{ ref('stg_urjanet__charges') }} as charges
    left join statement_meters
        on charges.vendor_bill_id = statement_meters.vendor_bill_id
        and charges.normalized_meter_number = statement_meters.normalized_meter_number
    group by charges.vendor_bill_id

),

resolved as (

    select
        latest.*,
        coalesce(by_id.current_account_id, by_key.current_account_id, latest.vendor_account_id) as current_account_id
    from latest
    left join account_ids as by_id
        on latest.vendor_account_id = by_id.account_id
    left join key_accounts as by_key
        on latest.account_key = by_key.account_key

),

final as (

    select
        resolved.vendor,
        resolved.vendor_bill_id,
        cast(null as {{ type_text() }}) as external_id,
        resolved.current_account_id as vendor_customer_id,
        cast(null as {{ type_text() }}) as customer_external_id,
        resolved.current_account_id as vendor_account_id,
        resolved.account_number,
        resolved.provider_alias as utility,
        resolved.statement_date,
        resolved.period_start,
        resolved.period_end,
        resolved.due_date,
        case when resolved.is_masked then 'masked' else 'delivered' end as status,
        true as is_vendor_unlocked,
        resolved.is_masked,
        coalesce(resolved.currency, 'USD') as currency,
        cast(resolved.total_bill_amount as decimal(18, 2)) as total_amount,
        cast(resolved.outstanding_balance as decimal(18, 2)) as outstanding_balance,
        cast(charge_totals.electricity_amount as decimal(18, 2)) as electricity_amount,
        cast(null as decimal(18, 2)) as delivery_charge,
        cast(null as decimal(18, 2)) as supply_charge,
        cast(null as decimal(18, 2)) as community_solar_bill_credit,
        cast(charge_totals.gas_amount as decimal(18, 2)) as gas_amount,
        cast(
            case when usage_totals.n_electricity_not_kwh = 0 then usage_totals.electricity_usage end
            as decimal(20, 6)
        ) as electricity_usage_kwh,
        cast(
            case when usage_totals.n_gas_units = 1 and usage_totals.gas_unit in ('therm', 'ccf')
                then usage_totals.gas_usage_sum end
            as decimal(20, 4)
        ) as gas_usage,
        case when usage_totals.n_gas_units = 1 and usage_totals.gas_unit in ('therm', 'ccf')
            then usage_totals.gas_unit end as gas_usage_unit,
        false as has_pdf,
        -- Arcadia-only statement flags
        {{ null_optional_columns('bills', except_vendor='urjanet') }},
        resolved.bill_type,
        cast(resolved.amount_due as decimal(18, 2)) as amount_due,
        cast(resolved.new_charges as decimal(18, 2)) as new_charges,
        cast(resolved.previous_balance as decimal(18, 2)) as previous_balance,
        resolved.load_id,
        resolved.extracted_at,
        resolved.account_key,
        resolved.provider_alias,
        resolved.normalized_account_number,
        resolved.delivered_at
    from resolved
    -- a masked statement's lines (landed by an earlier read under a wider policy) do not count
    left join usage_totals
        on resolved.vendor_bill_id = usage_totals.vendor_bill_id
        and not resolved.is_masked
    left join charge_totals
        on resolved.vendor_bill_id = charge_totals.vendor_bill_id
        and not resolved.is_masked

)

select * from final

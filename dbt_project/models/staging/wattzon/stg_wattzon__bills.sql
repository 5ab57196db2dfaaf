{#-
    Conformed bills for WattzOn: one row per statement (vendor_bill_id = statement_id,
    `<profile_id>:<account_number>:<bill date>`), aggregated from its bill records.

    * statement_date: the statement's (bill date, else period end, else interpolated date);
      period_start = earliest record start (or interpolated date), period_end = latest record end.
    * total_amount = the billing record's current_charges (the statement's charges); when the
      statement has no billing record (or it has no current_charges): the sum of the
      electricity, gas and water costs. outstanding_balance = the billing record's
      total_amount_due; due_date = its due_date. (Sums when a statement has several billing records.)
    * electricity_amount / gas_amount = sums of the electricity / gas costs; delivery, supply and
      community solar charges are not given by WattzOn (NULL). Amounts rounded to cents, DECIMAL(18,2).
    * electricity_usage_kwh = sum of electricity usage in kWh (`KWh`/`kWh`; Wh and MWh
      converted), NULL when a record's unit is not an energy unit; gas_usage / gas_usage_unit =
      sum in the gas unit (`therms` -> `therm`, `ccf`), NULL when the gas records mix units or use
      another unit.
    * WattzOn has no vendor-side lock: is_vendor_unlocked is always true, status is `unlocked`,
      or `masked` when the statement was outside the policy at ingestion (is_masked: any record
      masked); the policy then locks it (int_bills__policy_applied).
    * has_pdf: the lake stores a PDF of the statement (a record has pdf_sha256).
    * customer_external_id = the profile's label; utility = the profile's; external_id NULL.
    * load_id / extracted_at: the latest of the statement's records.
-#}
with

records as (

    select * from {{ ref('stg_wattzon__bill_records') }}

),

profiles as (

    select * from {{ ref('stg_wattzon__profiles') }}

),

statements as (

    select
        vendor_bill_id,
        max(vendor_customer_id) as vendor_customer_id,
        max(vendor_account_id) as vendor_account_id,
        max(account_number) as account_number,
        max(statement_date) as statement_date,
        min(period_start) as period_start,
        max(period_end) as period_end,
        {{ dbt.bool_or('is_masked') }} as is_masked,
        max(currency) as currency,

        sum(case when record_type = 'billing' then current_charges end) as billing_current_charges,
        sum(case when record_type = 'billing' then total_amount_due end) as billing_total_amount_due,
        max(case when record_type = 'billing' then due_date end) as due_date,
        sum(case when commodity is not null then cost end) as commodity_costs,
        sum(case when commodity = 'electric' then cost end) as electricity_cost,
        sum(case when commodity = 'gas' then cost end) as gas_cost,

        sum(case when commodity = 'electric' then usage end) as electricity_usage,
        sum(case when commodity = 'electric' and usage is not null
                  and (usage_unit is null or usage_unit <> 'kWh') then 1 else 0 end) as n_electricity_not_kwh,
        sum(case when commodity = 'gas' then usage end) as gas_usage_sum,
        count(distinct case when commodity = 'gas' and usage is not null then coalesce(usage_unit, '?') end) as n_gas_units,
        max(case when commodity = 'gas' and usage is not null then usage_unit end) as gas_unit,

        {{ dbt.bool_or('has_pdf') }} as has_pdf,
        max(load_id) as load_id,
        max(extracted_at) as extracted_at
    from records
    where vendor_bill_id is not null
    group by vendor_bill_id

),

final as (

    select
        cast('wattzon' as {{ type_text() }}) as vendor,
        statements.vendor_bill_id,
        cast(null as {{ type_text() }}) as external_id,
        statements.vendor_customer_id,
        profiles.label as customer_external_id,
        statements.vendor_account_id,
        statements.account_number,
        coalesce(profiles.utility_provider_id, profiles.utility_provider) as utility,
        statements.statement_date,
        statements.period_start,
        statements.period_end,
        statements.due_date,
        case when statements.is_masked then 'masked' else 'unlocked' end as status,
        true as is_vendor_unlocked,
        statements.is_masked,
        coalesce(statements.currency, 'USD') as currency,
        cast(coalesce(statements.billing_current_charges, statements.commodity_costs) as decimal(18, 2)) as total_amount,
        cast(statements.billing_total_amount_due as decimal(18, 2)) as outstanding_balance,
        cast(statements.electricity_cost as decimal(18, 2)) as electricity_amount,
        cast(null as decimal(18, 2)) as delivery_charge,
        cast(null as decimal(18, 2)) as supply_charge,
        cast(null as decimal(18, 2)) as community_solar_bill_credit,
        cast(statements.gas_cost as decimal(18, 2)) as gas_amount,
        cast(
            case when statements.n_electricity_not_kwh = 0 then statements.electricity_usage end
            as decimal(20, 6)
        ) as electricity_usage_kwh,
        cast(
            case when statements.n_gas_units = 1 and statements.gas_unit in ('therm', 'ccf')
                then statements.gas_usage_sum end
            as decimal(20, 4)
        ) as gas_usage,
        case when statements.n_gas_units = 1 and statements.gas_unit in ('therm', 'ccf')
            then statements.gas_unit end as gas_usage_unit,
        coalesce(statements.has_pdf, false) as has_pdf,
        -- optional bill columns of other vendors (Arcadia statement flags, Urjanet statement type and balances)
        {{ null_optional_columns('bills') }},
        statements.load_id,
        statements.extracted_at
    from statements
    left join profiles
        on statements.vendor_customer_id = profiles.vendor_customer_id

)

select * from final

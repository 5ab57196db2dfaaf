with

source as (

    {{ dedupe_latest(source('bayou', 'bills'), ['bill_id']) }}

),

renamed as (

    select
        -- ids
        cast('bayou' as {{ type_text() }}) as vendor,
        cast(bill_id as {{ type_text() }}) as vendor_bill_id,
        cast(external_id as {{ type_text() }}) as external_id,
        cast(customer_id as {{ type_text() }}) as vendor_customer_id,
        cast(customer_external_id as {{ type_text() }}) as customer_external_id,
        -- Bayou has no account object: the account id is the utility account number
        cast(account_number as {{ type_text() }}) as vendor_account_id,
        cast(account_number as {{ type_text() }}) as account_number,
        utility,

        -- dates
        cast(billed_on as date) as statement_date,
        cast(billing_period_from as date) as period_start,
        cast(billing_period_to as date) as period_end,
        -- Bayou gives no due date
        cast(null as date) as due_date,

        -- status
        status,
        coalesce(status = 'unlocked', false) as is_vendor_unlocked,
        coalesce(is_masked, false) as is_masked,

        -- money: integer cents -> currency units
        cast('USD' as {{ type_text() }}) as currency,
        {{ cents_to_currency('total_amount_cents') }} as total_amount,
        {{ cents_to_currency('outstanding_balance_cents') }} as outstanding_balance,
        {{ cents_to_currency('electricity_amount_cents') }} as electricity_amount,
        {{ cents_to_currency('delivery_charge_cents') }} as delivery_charge,
        {{ cents_to_currency('supply_charge_cents') }} as supply_charge,
        {{ cents_to_currency('community_solar_bill_credit_cents') }} as community_solar_bill_credit,
        {{ cents_to_currency('gas_amount_cents') }} as gas_amount,

        -- usage: Wh -> kWh; gas kept in the billed unit
        {{ wh_to_kwh('electricity_consumption_wh', 'decimal(20, 6)') }} as electricity_usage_kwh,
        cast(gas_consumption as decimal(20, 4)) as gas_usage,
        {{ normalize_gas_unit('gas_consumption_unit') }} as gas_usage_unit,

        -- document (the presigned link expires within minutes; marts only keep has_pdf)
        file_url as pdf_url,
        file_url is not null as has_pdf,
        -- optional bill columns of other vendors (Arcadia statement flags, Urjanet statement type and balances)
        {{ null_optional_columns('bills') }},

        _load_id as load_id,
        cast(_extracted_at as {{ type_timestamp_tz() }}) as extracted_at

    from source

)

select * from renamed

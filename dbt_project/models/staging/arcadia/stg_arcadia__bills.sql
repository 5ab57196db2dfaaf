{#-
    Conformed bills for Arcadia: one row per Arc statement (statements are per utility account).

    * vendor_bill_id = statement_id; vendor_customer_id = the credential (the statement's, else
      its account's); customer_external_id = client_user_id; vendor_account_id = account_id,
      account_number from the account; utility = the statement's utility_name (else the account's).
    * statement_date; period_start / period_end = service_start_date / service_end_date as sent
      (whether the end date is inclusive is in stg_arcadia__statements); due_date.
    * Money (USD, rounded to cents): total_amount = utility_charge + supplier_charge + gas_charge,
      NULL-safe (the sum of the parts that are not NULL; NULL when all three are NULL);
      electricity_amount = utility_charge + supplier_charge, NULL-safe likewise (Arc's utility
      charge of an electric account is its electricity delivery, plus supply when there is no
      third-party supplier); gas_amount = gas_charge. delivery_charge / supply_charge are NULL
      (the utility charge includes the utility's own supply when there is no supplier, so it is
      not a delivery charge), community_solar_bill_credit NULL. outstanding_balance NULL (Arc
      gives no balance).
    * electricity_usage_kwh = kwh; gas usage NULL (Arc gives none).
    * No vendor-side lock: is_vendor_unlocked is true, status `unlocked`, or `masked` when the
      statement was outside the policy at ingestion (ids and dates only). is_past_due =
      past_due, is_final_bill = final_bill, billing_flags (JSON array as text, e.g.
      `["possible_rebill"]`) are the optional conformed bill columns. has_pdf: Arc gave a PDF link.
-#}
with

statements as (

    select * from {{ ref('stg_arcadia__statements') }}

),

accounts as (

    select
        vendor_account_id,
        vendor_customer_id,
        account_number,
        utility_name
    from {{ ref('stg_arcadia__utility_accounts') }}

),

final as (

    select
        statements.vendor,
        statements.vendor_bill_id,
        cast(null as {{ type_text() }}) as external_id,
        coalesce(statements.vendor_customer_id, accounts.vendor_customer_id) as vendor_customer_id,
        statements.client_user_id as customer_external_id,
        statements.vendor_account_id,
        accounts.account_number,
        coalesce(statements.utility_name, accounts.utility_name) as utility,
        statements.statement_date,
        statements.period_start,
        statements.period_end,
        statements.due_date,
        case when statements.is_masked then 'masked' else 'unlocked' end as status,
        true as is_vendor_unlocked,
        statements.is_masked,
        cast('USD' as {{ type_text() }}) as currency,
        cast(
            case
                when statements.utility_charge is not null
                    or statements.supplier_charge is not null
                    or statements.gas_charge is not null
                then coalesce(statements.utility_charge, 0)
                    + coalesce(statements.supplier_charge, 0)
                    + coalesce(statements.gas_charge, 0)
            end
            as decimal(18, 2)) as total_amount,
        cast(null as decimal(18, 2)) as outstanding_balance,
        cast(
            case
                when statements.utility_charge is not null or statements.supplier_charge is not null
                then coalesce(statements.utility_charge, 0) + coalesce(statements.supplier_charge, 0)
            end
            as decimal(18, 2)) as electricity_amount,
        cast(null as decimal(18, 2)) as delivery_charge,
        cast(null as decimal(18, 2)) as supply_charge,
        cast(null as decimal(18, 2)) as community_solar_bill_credit,
        cast(statements.gas_charge as decimal(18, 2)) as gas_amount,
        statements.usage_kwh as electricity_usage_kwh,
        cast(null as decimal(20, 4)) as gas_usage,
        cast(null as {{ type_text() }}) as gas_usage_unit,
        statements.has_pdf,
        statements.is_past_due,
        statements.is_final_bill,
        statements.billing_flags,
        -- Urjanet-only statement type and balances
        {{ null_optional_columns('bills', except_vendor='arcadia') }},
        statements.load_id,
        statements.extracted_at
    from statements
    left join accounts
        on statements.vendor_account_id = accounts.vendor_account_id

)

select * from final

{#-
    Arc utility accounts (lake dataset `accounts`, from the API or carried by webhook events),
    latest version of each account_id. vendor_customer_id = credential_id (the policy's
    customer). status lower-cased as sent (`active|closed|incomplete|locked|unknown`), NULL ->
    `unknown`. Feature availability columns prefixed `feature_`. Named after Arc's
    `utility_accounts` because stg_arcadia__accounts is the conformed model.
-#}
with

source as (

    {{ dedupe_latest(source('arcadia', 'accounts'), ['account_id']) }}

),

renamed as (

    select
        cast('arcadia' as {{ type_text() }}) as vendor,
        cast(account_id as {{ type_text() }}) as vendor_account_id,
        cast(credential_id as {{ type_text() }}) as vendor_customer_id,
        cast(client_user_id as {{ type_text() }}) as client_user_id,
        utility_name,
        utility_long_name,
        cast(account_number as {{ type_text() }}) as account_number,
        service_address_street_one,
        service_address_street_two,
        service_address_city,
        service_address_state,
        service_address_zip,
        service_customer_name,
        supplier_account_id,
        coalesce(lower(status), 'unknown') as status,
        tariff_main_id,
        tariff_supplier_name,
        tariff_code,
        tariff_name,
        tariff_utility_name,
        cast(tariff_as_of_date as date) as tariff_as_of_date,
        flags,
        services,
        charge_cost as feature_charge_cost,
        smart_charge as feature_smart_charge,
        utility_intervals as feature_utility_intervals,
        utility_statements as feature_utility_statements,
        hosted_payments as feature_hosted_payments,
        utility_remittance as feature_utility_remittance,
        cast(created_at as {{ type_timestamp_tz() }}) as created_at,
        cast(updated_at as {{ type_timestamp_tz() }}) as updated_at,
        sandboxed as is_sandboxed,
        source as account_source,
        _load_id as load_id,
        cast(_extracted_at as {{ type_timestamp_tz() }}) as extracted_at

    from source

)

select * from renamed

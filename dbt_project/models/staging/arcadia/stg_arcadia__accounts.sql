{#-
    Conformed accounts for Arcadia: one row per Arc utility account (account_source `customer`:
    listed by the vendor's account object). vendor_account_id = account_id, vendor_customer_id =
    credential_id, utility = utility_name, status = Arc's account status
    (`active|closed|incomplete|locked|unknown`). Also fills the optional conformed account
    columns (NULL for the other vendors): services and flags (JSON arrays as text), the service
    address, the most recent tariff and the six feature-availability values.
-#}
select
    vendor,
    vendor_account_id,
    vendor_customer_id,
    utility_name as utility,
    account_number,
    status,
    cast('customer' as {{ type_text() }}) as account_source,
    services,
    service_address_street_one,
    service_address_street_two,
    service_address_city,
    service_address_state,
    service_address_zip,
    tariff_code,
    tariff_name,
    tariff_main_id,
    tariff_supplier_name,
    tariff_as_of_date,
    flags,
    feature_charge_cost,
    feature_smart_charge,
    feature_utility_intervals,
    feature_utility_statements,
    feature_hosted_payments,
    feature_utility_remittance,
    -- Urjanet-only account statuses
    {{ null_optional_columns('accounts', except_vendor='arcadia') }}
from {{ ref('stg_arcadia__utility_accounts') }}

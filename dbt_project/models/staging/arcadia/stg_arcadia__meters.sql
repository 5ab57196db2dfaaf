{#-
    Conformed meters for Arcadia: one row per Arc utility meter (meter_source `customer`).
    vendor_meter_id = meter_id, meter_number, commodity = service_type (electric|gas|water),
    meter_type = service_type as sent, vendor_account_id = account_id, vendor_customer_id =
    credential_id (else the account's). Arc meters carry no tariff: electric meters get their
    account's most recent tariff code (the account's tariff is an electricity tariff), gas and
    water meters NULL. address = the account's service address (street one, street two, city,
    `state zip`, comma-separated; NULL when the account gives none).
-#}
with

meters as (

    select * from {{ ref('stg_arcadia__utility_meters') }}

),

accounts as (

    select * from {{ ref('stg_arcadia__utility_accounts') }}

),

final as (

    select
        meters.vendor,
        meters.vendor_meter_id,
        coalesce(meters.vendor_customer_id, accounts.vendor_customer_id) as vendor_customer_id,
        meters.vendor_account_id,
        meters.meter_number,
        meters.commodity,
        meters.service_type as meter_type,
        case when meters.commodity = 'electric' then accounts.tariff_code end as tariff,
        nullif(concat_ws(', ',
            accounts.service_address_street_one,
            accounts.service_address_street_two,
            accounts.service_address_city,
            nullif(concat_ws(' ', accounts.service_address_state, accounts.service_address_zip), '')
        ), '') as address,
        cast('customer' as {{ type_text() }}) as meter_source
    from meters
    left join accounts
        on meters.vendor_account_id = accounts.vendor_account_id

)

select * from final
